package nomadagent

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FingerprintDenylist is the client option "fingerprint.denylist" every agent
// gets unless Config.ClientOptions sets it: the cloud environment
// fingerprinters probe metadata services, and the AWS one aborts the client
// of a Nomad built from its Go module (see DESIGN.md).
const FingerprintDenylist = "env_aws,env_gce,env_azure,env_digitalocean"

// Defaults filled in for empty Config fields.
const (
	DefaultRegion     = "global"
	DefaultDatacenter = "dc1"
	DefaultNodePool   = "default"
	DefaultLogLevel   = "INFO"
	DefaultStopGrace  = 10 * time.Second
)

// Config describes one agent. Only Dir is required; StartDev, StartServer and
// StartClient decide whether it runs a server, a client or both.
type Config struct {
	// Dir is the agent's own directory, created when missing: agent.hcl
	// (the configuration rendered from this struct), extra.hcl (ExtraHCL),
	// agent.log (everything the agent prints, appended across restarts) and
	// data/ (Nomad's data_dir, with the client's state and alloc dirs). A
	// restart reuses it, so a restarted client is the same node.
	Dir string
	// Binary is the nomad executable; empty means Binary().
	Binary string
	// Name is the agent's name, which is also the client's node name.
	// Empty means "dev", "server" or "client-<http port>".
	Name string
	// Region, Datacenter and NodePool default to "global", "dc1" and
	// "default". A client's node pool is created when it registers.
	Region     string
	Datacenter string
	NodePool   string
	// Meta is the client node's meta.
	Meta map[string]string
	// ClientOptions are client options ("driver.allowlist", ...) merged
	// over {"fingerprint.denylist": FingerprintDenylist}.
	ClientOptions map[string]string
	// PluginDir is Nomad's plugin_dir, where external plugin binaries
	// (task drivers, device plugins) are found; empty means Nomad's default
	// (data/plugins). Each Plugins entry configures one plugin by name.
	PluginDir string
	Plugins   []Plugin
	// Drivers are task drivers that must be detected and healthy on the
	// client's node before a start returns ("raw_exec", "exec", or the name
	// of an external task driver).
	Drivers []string
	// DynamicPorts, when set, is the client's range of dynamic ports
	// (min_dynamic_port, max_dynamic_port; Nomad's default is 20000-32000).
	// Clients on one machine share its ports: give each a range of its own
	// (DynamicPortRange) so that two allocations on different nodes are
	// never handed the same port.
	DynamicPorts PortRange
	// ReservableCores, when set, are the only CPU cores the client offers
	// (Nomad's reservable_cores, a cpuset list such as "0-3,8"): the
	// node's CPU count is theirs. MemoryMiB, when set, is the memory the
	// client offers (memory_total_mb) instead of the machine's. A node
	// that lends part of a machine (`hpcbridge agent --cpus/--memory`, a
	// pilot job inside a Slurm allocation) offers only that part.
	//
	// Nomad 1.11 writes the reservable cores into the cpuset of its
	// machine-wide parent cgroup (/nomad; client.cgroup_parent does not
	// move it), which fails ("device or resource busy") while another
	// Nomad client on the machine holds tasks or partitions there with
	// other cores: one client per machine may limit its cores.
	ReservableCores string
	MemoryMiB       int
	// HeartbeatTTL, when set, is the server's min_heartbeat_ttl and
	// heartbeat_grace: a client that stops heartbeating is marked down
	// within about three times this. Zero keeps Nomad's 10 s + 10 s.
	HeartbeatTTL time.Duration
	// ExtraHCL is written to extra.hcl and loaded after agent.hcl; Nomad
	// merges the two, so it can add to any block (server { ... },
	// client { ... }, plugin "x" { ... }, telemetry { ... }).
	ExtraHCL string
	// LogLevel is Nomad's log_level; default "INFO".
	LogLevel string
	// Env is appended to this process's environment for the agent.
	Env []string
	// Hostname, when set, runs the agent in a UTS namespace of its own
	// whose host name it is (Linux, as root): the agent's plugins and every
	// task below it see it as `uname -n`. Several clients on one machine
	// then look like separate hosts to what keys on the host name (Open
	// MPI's shared-memory segments are named by host name and local rank).
	// At most 64 bytes, no NUL or "/".
	Hostname string
	// StopGrace is how long Stop and Restart wait after SIGINT before
	// SIGKILL; default 10 s.
	StopGrace time.Duration
}

// Plugin is one plugin block of the agent configuration:
//
//	plugin "<Name>" {
//	  args   = [<Args>]
//	  config { <Config> }
//	}
//
// Config values may be strings, bools, numbers, time.Duration, slices of
// those, maps (written as nested blocks) and slices of maps (repeated
// blocks). For the built-in raw_exec driver: Plugin{Name: "raw_exec",
// Config: map[string]any{"enabled": true}}.
type Plugin struct {
	Name   string
	Args   []string
	Config map[string]any
}

// PortRange is an inclusive range of TCP ports; the zero value is none.
type PortRange struct{ Min, Max int }

// Nomad's default range of dynamic ports.
const (
	MinDynamicPort = 20000
	MaxDynamicPort = 32000
)

// DynamicPortRange is the i-th (0-based) of n equal, disjoint parts of
// Nomad's default dynamic port range, for n clients on one machine.
func DynamicPortRange(i, n int) PortRange {
	span := (MaxDynamicPort - MinDynamicPort + 1) / max(n, 1)
	lo := MinDynamicPort + i*span
	return PortRange{Min: lo, Max: lo + span - 1}
}

type role int

const (
	roleDev role = iota
	roleServer
	roleClient
)

func (r role) server() bool { return r != roleClient }
func (r role) client() bool { return r != roleServer }

func (r role) String() string {
	return [...]string{"dev", "server", "client"}[r]
}

// ports are the agent's listening ports on 127.0.0.1.
type ports struct{ HTTP, RPC, Serf int }

// withDefaults returns a copy of c with empty fields filled in.
func (c Config) withDefaults(r role, p ports) (Config, error) {
	if c.Dir == "" {
		return c, errors.New("nomadagent: Config.Dir is required")
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return c, fmt.Errorf("nomadagent: %w", err)
	}
	c.Dir = dir
	if c.PluginDir != "" {
		if c.PluginDir, err = filepath.Abs(c.PluginDir); err != nil {
			return c, fmt.Errorf("nomadagent: %w", err)
		}
	}
	if c.Binary == "" {
		if c.Binary, err = Binary(); err != nil {
			return c, err
		}
	}
	if c.Name == "" {
		c.Name = r.String()
		if r == roleClient {
			c.Name += "-" + strconv.Itoa(p.HTTP)
		}
	}
	c.Region = or(c.Region, DefaultRegion)
	c.Datacenter = or(c.Datacenter, DefaultDatacenter)
	c.NodePool = or(c.NodePool, DefaultNodePool)
	c.LogLevel = or(c.LogLevel, DefaultLogLevel)
	if c.StopGrace <= 0 {
		c.StopGrace = DefaultStopGrace
	}
	if h := c.Hostname; len(h) > 64 || strings.ContainsAny(h, "\x00/") {
		return c, fmt.Errorf("nomadagent: host name %q: want at most 64 bytes, no NUL or /", h)
	}
	if d := c.DynamicPorts; d != (PortRange{}) && (d.Min < 1024 || d.Max > 65535 || d.Min > d.Max) {
		return c, fmt.Errorf("nomadagent: dynamic ports %d-%d: want 1024 <= min <= max <= 65535", d.Min, d.Max)
	}
	if !cpusetRE.MatchString(c.ReservableCores) {
		return c, fmt.Errorf("nomadagent: reservable cores %q: want a cpuset list such as 0-3,8", c.ReservableCores)
	}
	if c.MemoryMiB < 0 {
		return c, fmt.Errorf("nomadagent: memory %d MiB: want 0 (the machine's) or more", c.MemoryMiB)
	}
	opts := map[string]string{"fingerprint.denylist": FingerprintDenylist}
	maps.Copy(opts, c.ClientOptions)
	c.ClientOptions = opts
	return c, nil
}

// cpusetRE is a cpuset list ("0-3,8,10-11"), or empty; at most 1024 bytes.
var cpusetRE = regexp.MustCompile(`^(|[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?){0,170})$`)

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// render writes the agent configuration as HCL. servers are the RPC
// addresses a client-only agent joins; loopback names the loopback
// interface, the client's network.
func (c Config) render(r role, p ports, servers []string, loopback string) (string, error) {
	w := &hclWriter{}
	w.line("# Written by hpcbridge's internal/nomadagent on every start; edits are lost.")
	w.set("name", c.Name)
	w.set("region", c.Region)
	w.set("datacenter", c.Datacenter)
	w.set("data_dir", filepath.Join(c.Dir, "data"))
	w.set("bind_addr", "127.0.0.1")
	w.set("log_level", c.LogLevel)
	w.set("disable_update_check", true)
	if c.PluginDir != "" {
		w.set("plugin_dir", c.PluginDir)
	}
	w.set("ports", map[string]int{"http": p.HTTP, "rpc": p.RPC, "serf": p.Serf})
	// Outside -dev, Nomad refuses to default its advertise addresses to a
	// loopback bind address.
	w.set("advertise", map[string]string{"http": "127.0.0.1", "rpc": "127.0.0.1", "serf": "127.0.0.1"})
	// No Consul here: do not try to register services or discover servers.
	w.set("consul", map[string]bool{"auto_advertise": false, "server_auto_join": false, "client_auto_join": false})
	if r.server() {
		w.open("server")
		w.set("enabled", true)
		w.set("bootstrap_expect", 1)
		if c.HeartbeatTTL > 0 {
			w.set("min_heartbeat_ttl", c.HeartbeatTTL)
			w.set("heartbeat_grace", c.HeartbeatTTL)
		}
		w.close()
	}
	if r.client() {
		w.open("client")
		w.set("enabled", true)
		if len(servers) > 0 {
			w.set("servers", servers)
		}
		w.set("node_pool", c.NodePool)
		if loopback != "" {
			w.set("network_interface", loopback)
		}
		if len(c.Meta) > 0 {
			w.set("meta", c.Meta)
		}
		if c.ReservableCores != "" {
			w.set("reservable_cores", c.ReservableCores)
		}
		if c.MemoryMiB > 0 {
			w.set("memory_total_mb", c.MemoryMiB)
		}
		if c.DynamicPorts != (PortRange{}) {
			w.set("min_dynamic_port", c.DynamicPorts.Min)
			w.set("max_dynamic_port", c.DynamicPorts.Max)
		}
		w.set("options", c.ClientOptions)
		w.close()
	}
	for _, pl := range c.Plugins {
		if pl.Name == "" {
			return "", errors.New("nomadagent: a plugin without a name")
		}
		w.open("plugin", pl.Name)
		if len(pl.Args) > 0 {
			w.set("args", pl.Args)
		}
		if pl.Config != nil {
			w.set("config", pl.Config)
		}
		w.close()
	}
	if w.err != nil {
		return "", fmt.Errorf("nomadagent: agent configuration: %w", w.err)
	}
	return w.b.String(), nil
}

// loopbackInterface names the loopback network interface ("lo" on Linux),
// which the client fingerprints as its network, as `nomad agent -dev` does.
func loopbackInterface() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 && i.Flags&net.FlagUp != 0 {
			return i.Name
		}
	}
	return ""
}
