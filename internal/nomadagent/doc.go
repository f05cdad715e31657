// Package nomadagent starts and stops real Nomad agents: a dev agent
// (server and client in one process) for `hpcbridge dev` and tests, or a
// server and any number of clients as separate processes, for tests that
// need several nodes or lose one.
//
// The nomad binary is found by Binary: $NOMAD_BIN, bin/nomad in the
// repository (`make nomad` builds Nomad v1.11.3 with its web UI from the Go
// module pinned in tools/nomad), a nomad beside the running executable, or
// $PATH.
//
// Each agent gets free loopback ports (and, with Config.DynamicPorts, a
// range of dynamic ports for its allocations: clients on one machine need
// disjoint ones, see DynamicPortRange) and its own directory (Config.Dir)
// holding its configuration (agent.hcl, rendered from Config; extra.hcl,
// Config.ExtraHCL verbatim, merged by Nomad), its log (agent.log, appended
// across restarts) and its data_dir. Plugins are configured with
// Config.PluginDir (Nomad's plugin_dir, where external task drivers and
// device plugins are found) and Config.Plugins (one `plugin "name" {
// config { ... } }` block each). Every client gets the option
// "fingerprint.denylist" = FingerprintDenylist: the cloud fingerprinters
// probe metadata services, and the AWS one aborts a client built from the
// Go module.
//
// A start returns when the agent is usable, never by sleeping: it watches
// the agent's output for the line that says its listeners are bound, then
// follows Nomad with blocking queries (which the servers hold while there
// is no leader) until a leader serves consistent reads with an active
// keyring, and until the client's node is ready with Config.Drivers
// detected and healthy. A failed start says what it last saw and ends with
// the tail of the agent's log.
//
// A dev agent is one process, server and client, like `nomad agent -dev`,
// but keeps its state in Dir (the -dev flag keeps Raft in memory) so that a
// restart keeps jobs and the node. Nomad 1.11 signs each node's identity
// with the keyring: a client that registers before the new leader has its
// key is refused and retries only after 15-30 s. So a server snapshots its
// Raft state before it stops (the keyring is then restored before the
// server serves), and a dev agent without a snapshot first runs as a
// server alone until its keyring exists. A start takes 2-4 s here.
//
// Stopping has three strengths. Stop is the end: SIGINT, SIGKILL after a
// grace period, then SIGKILL for every executor, plugin and task the agent
// left behind (also when it died on its own and they are no longer below
// it: Nomad runs them in Dir, from its binary or the plugin dir), and the
// task mounts under Dir are detached. Kill is a lost
// machine: SIGKILL to the agent and everything below it at once. Crash is
// a crashed agent: SIGKILL to the agent alone, its tasks keep running.
// Restart brings the same node back (same Dir, ports and name) after any
// of them, or restarts a running agent gracefully, as an operator would.
//
// Nomad clients need root on Linux for their task drivers' isolation;
// this package does not check for it.
package nomadagent
