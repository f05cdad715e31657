package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The nomad section runs the same jobs through hpcbridge and directly on
// the Nomad agent hpcbridge uses, in turns, and compares:
//
//   - submit-to-running latency: from the submit call (hpcbridge's API, or
//     Nomad's job register) until the client sees the job running: for
//     hpcbridge the job record placed (RUNNING with its node list set, which
//     hpcbridge commits when Nomad reports the task started), for Nomad the
//     allocation's task started, from Nomad's event stream. Both are the
//     moment hpcbridge's executor itself takes for the start;
//   - jobs placed per second: a burst of jobs submitted at once, from the
//     first submit call until the last job was seen running.
//
// "Directly" means the Nomad job hpcbridge would register for the same
// sbatch script (nomadexec's translation of a job hpcbridge accepted), under
// another id prefix, so that driver, resources and constraints match.

// nomadOptions are the nomad section's flags.
type nomadOptions struct {
	nomadBin    string
	pluginDir   string
	latencyJobs int
	burstJobs   int
	rounds      int
	maxQueued   int
	cpuMHz      int
	memMiB      int
}

func (o *nomadOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.nomadBin, "nomad", "", "nomad: the nomad binary (empty: $NOMAD_BIN, else bin/nomad of this repository, else $PATH)")
	fs.StringVar(&o.pluginDir, "plugin-dir", "", "nomad: directory holding hpcbridge-driver (empty: plugins/ beside -bin)")
	fs.IntVar(&o.latencyJobs, "nomad-latency-jobs", 30, "nomad: jobs, one at a time, each way, for submit-to-running latency")
	fs.IntVar(&o.burstJobs, "nomad-burst-jobs", 200, "nomad: jobs submitted at once, each way, per burst")
	fs.IntVar(&o.rounds, "nomad-rounds", 2, "nomad: bursts each way (the side that goes first alternates)")
	fs.IntVar(&o.maxQueued, "nomad-max-queued", nomadexec.DefaultMaxQueued, "nomad: the server's --nomad-max-queued (default: hpcbridge's)")
	fs.IntVar(&o.cpuMHz, "nomad-cpu-mhz", 10, "nomad: the server's --nomad-cpu-mhz: the CPU (MHz) each 1-CPU job reserves")
	fs.IntVar(&o.memMiB, "nomad-mem", 64, "nomad: each job's --mem (MiB)")
}

// benchScript is what every job runs.
const benchScript = "#!/bin/sh\ntrue\n"

// driverPlugin is the task driver's file name in the plugin dir, which its
// plugin block is named after.
const driverPlugin = "hpcbridge-driver"

// nomadStack is a Nomad dev agent with hpcbridge's task driver and one
// hpcbridge server that runs its jobs there.
type nomadStack struct {
	opts  nomadOptions
	root  string // removed at the end
	work  string // the jobs' submit directory, writable by the job user
	agent *nomadagent.Agent
	nomad *nomadapi.Client
	srv   *cluster
	// tr is the server's translation (the same flags), for the direct side.
	tr nomadexec.Translation
	// tmpl is a job hpcbridge accepted, with its submission: the direct
	// side's jobs are its translation.
	tmpl   *state.Job
	allocs *allocWatch
	seq    atomic.Int64 // numbers the runs
	// setup is what differs between the sections that use a nomadStack.
	setup stackSetup
}

// stackSetup is what a section adds to the Nomad stack: plugins besides
// the task driver, sbatch arguments of every job, and the goal of the
// ratios it prints.
type stackSetup struct {
	plugins []nomadagent.Plugin
	jobArgs []string
	goal    float64
	// ready, when set, is waited for once the agent runs, before the
	// coordinator starts (the node's devices fingerprinted, say).
	ready func(ctx context.Context, agent *nomadagent.Agent) error
}

// nomadReport runs the nomad section. An interrupt ends it, with the
// Nomad agent (which runs in a process group of its own) stopped.
func nomadReport(ctx context.Context, c config) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := startNomadStack(ctx, c.bin, c.nomad, stackSetup{goal: 0.8})
	if err != nil {
		return err
	}
	defer st.stop()
	if err := st.describe(); err != nil {
		return err
	}
	if err := st.latency(ctx, c.nomad.latencyJobs); err != nil {
		return err
	}
	if err := st.bursts(ctx, c.nomad.burstJobs, c.nomad.rounds, c.clients); err != nil {
		return err
	}
	fmt.Println()
	return nil
}

func startNomadStack(ctx context.Context, bin string, o nomadOptions, setup stackSetup) (*nomadStack, error) {
	if o.pluginDir == "" {
		o.pluginDir = filepath.Join(filepath.Dir(bin), "plugins")
	}
	if _, err := os.Stat(filepath.Join(o.pluginDir, driverPlugin)); err != nil {
		return nil, fmt.Errorf("nomad section: %w (run `make driver`, or give -plugin-dir)", err)
	}
	root, err := os.MkdirTemp("", "hpcbridge-bench-nomad-")
	if err != nil {
		return nil, err
	}
	st := &nomadStack{opts: o, root: root, work: filepath.Join(root, "work"), setup: setup}
	ok := false
	defer func() {
		if !ok {
			st.stop()
		}
	}()
	// The job user (the token's, root) passes through the agent's directory to its
	// task directories, and works in the submit directory (the jobs'
	// output goes to /dev/null).
	if err := os.Chmod(root, 0o711); err != nil {
		return nil, err
	}
	if err := os.Mkdir(st.work, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(st.work, 0o1777); err != nil {
		return nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	st.agent, err = nomadagent.StartDev(startCtx, nomadagent.Config{
		Dir:       filepath.Join(root, "nomad"),
		Binary:    o.nomadBin,
		PluginDir: o.pluginDir,
		Plugins:   append([]nomadagent.Plugin{{Name: driverPlugin, Config: map[string]any{"run_as": "submitter", "allow_root": true}}}, setup.plugins...),
		Drivers:   []string{nomadexec.DriverName},
		LogLevel:  "WARN",
	})
	if err != nil {
		return nil, err
	}
	st.nomad = st.agent.API()
	if setup.ready != nil {
		if err := setup.ready(startCtx, st.agent); err != nil {
			return nil, err
		}
	}
	const killWait = 3 * time.Second
	st.tr = nomadexec.Translation{ClusterName: "hpcbridge", MHzPerCPU: o.cpuMHz, DefaultMemMiB: int64(o.memMiB), KillTimeout: killWait}
	st.srv, err = startCluster(ctx, bin, 1, "--nomad-addr", st.agent.Addr(), "--partition", "debug",
		"--cluster-name", st.tr.ClusterName, "--nomad-max-queued", strconv.Itoa(o.maxQueued),
		"--nomad-cpu-mhz", strconv.Itoa(o.cpuMHz), "--default-mem", strconv.Itoa(o.memMiB), "--kill-wait", killWait.String())
	if err != nil {
		return nil, err
	}
	if err := st.template(ctx); err != nil {
		return nil, err
	}
	st.allocs = watchAllocs(ctx, st.nomad, directPrefix)
	ok = true
	return st, nil
}

func (st *nomadStack) stop() {
	if st.allocs != nil {
		st.allocs.close()
	}
	if st.srv != nil {
		st.srv.stop()
	}
	if st.agent != nil {
		drainNomad(st.nomad)
		if err := st.agent.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: stopping Nomad:", err)
		}
	}
	os.RemoveAll(st.root)
}

// submitRequest is the sbatch call of every job, named name.
func (st *nomadStack) submitRequest(name string) *api.SubmitRequest {
	return &api.SubmitRequest{
		Script: []byte(benchScript), ScriptName: "bench.sh", Cwd: st.work,
		Args: append([]string{"-J", name, "--mem=" + strconv.Itoa(st.opts.memMiB) + "M", "-o", "/dev/null"}, st.setup.jobArgs...),
		Env:  []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
	}
}

// template has hpcbridge accept one held job and keeps its record, from
// which the direct side's Nomad jobs are translated; then cancels it.
func (st *nomadStack) template(ctx context.Context) error {
	j, err := st.templateOf(ctx, st.submitRequest("bench-template"))
	st.tmpl = j
	return err
}

// templateOf has hpcbridge accept req held, and returns its record with
// its submission; then cancels it.
func (st *nomadStack) templateOf(ctx context.Context, req *api.SubmitRequest) (*state.Job, error) {
	req.Args = append(req.Args, "--hold")
	resp, err := st.srv.client.Submit(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("template job: %w", err)
	}
	ref := strconv.FormatUint(resp.JobID, 10)
	j, err := st.srv.client.JobScript(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("template job: %w", err)
	}
	if j.Submission == nil || j.Submission.Spec == nil {
		return nil, errors.New("template job: the server sent no submission")
	}
	if _, err := st.srv.client.Cancel(ctx, &api.CancelRequest{Refs: []string{ref}}); err != nil {
		return nil, fmt.Errorf("template job: %w", err)
	}
	return j, nil
}

// directPrefix starts the ids of the jobs registered with Nomad directly.
const directPrefix = "bench-direct-"

// directJob is the Nomad job hpcbridge would register for the template's
// script as Slurm job slurmID, under the id nid.
func (st *nomadStack) directJob(nid string, slurmID uint64) (*nomadapi.Job, error) {
	return st.directJobOf(st.tmpl, nid, slurmID)
}

// directJobOf is the Nomad job hpcbridge would register for tmpl's script
// as Slurm job slurmID, under the id nid.
func (st *nomadStack) directJobOf(tmpl *state.Job, nid string, slurmID uint64) (*nomadapi.Job, error) {
	j := *tmpl
	j.ID, j.State, j.NodeList = slurmID, state.StateRunning, ""
	job, err := st.tr.Translate(&j, j.Submission)
	if err != nil {
		return nil, err
	}
	job.ID, job.Name = &nid, &nid
	return job, nil
}

// describe prints the setup: the node's capacity and each job's share.
func (st *nomadStack) describe() error {
	node, _, err := st.nomad.Nodes().Info(st.agent.NodeID(), nil)
	if err != nil {
		return fmt.Errorf("nomad node: %w", err)
	}
	cpu, mem := 0, 0
	if r := node.NodeResources; r != nil {
		cpu, mem = int(r.Cpu.CpuShares), int(r.Memory.MemoryMB)
	}
	if r := node.ReservedResources; r != nil {
		cpu -= int(r.Cpu.CpuShares)
		mem -= int(r.Memory.MemoryMB)
	}
	job, err := st.directJob(directPrefix+"probe", 1)
	if err != nil {
		return err
	}
	res := job.TaskGroups[0].Tasks[0].Resources
	fit := min(cpu / *res.CPU, mem / *res.MemoryMB)
	fmt.Printf("Nomad: one dev agent with the hpcbridge task driver (node %s: %d MHz, %d MiB); hpcbridge: one server, --nomad-max-queued %d\n",
		node.Name, cpu, mem, st.opts.maxQueued)
	fmt.Printf("  every job: %q, reserves %d MHz and %d MiB (the server's --nomad-cpu-mhz %d, sbatch --mem=%dM): %d fit on the node at once, ",
		benchScript, *res.CPU, *res.MemoryMB, st.opts.cpuMHz, st.opts.memMiB, fit)
	if fit >= st.opts.burstJobs {
		fmt.Printf("a burst of %d too: the node's capacity limits neither side\n", st.opts.burstJobs)
	} else {
		fmt.Printf("fewer than a burst of %d: the node's capacity limits both sides alike\n", st.opts.burstJobs)
	}
	fmt.Printf("  running: hpcbridge's job record RUNNING on a node (hpcbridge commits it when Nomad reports the task started), seen through blocking queries;\n")
	fmt.Printf("           Nomad direct: the allocation's task started (the same report), seen on Nomad's event stream\n")
	return nil
}

// sample is one job's times, on this process's clock but for started.
type sample struct {
	submitted time.Time // just before the submit call
	seen      time.Time // when it was first seen running
	started   time.Time // when Nomad says the task started (Nomad's clock)
	ended     string    // its final state
}

// side runs jobs one way.
type side interface {
	name() string
	// run submits n jobs, k at a time, and returns their samples once
	// all have ended.
	run(ctx context.Context, n, k int) ([]sample, error)
	// clean purges this side's ended Nomad jobs.
	clean(ctx context.Context) error
}

// latency runs n jobs each way, one at a time, alternating which side goes
// first, and prints the distribution of submit-to-running times.
func (st *nomadStack) latency(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	sides := []side{&viaBridge{st: st}, &direct{st: st}}
	got := make([][]sample, len(sides))
	for i := 0; i < n; i++ {
		for k := range sides {
			s := (i + k) % len(sides)
			out, err := sides[s].run(ctx, 1, 1)
			if err != nil {
				return fmt.Errorf("latency, %s: %w", sides[s].name(), err)
			}
			got[s] = append(got[s], out...)
		}
	}
	for _, s := range sides {
		if err := s.clean(ctx); err != nil {
			return err
		}
	}
	st.gc()
	hb, nd := latencies(got[0]), latencies(got[1])
	fmt.Printf("\nsubmit to running, %d jobs each way, one at a time, in turns:\n", n)
	fmt.Printf("  hpcbridge    : p50 %7v  p95 %7v  mean %7v  (submit to task start %v, task start to seen %v; medians)%s\n",
		hb.p50, hb.p95, hb.mean, hb.toStart, hb.toSeen, failures(got[0]))
	fmt.Printf("  Nomad direct : p50 %7v  p95 %7v  mean %7v  (register to task start %v, task start to seen %v; medians)%s\n",
		nd.p50, nd.p95, nd.mean, nd.toStart, nd.toSeen, failures(got[1]))
	fmt.Printf("  ratio Nomad direct / hpcbridge (hpcbridge's speed, goal >= %.1f): p50 %.2f  mean %.2f\n",
		st.setup.goal, float64(nd.p50)/float64(hb.p50), float64(nd.mean)/float64(hb.mean))
	return nil
}

// bursts submits n jobs at once each way, rounds times, and prints the
// jobs placed per second.
func (st *nomadStack) bursts(ctx context.Context, n, rounds, k int) error {
	if n <= 0 || rounds <= 0 {
		return nil
	}
	sides := []side{&viaBridge{st: st}, &direct{st: st}}
	fmt.Printf("\njobs placed per second, %d jobs submitted at once (%d concurrent clients), from the first submit call to the last job seen running:\n", n, k)
	var total [2]struct {
		jobs int
		secs float64
		cpu  cpuUse
	}
	for r := 0; r < rounds; r++ {
		var rate [2]float64
		for i := range sides {
			s := (r + i) % len(sides)
			before := st.cpu()
			out, err := sides[s].run(ctx, n, k)
			if err != nil {
				return fmt.Errorf("burst, %s: %w", sides[s].name(), err)
			}
			total[s].cpu = total[s].cpu.add(st.cpu().sub(before))
			if err := sides[s].clean(ctx); err != nil {
				return err
			}
			st.gc()
			secs := span(out).Seconds()
			rate[s] = float64(n) / secs
			total[s].jobs += n
			total[s].secs += secs
			if f := failures(out); f != "" {
				fmt.Printf("  %s:%s\n", sides[s].name(), f)
			}
		}
		fmt.Printf("  round %d (%s first): hpcbridge %6.1f jobs/s | Nomad direct %6.1f jobs/s | ratio %.2f\n",
			r+1, sides[r%len(sides)].name(), rate[0], rate[1], rate[0]/rate[1])
	}
	hb, nd := float64(total[0].jobs)/total[0].secs, float64(total[1].jobs)/total[1].secs
	fmt.Printf("  all rounds    : hpcbridge %6.1f jobs/s | Nomad direct %6.1f jobs/s | ratio hpcbridge / Nomad direct %.2f (goal >= %.1f)\n", hb, nd, hb/nd, st.setup.goal)
	fmt.Printf("  CPU per job (from submit to all ended): hpcbridge: %s | Nomad direct: %s\n",
		total[0].cpu.perJob(total[0].jobs), total[1].cpu.perJob(total[1].jobs))
	return nil
}

// gc has Nomad forget purged jobs and the client remove their allocation
// directories, so that each run starts from the same Nomad.
func (st *nomadStack) gc() {
	if err := st.nomad.System().GarbageCollect(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: nomad system gc:", err)
	}
	// The client's reply is empty, which the api package fails to decode.
	if err := st.nomad.Nodes().GC(st.agent.NodeID(), nil); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(os.Stderr, "bench: nomad node gc:", err)
	}
}

// latencyStats summarises submit-to-running times.
type latencyStats struct {
	p50, p95, mean  time.Duration
	toStart, toSeen time.Duration
}

func latencies(ss []sample) latencyStats {
	var lat, toStart, toSeen []time.Duration
	var sum time.Duration
	for _, s := range ss {
		d := s.seen.Sub(s.submitted)
		lat = append(lat, d)
		sum += d
		if !s.started.IsZero() {
			toStart = append(toStart, s.started.Sub(s.submitted))
			toSeen = append(toSeen, s.seen.Sub(s.started))
		}
	}
	slices.Sort(lat)
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	st := latencyStats{p50: r(percentile(lat, 50)), p95: r(percentile(lat, 95)), mean: r(sum / time.Duration(len(lat)))}
	if len(toStart) > 0 {
		st.toStart, st.toSeen = r(median(toStart)), r(median(toSeen))
	}
	return st
}

// percentile is the p-th percentile of sorted ds (nearest rank).
func percentile(ds []time.Duration, p int) time.Duration {
	i := (len(ds)*p + 99) / 100
	return ds[max(i-1, 0)]
}

// span is the time from the first submit call to the last job seen
// running.
func span(ss []sample) time.Duration {
	first, last := ss[0].submitted, ss[0].seen
	for _, s := range ss {
		if s.submitted.Before(first) {
			first = s.submitted
		}
		if s.seen.After(last) {
			last = s.seen
		}
	}
	return last.Sub(first)
}

// failures says how many jobs did not complete, or "".
func failures(ss []sample) string {
	bad := map[string]int{}
	for _, s := range ss {
		if s.ended != "COMPLETED" {
			bad[s.ended]++
		}
	}
	if len(bad) == 0 {
		return ""
	}
	var parts []string
	for k, v := range bad {
		parts = append(parts, fmt.Sprintf("%d %s", v, k))
	}
	slices.Sort(parts)
	return " (did not complete: " + strings.Join(parts, ", ") + ")"
}

// parallel calls f(i) for i in [0, n) from k goroutines and returns the
// first error.
func parallel(n, k int, f func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, max(min(k, n), 1))
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				if err := f(i); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// viaBridge submits through hpcbridge's API and follows the job records
// with blocking queries.
type viaBridge struct {
	st   *nomadStack
	jobs []uint64 // run, to purge from Nomad
}

func (*viaBridge) name() string { return "hpcbridge" }

func (v *viaBridge) run(ctx context.Context, n, k int) ([]sample, error) {
	name := fmt.Sprintf("bench-%d", v.st.seq.Add(1))
	var mu sync.Mutex
	submitted := map[uint64]time.Time{}
	ctx, cancel := context.WithTimeout(ctx, runTimeout(n))
	defer cancel()
	followed := make(chan followResult, 1)
	go func() { followed <- followJobs(ctx, v.st.srv.client, name, n) }()
	err := parallel(n, k, func(int) error {
		start := time.Now()
		resp, err := v.st.srv.client.Submit(ctx, v.st.submitRequest(name))
		if err != nil {
			return err
		}
		mu.Lock()
		submitted[resp.JobID] = start
		mu.Unlock()
		return nil
	})
	if err != nil {
		cancel()
		<-followed
		return nil, err
	}
	res := <-followed
	if res.err != nil {
		return nil, res.err
	}
	out := make([]sample, 0, n)
	for id, t := range submitted {
		s := res.jobs[id]
		s.submitted = t
		out = append(out, s)
		v.jobs = append(v.jobs, id)
	}
	return out, nil
}

// clean purges the Nomad jobs of the runs so far (all ended).
func (v *viaBridge) clean(ctx context.Context) error {
	err := parallel(len(v.jobs), 8, func(i int) error {
		return purge(ctx, v.st.nomad, nomadexec.JobPrefix+strconv.FormatUint(v.jobs[i], 10))
	})
	v.jobs = v.jobs[:0]
	return err
}

func purge(ctx context.Context, c *nomadapi.Client, nid string) error {
	if _, _, err := c.Jobs().Deregister(nid, true, (&nomadapi.WriteOptions{}).WithContext(ctx)); err != nil {
		return fmt.Errorf("purge %s: %w", nid, err)
	}
	return nil
}

// followResult is what followJobs saw of each job.
type followResult struct {
	jobs map[uint64]sample
	err  error
}

// followJobs follows the n jobs named name with blocking queries until all
// have ended, noting when each was first seen running on a node.
func followJobs(ctx context.Context, cl *api.Client, name string, n int) followResult {
	seen := map[uint64]sample{}
	var idx uint64
	for {
		jobs, meta, err := cl.JobsBrief(ctx, &api.JobsQuery{
			QueryOptions: api.QueryOptions{WaitIndex: idx, WaitTime: 10 * time.Second},
			Names:        []string{name}, History: true,
		})
		now := time.Now()
		if err != nil {
			if ctx.Err() != nil {
				return followResult{err: fmt.Errorf("jobs %s: %w (seen %d)", name, err, len(seen))}
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		idx = meta.LastIndex
		done := 0
		for _, j := range jobs {
			s, ok := seen[j.ID]
			if !ok && j.NodeList != "" {
				s = sample{seen: now, started: j.StartTime}
				ok = true
			}
			if ok && j.State.Terminal() {
				s.ended = string(j.State)
				done++
			}
			if ok {
				seen[j.ID] = s
			}
			if !ok && j.State.Terminal() {
				return followResult{err: fmt.Errorf("job %d ended %s without running", j.ID, j.State)}
			}
		}
		if done == n {
			return followResult{jobs: seen}
		}
	}
}

// runTimeout bounds a run of n jobs.
func runTimeout(n int) time.Duration { return 2*time.Minute + time.Duration(n)*time.Second }

// direct registers the translated jobs with Nomad and follows them on
// Nomad's event stream.
type direct struct {
	st   *nomadStack
	jobs []string
}

func (*direct) name() string { return "Nomad direct" }

func (d *direct) run(ctx context.Context, n, k int) ([]sample, error) {
	run := d.st.seq.Add(1)
	ids := make([]string, n)
	jobs := make([]*nomadapi.Job, n)
	for i := range jobs {
		ids[i] = fmt.Sprintf("%s%d-%d", directPrefix, run, i)
		// Slurm ids far above hpcbridge's own, for the environment and the
		// output file name.
		j, err := d.st.directJob(ids[i], uint64(1_000_000_000+run*100_000+int64(i)))
		if err != nil {
			return nil, err
		}
		jobs[i] = j
	}
	d.jobs = append(d.jobs, ids...)
	ctx, cancel := context.WithTimeout(ctx, runTimeout(n))
	defer cancel()
	submitted := make([]time.Time, n)
	err := parallel(n, k, func(i int) error {
		submitted[i] = time.Now()
		if _, _, err := d.st.nomad.Jobs().Register(jobs[i], (&nomadapi.WriteOptions{}).WithContext(ctx)); err != nil {
			return fmt.Errorf("register %s: %w", ids[i], err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	got, err := d.st.allocs.wait(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]sample, n)
	for i, id := range ids {
		out[i] = got[id]
		out[i].submitted = submitted[i]
	}
	return out, nil
}

func (d *direct) clean(ctx context.Context) error {
	err := parallel(len(d.jobs), 8, func(i int) error { return purge(ctx, d.st.nomad, d.jobs[i]) })
	d.st.allocs.forget(d.jobs)
	d.jobs = d.jobs[:0]
	return err
}

// allocWatch follows Nomad's allocation events of the jobs whose ids start
// with prefix, and notes when each was first seen started (as hpcbridge's
// executor decides it: the task has a start time, or the allocation runs)
// and how it ended.
type allocWatch struct {
	prefix string
	stop   context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	jobs    map[string]sample
	changed chan struct{} // closed on every change
	err     error         // why following stopped
}

// watchAllocs starts following; close stops it.
func watchAllocs(ctx context.Context, c *nomadapi.Client, prefix string) *allocWatch {
	w := &allocWatch{prefix: prefix, jobs: map[string]sample{}, changed: make(chan struct{}), done: make(chan struct{})}
	ctx, w.stop = context.WithCancel(ctx)
	go w.follow(ctx, c)
	return w
}

// follow follows the event stream until ctx ends, reconnecting after
// errors.
func (w *allocWatch) follow(ctx context.Context, c *nomadapi.Client) {
	defer close(w.done)
	var index uint64
	for ctx.Err() == nil {
		events, err := c.EventStream().Stream(ctx, map[nomadapi.Topic][]string{nomadapi.TopicAllocation: {"*"}}, index, nil)
		if err != nil {
			w.fail(err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for evs := range events {
			if evs.Err != nil {
				if ctx.Err() == nil {
					w.fail(evs.Err)
				}
				break
			}
			w.handle(evs, time.Now())
			index = max(index, evs.Index+1)
		}
	}
}

func (w *allocWatch) fail(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

func (w *allocWatch) handle(evs *nomadapi.Events, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	changed := false
	for i := range evs.Events {
		a, err := evs.Events[i].Allocation()
		if err != nil || a == nil || !strings.HasPrefix(a.JobID, w.prefix) {
			continue
		}
		s := w.jobs[a.JobID]
		ts := a.TaskStates[nomadexec.TaskName]
		if s.seen.IsZero() && (ts != nil && !ts.StartedAt.IsZero() || a.ClientStatus == nomadapi.AllocClientStatusRunning) {
			s.seen = now
			if ts != nil {
				s.started = ts.StartedAt
			}
		}
		switch a.ClientStatus {
		case nomadapi.AllocClientStatusComplete:
			s.ended = "COMPLETED"
		case nomadapi.AllocClientStatusFailed, nomadapi.AllocClientStatusLost:
			s.ended = strings.ToUpper(a.ClientStatus)
		}
		w.jobs[a.JobID] = s
		changed = true
	}
	if changed {
		close(w.changed)
		w.changed = make(chan struct{})
	}
}

// wait returns the samples of the jobs ids once all have ended.
func (w *allocWatch) wait(ctx context.Context, ids []string) (map[string]sample, error) {
	for {
		w.mu.Lock()
		out := map[string]sample{}
		for _, id := range ids {
			if s := w.jobs[id]; s.ended != "" {
				if s.seen.IsZero() {
					w.mu.Unlock()
					return nil, fmt.Errorf("%s ended %s without running", id, s.ended)
				}
				out[id] = s
			}
		}
		ch, err := w.changed, w.err
		w.mu.Unlock()
		if len(out) == len(ids) {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d Nomad jobs ended: %w (event stream: %v)", len(out), len(ids), ctx.Err(), err)
		case <-ch:
		}
	}
}

// forget drops the jobs' samples.
func (w *allocWatch) forget(ids []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		delete(w.jobs, id)
	}
}

func (w *allocWatch) close() {
	w.stop()
	<-w.done
}

// clockTick is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// Linux).
const clockTick = 10 * time.Millisecond

// treeCPU is the CPU time used so far by process pid and its descendants,
// those that run and those they waited for, from /proc; 0 without /proc.
func treeCPU(pid int) time.Duration {
	entries, _ := filepath.Glob("/proc/[0-9]*/stat")
	children := map[int][]int{}
	used := map[int]time.Duration{}
	for _, e := range entries {
		b, err := os.ReadFile(e)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime stime cutime cstime (fields 14-17);
		// comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 15 {
			continue
		}
		p, _ := strconv.Atoi(strings.TrimSpace(s[:strings.IndexByte(s, ' ')]))
		ppid, _ := strconv.Atoi(f[1])
		var ticks int64
		for _, v := range f[11:15] {
			n, _ := strconv.ParseInt(v, 10, 64)
			ticks += n
		}
		children[ppid] = append(children[ppid], p)
		used[p] = time.Duration(ticks) * clockTick
	}
	var sum time.Duration
	var walk func(int)
	walk = func(p int) {
		sum += used[p]
		for _, c := range children[p] {
			walk(c)
		}
	}
	walk(pid)
	return sum
}

// cpuUse is the CPU time the processes of a run used.
type cpuUse struct{ nomad, server, bench time.Duration }

// cpu is what the Nomad agent (with its plugins, executors and tasks), the
// hpcbridge server and this process used so far.
func (st *nomadStack) cpu() cpuUse {
	var self syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	bench := time.Duration(self.Utime.Nano() + self.Stime.Nano())
	return cpuUse{nomad: treeCPU(st.agent.PID()), server: treeCPU(st.srv.procs[0].Process.Pid), bench: bench}
}

func (c cpuUse) add(d cpuUse) cpuUse {
	return cpuUse{c.nomad + d.nomad, c.server + d.server, c.bench + d.bench}
}
func (c cpuUse) sub(d cpuUse) cpuUse {
	return cpuUse{c.nomad - d.nomad, c.server - d.server, c.bench - d.bench}
}

func (c cpuUse) perJob(n int) string {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(n) }
	return fmt.Sprintf("Nomad %.0f ms, hpcbridge server %.1f ms, bench %.1f ms", ms(c.nomad), ms(c.server), ms(c.bench))
}
