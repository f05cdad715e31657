package gpuplugin

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/device"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

func TestPluginInfo(t *testing.T) {
	info, err := newHarness(t).dev.PluginInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != PluginName || info.Type != base.PluginTypeDevice || !slices.Equal(info.PluginApiVersions, []string{device.ApiVersion010}) {
		t.Errorf("info %+v", info)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"fake_count": 2}, `"backend" is required`},
		{map[string]any{"backend": "cuda"}, `backend "cuda": want "nvml" or "fake"`},
		{map[string]any{"backend": ""}, "backend is required"},
		{map[string]any{"backend": "nvml", "fake_model": "h100"}, `fake_model, fake_count and fake_seed are for backend "fake"`},
		{map[string]any{"backend": "fake", "fake_model": "v100"}, `fake model "v100": want one of a100`},
		{map[string]any{"backend": "fake", "fake_count": 65}, "fake count 65: want 1 to 64"},
		{map[string]any{"backend": "fake", "fake_count": "eight"}, "number is required"},
		{map[string]any{"backend": "fake", "fingerprint_period": "soon"}, `fingerprint_period "soon": want a duration from 100ms to 1h0m0s`},
		{map[string]any{"backend": "fake", "fingerprint_period": "1ms"}, `fingerprint_period "1ms"`},
		{map[string]any{"backend": "fake", "fake_bogus": 1}, `No argument or block type is named "fake_bogus"`},
		{map[string]any{"backend": "fake", "devices": []string{"0", "../x"}}, `devices: "../x": want a GPU's index`},
	} {
		contains(t, newHarness(t).setConfig(t, c.cfg), c.want)
	}
}

// Nomad sets the configuration more than once: the same again keeps the
// backend; another replaces it.
func TestSetConfigAgain(t *testing.T) {
	h := fakeHarness(t, "a100", 2, "n")
	first := h.fake(t)
	if err := h.setConfig(t, map[string]any{"backend": "fake", "fake_model": "a100", "fake_count": 2, "fake_seed": "n"}); err != nil {
		t.Fatal(err)
	}
	if h.fake(t) != first {
		t.Error("the same configuration replaced the backend")
	}
	if err := h.setConfig(t, map[string]any{"backend": "fake", "fake_model": "h100", "fake_count": 1, "fake_seed": "n"}); err != nil {
		t.Fatal(err)
	}
	if g := groupOf(t, next(t, h.fingerprints(t))); g.Name != "NVIDIA H100 80GB HBM3" || len(g.Devices) != 1 {
		t.Errorf("after reconfiguring: %q with %d devices", g.Name, len(g.Devices))
	}
	if _, err := first.Devices(); err == nil {
		t.Error("the replaced backend was not closed")
	}
}

// groupOf is the fingerprint's only device group.
func groupOf(t *testing.T, fp *device.FingerprintResponse) *device.DeviceGroup {
	t.Helper()
	if fp.Error != nil || len(fp.Devices) != 1 {
		t.Fatalf("fingerprint: error %v, %d groups; want one group", fp.Error, len(fp.Devices))
	}
	return fp.Devices[0]
}

// ids are a group's device ids in order.
func ids(g *device.DeviceGroup) []string {
	var out []string
	for _, d := range g.Devices {
		out = append(out, d.ID)
	}
	return out
}

func TestFingerprintA100Pinned(t *testing.T) {
	g := groupOf(t, next(t, fakeHarness(t, "a100", 8, "node1").fingerprints(t)))
	again := groupOf(t, next(t, fakeHarness(t, "a100", 8, "node1").fingerprints(t)))
	if g.Vendor != "nvidia" || g.Type != "gpu" || g.Name != "NVIDIA A100-SXM4-40GB" || len(g.Devices) != 8 {
		t.Fatalf("group %s/%s %q with %d devices", g.Vendor, g.Type, g.Name, len(g.Devices))
	}
	if !slices.Equal(ids(g), ids(again)) {
		t.Errorf("UUIDs differ between two plugins with seed node1:\n%v\n%v", ids(g), ids(again))
	}
	for i, d := range g.Devices {
		if want := nvml.FakeUUID("node1", "NVIDIA A100-SXM4-40GB", i); d.ID != want || !d.Healthy || d.HwLocality == nil || d.HwLocality.PciBusID == "" {
			t.Errorf("device %d: %+v, want ID %s, healthy, with a PCI bus id", i, d, want)
		}
	}
	want := map[string]string{
		AttrBackend: "fake", AttrFake: "true", AttrGresType: "a100", AttrMemory: "40960MiB",
		AttrComputeCapability: "8.0", AttrDriverVersion: "550.54.15", AttrCUDAVersion: "12.4",
	}
	for k, v := range want {
		if a := g.Attributes[k]; a == nil || a.GoString() != v {
			t.Errorf("attribute %s = %v, want %s", k, a, v)
		}
	}
	if len(g.Attributes) != len(want) {
		t.Errorf("attributes %v, want exactly %v", g.Attributes, want)
	}
}

// TestFingerprintOnlyDevices offers only the GPUs the devices setting
// names, by index or UUID (hpcbridge agent --gpus).
func TestFingerprintOnlyDevices(t *testing.T) {
	name := "NVIDIA A100-SXM4-40GB"
	h := newHarness(t)
	if err := h.setConfig(t, map[string]any{"backend": "fake", "fake_model": "a100", "fake_count": 4, "fake_seed": "node1",
		"devices": []string{"1", nvml.FakeUUID("node1", name, 3)}}); err != nil {
		t.Fatal(err)
	}
	g := groupOf(t, next(t, h.fingerprints(t)))
	want := []string{nvml.FakeUUID("node1", name, 1), nvml.FakeUUID("node1", name, 3)}
	if !slices.Equal(ids(g), want) {
		t.Errorf("devices %v, want %v", ids(g), want)
	}
}

func TestFingerprintH100(t *testing.T) {
	g := groupOf(t, next(t, fakeHarness(t, "h100", 4, "node2").fingerprints(t)))
	if g.Name != "NVIDIA H100 80GB HBM3" || len(g.Devices) != 4 ||
		g.Attributes[AttrGresType].GoString() != "h100" || g.Attributes[AttrMemory].GoString() != "81920MiB" ||
		g.Attributes[AttrComputeCapability].GoString() != "9.0" || g.Attributes[AttrFake].GoString() != "true" {
		t.Errorf("group %q, %d devices, attributes %v", g.Name, len(g.Devices), g.Attributes)
	}
}

func TestReserve(t *testing.T) {
	h := fakeHarness(t, "a100", 8, "node1")
	all := ids(groupOf(t, next(t, h.fingerprints(t))))
	r, err := h.dev.Reserve([]string{all[3], all[0]})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"NVIDIA_VISIBLE_DEVICES": all[0] + "," + all[3],
		"HPCBRIDGE_GPU_UUIDS":    all[0] + "," + all[3],
		"HPCBRIDGE_GPU_INDEXES":  "0,3",
		"HPCBRIDGE_GPU_BACKEND":  "fake",
	}
	if !reflect.DeepEqual(r.Envs, want) || len(r.Devices) != 0 || len(r.Mounts) != 0 {
		t.Errorf("reservation envs %v devices %v mounts %v; want envs %v and no devices on the fake", r.Envs, r.Devices, r.Mounts, want)
	}
	_, err = h.dev.Reserve([]string{all[1], "GPU-00000000-0000-4000-8000-000000000000"})
	contains(t, err, `unknown GPU ids "GPU-00000000-0000-4000-8000-000000000000"`)
	_, err = h.dev.Reserve([]string{all[1], all[1]})
	contains(t, err, "asked for twice")
	if r, err := h.dev.Reserve(nil); err != nil || len(r.Envs) != 0 {
		t.Errorf("empty reservation: %+v %v", r, err)
	}
}

// A plugin Nomad has just (re)started may be asked to reserve, or for
// stats, before its first fingerprint pass: it reads the GPUs then.
func TestReserveAndStatsBeforeFingerprint(t *testing.T) {
	h := fakeHarness(t, "h100", 2, "node2")
	uuid := nvml.FakeUUID("node2", "NVIDIA H100 80GB HBM3", 1)
	r, err := h.dev.Reserve([]string{uuid})
	if err != nil || r.Envs["HPCBRIDGE_GPU_INDEXES"] != "1" {
		t.Fatalf("reserve before any fingerprint: %+v, %v", r, err)
	}
	h2 := fakeHarness(t, "h100", 2, "node2")
	ch, err := h2.dev.Stats(t.Context(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if resp := next(t, ch); len(resp.Groups) != 1 || len(resp.Groups[0].InstanceStats) != 2 {
		t.Errorf("stats before any fingerprint: %+v", resp)
	}
}

func TestDeviceNodes(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"nvidiactl", "nvidia-uvm"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := devDir
	devDir = dir
	t.Cleanup(func() { devDir = old })
	var got []string
	for _, d := range deviceNodes([]instance{{Minor: 2}, {Minor: -1}, {Minor: 5}, {Minor: 5, MIGIndex: 1}}) {
		got = append(got, d.TaskPath+"="+strings.TrimPrefix(d.HostPath, dir)+":"+d.CgroupPerms)
	}
	want := []string{"/dev/nvidia2=/nvidia2:rw", "/dev/nvidia5=/nvidia5:rw", "/dev/nvidiactl=/nvidiactl:rw", "/dev/nvidia-uvm=/nvidia-uvm:rw"}
	if !slices.Equal(got, want) {
		t.Errorf("device nodes %v, want %v", got, want)
	}
}

func TestStats(t *testing.T) {
	h := fakeHarness(t, "a100", 2, "node1")
	all := ids(groupOf(t, next(t, h.fingerprints(t))))
	if err := h.fake(t).SetLoadForTest(all[1], 87, 2048); err != nil {
		t.Fatal(err)
	}
	ch, err := h.dev.Stats(t.Context(), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	resp := next(t, ch)
	if resp.Error != nil || len(resp.Groups) != 1 || len(resp.Groups[0].InstanceStats) != 2 {
		t.Fatalf("stats %+v", resp)
	}
	s := resp.Groups[0].InstanceStats[all[1]]
	a := s.Stats.Attributes
	if *s.Summary.IntNumeratorVal != 87 || s.Summary.Unit != "%" ||
		*a[StatUtilization].IntNumeratorVal != 87 ||
		*a[StatMemoryUsed].IntNumeratorVal != 2048 || *a[StatMemoryUsed].IntDenominatorVal != 40960 || a[StatMemoryUsed].Unit != "MiB" ||
		*a[StatPower].FloatNumeratorVal != 50 || a[StatPower].Unit != "W" ||
		*a[StatTemperature].IntNumeratorVal != 32 || a[StatTemperature].Unit != "C" {
		t.Errorf("stats of GPU 1: summary %v, %v", s.Summary, a)
	}
	if idle := resp.Groups[0].InstanceStats[all[0]]; *idle.Summary.IntNumeratorVal != 0 {
		t.Errorf("idle GPU 0 utilisation %v", idle.Summary)
	}
	next(t, ch) // and again after the interval
}

// An XID critical error makes its GPU unhealthy and the fingerprint goes out
// again at once; an application's XID (13) changes nothing; between them the
// fingerprint passes send nothing (only changes are sent).
func TestHealthChangeOnXID(t *testing.T) {
	h := newHarness(t)
	passes := make(chan struct{}, 100)
	h.p.passHook = func() { passes <- struct{}{} }
	if err := h.setConfig(t, map[string]any{"backend": "fake", "fake_count": 4, "fake_seed": "node1", "fingerprint_period": "100ms"}); err != nil {
		t.Fatal(err)
	}
	fps := h.fingerprints(t)
	all := ids(groupOf(t, next(t, fps)))
	for range 3 { // unchanged passes: nothing sent
		next(t, passes)
	}
	fake := h.fake(t)
	if err := fake.InjectXIDForTest(all[0], 13); err != nil {
		t.Fatal(err)
	}
	if err := fake.InjectXIDForTest(all[2], 79); err != nil {
		t.Fatal(err)
	}
	g := groupOf(t, next(t, fps))
	for i, d := range g.Devices {
		if i == 2 {
			if d.Healthy || !strings.Contains(d.HealthDesc, "XID 79") {
				t.Errorf("GPU 2 after XID 79: healthy %v, %q", d.Healthy, d.HealthDesc)
			}
		} else if !d.Healthy {
			t.Errorf("GPU %d unhealthy: %q", i, d.HealthDesc)
		}
	}
	if !strings.Contains(h.logs.String(), "XID error caused by an application") {
		t.Errorf("XID 13 not logged as the application's")
	}
}

// This machine has no NVIDIA driver: backend "nvml" configures, offers no
// GPUs and says why, and nothing crashes.
func TestRealBackendWithoutDriver(t *testing.T) {
	if b, err := nvml.OpenReal(); err == nil {
		b.Close()
		t.Skip("NVML initialised: this machine has an NVIDIA driver")
	}
	h := newHarness(t)
	if err := h.setConfig(t, map[string]any{"backend": "nvml"}); err != nil {
		t.Fatalf("SetConfig with backend nvml and no driver: %v (want no error: the node runs without GPUs)", err)
	}
	fp := next(t, h.fingerprints(t))
	if fp.Error != nil || len(fp.Devices) != 0 {
		t.Errorf("fingerprint: %d groups, error %v; want none", len(fp.Devices), fp.Error)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "no GPUs offered") || !strings.Contains(logs, "ERROR_LIBRARY_NOT_FOUND") {
		t.Errorf("the log does not say why no GPU is offered:\n%s", logs)
	}
	_, err := h.dev.Reserve([]string{"GPU-x"})
	contains(t, err, "no NVIDIA driver installed")
}

func TestGresType(t *testing.T) {
	for name, want := range map[string]string{
		"NVIDIA A100-SXM4-40GB":            "a100",
		"NVIDIA H100 80GB HBM3":            "h100",
		"NVIDIA H200 141GB HBM3e":          "h200",
		"Tesla V100-SXM2-16GB":             "v100",
		"NVIDIA GeForce RTX 4090":          "rtx4090",
		"NVIDIA A100-SXM4-40GB MIG 1g.5gb": "a100_1g.5gb",
		"NVIDIA":                           "gpu",
	} {
		if got := GresType(name); got != want {
			t.Errorf("GresType(%q) = %q, want %q", name, got, want)
		}
	}
}

// MIG on (the fake's test hook; the real backend reads NVML's MIG devices
// the same way): each instance is a device of its own group, reserved and
// measured as itself, and an XID on its GPU makes it unhealthy.
func TestMIGInstances(t *testing.T) {
	h := fakeHarness(t, "a100", 2, "node1")
	gpu1 := nvml.FakeUUID("node1", "NVIDIA A100-SXM4-40GB", 1)
	migs, err := h.fake(t).EnableMIGForTest(gpu1, 2, "3g.20gb", 20096)
	if err != nil {
		t.Fatal(err)
	}
	fps := h.fingerprints(t)
	fp := next(t, fps)
	if fp.Error != nil || len(fp.Devices) != 2 {
		t.Fatalf("fingerprint: %v, %d groups; want 2", fp.Error, len(fp.Devices))
	}
	whole, mig := fp.Devices[0], fp.Devices[1]
	if whole.Name != "NVIDIA A100-SXM4-40GB" || len(whole.Devices) != 1 || whole.Devices[0].ID == gpu1 {
		t.Errorf("whole GPUs: %q %v", whole.Name, ids(whole))
	}
	if mig.Name != "NVIDIA A100-SXM4-40GB MIG 3g.20gb" || !slices.Equal(ids(mig), migs) ||
		mig.Attributes[AttrGresType].GoString() != "a100_3g.20gb" || mig.Attributes[AttrMemory].GoString() != "20096MiB" ||
		mig.Devices[0].HwLocality.PciBusID != mig.Devices[1].HwLocality.PciBusID {
		t.Errorf("MIG group %q %v attributes %v", mig.Name, ids(mig), mig.Attributes)
	}
	r, err := h.dev.Reserve([]string{migs[1], migs[0]})
	if err != nil || r.Envs[EnvNvidiaVisibleDevices] != migs[0]+","+migs[1] || r.Envs[EnvIndexes] != "1,1" {
		t.Errorf("reserve MIG instances: %v, %v", r, err)
	}
	ch, err := h.dev.Stats(t.Context(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var s *device.DeviceStats
	for _, g := range next(t, ch).Groups {
		if g.Name == mig.Name {
			s = g.InstanceStats[migs[0]]
		}
	}
	if s == nil || s.Summary.Unit != "MiB" || *s.Summary.IntDenominatorVal != 20096 || s.Stats.Attributes[StatUtilization] != nil {
		t.Errorf("MIG instance stats %+v: want memory as the summary, no utilisation", s)
	}
	if err := h.fake(t).InjectXIDForTest(gpu1, 48); err != nil {
		t.Fatal(err)
	}
	fp = next(t, fps)
	for _, d := range fp.Devices[1].Devices {
		if d.Healthy || !strings.Contains(d.HealthDesc, "XID 48") {
			t.Errorf("MIG instance %s after XID 48 on its GPU: healthy %v %q", d.ID, d.Healthy, d.HealthDesc)
		}
	}
	if !fp.Devices[0].Devices[0].Healthy {
		t.Error("the other GPU became unhealthy")
	}
}
