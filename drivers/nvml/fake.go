package nvml

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxa100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/gpus"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
)

// Fake machine limits and defaults.
const (
	// DefaultFakeModel is the fake's model when none is configured.
	DefaultFakeModel = "a100"
	// DefaultFakeCount is the number of fake GPUs when none is configured.
	DefaultFakeCount = 8
	// MaxFakeCount bounds FakeConfig.Count.
	MaxFakeCount = 64
)

// Idle figures every fake GPU reports until a test sets others.
const (
	fakeIdlePowerMW = 50000
	fakeIdleTempC   = 32
)

// fakeModels are the models the fake knows, by short name; a full NVML
// name ("NVIDIA H100 80GB HBM3") is accepted too. "a100" is go-nvml's DGX
// A100 machine; the others are mock devices of go-nvml's model configs.
var fakeModels = []struct {
	short string
	cfg   gpus.Config
}{
	{"a100", gpus.A100_SXM4_40GB},
	{"a100-80gb", gpus.A100_SXM4_80GB},
	{"a30", gpus.A30_PCIE_24GB},
	{"h100", gpus.H100_SXM5_80GB},
	{"h200", gpus.H200_SXM5_141GB},
	{"b200", gpus.B200_SXM5_180GB},
}

// FakeModels lists the short model names the fake accepts.
func FakeModels() []string {
	out := make([]string, len(fakeModels))
	for i, m := range fakeModels {
		out[i] = m.short
	}
	return out
}

// FakeConfig describes the fake machine.
type FakeConfig struct {
	// Model is a short name from FakeModels or a model's full NVML name;
	// empty means DefaultFakeModel.
	Model string
	// Count is the number of GPUs, 1 to MaxFakeCount; 0 means
	// DefaultFakeCount.
	Count int
	// Seed pins the GPUs' UUIDs (the node's name): the same seed, model and
	// count give the same UUIDs in every run. Required.
	Seed string
}

// fakeModel resolves a configured model name to go-nvml's config.
func fakeModel(name string) (gpus.Config, error) {
	if name == "" {
		name = DefaultFakeModel
	}
	for _, m := range fakeModels {
		cfg := m.cfg
		// go-nvml names its DGX A100's GPU "Mock NVIDIA A100-SXM4-40GB";
		// NVML says "NVIDIA A100-SXM4-40GB" (the fake says it is fake in
		// its own ways).
		cfg.Name = strings.TrimPrefix(cfg.Name, "Mock ")
		if strings.EqualFold(name, m.short) || strings.EqualFold(name, cfg.Name) {
			return cfg, nil
		}
	}
	return gpus.Config{}, fmt.Errorf("nvml: fake model %q: want one of %s, or one of their NVML names", name, strings.Join(FakeModels(), ", "))
}

// check validates the configuration and fills in defaults.
func (c FakeConfig) check() (FakeConfig, gpus.Config, error) {
	if c.Count == 0 {
		c.Count = DefaultFakeCount
	}
	if c.Count < 1 || c.Count > MaxFakeCount {
		return c, gpus.Config{}, fmt.Errorf("nvml: fake count %d: want 1 to %d", c.Count, MaxFakeCount)
	}
	if strings.TrimSpace(c.Seed) == "" {
		return c, gpus.Config{}, errors.New("nvml: fake seed is empty: it pins the fake GPUs' UUIDs (use the node's name)")
	}
	cfg, err := fakeModel(c.Model)
	return c, cfg, err
}

// Fake is the fake backend: a machine made of go-nvml's mock devices. It is
// a Backend whose Fake is true, plus hooks that only tests use (their names
// end in ForTest).
type Fake struct {
	*library
	srv *server.Server

	events chan Event

	mu    sync.Mutex
	loads map[string]fakeLoad       // by UUID
	migs  map[string][]*mock.Device // MIG instances by GPU UUID
}

// fakeLoad is what a test made a fake GPU report.
type fakeLoad struct {
	utilPct    uint32
	memUsedMiB uint64
	procs      []Process
	samples    []ProcessSample
}

// OpenFake builds the fake machine described by cfg.
func OpenFake(cfg FakeConfig) (*Fake, error) {
	cfg, model, err := cfg.check()
	if err != nil {
		return nil, err
	}
	srv := fakeServer(model, cfg.Count)
	f := &Fake{srv: srv, events: make(chan Event, 64), loads: map[string]fakeLoad{}, migs: map[string][]*mock.Device{}}
	for i, h := range srv.Devices {
		f.pin(h.(*server.Device), cfg, model, i)
	}
	srv.EventSetCreateFunc = f.eventSet
	f.library = &library{lib: srv, name: BackendFake}
	if ret := srv.Init(); ret != gonvml.SUCCESS {
		return nil, nvmlError("fake init", ret)
	}
	return f, nil
}

// fakeServer is go-nvml's DGX A100 for the A100 40GB, and a mock server of
// count devices of the model, with the same driver versions, otherwise.
func fakeServer(model gpus.Config, count int) *server.Server {
	if model.PciDeviceId == gpus.A100_SXM4_40GB.PciDeviceId {
		return dgxa100.NewWithGPUs(gpus.Multiple(count, model)...)
	}
	srv, _ := server.New(
		server.WithGPUs(gpus.Multiple(count, model)...),
		server.WithDriverVersion("550.54.15"),
		server.WithNVMLVersion("12.550.54.15"),
		server.WithCUDADriverVersion(12040),
	)
	return srv
}

// FakeUUID is the UUID the fake gives GPU index of the model on the node
// seed: "GPU-" and a UUID-shaped hash of the three.
func FakeUUID(seed, modelName string, index int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "hpcbridge fake gpu\x00%s\x00%s\x00%d", seed, modelName, index))
	sum[6] = sum[6]&0x0f | 0x40 // version 4, variant 10, as random UUIDs are
	sum[8] = sum[8]&0x3f | 0x80
	return fmt.Sprintf("GPU-%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

// fakeBusID is the PCI bus id of fake GPU index, in NVML's spelling: bus
// numbers grow with the index, so NVML's (PCI) order is the index order.
func fakeBusID(index int) string {
	return fmt.Sprintf("00000000:%02X:00.0", 0x10+3*index)
}

// pin gives device i its stable UUID and PCI bus id and implements every
// method this package calls that the mock leaves out.
func (f *Fake) pin(d *server.Device, cfg FakeConfig, model gpus.Config, i int) {
	d.UUID = FakeUUID(cfg.Seed, model.Name, i)
	d.PciBusID = strings.ToLower(fakeBusID(i)[4:])
	total := model.MemoryMB << 20
	uuid := d.UUID
	d.GetPciInfoFunc = func() (gonvml.PciInfo, gonvml.Return) {
		p := gonvml.PciInfo{Bus: uint32(0x10 + 3*i), PciDeviceId: model.PciDeviceId}
		for j, c := range fakeBusID(i) {
			p.BusId[j] = int8(c)
		}
		return p, gonvml.SUCCESS
	}
	d.GetMemoryInfoFunc = func() (gonvml.Memory, gonvml.Return) {
		used := f.load(uuid).memUsedMiB << 20
		return gonvml.Memory{Total: total, Used: used, Free: total - used}, gonvml.SUCCESS
	}
	d.GetUtilizationRatesFunc = func() (gonvml.Utilization, gonvml.Return) {
		return gonvml.Utilization{Gpu: f.load(uuid).utilPct}, gonvml.SUCCESS
	}
	d.GetPowerUsageFunc = func() (uint32, gonvml.Return) { return fakeIdlePowerMW, gonvml.SUCCESS }
	d.GetTemperatureFunc = func(gonvml.TemperatureSensors) (uint32, gonvml.Return) {
		return fakeIdleTempC, gonvml.SUCCESS
	}
	d.GetComputeRunningProcessesFunc = func() ([]gonvml.ProcessInfo, gonvml.Return) {
		return f.processInfo(uuid), gonvml.SUCCESS
	}
	d.GetProcessUtilizationFunc = func(since uint64) ([]gonvml.ProcessUtilizationSample, gonvml.Return) {
		out := f.processSamples(uuid, since)
		if len(out) == 0 {
			return nil, gonvml.ERROR_NOT_FOUND // as NVML says "no sample since then"
		}
		return out, gonvml.SUCCESS
	}
	d.GetSupportedEventTypesFunc = func() (uint64, gonvml.Return) {
		return gonvml.EventTypeXidCriticalError, gonvml.SUCCESS
	}
	d.RegisterEventsFunc = func(uint64, gonvml.EventSet) gonvml.Return { return gonvml.SUCCESS }
	d.GetMaxMigDeviceCountFunc = func() (int, gonvml.Return) { return fakeMaxMIG, gonvml.SUCCESS }
	d.GetMigDeviceHandleByIndexFunc = func(i int) (gonvml.Device, gonvml.Return) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if i < 0 || i >= len(f.migs[uuid]) {
			return nil, gonvml.ERROR_NOT_FOUND
		}
		return f.migs[uuid][i], gonvml.SUCCESS
	}
}

// fakeMaxMIG is the number of MIG slots of a fake GPU (an A100's 7).
const fakeMaxMIG = 7

// EnableMIGForTest turns MIG on for the fake GPU uuid with n instances of
// the profile ("1g.5gb") and memMiB memory each, and returns their UUIDs
// ("MIG-...", pinned like the GPUs'). Like real MIG instances they have no
// utilisation, power or temperature of their own. Tests only.
func (f *Fake) EnableMIGForTest(uuid string, n int, profile string, memMiB uint64) ([]string, error) {
	h, ret := f.srv.DeviceGetHandleByUUID(uuid)
	if ret != gonvml.SUCCESS {
		return nil, fmt.Errorf("nvml: fake: no GPU %q", uuid)
	}
	if n < 1 || n > fakeMaxMIG {
		return nil, fmt.Errorf("nvml: fake: %d MIG instances: want 1 to %d", n, fakeMaxMIG)
	}
	d := h.(*server.Device)
	var migs []*mock.Device
	var uuids []string
	for i := range n {
		migUUID := "MIG-" + strings.TrimPrefix(FakeUUID(uuid, profile, i), "GPU-")
		migs = append(migs, fakeMIG(migUUID, d.Config.Name+" MIG "+profile, memMiB, i))
		uuids = append(uuids, migUUID)
	}
	f.mu.Lock()
	f.migs[uuid] = migs
	f.mu.Unlock()
	d.SetMigMode(gonvml.DEVICE_MIG_ENABLE)
	return uuids, nil
}

// load is what a test set for the GPU (zero: idle).
func (f *Fake) load(uuid string) fakeLoad {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loads[uuid]
}

// fakeMIG is a MIG instance: GPU instance i+1, compute instance 0.
func fakeMIG(uuid, name string, memMiB uint64, i int) *mock.Device {
	total := memMiB << 20
	notSupported := gonvml.ERROR_NOT_SUPPORTED
	return &mock.Device{
		GetUUIDFunc:              func() (string, gonvml.Return) { return uuid, gonvml.SUCCESS },
		GetNameFunc:              func() (string, gonvml.Return) { return name, gonvml.SUCCESS },
		GetGpuInstanceIdFunc:     func() (int, gonvml.Return) { return i + 1, gonvml.SUCCESS },
		GetComputeInstanceIdFunc: func() (int, gonvml.Return) { return 0, gonvml.SUCCESS },
		GetMemoryInfoFunc: func() (gonvml.Memory, gonvml.Return) {
			return gonvml.Memory{Total: total, Free: total}, gonvml.SUCCESS
		},
		GetUtilizationRatesFunc: func() (gonvml.Utilization, gonvml.Return) { return gonvml.Utilization{}, notSupported },
		GetPowerUsageFunc:       func() (uint32, gonvml.Return) { return 0, notSupported },
		GetTemperatureFunc: func(gonvml.TemperatureSensors) (uint32, gonvml.Return) {
			return 0, notSupported
		},
		GetComputeRunningProcessesFunc: func() ([]gonvml.ProcessInfo, gonvml.Return) { return nil, gonvml.SUCCESS },
		GetProcessUtilizationFunc: func(uint64) ([]gonvml.ProcessUtilizationSample, gonvml.Return) {
			return nil, gonvml.ERROR_NOT_FOUND
		},
	}
}

// processInfo is NVML's list of the processes a test put on the GPU.
func (f *Fake) processInfo(uuid string) []gonvml.ProcessInfo {
	var out []gonvml.ProcessInfo
	for _, p := range f.load(uuid).procs {
		out = append(out, gonvml.ProcessInfo{Pid: p.PID, UsedGpuMemory: p.UsedMemoryMiB << 20, GpuInstanceId: noInstance, ComputeInstanceId: noInstance})
	}
	return out
}

// processSamples are the samples a test put on the GPU, taken after since.
func (f *Fake) processSamples(uuid string, since uint64) []gonvml.ProcessUtilizationSample {
	var out []gonvml.ProcessUtilizationSample
	for _, s := range f.load(uuid).samples {
		if s.Timestamp > since {
			out = append(out, gonvml.ProcessUtilizationSample{Pid: s.PID, TimeStamp: s.Timestamp, SmUtil: s.SMUtilPct, MemUtil: s.MemUtilPct})
		}
	}
	return out
}

// eventSet is the mock's EventSetCreate: a set whose Wait takes the events
// InjectXIDForTest queued.
func (f *Fake) eventSet() (gonvml.EventSet, gonvml.Return) {
	set := &mock.EventSet{}
	set.WaitFunc = func(timeoutms uint32) (gonvml.EventData, gonvml.Return) {
		t := time.NewTimer(time.Duration(timeoutms) * time.Millisecond)
		defer t.Stop()
		select {
		case ev := <-f.events:
			return f.eventData(ev), gonvml.SUCCESS
		case <-t.C:
			return gonvml.EventData{}, gonvml.ERROR_TIMEOUT
		}
	}
	set.FreeFunc = func() gonvml.Return { return gonvml.SUCCESS }
	return set, gonvml.SUCCESS
}

// eventData is the NVML event for an injected XID.
func (f *Fake) eventData(ev Event) gonvml.EventData {
	data := gonvml.EventData{
		EventType:         gonvml.EventTypeXidCriticalError,
		EventData:         ev.XID,
		GpuInstanceId:     noInstance,
		ComputeInstanceId: noInstance,
	}
	if h, ret := f.srv.DeviceGetHandleByUUID(ev.UUID); ret == gonvml.SUCCESS {
		data.Device = h
	}
	return data
}

// device finds a fake GPU by UUID.
func (f *Fake) device(uuid string) error {
	if _, ret := f.srv.DeviceGetHandleByUUID(uuid); ret != gonvml.SUCCESS {
		return fmt.Errorf("nvml: fake: no GPU %q", uuid)
	}
	return nil
}

// InjectXIDForTest queues an XID critical error on the fake GPU uuid, as the
// driver would report it: the next Wait of a WatchXID event set returns it.
// Tests only.
func (f *Fake) InjectXIDForTest(uuid string, xid uint64) error {
	if err := f.device(uuid); err != nil {
		return err
	}
	select {
	case f.events <- Event{UUID: uuid, XID: xid}:
		return nil
	default:
		return errors.New("nvml: fake: event queue full (is anything watching XID events?)")
	}
}

// SetLoadForTest makes the fake GPU uuid report utilPct utilisation and
// memUsedMiB memory in use. Tests only.
func (f *Fake) SetLoadForTest(uuid string, utilPct uint32, memUsedMiB uint64) error {
	if err := f.device(uuid); err != nil {
		return err
	}
	if st, err := f.Status(uuid); err != nil {
		return err
	} else if utilPct > 100 || memUsedMiB > st.MemoryTotalMiB {
		return fmt.Errorf("nvml: fake: load %d%%, %d MiB: want at most 100%%, %d MiB", utilPct, memUsedMiB, st.MemoryTotalMiB)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.loads[uuid]
	l.utilPct, l.memUsedMiB = utilPct, memUsedMiB
	f.loads[uuid] = l
	return nil
}

// SetProcessesForTest makes the fake GPU uuid report procs as its compute
// processes and samples as NVML's per-process utilisation samples
// (ProcessUtilization returns those after its since). Tests only.
func (f *Fake) SetProcessesForTest(uuid string, procs []Process, samples []ProcessSample) error {
	if err := f.device(uuid); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.loads[uuid]
	l.procs, l.samples = slices.Clone(procs), slices.Clone(samples)
	f.loads[uuid] = l
	return nil
}
