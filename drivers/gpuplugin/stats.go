package gpuplugin

import (
	"context"
	"slices"
	"time"

	"github.com/hashicorp/nomad/plugins/device"
	"github.com/hashicorp/nomad/plugins/shared/structs"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// Stats streams, every interval, each fingerprinted device's utilisation
// (%), memory used (MiB), power (W) and temperature (C). A device NVML
// cannot read that time is left out and logged.
func (p *Plugin) Stats(ctx context.Context, interval time.Duration) (<-chan *device.StatsResponse, error) {
	if interval <= 0 {
		interval = DefaultFingerprintPeriod
	}
	out := make(chan *device.StatsResponse)
	ctx, cancel := p.merged(ctx)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer cancel()
		defer close(out)
		p.statsLoop(ctx, out, interval)
	}()
	return out, nil
}

// statsLoop sends a stats response every interval until ctx ends.
func (p *Plugin) statsLoop(ctx context.Context, out chan<- *device.StatsResponse, interval time.Duration) {
	b, _, err := p.configured()
	if err != nil {
		p.log.Debug("stats: no GPUs", "error", err)
		<-ctx.Done()
		return
	}
	for {
		if !send(ctx, out, &device.StatsResponse{Groups: p.stats(b)}) {
			return
		}
		if !wait(ctx, interval, nil) {
			return
		}
	}
}

// stats samples every device of the last fingerprint, by group.
func (p *Plugin) stats(b nvml.Backend) []*device.DeviceGroupStats {
	p.mu.Lock()
	none := len(p.devices) == 0
	p.mu.Unlock()
	if none { // no fingerprint yet: read the GPUs
		if _, err := p.fingerprint(b); err != nil {
			p.log.Warn("stats: cannot read the GPUs", "error", err)
		}
	}
	p.mu.Lock()
	ins := make([]instance, 0, len(p.devices))
	for _, in := range p.devices {
		ins = append(ins, in)
	}
	p.mu.Unlock()
	slices.SortFunc(ins, func(a, b instance) int { return a.Index - b.Index })
	groups := map[string]*device.DeviceGroupStats{}
	var order []*device.DeviceGroupStats
	for _, in := range ins {
		st, err := b.Status(in.ID)
		if err != nil {
			p.log.Warn("stats: cannot read GPU", "gpu", in.ID, "error", err)
			continue
		}
		g := groups[in.Group]
		if g == nil {
			g = &device.DeviceGroupStats{Vendor: Vendor, Type: DeviceType, Name: in.Group, InstanceStats: map[string]*device.DeviceStats{}}
			groups[in.Group] = g
			order = append(order, g)
		}
		g.InstanceStats[in.ID] = deviceStats(st)
	}
	return order
}

// deviceStats turns one NVML sample into Nomad's stats: the summary is the
// utilisation (the memory in use where NVML has no utilisation, as for a
// MIG instance).
func deviceStats(st nvml.Status) *device.DeviceStats {
	used, total := int64(st.MemoryUsedMiB), int64(st.MemoryTotalMiB)
	mem := &structs.StatValue{IntNumeratorVal: &used, IntDenominatorVal: &total, Unit: structs.UnitMiB, Desc: "GPU memory in use"}
	attrs := map[string]*structs.StatValue{StatMemoryUsed: mem}
	summary := mem
	if st.UtilizationPct != nil {
		u := int64(*st.UtilizationPct)
		summary = &structs.StatValue{IntNumeratorVal: &u, Unit: "%", Desc: "GPU utilisation"}
		attrs[StatUtilization] = summary
	}
	if st.PowerW != nil {
		w := *st.PowerW
		attrs[StatPower] = &structs.StatValue{FloatNumeratorVal: &w, Unit: structs.UnitW, Desc: "power draw"}
	}
	if st.TemperatureC != nil {
		c := int64(*st.TemperatureC)
		attrs[StatTemperature] = &structs.StatValue{IntNumeratorVal: &c, Unit: "C", Desc: "GPU temperature"}
	}
	return &device.DeviceStats{
		Summary:   summary,
		Stats:     &structs.StatObject{Attributes: attrs},
		Timestamp: st.Time,
	}
}
