package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
)

// Node names and directories of dev's Nomad (under --data-dir/nomad).
const (
	// devNodeName is the one node's name with --nodes 1 (a dev agent,
	// server and client in one process, in --data-dir/nomad itself).
	devNodeName = "dev"
	// devServerDir is the server's directory with --nodes N > 1; each
	// client's is its node's name (127.0.1.101 ... , devNodeNames).
	devServerDir = "server"
	// maxDevNodes bounds --nodes: every node is a Nomad client process
	// (about 100 MiB) with its own plugins on this one machine.
	maxDevNodes = 16
)

// devNodeAddrBase is the last byte of the first node's name with --nodes
// N > 1, less one: node K (1-based) is 127.0.1.<devNodeAddrBase+K>.
//
// A multi-node job finds its other nodes by name, as on a cluster: torchrun's
// MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1),
// MPI's daemons. So with several nodes each name is a loopback address:
// every name lookup (getaddrinfo, Python's socket, Open MPI) resolves it
// without /etc/hosts or a DNS server, Linux routes all of 127.0.0.0/8 to
// this machine, and a process on one node reaches a listener of another at
// its node's name, while two nodes' listeners on one port do not collide
// when each binds its own node's address. The last byte starts at 101 so
// that every name has a 3-digit suffix: Slurm folds them into one range
// (127.0.1.[101-116]) at any --nodes, and 127.0.1.1, which Debian's
// /etc/hosts gives the machine's own host name, is never a node.
const devNodeAddrBase = 100

// devNodeNames are the client node names of dev with n nodes: "dev" for
// one (as before --nodes existed), else the loopback addresses
// 127.0.1.101 ... 127.0.1.(100+n) (devNodeAddrBase), in Slurm's hostlist
// order, so node K's SLURM_NODEID is K-1.
func devNodeNames(n int) []string {
	if n == 1 {
		return []string{devNodeName}
	}
	names := make([]string, n)
	for i := range names {
		names[i] = "127.0.1." + strconv.Itoa(devNodeAddrBase+i+1)
	}
	return names
}

// devNomad is the Nomad of `hpcbridge dev`: with one node a dev agent
// (server and client in one process); with N > 1 a server and N client
// agents, each its own process with its own node name, directory, ports,
// dynamic port range and plugins.
type devNomad struct {
	// server is the agent whose API the coordinator talks to (the dev
	// agent with one node).
	server *nomadagent.Agent
	// nodes are the agents that run jobs, in node order (the dev agent
	// itself with one node).
	nodes []*nomadagent.Agent
}

// devNodeConfig is everything that differs between dev's nodes.
type devNodeConfig struct {
	name    string
	plugins []nomadagent.Plugin
	meta    map[string]string
}

// checkDevLayout refuses a data dir whose Nomad state has the other layout
// (one node vs a server and clients): the other Nomad would start empty and
// the coordinator's running jobs would be lost with the old one.
func checkDevLayout(nomadDir string, nodes int) error {
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	single := exists(filepath.Join(nomadDir, nomadagent.DataDir))
	multi := exists(filepath.Join(nomadDir, devServerDir))
	switch {
	case nodes > 1 && single:
		return fmt.Errorf("%s holds the Nomad state of a one-node dev (--nodes 1): start it with --nodes 1, or use a new --data-dir for --nodes %d", nomadDir, nodes)
	case nodes == 1 && multi:
		return fmt.Errorf("%s holds the Nomad state of a dev with several nodes (--nodes N > 1): start it with --nodes N, or use a new --data-dir for one node", nomadDir)
	}
	return nil
}

// startDevNomad starts dev's Nomad in dir (checked by checkDevLayout): a
// dev agent for one node, else a server and then the clients, all at once.
// It returns when every node is ready with the task driver healthy; on
// failure nothing is left running.
func startDevNomad(ctx context.Context, dir, pluginDir string, nodes []devNodeConfig) (*devNomad, error) {
	base := func(n devNodeConfig, agentDir string) nomadagent.Config {
		return nomadagent.Config{
			Dir: agentDir, Name: n.name, PluginDir: pluginDir, Plugins: n.plugins, Meta: n.meta,
			Drivers: []string{nomadexec.DriverName},
			// Only hpcbridge's driver: Nomad's own (exec, java, its mock
			// driver) would run whatever a Nomad API caller sends, outside
			// the job's accounting and, on a donor node, its sandbox.
			ClientOptions: map[string]string{"driver.allowlist": nomadexec.DriverName},
		}
	}
	if len(nodes) == 1 {
		a, err := nomadagent.StartDev(ctx, base(nodes[0], dir))
		if err != nil {
			return nil, err
		}
		return &devNomad{server: a, nodes: []*nomadagent.Agent{a}}, nil
	}
	server, err := nomadagent.StartServer(ctx, nomadagent.Config{Dir: filepath.Join(dir, devServerDir), Name: devServerDir})
	if err != nil {
		return nil, err
	}
	d := &devNomad{server: server, nodes: make([]*nomadagent.Agent, len(nodes))}
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		cfg := base(n, filepath.Join(dir, n.name))
		// The clients share this machine's ports: each hands out dynamic
		// ports from a range of its own.
		cfg.DynamicPorts = nomadagent.DynamicPortRange(i, len(nodes))
		// Each runs in a UTS namespace whose host name is its node's name:
		// its tasks see `uname -n` = SLURMD_NODENAME, as on a cluster, and
		// what keys on the host name tells the nodes apart (Open MPI names
		// its shared-memory segments by host name and local rank: with one
		// name for all nodes, two nodes' ranks collide and crash).
		cfg.Hostname = n.name
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.nodes[i], errs[i] = nomadagent.StartClient(ctx, server, cfg)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

// addr is the Nomad API address the coordinator uses.
func (d *devNomad) addr() string { return d.server.Addr() }

// stop stops every agent and what it runs: the clients at once, then the
// server. It waits for all of them.
func (d *devNomad) stop() error {
	var errs []error
	if d.nodes[0] != d.server {
		errs = make([]error, len(d.nodes))
		var wg sync.WaitGroup
		for i, a := range d.nodes {
			if a == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = a.Stop()
			}()
		}
		wg.Wait()
	}
	return errors.Join(append(errs, d.server.Stop())...)
}

// watch returns a channel that receives the first agent that exits, and a
// function that ends the watch and waits for its goroutines.
func (d *devNomad) watch() (<-chan *nomadagent.Agent, func()) {
	agents := d.nodes
	if d.nodes[0] != d.server {
		agents = append([]*nomadagent.Agent{d.server}, d.nodes...)
	}
	exited := make(chan *nomadagent.Agent, len(agents))
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, a := range agents {
		ch := a.Exited()
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ch:
				exited <- a
			case <-done:
			}
		}()
	}
	return exited, func() { close(done); wg.Wait() }
}
