package nomadexec

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// GPU accounting as the executor observes it: the GPUs Nomad allocated to
// a run's task (AllocatedResources, as the Nomad servers have it) and the
// figures NVML measured for them, which the task driver reports as a task
// event. The first is the coordinator's own observation; the second comes
// from the donor's node and is checked, never trusted for billing.

// The annotations of the task driver's event that carries NVML's figures
// for a job's GPUs (a Nomad "Driver" task event; see docs/driver.md).
const (
	AnnotationGPUUtilMax = "hpcbridge.gpu_util_max_pct"
	AnnotationGPUMemPeak = "hpcbridge.gpu_mem_peak_mib"
	AnnotationGPUSamples = "hpcbridge.gpu_samples"
)

// gpuAllocOf is the GPUs allocated to the run's task of an allocation on
// node (its id and name): the device ids of its nvidia/gpu devices,
// sorted; nil when it has none, or when they are past what accounting
// keeps (state.GPUAlloc.Check: the ids come from the node's device
// plugin).
func gpuAllocOf(res *api.AllocatedResources, nodeID, node string, log *slog.Logger) *state.GPUAlloc {
	if res == nil || res.Tasks[TaskName] == nil {
		return nil
	}
	var ids []string
	for _, d := range res.Tasks[TaskName].Devices {
		if d != nil && d.Vendor+"/"+d.Type == GPUDevice {
			ids = append(ids, d.DeviceIDs...)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	g := &state.GPUAlloc{NodeID: nodeID, Node: node, UUIDs: slices.Compact(ids)}
	if err := g.Check(); err != nil {
		log.Warn("GPU allocation not accounted", "node", node, "err", err)
		return nil
	}
	return g
}

// gpuAllocOfRun is a multi-node run's GPUs, from its allocations (one
// per node): the batch node's (or, when it has none, the first node's
// with GPUs) first, the other nodes' with GPUs in OtherNodes, in hostlist
// order. Nil when no node has GPUs, or when the record would be past what
// accounting keeps (state.GPUAlloc.Check).
func gpuAllocOfRun(allocs []alloc, batch string, log *slog.Logger) *state.GPUAlloc {
	allocs = slices.Clone(allocs)
	slices.SortFunc(allocs, func(x, y alloc) int { return strings.Compare(x.ID, y.ID) })
	var names []string
	byNode := map[string]*state.GPUAlloc{}
	for _, a := range allocs {
		if _, seen := byNode[a.NodeName]; seen {
			continue // one allocation per node (distinct_hosts)
		}
		names = append(names, a.NodeName)
		byNode[a.NodeName] = gpuAllocOf(a.Resources, a.NodeID, a.NodeName, log)
	}
	order, err := hostlist.Expand(hostlist.Compress(names))
	if err != nil || len(order) != len(names) {
		order = slices.Sorted(slices.Values(names))
	}
	if i := slices.Index(order, batch); i > 0 {
		order = append(append([]string{batch}, order[:i]...), order[i+1:]...)
	}
	var g *state.GPUAlloc
	for _, n := range order {
		switch a := byNode[n]; {
		case a == nil:
		case g == nil:
			g = a
		default:
			g.OtherNodes = append(g.OtherNodes, state.GPUNode{NodeID: a.NodeID, Node: a.Node, UUIDs: a.UUIDs})
		}
	}
	if g != nil {
		if err := g.Check(); err != nil {
			log.Warn("multi-node GPU allocation not accounted", "nodes", len(names), "err", err)
			return nil
		}
	}
	return g
}

// runGPU is a multi-node run's GPUs (gpuAllocOfRun), its listed
// allocations completed from the Nomad servers (withGPU); what was read
// is kept in the run, while it is tracked, so that it is read once.
func (e *Executor) runGPU(ctx context.Context, id uint64, allocs []alloc, batch string) *state.GPUAlloc {
	read := false
	for i, a := range allocs {
		if !a.resolved {
			allocs[i], read = e.withGPU(ctx, a), true
		}
	}
	if read {
		e.mu.Lock()
		if r := e.runs[id]; r != nil {
			for _, a := range allocs {
				if cur, ok := r.allocs[a.ID]; ok && a.resolved && !cur.resolved {
					cur.Resources, cur.resolved = a.Resources, true
					r.allocs[a.ID] = cur
				}
			}
		}
		e.mu.Unlock()
	}
	return gpuAllocOfRun(allocs, batch, e.cfg.Logger)
}

// gpuMeasureOf reads NVML's figures from the last task event that carries
// them; nil (not measured) when none does, or when what it carries is not
// three decimal integers within state.GPUMeasure's bounds (a nonsense
// report is dropped, not clamped: a clamped figure would look measured).
func gpuMeasureOf(ts *api.TaskState, log *slog.Logger) *state.GPUMeasure {
	if ts == nil {
		return nil
	}
	for i := len(ts.Events) - 1; i >= 0; i-- {
		ev := ts.Events[i]
		if ev == nil || ev.Type != api.TaskDriverMessage {
			continue
		}
		if _, ok := ev.Details[AnnotationGPUSamples]; !ok {
			continue
		}
		m, ok := parseGPUMeasure(ev.Details)
		if !ok {
			log.Warn("task event with GPU figures that are not valid: not measured",
				AnnotationGPUUtilMax, quoteNode(ev.Details[AnnotationGPUUtilMax]),
				AnnotationGPUMemPeak, quoteNode(ev.Details[AnnotationGPUMemPeak]),
				AnnotationGPUSamples, quoteNode(ev.Details[AnnotationGPUSamples]))
			return nil
		}
		return m
	}
	return nil
}

func parseGPUMeasure(d map[string]string) (*state.GPUMeasure, bool) {
	num := func(key string) (int64, bool) {
		s := d[key]
		if s == "" || len(s) > 19 || strings.TrimLeft(s, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	util, ok1 := num(AnnotationGPUUtilMax)
	mem, ok2 := num(AnnotationGPUMemPeak)
	samples, ok3 := num(AnnotationGPUSamples)
	if !ok1 || !ok2 || !ok3 || util > 100 {
		return nil, false
	}
	m := &state.GPUMeasure{UtilMaxPct: int(util), MemPeakMiB: mem, Samples: samples}
	return m, m.Check() == nil
}

// quoteNode quotes a value a node reported, cut short, for a log line.
func quoteNode(s string) string {
	if len(s) > 32 {
		return strconv.Quote(s[:32]) + "..."
	}
	return strconv.Quote(s)
}

// withGPU completes a listed allocation (whose listing leaves out its
// resources) from the Nomad servers' full record, so that a run placed or
// ended while the event stream was away is accounted too. The event
// stream's allocations are full already.
func (e *Executor) withGPU(ctx context.Context, a alloc) alloc {
	if a.resolved {
		return a
	}
	full, _, err := e.cfg.Client.Allocations().Info(a.ID, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		e.cfg.Logger.Warn("read the allocation's GPUs", "alloc", a.ID, "err", err)
		return a
	}
	a.Resources, a.resolved = full.AllocatedResources, true
	return a
}
