package nvml

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// openFake opens a fake machine and closes it when the test ends.
func openFake(t *testing.T, cfg FakeConfig) *Fake {
	t.Helper()
	f, err := OpenFake(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

var uuidShape = regexp.MustCompile(`^GPU-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestFakeA100PinnedAcrossOpens(t *testing.T) {
	first, err := openFake(t, FakeConfig{Seed: "node1"}).Devices()
	if err != nil {
		t.Fatal(err)
	}
	second, err := openFake(t, FakeConfig{Model: "A100", Count: 8, Seed: "node1"}).Devices()
	if err != nil {
		t.Fatal(err)
	}
	other, err := openFake(t, FakeConfig{Seed: "node2"}).Devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 8 || len(second) != 8 {
		t.Fatalf("got %d and %d GPUs, want 8", len(first), len(second))
	}
	seen := map[string]bool{}
	for i, d := range first {
		s := second[i]
		if d.UUID != s.UUID || d.PCIBusID != s.PCIBusID {
			t.Errorf("GPU %d: %s %s, then %s %s: not pinned", i, d.UUID, d.PCIBusID, s.UUID, s.PCIBusID)
		}
		if !uuidShape.MatchString(d.UUID) || seen[d.UUID] || d.UUID == other[i].UUID {
			t.Errorf("GPU %d: UUID %q: malformed, repeated, or the same on another node", i, d.UUID)
		}
		seen[d.UUID] = true
		if d.Index != i || d.Minor != i || d.Name != "NVIDIA A100-SXM4-40GB" || d.MemoryMiB != 40960 || d.ComputeCapability != "8.0" || d.MIGEnabled {
			t.Errorf("GPU %d: %+v", i, d)
		}
		if i > 0 && d.PCIBusID <= first[i-1].PCIBusID {
			t.Errorf("PCI bus ids out of index order: %s after %s", d.PCIBusID, first[i-1].PCIBusID)
		}
	}
	if first[0].PCIBusID != "0000:10:00.0" {
		t.Errorf("PCI bus id %q, want 0000:10:00.0", first[0].PCIBusID)
	}
}

func TestFakeH100AndVersions(t *testing.T) {
	f := openFake(t, FakeConfig{Model: "h100", Count: 2, Seed: "node2"})
	if !f.Fake() || f.Name() != BackendFake {
		t.Errorf("Fake() %v, Name() %q: the fake must say it is fake", f.Fake(), f.Name())
	}
	devs, err := f.Devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || devs[1].Name != "NVIDIA H100 80GB HBM3" || devs[1].MemoryMiB != 81920 || devs[1].ComputeCapability != "9.0" {
		t.Fatalf("devices %+v", devs)
	}
	drv, err1 := f.DriverVersion()
	cuda, err2 := f.CUDAVersion()
	n, err3 := f.DeviceCount()
	if err := errors.Join(err1, err2, err3); err != nil || drv != "550.54.15" || cuda != "12.4" || n != 2 {
		t.Errorf("driver %q, CUDA %q, count %d, %v", drv, cuda, n, err)
	}
	byName := openFake(t, FakeConfig{Model: "NVIDIA H100 80GB HBM3", Count: 1, Seed: "node2"})
	if d, _ := byName.Devices(); len(d) != 1 || d[0].UUID != devs[0].UUID {
		t.Errorf("the full NVML name gives %+v, want the h100's GPU 0 %s", d, devs[0].UUID)
	}
}

func TestFakeConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  FakeConfig
		want string
	}{
		{FakeConfig{Model: "v100", Seed: "n"}, `fake model "v100": want one of a100, a100-80gb`},
		{FakeConfig{Count: MaxFakeCount + 1, Seed: "n"}, "fake count 65: want 1 to 64"},
		{FakeConfig{Count: -1, Seed: "n"}, "fake count -1"},
		{FakeConfig{}, "fake seed is empty"},
	} {
		if _, err := OpenFake(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
	if _, err := Open("cuda", FakeConfig{}); err == nil || !strings.Contains(err.Error(), `backend "cuda": want "nvml" or "fake"`) {
		t.Errorf("Open(cuda): %v", err)
	}
}

func TestFakeStatusAndProcesses(t *testing.T) {
	f := openFake(t, FakeConfig{Count: 2, Seed: "node1"})
	devs, _ := f.Devices()
	uuid := devs[1].UUID
	if err := f.SetLoadForTest(uuid, 75, 1024); err != nil {
		t.Fatal(err)
	}
	st, err := f.Status(uuid)
	if err != nil {
		t.Fatal(err)
	}
	if st.UtilizationPct == nil || *st.UtilizationPct != 75 || st.MemoryUsedMiB != 1024 || st.MemoryTotalMiB != 40960 ||
		st.PowerW == nil || *st.PowerW != 50 || st.TemperatureC == nil || *st.TemperatureC != 32 {
		t.Errorf("status %+v", st)
	}
	if err := f.SetLoadForTest(uuid, 101, 0); err == nil {
		t.Error("utilisation 101% accepted")
	}
	if _, err := f.Status("GPU-nope"); err == nil || !strings.Contains(err.Error(), `device "GPU-nope"`) {
		t.Errorf("unknown UUID: %v", err)
	}
	ps, err1 := f.Processes(uuid)
	ss, err2 := f.ProcessUtilization(uuid, 0)
	if err := errors.Join(err1, err2); err != nil || len(ps) != 0 || ss == nil || len(ss) != 0 {
		t.Errorf("processes %v, samples %v, %v", ps, ss, err)
	}
	procs := []Process{{PID: 10, UsedMemoryMiB: 300}}
	samples := []ProcessSample{{PID: 10, Timestamp: 5, SMUtilPct: 40, MemUtilPct: 3}, {PID: 10, Timestamp: 9, SMUtilPct: 70}}
	if err := f.SetProcessesForTest(uuid, procs, samples); err != nil {
		t.Fatal(err)
	}
	ps, err1 = f.Processes(uuid)
	ss, err2 = f.ProcessUtilization(uuid, 5)
	if err := errors.Join(err1, err2); err != nil || !slices.Equal(ps, procs) || !slices.Equal(ss, samples[1:]) {
		t.Errorf("processes %v, samples after 5 %v, %v", ps, ss, err)
	}
}

func TestFakeXIDEvent(t *testing.T) {
	f := openFake(t, FakeConfig{Count: 2, Seed: "node1"})
	devs, _ := f.Devices()
	w, err := f.WatchXID()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, ok, err := w.Wait(time.Millisecond); ok || err != nil {
		t.Fatalf("an event (%v) before any was injected", err)
	}
	if err := f.InjectXIDForTest(devs[1].UUID, 79); err != nil {
		t.Fatal(err)
	}
	ev, ok, err := w.Wait(time.Minute)
	if err != nil || !ok || ev.UUID != devs[1].UUID || ev.XID != 79 || ev.GPUInstanceID != -1 {
		t.Fatalf("event %+v ok %v err %v", ev, ok, err)
	}
	if err := f.InjectXIDForTest("GPU-nope", 79); err == nil {
		t.Error("XID on an unknown GPU accepted")
	}
}

func TestClosedBackendFails(t *testing.T) {
	f, err := OpenFake(FakeConfig{Seed: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Devices(); !errors.Is(err, errClosed) {
		t.Errorf("Devices after Close: %v", err)
	}
}

func TestApplicationXID(t *testing.T) {
	for xid, want := range map[uint64]bool{13: true, 31: true, 43: true, 45: true, 68: true, 109: true, 48: false, 79: false, 94: false} {
		if ApplicationXID(xid) != want {
			t.Errorf("ApplicationXID(%d) = %v", xid, !want)
		}
	}
}

func TestBusID(t *testing.T) {
	var raw [32]int8
	for i, c := range "00000000:3B:00.0" {
		raw[i] = int8(c)
	}
	if got := busID(raw); got != "0000:3b:00.0" {
		t.Errorf("busID = %q", got)
	}
}

// This machine has no NVIDIA driver: the real backend must say so, cleanly
// (NVML's Init is the only call; any other would crash the process).
func TestRealWithoutDriver(t *testing.T) {
	b, err := OpenReal()
	if err == nil {
		defer b.Close()
		t.Skip("NVML initialised: this machine has an NVIDIA driver")
	}
	if !errors.Is(err, ErrNoLibrary) || !strings.Contains(err.Error(), "ERROR_LIBRARY_NOT_FOUND") {
		t.Errorf("error %q: want ERROR_LIBRARY_NOT_FOUND wrapping ErrNoLibrary", err)
	}
	if _, err2 := Open(BackendNVML, FakeConfig{}); !errors.Is(err2, ErrNoLibrary) {
		t.Errorf("Open(nvml): %v", err2)
	}
}

func TestFakeMIG(t *testing.T) {
	f := openFake(t, FakeConfig{Count: 2, Seed: "node1"})
	devs, _ := f.Devices()
	migs, err := f.EnableMIGForTest(devs[1].UUID, 2, "3g.20gb", 20096)
	if err != nil {
		t.Fatal(err)
	}
	devs, err = f.Devices()
	if err != nil {
		t.Fatal(err)
	}
	d := devs[1]
	if devs[0].MIGEnabled || !d.MIGEnabled || len(d.MIG) != 2 {
		t.Fatalf("devices %+v", devs)
	}
	for i, m := range d.MIG {
		if m.UUID != migs[i] || !strings.HasPrefix(m.UUID, "MIG-") || m.Name != "NVIDIA A100-SXM4-40GB MIG 3g.20gb" || m.MemoryMiB != 20096 ||
			m.ParentUUID != d.UUID || m.ParentIndex != 1 || m.Index != i || m.GPUInstanceID != i+1 {
			t.Errorf("MIG %d: %+v", i, m)
		}
	}
	st, err := f.Status(migs[1])
	if err != nil || st.UtilizationPct != nil || st.PowerW != nil || st.TemperatureC != nil || st.MemoryTotalMiB != 20096 {
		t.Errorf("MIG status %+v, %v: want memory only", st, err)
	}
	if _, err := f.EnableMIGForTest(devs[0].UUID, 8, "1g.5gb", 4864); err == nil {
		t.Error("8 MIG instances accepted")
	}
}
