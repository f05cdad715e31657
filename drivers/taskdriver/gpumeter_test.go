package taskdriver

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// fakeNVML is drivers/nvml's fake backend (go-nvml's mock A100s): it is
// fake, and says so (Fake() is true).
func fakeNVML(t *testing.T) (*nvml.Fake, []string) {
	t.Helper()
	f, err := nvml.OpenFake(nvml.FakeConfig{Model: "a100", Count: 4, Seed: "node7"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	devs, err := f.Devices()
	if err != nil {
		t.Fatal(err)
	}
	var uuids []string
	for _, d := range devs {
		uuids = append(uuids, d.UUID)
	}
	return f, uuids
}

func TestJobGPUFigures(t *testing.T) {
	pids := map[uint32]bool{10: true, 11: true}
	procs := []nvml.Process{{PID: 10, UsedMemoryMiB: 300}, {PID: 11, UsedMemoryMiB: 200}, {PID: 99, UsedMemoryMiB: 7000}}
	samples := []nvml.ProcessSample{
		{PID: 10, Timestamp: 5, SMUtilPct: 40}, {PID: 11, Timestamp: 9, SMUtilPct: 70},
		{PID: 99, Timestamp: 12, SMUtilPct: 100}, {PID: 10, Timestamp: 7, SMUtilPct: 250},
	}
	util, mem, newest := jobGPUFigures(procs, samples, pids)
	// Another process's (99) memory and utilisation are not the job's; a
	// sample past 100% is read as 100.
	if util != 100 || mem != 500 || newest != 12 {
		t.Errorf("figures: util %d, mem %d, newest %d; want 100, 500, 12", util, mem, newest)
	}
	if util, mem, _ := jobGPUFigures(procs, samples[:2], map[uint32]bool{}); util != 0 || mem != 0 {
		t.Errorf("no job processes: util %d, mem %d", util, mem)
	}
}

// TestGPUMeterOnFakeNVML: the meter samples through drivers/nvml until
// stopped, and keeps only the job's processes: the highest utilisation of
// any on any GPU, the most memory they use on one GPU.
func TestGPUMeterOnFakeNVML(t *testing.T) {
	f, uuids := fakeNVML(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetProcessesForTest(uuids[0],
		[]nvml.Process{{PID: 10, UsedMemoryMiB: 300}, {PID: 99, UsedMemoryMiB: 7000}},
		[]nvml.ProcessSample{{PID: 10, Timestamp: 100, SMUtilPct: 55}, {PID: 99, Timestamp: 101, SMUtilPct: 100}}))
	must(f.SetProcessesForTest(uuids[1],
		[]nvml.Process{{PID: 11, UsedMemoryMiB: 900}},
		[]nvml.ProcessSample{{PID: 11, Timestamp: 50, SMUtilPct: 30}}))
	job := func() map[uint32]bool { return map[uint32]bool{10: true, 11: true} }
	m := startGPUMeter(f, uuids[:2], job, time.Millisecond)
	waitMeter(t, m, func(u gpuUse) bool { return u.samples >= 3 })
	u := m.stop()
	if u.samples < 3 || u.utilMaxPct != 55 || u.memPeakMiB != 900 {
		t.Errorf("meter: %+v, want util 55%%, peak 900 MiB, at least 3 samples", u)
	}
	gone := startGPUMeter(f, []string{"GPU-not-there"}, func() map[uint32]bool { return nil }, time.Millisecond)
	if u := gone.stop(); u.samples != 0 {
		t.Errorf("a GPU NVML cannot read was counted: %+v", u)
	}
}

// waitMeter polls m until ok holds of its figures (or taskWait passes).
func waitMeter(t *testing.T, m *gpuMeter, ok func(gpuUse) bool) {
	t.Helper()
	deadline := time.Now().Add(taskWait)
	for time.Now().Before(deadline) {
		m.mu.Lock()
		u := m.use
		m.mu.Unlock()
		if ok(u) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the meter did not get there within %s", taskWait)
}

// TestGPUReaderFor: only a reservation of the real backend is measured; the
// fake backend's jobs never get a figure.
func TestGPUReaderFor(t *testing.T) {
	f, uuids := fakeNVML(t)
	d := New(context.Background(), hclog.NewNullLogger())
	opened := 0
	d.openNVML = func() (gpuReader, error) { opened++; return f, nil }
	if r := d.gpuReaderFor(gpuSet{uuids: uuids[:1], indexes: []int{0}, backend: nvml.BackendFake}); r != nil {
		t.Error("a fake-backend reservation is measured")
	}
	if r := d.gpuReaderFor(gpuSet{}); r != nil {
		t.Error("a task without GPUs is measured")
	}
	for range 2 {
		if r := d.gpuReaderFor(gpuSet{uuids: uuids[:1], indexes: []int{0}, backend: nvml.BackendNVML}); r == nil {
			t.Error("an nvml reservation is not measured")
		}
	}
	if opened != 1 {
		t.Errorf("NVML opened %d times, want once", opened)
	}
	broken := New(context.Background(), hclog.NewNullLogger())
	broken.openNVML = func() (gpuReader, error) { return nil, errors.New("no driver") }
	if r := broken.gpuReaderFor(gpuSet{uuids: uuids[:1], indexes: []int{0}, backend: nvml.BackendNVML}); r != nil {
		t.Error("measured without NVML")
	}
}

func TestGPUUseEvent(t *testing.T) {
	cfg := &drivers.TaskConfig{ID: "a/batch/1", Name: "batch", AllocID: "a"}
	if ev := (gpuUse{}).event(cfg); ev != nil {
		t.Errorf("event without samples: %+v", ev)
	}
	ev := gpuUse{utilMaxPct: 87, memPeakMiB: 40536, samples: 12}.event(cfg)
	want := map[string]string{AnnotationGPUUtilMax: "87", AnnotationGPUMemPeak: "40536", AnnotationGPUSamples: "12"}
	for k, v := range want {
		if ev.Annotations[k] != v {
			t.Errorf("%s=%q, want %q", k, ev.Annotations[k], v)
		}
	}
	if ev.TaskID != cfg.ID || ev.AllocID != "a" || !strings.Contains(ev.Message, "NVML") {
		t.Errorf("event %+v", ev)
	}
}

// TestGPUJobReportsNVMLFigures: a job of the real backend's reservation
// is measured through its cgroup's processes, and ends with the task event
// the coordinator reads (drivers/nvml's fake stands in for NVML here, with
// the job's shell as a compute process on one of its GPUs: there is no GPU
// on the test machine).
func TestGPUJobReportsNVMLFigures(t *testing.T) {
	f, uuids := fakeNVML(t)
	td := newTestDriver(t, Config{})
	td.d.openNVML = func() (gpuReader, error) { return f, nil }
	td.d.gpuPeriod = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := td.TaskEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvents(t)
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\necho $CUDA_VISIBLE_DEVICES\necho $$ > \"$EVENTS\"\nread x < \"$CONTROL\"\n"},
		ev.env(coordinatorEnv("61")))
	ev.job = j
	j.cfg.DeviceEnv = map[string]string{envGPUIndexes: "1,2", envGPUUUIDs: strings.Join(uuids[1:3], ","),
		envNvidiaVis: strings.Join(uuids[1:3], ","), envGPUBackend: nvml.BackendNVML}
	ch := j.start()
	pid, err := strconv.ParseUint(ev.line(), 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	err = f.SetProcessesForTest(uuids[2], []nvml.Process{{PID: uint32(pid), UsedMemoryMiB: 2048}, {PID: 1, UsedMemoryMiB: 9000}},
		[]nvml.ProcessSample{{PID: uint32(pid), Timestamp: 7, SMUtilPct: 81}, {PID: 1, Timestamp: 8, SMUtilPct: 100}})
	if err != nil {
		t.Fatal(err)
	}
	h, ok := td.d.tasks.Get(j.cfg.ID)
	if !ok || h.meter == nil {
		t.Fatal("the job of an nvml reservation is not measured")
	}
	waitMeter(t, h.meter, func(u gpuUse) bool { return u.memPeakMiB > 0 })
	ev.send("go")
	if res := j.wait(ch); !res.Successful() {
		t.Fatalf("result: %s", describe(res))
	}
	if got := j.file("slurm-61.out"); got != "1,2\n" {
		t.Errorf("output %q", got)
	}
	timeout := time.After(taskWait)
	for {
		select {
		case e := <-events:
			if e == nil || e.TaskID != j.cfg.ID {
				continue
			}
			n, err := strconv.Atoi(e.Annotations[AnnotationGPUSamples])
			if err != nil || n < 1 || e.Annotations[AnnotationGPUUtilMax] != "81" || e.Annotations[AnnotationGPUMemPeak] != "2048" {
				t.Errorf("GPU event %+v, want util 81, peak 2048 MiB (the job's shell only)", e)
			}
			return
		case <-timeout:
			t.Fatal("no GPU task event")
		}
	}
}
