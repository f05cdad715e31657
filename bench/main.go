// Command bench measures hpcbridge's coordinator next to real Slurm on the
// same machine, in one run, and prints the numbers:
//
//   - durable submissions per second through the API, 16 concurrent clients,
//     on a 1-node and on a 3-node cluster (real server processes);
//   - sbatch submissions per second through the CLI, one process per job,
//     next to real Slurm's sbatch (../shared/slurm-oracle/bench.sh), with
//     where each job's time goes: the process (exec, start-up, parsing,
//     connecting), the request's round trip, and the server's commit;
//   - squeue latency with 100,000 pending jobs, next to real Slurm's squeue
//     over a pending 100,000-task array listed one line per task (squeue -r);
//   - the time to accept a 1,000,000-task array;
//   - on a Nomad dev agent with hpcbridge's task driver, submit-to-running
//     latency and jobs placed per second through hpcbridge, next to the
//     same Nomad jobs registered with the agent directly (nomad.go);
//   - on a Nomad dev agent with 8 fake GPUs (the hpcbridge-gpu device
//     plugin's fake backend), the same for 1-GPU jobs, and the GPU
//     occupancy while GPU jobs wait (gpu.go);
//   - on a Nomad server with three clients, submit to all nodes running for
//     a 2-node job next to a 1-node job (multinode.go);
//   - a checkpoint commit of a 1 GiB file changed by 1% (time, bytes sent)
//     next to copying the whole file (checkpoint.go).
//
// Usage: go run ./bench -bin bin/hpcbridge [-oracle ../shared/slurm-oracle] [-only nomad,cli]
// [-plugin-dir bin/plugins] (the nomad section's Nomad: $NOMAD_BIN, else bin/nomad, or -nomad)
//
// The sbatch next to -bin is the lean build (cmd/sbatch) when make build
// made it; the same jobs are also submitted with hpcbridge itself named
// sbatch, for comparison.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type config struct {
	bin        string
	oracle     string
	apiJobs    int
	cliJobs    int
	queueJobs  int
	clients    int
	only       map[string]bool
	nomad      nomadOptions
	gpu        gpuOptions
	multiNode  multiNodeOptions
	checkpoint checkpointOptions
}

// sections are the parts of the run -only selects.
var sections = []string{"nomad", "gpu", "multinode", "checkpoint", "api", "cli", "array", "squeue"}

// run reports whether the section is selected.
func (c *config) run(section string) bool { return c.only == nil || c.only[section] }

func run() error {
	var c config
	flag.StringVar(&c.bin, "bin", "bin/hpcbridge", "the hpcbridge binary (with its sbatch/squeue links beside it)")
	flag.StringVar(&c.oracle, "oracle", "../shared/slurm-oracle", "the real-Slurm oracle (empty: skip the Slurm side)")
	flag.IntVar(&c.apiJobs, "api-jobs", 8000, "jobs per API throughput run")
	flag.IntVar(&c.cliJobs, "cli-jobs", 300, "jobs per sbatch CLI run (one process each)")
	flag.IntVar(&c.queueJobs, "queue-jobs", 100000, "pending jobs for the squeue latency run")
	flag.IntVar(&c.clients, "clients", 16, "concurrent API clients")
	c.nomad.register(flag.CommandLine)
	c.gpu.register(flag.CommandLine)
	c.multiNode.register(flag.CommandLine)
	c.checkpoint.register(flag.CommandLine)
	only := flag.String("only", "", "comma-separated sections to run ("+strings.Join(sections, ", ")+"); all when empty")
	flag.Parse()
	if *only != "" {
		c.only = map[string]bool{}
		for _, sec := range strings.Split(*only, ",") {
			if !slices.Contains(sections, sec) {
				return fmt.Errorf("-only: unknown section %q (sections: %s)", sec, strings.Join(sections, ", "))
			}
			c.only[sec] = true
		}
	}
	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	c.bin = bin
	ctx := context.Background()
	fmt.Printf("hpcbridge coordinator benchmarks (%s)\n\n", time.Now().UTC().Format(time.RFC3339))

	fmt.Printf("machine: %d CPUs, load average %s\n\n", runtime.NumCPU(), loadAverage())

	// Nomad first: the other sections leave servers full of jobs behind.
	if c.run("nomad") {
		if err := nomadReport(ctx, c); err != nil {
			return err
		}
	}
	if c.run("gpu") {
		if err := gpuReport(ctx, c); err != nil {
			return err
		}
	}
	if c.run("multinode") {
		if err := multiNodeReport(ctx, c); err != nil {
			return err
		}
	}
	if c.run("checkpoint") {
		if err := checkpointReport(ctx, c); err != nil {
			return err
		}
	}
	if !c.run("api") && !c.run("cli") && !c.run("array") && !c.run("squeue") {
		fmt.Printf("load average at the end: %s\n", loadAverage())
		return nil
	}
	one, err := startCluster(ctx, c.bin, 1)
	if err != nil {
		return err
	}
	defer one.stop()
	// The CLI runs on a server holding the API run's jobs (apiJobs), as
	// a busy coordinator would.
	if c.run("api") || c.run("cli") {
		rate1, err := apiThroughput(ctx, one, c.apiJobs, c.clients)
		if err != nil {
			return err
		}
		if c.run("api") {
			fmt.Printf("API durable submissions, %d clients, 1 node : %8.0f jobs/s (%d jobs)\n", c.clients, rate1, c.apiJobs)
		}
	}
	if c.run("api") {
		three, err := startCluster(ctx, c.bin, 3)
		if err != nil {
			return err
		}
		rate3, err := apiThroughput(ctx, three, c.apiJobs, c.clients)
		three.stop()
		if err != nil {
			return err
		}
		fmt.Printf("API durable submissions, %d clients, 3 nodes: %8.0f jobs/s (%d jobs)\n\n", c.clients, rate3, c.apiJobs)
	}
	if c.run("cli") {
		if err := cliReport(ctx, one, c); err != nil {
			return err
		}
	}
	if c.run("array") {
		start := time.Now()
		if _, err := one.client.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "million.sh", Args: []string{"--array=0-999999", "--hold"}, Cwd: "/tmp"}); err != nil {
			return fmt.Errorf("1M array: %w", err)
		}
		fmt.Printf("accept a 1,000,000-task array            : %v\n\n", time.Since(start).Round(time.Millisecond))
	}
	if c.run("squeue") {
		if err := squeueReport(ctx, one, c); err != nil {
			return err
		}
	}
	fmt.Printf("\nload average at the end: %s\n", loadAverage())
	return nil
}

// cliReport measures sbatch, one process per job, next to real Slurm's,
// and breaks a job's time down.
func cliReport(ctx context.Context, one *cluster, c config) error {
	dir := filepath.Dir(c.bin)
	lean := filepath.Join(dir, "sbatch")
	// hpcbridge itself named sbatch, for comparison with the lean build.
	linkDir, err := os.MkdirTemp("", "hpcbridge-bench-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(linkDir)
	multi := filepath.Join(linkDir, "sbatch")
	if err := os.Symlink(c.bin, multi); err != nil {
		return err
	}
	cliRate, err := cliThroughput(one, lean, c.cliJobs)
	if err != nil {
		return err
	}
	slurmRate := 0.0
	if c.oracle != "" {
		slurmRate, err = slurmSbatchRate(c.oracle, c.cliJobs)
		if err != nil {
			fmt.Printf("real Slurm sbatch: not measured: %v\n", err)
		}
	}
	multiRate, err := cliThroughput(one, multi, c.cliJobs)
	if err != nil {
		return err
	}
	fmt.Printf("sbatch CLI, one process per job, serial : hpcbridge %6.1f jobs/s", cliRate)
	if slurmRate > 0 {
		fmt.Printf(" | Slurm %6.1f jobs/s | ratio %.1fx", slurmRate, cliRate/slurmRate)
	}
	fmt.Printf("\n  (hpcbridge named sbatch instead of %s: %.1f jobs/s)\n", filepath.Base(lean), multiRate)
	if c.oracle != "" {
		hb, sl, err := alternateSbatch(one, lean, c.cliJobs)
		if err != nil {
			fmt.Printf("  alternating with Slurm: not measured: %v\n", err)
		} else {
			fmt.Printf("  alternating hpcbridge and Slurm sbatch --wrap in turns of 25, %d each, median: hpcbridge %v | Slurm %v | ratio %.1fx\n",
				c.cliJobs, hb.Round(10*time.Microsecond), sl.Round(10*time.Microsecond), float64(sl)/float64(hb))
		}
	}
	b, err := submitBreakdown(ctx, one, 300)
	if err != nil {
		return err
	}
	perJob := time.Duration(float64(time.Second) / cliRate)
	fmt.Printf("  per job %v: process (exec, start-up, parse, connect, exit) %v, request round trip %v, server commit %v\n\n",
		perJob.Round(10*time.Microsecond), (perJob - b.submit).Round(10*time.Microsecond),
		b.roundTrip.Round(10*time.Microsecond), (b.submit - b.roundTrip).Round(10*time.Microsecond))
	return nil
}

// breakdown are the medians of n reads that do no work (GET
// /v1/status/leader), then of n serial submits, over a kept-alive
// connection.
type breakdown struct {
	submit, roundTrip time.Duration
}

func submitBreakdown(ctx context.Context, c *cluster, n int) (breakdown, error) {
	cl, err := api.NewClient(&api.Config{Address: "http://" + c.addrs[0], Token: c.token})
	if err != nil {
		return breakdown{}, err
	}
	var subs, gets []time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := cl.Leader(ctx); err != nil {
			return breakdown{}, err
		}
		gets = append(gets, time.Since(start))
	}
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := cl.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "job.sh", Args: []string{"--hold", "--parsable", "-o", "/dev/null"}, Cwd: "/tmp"}); err != nil {
			return breakdown{}, err
		}
		subs = append(subs, time.Since(start))
	}
	return breakdown{submit: median(subs), roundTrip: median(gets)}, nil
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// loadAverage is the 1, 5 and 15 minute load averages, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// squeueReport measures squeue over queueJobs pending jobs (and the 1M
// array, folded) next to real Slurm's squeue -r over an array as big.
func squeueReport(ctx context.Context, one *cluster, c config) error {
	if _, err := apiThroughput(ctx, one, c.queueJobs, c.clients); err != nil {
		return err
	}
	hb, err := squeueLatency(one, filepath.Join(filepath.Dir(c.bin), "squeue"), nil, c.queueJobs)
	if err != nil {
		return err
	}
	fmt.Printf("squeue, %d pending jobs (+ the 1M array folded): hpcbridge median %v", c.queueJobs, hb.Round(time.Millisecond))
	if c.oracle != "" {
		sl, err := slurmSqueueLatency(c.oracle, c.queueJobs)
		if err != nil {
			fmt.Printf("\nreal Slurm squeue: not measured: %v\n", err)
		} else {
			fmt.Printf(" | Slurm squeue -r over a %d-task pending array: median %v | ratio %.2f", c.queueJobs, sl.Round(time.Millisecond), float64(hb)/float64(sl))
		}
	}
	fmt.Println()
	return nil
}

// cluster is a set of server processes and a management client.
type cluster struct {
	dir     string
	procs   []*exec.Cmd
	addrs   []string
	token   string
	client  *api.Client
	tokFile string
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startCluster starts n servers; extra are flags for each.
func startCluster(ctx context.Context, bin string, n int, extra ...string) (*cluster, error) {
	dir, err := os.MkdirTemp("", "hpcbridge-bench-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	for i := 0; i < n; i++ {
		apiAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		raftAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		args := []string{"server", "--data-dir", filepath.Join(dir, fmt.Sprint(i)), "--bind", apiAddr, "--raft-bind", raftAddr, "--log-level", "error"}
		args = append(args, extra...)
		env := os.Environ()
		if i == 0 {
			args = append(args, "--bootstrap")
		} else {
			args = append(args, "--join", "http://"+c.addrs[0])
			env = append(env, api.EnvToken+"="+c.token)
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("server%d.log", i)))
		if err != nil {
			return nil, err
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		c.procs = append(c.procs, cmd)
		c.addrs = append(c.addrs, apiAddr)
		if i == 0 {
			if err := c.bootstrap(ctx); err != nil {
				c.stop()
				return nil, err
			}
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		peers, err := c.client.RaftPeers(ctx)
		if err == nil && len(peers) == n {
			return c, nil
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("cluster of %d did not form: %w", n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) bootstrap(ctx context.Context) error {
	cl, err := api.NewClient(&api.Config{Address: "http://" + c.addrs[0]})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		tok, err := cl.ACLBootstrap(ctx, &api.ACLBootstrapRequest{})
		if err == nil {
			c.token = tok.SecretID
			c.tokFile = filepath.Join(c.dir, "token")
			if err := os.WriteFile(c.tokFile, []byte(c.token), 0o600); err != nil {
				return err
			}
			c.client, err = api.NewClient(&api.Config{Address: "http://" + c.addrs[0], Token: c.token})
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ACL bootstrap: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) stop() {
	for _, p := range c.procs {
		_ = p.Process.Signal(syscall.SIGTERM)
		_ = p.Wait()
	}
	os.RemoveAll(c.dir)
}

// apiThroughput submits n jobs from k concurrent clients, spread over the
// servers, and returns committed submissions per second.
func apiThroughput(ctx context.Context, c *cluster, n, k int) (float64, error) {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < k; w++ {
		cl, err := api.NewClient(&api.Config{Address: "http://" + c.addrs[w%len(c.addrs)], Token: c.token})
		if err != nil {
			return 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				_, err := cl.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "job.sh", Args: []string{"--hold"}, Cwd: "/tmp"})
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// cliThroughput runs `sbatch job.sh` n times, one process each.
func cliThroughput(c *cluster, sbatch string, n int) (float64, error) {
	dir, err := os.MkdirTemp("", "hpcbridge-bench-cli-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "job.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntrue\n"), 0o644); err != nil {
		return 0, err
	}
	env := append(os.Environ(), api.EnvAddress+"=http://"+c.addrs[0], api.EnvToken+"="+c.token)
	start := time.Now()
	for i := 0; i < n; i++ {
		cmd := exec.Command(sbatch, "--hold", "--parsable", "-o", "/dev/null", script)
		cmd.Env, cmd.Dir = env, dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("sbatch: %w: %s", err, out)
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// slurmEnv is the environment Slurm's commands need to find the oracle.
func slurmEnv() []string {
	conf := filepath.Join(os.Getenv("SLURM_ORACLE_STATE"), "etc", "slurm.conf")
	if os.Getenv("SLURM_ORACLE_STATE") == "" {
		conf = "/tmp/slurm-oracle-state/etc/slurm.conf"
	}
	return append(os.Environ(), "SLURM_CONF="+conf)
}

// alternateSbatch submits n jobs with hpcbridge's sbatch and n with
// Slurm's, in turns of 25 of each (so that both see the same load, but
// little of each other's work after a submission), with bench.sh's
// options, and returns the median time of a submission of each.
func alternateSbatch(c *cluster, sbatch string, n int) (hb, sl time.Duration, err error) {
	const name = "hpcbridge_bench_alt"
	args := []string{"--hold", "--parsable", "-J", name, "-o", "/dev/null", "--wrap", "true"}
	hbEnv := append(os.Environ(), api.EnvAddress+"=http://"+c.addrs[0], api.EnvToken+"="+c.token)
	slEnv := slurmEnv()
	defer func() {
		cmd := exec.Command("scancel", "-n", name)
		cmd.Env = slEnv
		_ = cmd.Run()
	}()
	timeOne := func(prog string, env []string) (time.Duration, error) {
		cmd := exec.Command(prog, args...)
		cmd.Env = env
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("%s: %w: %s", prog, err, out)
		}
		return time.Since(start), nil
	}
	const turn = 25
	var hbs, sls []time.Duration
	for len(hbs) < n {
		for _, side := range []struct {
			prog  string
			env   []string
			times *[]time.Duration
		}{{sbatch, hbEnv, &hbs}, {"sbatch", slEnv, &sls}} {
			for i := 0; i < turn && len(*side.times) < n; i++ {
				d, err := timeOne(side.prog, side.env)
				if err != nil {
					return 0, 0, err
				}
				*side.times = append(*side.times, d)
			}
		}
	}
	return median(hbs), median(sls), nil
}

// slurmSbatchRate runs the oracle's bench.sh and reads its serial rate.
func slurmSbatchRate(oracle string, n int) (float64, error) {
	out, err := exec.Command(filepath.Join(oracle, "bench.sh"), fmt.Sprint(n)).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%w: %s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "serial") {
			var jobs int
			var secs, rate float64
			if _, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "serial  :")), "%d jobs in %fs = %f jobs/s", &jobs, &secs, &rate); err == nil {
				return rate, nil
			}
		}
	}
	return 0, fmt.Errorf("no serial rate in bench.sh output: %s", out)
}

// squeueLatency runs squeue 5 times and returns the median wall time; the
// output must list at least want lines.
func squeueLatency(c *cluster, squeue string, extra []string, want int) (time.Duration, error) {
	var times []time.Duration
	for i := 0; i < 5; i++ {
		cmd := exec.Command(squeue, append([]string{"-h"}, extra...)...)
		if c != nil {
			cmd.Env = append(os.Environ(), api.EnvAddress+"=http://"+c.addrs[0], api.EnvToken+"="+c.token)
		}
		start := time.Now()
		out, err := cmd.Output()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", squeue, err)
		}
		times = append(times, time.Since(start))
		if lines := strings.Count(string(out), "\n"); lines < want {
			return 0, fmt.Errorf("%s printed %d lines, want at least %d", squeue, lines, want)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2], nil
}

// slurmSqueueLatency submits a held n-task array to real Slurm, times
// `squeue -r` (one line per task) and cancels the array.
func slurmSqueueLatency(oracle string, n int) (time.Duration, error) {
	env := slurmEnv()
	cmd := exec.Command("sbatch", "--hold", "--parsable", "-J", "hpcbridge_bench", "-o", "/dev/null", fmt.Sprintf("--array=0-%d", n-1), "--wrap", "true")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("sbatch: %w: %s", err, out)
	}
	id := strings.TrimSpace(string(out))
	defer func() {
		c := exec.Command("scancel", id)
		c.Env = env
		_ = c.Run()
	}()
	var times []time.Duration
	for i := 0; i < 5; i++ {
		c := exec.Command("squeue", "-h", "-r")
		c.Env = env
		start := time.Now()
		b, err := c.Output()
		if err != nil {
			return 0, err
		}
		times = append(times, time.Since(start))
		if lines := strings.Count(string(b), "\n"); lines < n {
			return 0, fmt.Errorf("squeue -r printed %d lines, want %d", lines, n)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2], nil
}
