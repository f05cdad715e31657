package taskdriver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// The annotations of the task event that carries NVML's figures for a
// job's GPUs (the GPU contract; bridge/nomadexec reads them from the
// alloc's "Driver" task event).
const (
	AnnotationGPUUtilMax = "hpcbridge.gpu_util_max_pct"
	AnnotationGPUMemPeak = "hpcbridge.gpu_mem_peak_mib"
	AnnotationGPUSamples = "hpcbridge.gpu_samples"
)

// gpuSamplePeriod is how often a job's GPUs are sampled.
const gpuSamplePeriod = 2 * time.Second

// maxProcsScanned bounds the job processes read from its cgroup per
// sample (a job's fork bomb must not slow the driver down).
const maxProcsScanned = 1 << 16

// gpuReader is what the meter reads through drivers/nvml (its Backend
// has these methods).
type gpuReader interface {
	Processes(uuid string) ([]nvml.Process, error)
	ProcessUtilization(uuid string, since uint64) ([]nvml.ProcessSample, error)
}

// gpuUse is NVML's figures for a job's processes on its GPUs: the highest
// utilisation any of its processes had on any of the GPUs (streaming
// multiprocessors, %), the most memory its processes used on any one GPU
// (MiB), and the number of sampling rounds behind both.
type gpuUse struct {
	utilMaxPct uint32
	memPeakMiB uint64
	samples    int64
}

// gpuMeter samples a job's GPUs until stopped.
type gpuMeter struct {
	reader gpuReader
	uuids  []string
	pids   func() map[uint32]bool // the job's processes now
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	use  gpuUse
	last map[string]uint64 // NVML timestamp of the last sample read, per GPU
}

// startGPUMeter samples uuids every period for the processes pids lists,
// on a goroutine that stop ends and waits for.
func startGPUMeter(r gpuReader, uuids []string, pids func() map[uint32]bool, period time.Duration) *gpuMeter {
	ctx, cancel := context.WithCancel(context.Background())
	m := &gpuMeter{reader: r, uuids: uuids, pids: pids, cancel: cancel, done: make(chan struct{}), last: map[string]uint64{}}
	go func() {
		defer close(m.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// stop ends the sampling and returns the figures.
func (m *gpuMeter) stop() gpuUse {
	m.cancel()
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.use
}

// sample reads every GPU once; a GPU NVML cannot read this time is left
// out of the round (the round still counts if another was read).
func (m *gpuMeter) sample() {
	pids := m.pids()
	m.mu.Lock()
	defer m.mu.Unlock()
	read := false
	for _, uuid := range m.uuids {
		procs, err := m.reader.Processes(uuid)
		if err != nil {
			continue
		}
		samples, err := m.reader.ProcessUtilization(uuid, m.last[uuid])
		if err != nil {
			continue
		}
		read = true
		util, mem, ts := jobGPUFigures(procs, samples, pids)
		m.use.utilMaxPct = max(m.use.utilMaxPct, util)
		m.use.memPeakMiB = max(m.use.memPeakMiB, mem)
		m.last[uuid] = max(m.last[uuid], ts)
	}
	if read {
		m.use.samples++
	}
}

// jobGPUFigures are one GPU's figures for the job's processes (pids): the
// highest SM utilisation of any of them in samples, the memory they use
// together, and the newest sample's timestamp (of any process).
func jobGPUFigures(procs []nvml.Process, samples []nvml.ProcessSample, pids map[uint32]bool) (util uint32, memMiB, newest uint64) {
	for _, p := range procs {
		if pids[p.PID] {
			memMiB += p.UsedMemoryMiB
		}
	}
	for _, s := range samples {
		newest = max(newest, s.Timestamp)
		if pids[s.PID] {
			util = max(util, min(s.SMUtilPct, 100))
		}
	}
	return util, memMiB, newest
}

// event is the task event that reports u, or nil when nothing was
// sampled.
func (u gpuUse) event(cfg *drivers.TaskConfig) *drivers.TaskEvent {
	if u.samples == 0 {
		return nil
	}
	return &drivers.TaskEvent{
		TaskID:    cfg.ID,
		TaskName:  cfg.Name,
		AllocID:   cfg.AllocID,
		Timestamp: time.Now(),
		Message: fmt.Sprintf("GPU use measured by NVML for the job's processes: utilisation max %d%%, memory peak %d MiB (%d samples)",
			u.utilMaxPct, u.memPeakMiB, u.samples),
		Annotations: map[string]string{
			AnnotationGPUUtilMax: strconv.FormatUint(uint64(u.utilMaxPct), 10),
			AnnotationGPUMemPeak: strconv.FormatUint(u.memPeakMiB, 10),
			AnnotationGPUSamples: strconv.FormatInt(u.samples, 10),
		},
	}
}

// gpuReaderFor is what measures a task's GPUs: NVML, opened once per
// driver, for a reservation of the real backend; nil (nothing measured,
// never a made-up figure) for the fake backend, for a task without GPUs,
// or when NVML does not open here.
func (d *Driver) gpuReaderFor(g gpuSet) gpuReader {
	if len(g.uuids) == 0 || g.backend != nvml.BackendNVML {
		return nil
	}
	d.nvmlOnce.Do(func() {
		var err error
		if d.nvmlReader, err = d.openNVML(); err != nil {
			d.logger.Warn("NVML does not open: GPU jobs run unmeasured", "error", err)
		}
	})
	return d.nvmlReader
}

// openRealNVML opens the real NVML library (the driver's default).
func openRealNVML() (gpuReader, error) { return nvml.OpenReal() }

// cgroupPids lists the processes of the cgroup at dir and of the cgroups
// below it (at most maxProcsScanned): the job's processes, which Nomad's
// executor put in the task's cgroup.
func cgroupPids(dir string) func() map[uint32]bool {
	return func() map[uint32]bool {
		pids := map[uint32]bool{}
		_ = filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
			if err != nil || !e.IsDir() || len(pids) >= maxProcsScanned {
				return filepath.SkipDir
			}
			b, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
			if err != nil {
				return nil
			}
			for _, f := range strings.Fields(string(b)) {
				if n, err := strconv.ParseUint(f, 10, 32); err == nil && len(pids) < maxProcsScanned {
					pids[uint32(n)] = true
				}
			}
			return nil
		})
		return pids
	}
}
