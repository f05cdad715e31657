# Written by hpcbridge's internal/nomadagent on every start; edits are lost.
name = "client-4646"
region = "global"
datacenter = "dc1"
data_dir = "/srv/agent/data"
bind_addr = "127.0.0.1"
log_level = "INFO"
disable_update_check = true
plugin_dir = "/srv/plugins"
ports {
  http = 4646
  rpc = 4647
  serf = 4648
}
advertise {
  http = "127.0.0.1"
  rpc = "127.0.0.1"
  serf = "127.0.0.1"
}
consul {
  auto_advertise = false
  client_auto_join = false
  server_auto_join = false
}
client {
  enabled = true
  servers = ["127.0.0.1:4001"]
  node_pool = "default"
  network_interface = "lo"
  meta {
    "hpcbridge.donor" = "uni-a"
    rack = "r1"
  }
  reservable_cores = "0-3,8"
  memory_total_mb = 4096
  options {
    "driver.allowlist" = "raw_exec,hpcbridge-gpu"
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }
}
plugin "raw_exec" {
  config {
    enabled = true
  }
}
plugin "hpcbridge-gpu" {
  args = ["-v"]
  config {
    backend = "fake"
    fingerprint_period = "5s"
    gpus = ["GPU-0", "GPU-1"]
    limits {
      max = 8
      ratio = 0.5
    }
    volume {
      path = "/a"
    }
    volume {
      path = "/b"
    }
  }
}
