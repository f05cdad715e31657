package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The gpu section runs GPU jobs on a Nomad dev agent whose node has fake
// GPUs (the hpcbridge-gpu device plugin's fake backend, go-nvml's mock),
// through hpcbridge and registered with Nomad directly, in turns, as the
// nomad section does (the same Nomad job, device request included):
//
//   - submit-to-running latency of a 1-GPU job;
//   - jobs placed per second while short 1-GPU jobs keep every GPU
//     busy-cycling: a burst of many more jobs than GPUs, from the first
//     submit call until the last job was seen running;
//   - GPU occupancy: the share of the GPU-seconds available that jobs used
//     while GPU jobs waited, from the allocations' task start and finish
//     times as Nomad recorded them. A burst of jobs that each hold their
//     GPU a few seconds keeps the queue non-empty from the first start to
//     the last; over that window, used GPU-seconds / (GPUs x window).

// gpuOptions are the gpu section's flags.
type gpuOptions struct {
	gpus          int
	model         string
	latencyJobs   int
	burstJobs     int
	rounds        int
	occupancyJobs int
	jobSeconds    int
}

func (o *gpuOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.gpus, "gpu-count", 8, "gpu: fake GPUs on the node")
	fs.StringVar(&o.model, "gpu-model", "a100", "gpu: the fake GPUs' model")
	fs.IntVar(&o.latencyJobs, "gpu-latency-jobs", 10, "gpu: 1-GPU jobs, one at a time, each way, for submit-to-running latency")
	fs.IntVar(&o.burstJobs, "gpu-burst-jobs", 32, "gpu: short 1-GPU jobs submitted at once, each way, per burst")
	fs.IntVar(&o.rounds, "gpu-rounds", 2, "gpu: bursts each way (the side that goes first alternates)")
	fs.IntVar(&o.occupancyJobs, "gpu-occupancy-jobs", 24, "gpu: 1-GPU jobs submitted at once, each way, for occupancy")
	fs.IntVar(&o.jobSeconds, "gpu-job-seconds", 5, "gpu: how long each occupancy job holds its GPU")
}

// gpuPlugin is the device plugin's file name in the plugin dir.
const gpuPlugin = "hpcbridge-gpu"

// gpuReport runs the gpu section.
func gpuReport(ctx context.Context, c config) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := c.gpu
	pluginDir := c.nomad.pluginDir
	if pluginDir == "" {
		pluginDir = filepath.Join(filepath.Dir(c.bin), "plugins")
	}
	if _, err := os.Stat(filepath.Join(pluginDir, gpuPlugin)); err != nil {
		return fmt.Errorf("gpu section: %w (run `make driver`, or give -plugin-dir)", err)
	}
	setup := stackSetup{
		plugins: []nomadagent.Plugin{{Name: gpuPlugin, Config: map[string]any{
			"backend": "fake", "fake_model": o.model, "fake_count": o.gpus, "fake_seed": "bench", "fingerprint_period": "1s",
		}}},
		jobArgs: []string{"--gres=gpu:1"},
		goal:    0.9,
		ready: func(ctx context.Context, agent *nomadagent.Agent) error {
			return waitGPUs(ctx, agent, o.gpus)
		},
	}
	st, err := startNomadStack(ctx, c.bin, c.nomad, setup)
	if err != nil {
		return err
	}
	defer st.stop()
	if err := st.describeGPUs(); err != nil {
		return err
	}
	if err := st.latency(ctx, o.latencyJobs); err != nil {
		return err
	}
	if err := st.bursts(ctx, o.burstJobs, o.rounds, c.clients); err != nil {
		return err
	}
	if err := st.occupancy(ctx, o); err != nil {
		return err
	}
	fmt.Println()
	return nil
}

// waitGPUs waits until the agent's node offers n healthy GPUs.
func waitGPUs(ctx context.Context, agent *nomadagent.Agent, n int) error {
	var idx uint64
	for {
		node, meta, err := agent.API().Nodes().Info(agent.NodeID(), (&nomadapi.QueryOptions{WaitIndex: idx, WaitTime: 5 * time.Second}).WithContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("gpu section: the node's GPUs: %w", err)
			}
			continue
		}
		idx = meta.LastIndex
		if healthyGPUs(node) == n {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("gpu section: the node offers %d healthy GPUs, want %d: %w", healthyGPUs(node), n, ctx.Err())
		}
	}
}

func healthyGPUs(node *nomadapi.Node) int {
	n := 0
	if node.NodeResources != nil {
		for _, d := range node.NodeResources.Devices {
			if d.Vendor+"/"+d.Type != nomadexec.GPUDevice {
				continue
			}
			for _, in := range d.Instances {
				if in.Healthy {
					n++
				}
			}
		}
	}
	return n
}

// describeGPUs prints the setup.
func (st *nomadStack) describeGPUs() error {
	node, _, err := st.nomad.Nodes().Info(st.agent.NodeID(), nil)
	if err != nil {
		return fmt.Errorf("nomad node: %w", err)
	}
	model := ""
	for _, d := range node.NodeResources.Devices {
		if d.Vendor+"/"+d.Type == nomadexec.GPUDevice {
			model = d.Name
		}
	}
	fmt.Printf("GPU placement: one Nomad dev agent with the hpcbridge task driver and the hpcbridge-gpu device plugin on its FAKE backend:\n")
	fmt.Printf("  node %s: %d x %q (go-nvml's mock; no GPU is used); every job %q with sbatch --gres=gpu:1 (Nomad device %s, count 1)\n",
		node.Name, healthyGPUs(node), model, benchScript, nomadexec.GPUDevice)
	return nil
}

// occupancy submits o.occupancyJobs 1-GPU jobs that each hold their GPU
// o.jobSeconds, at once, each way, and prints the share of the GPU-seconds
// available that they used while the queue was not empty.
func (st *nomadStack) occupancy(ctx context.Context, o gpuOptions) error {
	if o.occupancyJobs <= 0 {
		return nil
	}
	req := st.submitRequest("bench-gpu-hold")
	req.Script = []byte("#!/bin/sh\nsleep " + strconv.Itoa(o.jobSeconds) + "\n")
	tmpl, err := st.templateOf(ctx, req)
	if err != nil {
		return err
	}
	fmt.Printf("\nGPU occupancy: %d jobs submitted at once, each holding 1 of the %d GPUs for %d s (sleep); from the allocations' task start and finish times (Nomad's):\n",
		o.occupancyJobs, o.gpus, o.jobSeconds)
	sides := []func(context.Context) ([]string, error){
		func(ctx context.Context) ([]string, error) {
			return st.occupancyViaBridge(ctx, tmpl, o.occupancyJobs, o.jobSeconds)
		},
		func(ctx context.Context) ([]string, error) {
			return st.occupancyDirect(ctx, tmpl, o.occupancyJobs, o.jobSeconds)
		},
	}
	names := []string{"hpcbridge   ", "Nomad direct"}
	for i, run := range sides {
		ids, err := run(ctx)
		if err != nil {
			return fmt.Errorf("occupancy, %s: %w", names[i], err)
		}
		spans, err := taskSpans(ctx, st.nomad, ids)
		if err != nil {
			return fmt.Errorf("occupancy, %s: %w", names[i], err)
		}
		all, steady, window := occupancyOf(spans, o.gpus)
		fmt.Printf("  %s: %.3f over the %v from the first start to the last (goal >= 0.95); %.3f from when all %d GPUs were first busy\n",
			names[i], all, window.Round(10*time.Millisecond), steady, o.gpus)
		if hs := handoffs(spans); len(hs) > 0 {
			fmt.Printf("                GPU handoff (a job's end to the next start on that GPU), %s\n", handoffSummary(hs))
		}
		if err := parallel(len(ids), 8, func(k int) error { return purge(ctx, st.nomad, ids[k]) }); err != nil {
			return err
		}
		st.gc()
	}
	return nil
}

// occupancyViaBridge submits n copies of tmpl's script through hpcbridge
// and returns their Nomad job ids once all have ended.
func (st *nomadStack) occupancyViaBridge(ctx context.Context, tmpl *state.Job, n, secs int) ([]string, error) {
	name := fmt.Sprintf("bench-gpu-occ-%d", st.seq.Add(1))
	ctx, cancel := context.WithTimeout(ctx, occupancyTimeout(n, secs))
	defer cancel()
	followed := make(chan followResult, 1)
	go func() { followed <- followJobs(ctx, st.srv.client, name, n) }()
	var mu sync.Mutex
	var ids []string
	err := parallel(n, n, func(int) error {
		req := st.submitRequest(name)
		req.Script = tmpl.Submission.Script
		resp, err := st.srv.client.Submit(ctx, req)
		if err != nil {
			return err
		}
		mu.Lock()
		ids = append(ids, nomadexec.JobPrefix+strconv.FormatUint(resp.JobID, 10))
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
	if f := failures(slices.Collect(maps.Values(res.jobs))); f != "" {
		return nil, fmt.Errorf("jobs%s", f)
	}
	return ids, nil
}

// occupancyDirect registers n Nomad jobs translated from tmpl and returns
// their ids once all have ended.
func (st *nomadStack) occupancyDirect(ctx context.Context, tmpl *state.Job, n, secs int) ([]string, error) {
	run := st.seq.Add(1)
	ids := make([]string, n)
	jobs := make([]*nomadapi.Job, n)
	for i := range jobs {
		ids[i] = fmt.Sprintf("%socc-%d-%d", directPrefix, run, i)
		j, err := st.directJobOf(tmpl, ids[i], uint64(1_000_000_000+run*100_000+int64(i)))
		if err != nil {
			return nil, err
		}
		jobs[i] = j
	}
	ctx, cancel := context.WithTimeout(ctx, occupancyTimeout(n, secs))
	defer cancel()
	err := parallel(n, n, func(i int) error {
		if _, _, err := st.nomad.Jobs().Register(jobs[i], (&nomadapi.WriteOptions{}).WithContext(ctx)); err != nil {
			return fmt.Errorf("register %s: %w", ids[i], err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	got, err := st.allocs.wait(ctx, ids)
	st.allocs.forget(ids)
	if err != nil {
		return nil, err
	}
	ss := make([]sample, 0, n)
	for _, s := range got {
		ss = append(ss, s)
	}
	if f := failures(ss); f != "" {
		return nil, fmt.Errorf("jobs%s", f)
	}
	return ids, nil
}

// occupancyTimeout bounds a run of n jobs that each hold a GPU for secs.
func occupancyTimeout(n, secs int) time.Duration {
	return runTimeout(n) + time.Duration(n*secs)*time.Second
}

// taskSpan is one task's run, [start, end), on the GPU gpu; its Nomad job
// was registered at registered and its allocation created (placed) at
// placed.
type taskSpan struct {
	start, end         time.Time
	gpu                string
	registered, placed time.Time
}

// taskSpans are the batch task's start and finish times of each job's
// allocations, as Nomad recorded them.
func taskSpans(ctx context.Context, c *nomadapi.Client, ids []string) ([]taskSpan, error) {
	var mu sync.Mutex
	var out []taskSpan
	err := parallel(len(ids), 8, func(i int) error {
		allocs, _, err := c.Jobs().Allocations(ids[i], true, (&nomadapi.QueryOptions{}).WithContext(ctx))
		if err != nil {
			return fmt.Errorf("allocations of %s: %w", ids[i], err)
		}
		job, _, err := c.Jobs().Info(ids[i], (&nomadapi.QueryOptions{}).WithContext(ctx))
		if err != nil {
			return fmt.Errorf("job %s: %w", ids[i], err)
		}
		if job.SubmitTime == nil {
			return fmt.Errorf("job %s: no submit time", ids[i])
		}
		registered := time.Unix(0, *job.SubmitTime)
		for _, a := range allocs {
			ts := a.TaskStates[nomadexec.TaskName]
			if ts == nil || ts.StartedAt.IsZero() || ts.FinishedAt.IsZero() {
				return fmt.Errorf("allocation %s of %s: no task start and finish (%+v)", a.ID, ids[i], ts)
			}
			res := a.AllocatedResources
			if res == nil {
				full, _, err := c.Allocations().Info(a.ID, (&nomadapi.QueryOptions{}).WithContext(ctx))
				if err != nil {
					return fmt.Errorf("allocation %s of %s: %w", a.ID, ids[i], err)
				}
				res = full.AllocatedResources
			}
			gpu := ""
			if res != nil && res.Tasks[nomadexec.TaskName] != nil {
				for _, d := range res.Tasks[nomadexec.TaskName].Devices {
					if len(d.DeviceIDs) == 1 {
						gpu = d.DeviceIDs[0]
					}
				}
			}
			if gpu == "" {
				return fmt.Errorf("allocation %s of %s: not one GPU allocated", a.ID, ids[i])
			}
			mu.Lock()
			out = append(out, taskSpan{start: ts.StartedAt, end: ts.FinishedAt, gpu: gpu, registered: registered, placed: time.Unix(0, a.CreateTime)})
			mu.Unlock()
		}
		return nil
	})
	return out, err
}

// occupancyOf is the share of gpus x window that the spans (one GPU each)
// cover, where window runs from the first start to the last start (while
// jobs still waited); and the same from the moment all gpus were first
// busy (the gpus-th start) to the last start.
func occupancyOf(spans []taskSpan, gpus int) (all, steady float64, window time.Duration) {
	if len(spans) == 0 {
		return 0, 0, 0
	}
	starts := make([]time.Time, len(spans))
	for i, s := range spans {
		starts[i] = s.start
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	last := starts[len(starts)-1]
	share := func(from time.Time) float64 {
		avail := float64(gpus) * last.Sub(from).Seconds()
		if avail <= 0 {
			return 0
		}
		var used float64
		for _, s := range spans {
			a, b := maxTime(s.start, from), minTime(s.end, last)
			if b.After(a) {
				used += b.Sub(a).Seconds()
			}
		}
		return used / avail
	}
	all = share(starts[0])
	if len(starts) > gpus {
		steady = share(starts[gpus-1])
	}
	return all, steady, last.Sub(starts[0])
}

// handoff is the idle time of a GPU between one job's end and the next
// job's start on it, in parts: from the end to the next job's Nomad
// registration (when that came after the end: hpcbridge registers a GPU
// job once its GPUs are free), from the end or that registration to the
// allocation's placement, and from the placement to the task's start.
type handoff struct {
	total, toRegister, toPlace, toStart time.Duration
}

// handoffs are the handoffs of the spans, sorted by total.
func handoffs(spans []taskSpan) []handoff {
	byGPU := map[string][]taskSpan{}
	for _, s := range spans {
		byGPU[s.gpu] = append(byGPU[s.gpu], s)
	}
	var out []handoff
	for _, ss := range byGPU {
		slices.SortFunc(ss, func(a, b taskSpan) int { return a.start.Compare(b.start) })
		for i := 1; i < len(ss); i++ {
			prev, next := ss[i-1], ss[i]
			h := handoff{total: next.start.Sub(prev.end), toStart: next.start.Sub(next.placed)}
			from := prev.end
			if next.registered.After(prev.end) {
				h.toRegister = next.registered.Sub(prev.end)
				from = next.registered
			}
			h.toPlace = next.placed.Sub(from)
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b handoff) int { return int(a.total - b.total) })
	return out
}

// handoffSummary prints the handoffs' p50s, part by part.
func handoffSummary(hs []handoff) string {
	p50 := func(f func(handoff) time.Duration) time.Duration {
		return percentileOf(hs, 50, f).Round(time.Millisecond)
	}
	total := func(h handoff) time.Duration { return h.total }
	return fmt.Sprintf("%d handoffs: p50 %v  p95 %v  max %v; p50 of its parts: end to registered %v, to placed %v, placed to started %v",
		len(hs), p50(total), percentileOf(hs, 95, total).Round(time.Millisecond), hs[len(hs)-1].total.Round(time.Millisecond),
		p50(func(h handoff) time.Duration { return h.toRegister }), p50(func(h handoff) time.Duration { return h.toPlace }),
		p50(func(h handoff) time.Duration { return h.toStart }))
}

// percentileOf is the p-th percentile of f over hs.
func percentileOf(hs []handoff, p int, f func(handoff) time.Duration) time.Duration {
	ds := make([]time.Duration, len(hs))
	for i, h := range hs {
		ds[i] = f(h)
	}
	slices.Sort(ds)
	return percentile(ds, p)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
