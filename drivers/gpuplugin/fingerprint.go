package gpuplugin

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hashicorp/nomad/plugins/device"
	"github.com/hashicorp/nomad/plugins/shared/structs"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// instance is one device Nomad can allocate: a GPU, or a MIG instance.
type instance struct {
	// ID is the GPU's (or MIG instance's) UUID.
	ID string
	// Index orders instances as NVML does: the GPU's index; MIGIndex
	// orders a MIG instance under it (-1 for a whole GPU).
	Index    int
	MIGIndex int
	// GPU is the UUID of the physical GPU (ID itself for a whole GPU).
	GPU string
	// Minor is the physical GPU's /dev/nvidia<Minor>.
	Minor    int
	PCIBusID string
	// Group is the device group's name: the model as NVML names it.
	Group string
}

// Fingerprint streams the node's GPUs: one response at once, then one
// whenever the devices, their attributes or their health change (read every
// fingerprint_period, and at once when NVML reports an XID error). With the
// real backend unable to open, it sends one empty fingerprint (no GPUs) and
// nothing more.
func (p *Plugin) Fingerprint(ctx context.Context) (<-chan *device.FingerprintResponse, error) {
	out := make(chan *device.FingerprintResponse)
	ctx, cancel := p.merged(ctx)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer cancel()
		defer close(out)
		p.fingerprintLoop(ctx, out)
	}()
	return out, nil
}

// fingerprintLoop reads the GPUs until ctx ends, sending what changed.
func (p *Plugin) fingerprintLoop(ctx context.Context, out chan<- *device.FingerprintResponse) {
	b, set, err := p.configured()
	if err != nil {
		p.log.Error("fingerprint: no GPUs offered", "error", err)
		send(ctx, out, device.NewFingerprint())
		<-ctx.Done()
		return
	}
	var last []*device.DeviceGroup
	first := true
	for {
		changed := p.healthSignal()
		groups, err := p.fingerprint(b)
		if err != nil {
			p.log.Error("fingerprint failed", "error", err)
			send(ctx, out, device.NewFingerprintError(err))
			return
		}
		if first || !reflect.DeepEqual(groups, last) {
			if !send(ctx, out, device.NewFingerprint(groups...)) {
				return
			}
			first, last = false, groups
		}
		if p.passHook != nil {
			p.passHook()
		}
		if !wait(ctx, set.period, changed) {
			return
		}
	}
}

// fingerprint reads the GPUs into device groups and records the instances
// for Reserve and Stats.
func (p *Plugin) fingerprint(b nvml.Backend) ([]*device.DeviceGroup, error) {
	gpus, err := b.Devices()
	if err != nil {
		return nil, err
	}
	driver, err := b.DriverVersion()
	if err != nil {
		return nil, err
	}
	cuda, err := b.CUDAVersion()
	if err != nil {
		return nil, err
	}
	common := func(name string, memMiB uint64, cc string) map[string]*structs.Attribute {
		return map[string]*structs.Attribute{
			AttrBackend:           structs.NewStringAttribute(b.Name()),
			AttrFake:              structs.NewBoolAttribute(b.Fake()),
			AttrGresType:          structs.NewStringAttribute(GresType(name)),
			AttrMemory:            structs.NewIntAttribute(int64(memMiB), structs.UnitMiB),
			AttrComputeCapability: structs.NewStringAttribute(cc),
			AttrDriverVersion:     structs.NewStringAttribute(driver),
			AttrCUDAVersion:       structs.NewStringAttribute(cuda),
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	groups := map[string]*device.DeviceGroup{}
	devices := map[string]instance{}
	add := func(in instance, attrs map[string]*structs.Attribute) {
		g := groups[in.Group]
		if g == nil {
			g = &device.DeviceGroup{Vendor: Vendor, Type: DeviceType, Name: in.Group, Attributes: attrs}
			groups[in.Group] = g
		}
		g.Devices = append(g.Devices, p.device(in))
		devices[in.ID] = in
	}
	for _, d := range gpus {
		if !p.set.offers(d.Index, d.UUID) {
			continue
		}
		if !d.MIGEnabled {
			add(instance{ID: d.UUID, Index: d.Index, MIGIndex: -1, GPU: d.UUID, Minor: d.Minor, PCIBusID: d.PCIBusID, Group: d.Name},
				common(d.Name, d.MemoryMiB, d.ComputeCapability))
			continue
		}
		for _, m := range d.MIG {
			add(instance{ID: m.UUID, Index: d.Index, MIGIndex: m.Index, GPU: d.UUID, Minor: d.Minor, PCIBusID: d.PCIBusID, Group: m.Name},
				common(m.Name, m.MemoryMiB, d.ComputeCapability))
		}
	}
	p.devices = devices
	return sortedGroups(groups), nil
}

// device is the Nomad device for an instance, with its health. Called with
// p.mu held.
func (p *Plugin) device(in instance) *device.Device {
	why, sick := p.unhealthy[in.GPU]
	return &device.Device{
		ID:         in.ID,
		Healthy:    !sick,
		HealthDesc: why,
		HwLocality: &device.DeviceLocality{PciBusID: in.PCIBusID},
	}
}

// sortedGroups orders groups by name (their devices are in NVML order).
func sortedGroups(m map[string]*device.DeviceGroup) []*device.DeviceGroup {
	out := make([]*device.DeviceGroup, 0, len(m))
	for _, g := range m {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *device.DeviceGroup) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// GresType is the short, lower-case GPU type a Slurm admin would write in
// gres.conf for an NVML model name: "NVIDIA A100-SXM4-40GB" is "a100",
// "NVIDIA H100 80GB HBM3" is "h100", "NVIDIA GeForce RTX 4090" is
// "rtx4090", and a MIG instance "NVIDIA A100-SXM4-40GB MIG 1g.5gb" is
// "a100_1g.5gb" (as Slurm's NVML autodetection names MIG types).
func GresType(name string) string {
	s := strings.ToLower(strings.TrimSpace(name))
	base, profile, mig := strings.Cut(s, " mig ")
	words := strings.FieldsFunc(base, func(r rune) bool { return r == ' ' || r == '-' })
	words = slices.DeleteFunc(words, func(w string) bool {
		return w == "nvidia" || w == "tesla" || w == "geforce" || w == "quadro"
	})
	t := "gpu"
	switch {
	case len(words) >= 2 && (words[0] == "rtx" || words[0] == "gtx"):
		t = words[0] + words[1]
	case len(words) >= 1:
		t = words[0]
	}
	if mig {
		t += "_" + strings.ReplaceAll(strings.TrimSpace(profile), " ", "_")
	}
	return t
}

// healthSignal is the channel closed at the next health change.
func (p *Plugin) healthSignal() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.healthChanged
}

// markUnhealthy records why GPU uuid (every GPU when uuid is "") is
// unhealthy and wakes the fingerprint streams. A GPU stays unhealthy until
// the plugin restarts: most XID errors need the GPU reset.
func (p *Plugin) markUnhealthy(uuid, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, in := range p.devices {
		if uuid == "" || in.GPU == uuid {
			p.unhealthy[in.GPU] = why
		}
	}
	if uuid != "" {
		p.unhealthy[uuid] = why
	}
	close(p.healthChanged)
	p.healthChanged = make(chan struct{})
}

// xidDesc is the HealthDesc of a GPU an XID error made unhealthy.
func xidDesc(ev nvml.Event) string {
	return fmt.Sprintf("XID %d critical error reported by NVML; the GPU needs attention (reset or replacement)", ev.XID)
}
