package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The multinode section runs jobs on a Nomad server with three client
// agents on this machine (named, and host-named, as `hpcbridge dev --nodes
// 3` names its nodes), through one hpcbridge server, and measures for a
// 1-node and a 2-node job, in turns, in the same run:
//
//   - submit to all nodes running: from just before the submit call to the
//     last of the job's nodes' task starts as Nomad records them (the same
//     machine's clock), and to when the coordinator was seen saying RUNNING
//     (a multi-node job is CONFIGURING until every node runs);
//   - the spread of the 2-node job's task starts (Nomad's clocks): how far
//     apart its nodes began.

// multiNodeOptions are the multinode section's flags.
type multiNodeOptions struct {
	jobs int
}

func (o *multiNodeOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.jobs, "multinode-jobs", 10, "multinode: jobs of each size (1 and 2 nodes), one at a time, in turns")
}

// multiNodeNames are the clients' node names (cmd/hpcbridge's devNodeNames
// for 3 nodes).
var multiNodeNames = []string{"127.0.1.101", "127.0.1.102", "127.0.1.103"}

// mnSample is one job's times.
type mnSample struct {
	nodes     int
	submitted time.Time
	allRun    time.Time // the last node's task start (Nomad)
	running   time.Time // the coordinator was seen saying RUNNING
	spread    time.Duration
	state     string
}

// multiNodeReport runs the multinode section.
func multiNodeReport(ctx context.Context, c config) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	pluginDir := c.nomad.pluginDir
	if pluginDir == "" {
		pluginDir = filepath.Join(filepath.Dir(c.bin), "plugins")
	}
	if _, err := os.Stat(filepath.Join(pluginDir, driverPlugin)); err != nil {
		return fmt.Errorf("multinode section: %w (run `make driver`, or give -plugin-dir)", err)
	}
	root, err := os.MkdirTemp("", "hpcbridge-bench-multinode-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	work := filepath.Join(root, "work")
	if err := os.Chmod(root, 0o711); err != nil {
		return err
	}
	if err := os.Mkdir(work, 0o1777); err != nil {
		return err
	}
	if err := os.Chmod(work, 0o1777); err != nil {
		return err
	}
	startCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	server, err := nomadagent.StartServer(startCtx, nomadagent.Config{Dir: filepath.Join(root, "server"), Binary: c.nomad.nomadBin, LogLevel: "WARN"})
	if err != nil {
		return err
	}
	agents := []*nomadagent.Agent{server}
	defer func() {
		for _, a := range slices.Backward(agents) {
			if err := a.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "bench: stopping Nomad:", err)
			}
		}
	}()
	for i, name := range multiNodeNames {
		a, err := nomadagent.StartClient(startCtx, server, nomadagent.Config{
			Dir: filepath.Join(root, name), Binary: c.nomad.nomadBin, Name: name, Hostname: name,
			PluginDir: pluginDir, LogLevel: "WARN", DynamicPorts: nomadagent.DynamicPortRange(i, len(multiNodeNames)),
			Plugins: []nomadagent.Plugin{{Name: driverPlugin, Config: map[string]any{"run_as": "submitter", "allow_root": true}}},
			Drivers: []string{nomadexec.DriverName},
		})
		if err != nil {
			return err
		}
		agents = append(agents, a)
	}
	srv, err := startCluster(ctx, c.bin, 1, "--nomad-addr", server.Addr(), "--partition", "debug", "--kill-wait", "3s")
	if err != nil {
		return err
	}
	defer srv.stop()
	defer drainNomad(server.API())

	n := c.multiNode.jobs
	fmt.Printf("multi-node: a Nomad server and %d clients on this machine (%v), one coordinator; %d jobs of each size, one at a time, in turns\n",
		len(multiNodeNames), multiNodeNames, n)
	var got [2][]mnSample
	for i := range 2 * n {
		nodes := 1 + (i % 2)
		if (i/2)%2 == 1 { // the size that goes first alternates
			nodes = 2 - (i % 2)
		}
		s, err := runMultiNodeJob(ctx, srv, server.API(), work, nodes)
		if err != nil {
			return fmt.Errorf("multinode, a %d-node job: %w", nodes, err)
		}
		got[nodes-1] = append(got[nodes-1], s)
	}
	fmt.Printf("\nsubmit to all nodes running (Nomad: the last node's task start | coordinator: seen RUNNING on its nodes):\n")
	for k, ss := range got {
		var all, run, spread []time.Duration
		failed := 0
		for _, s := range ss {
			all = append(all, s.allRun.Sub(s.submitted))
			run = append(run, s.running.Sub(s.submitted))
			spread = append(spread, s.spread)
			if s.state != string(state.StateCompleted) {
				failed++
			}
		}
		slices.Sort(all)
		slices.Sort(run)
		slices.Sort(spread)
		r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
		fmt.Printf("  %d-node job : Nomad p50 %7v  max %7v | coordinator p50 %7v  max %7v", k+1, r(percentile(all, 50)), r(all[len(all)-1]), r(percentile(run, 50)), r(run[len(run)-1]))
		if k == 1 {
			fmt.Printf(" | task starts apart p50 %v", r(percentile(spread, 50)))
		}
		if failed > 0 {
			fmt.Printf("  (%d of %d did not complete)", failed, len(ss))
		}
		fmt.Println()
	}
	fmt.Println()
	return nil
}

// runMultiNodeJob submits one job on nodes nodes, waits until all its
// nodes run and it ends, and returns its times.
func runMultiNodeJob(ctx context.Context, c *cluster, nc *nomadapi.Client, work string, nodes int) (mnSample, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	s := mnSample{nodes: nodes}
	req := &api.SubmitRequest{
		Script: []byte("#!/bin/sh\nsleep 2\n"), ScriptName: "multinode.sh", Cwd: work,
		Args: []string{"-J", "mn" + strconv.Itoa(nodes), "-N", strconv.Itoa(nodes), "--mem=64M", "-o", "/dev/null"},
		Env:  []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
	}
	s.submitted = time.Now()
	res, err := c.client.Submit(ctx, req)
	if err != nil {
		return s, err
	}
	id := strconv.FormatUint(res.JobID, 10)
	// The coordinator's view, watched from the submit on: when it says
	// RUNNING, and how the job ends.
	type end struct {
		running time.Time
		state   string
		err     error
	}
	done := make(chan end, 1)
	go func() {
		var e end
		var idx uint64
		for {
			j, meta, err := c.client.Job(ctx, id, &api.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second})
			if err != nil {
				if ctx.Err() != nil {
					e.err = fmt.Errorf("job %s: %w", id, err)
					done <- e
					return
				}
				continue
			}
			idx = meta.LastIndex
			// RUNNING with a node list: placed (a RUNNING job without one is
			// CONFIGURING, no node has taken it yet).
			if e.running.IsZero() && (j.State == state.StateRunning && j.NodeList != "" || j.State.Terminal()) {
				e.running = time.Now()
			}
			if j.State.Terminal() {
				e.state = string(j.State)
				done <- e
				return
			}
		}
	}()
	// Nomad: every node's task start (this machine's clock, as ours), from
	// the allocations once as many have started as the job has nodes.
	var idx uint64
	for s.allRun.IsZero() && ctx.Err() == nil {
		allocs, meta, err := nc.Jobs().Allocations(nomadexec.JobPrefix+id, false, (&nomadapi.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second}).WithContext(ctx))
		if err != nil {
			continue // not registered yet, or ctx ended
		}
		idx = meta.LastIndex
		var starts []time.Time
		for _, a := range allocs {
			if ts := a.TaskStates[nomadexec.TaskName]; ts != nil && !ts.StartedAt.IsZero() {
				starts = append(starts, ts.StartedAt)
			}
		}
		if len(starts) >= nodes {
			slices.SortFunc(starts, time.Time.Compare)
			s.allRun = starts[len(starts)-1]
			s.spread = starts[len(starts)-1].Sub(starts[0])
		}
	}
	e := <-done
	if e.err != nil {
		return s, e.err
	}
	if s.allRun.IsZero() {
		return s, errors.New("job " + id + ": Nomad never showed all its nodes' tasks started")
	}
	s.running, s.state = e.running, e.state
	return s, nil
}

// drainNomad stops every Nomad job and waits, 30 s at most, until none of their
// allocations is pending or running: a client that shuts down still starts
// tasks, which would outlive the agent. (Purging would drop the
// allocations from the server's view before the client has stopped them.)
func drainNomad(nc *nomadapi.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jobs, _, err := nc.Jobs().List((&nomadapi.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return
	}
	_ = parallel(len(jobs), 8, func(i int) error {
		// Errors ignored: a worker that returned one would stop.
		_, _, _ = nc.Jobs().Deregister(jobs[i].ID, false, (&nomadapi.WriteOptions{}).WithContext(ctx))
		return nil
	})
	var idx uint64
	for ctx.Err() == nil {
		allocs, meta, err := nc.Allocations().List((&nomadapi.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second}).WithContext(ctx))
		if err != nil {
			return
		}
		idx = meta.LastIndex
		live := false
		for _, a := range allocs {
			live = live || a.ClientStatus == nomadapi.AllocClientStatusPending || a.ClientStatus == nomadapi.AllocClientStatusRunning
		}
		if !live {
			return
		}
	}
}
