package state

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
)

// GPU accounting. A run's GPUs are what Nomad allocated to its task, as
// the executor read them from the Nomad servers (JobPlaced 2 or
// JobFinish 3 carry them; from JobPlaced 3 and JobFinish 4 a multi-node
// run's other nodes too, in OtherNodes); its GPU-seconds are the number of
// those GPUs, on all its nodes, times the run's time, from its start to the end accounting gives it
// (the StartTime and EndTime sacct's Elapsed is computed from), fixed
// when the run ends. That figure is the coordinator's own observation and
// what billing may rest on. What NVML measured on the node (GPUMeasure)
// is a different figure, reported by the donor's node and kept beside it:
// never a basis for billing.

// Bounds of what a GPU record may hold: a donor's node reports device ids
// and measurements, so none is taken unbounded.
const (
	// MaxGPUsPerRun bounds the device ids kept for one node of a run.
	MaxGPUsPerRun = 256
	// MaxGPUNodesPerRun bounds the nodes of a run's GPU record (a job
	// runs on up to 1024 nodes), MaxGPUsPerMultiRun the device ids of all
	// of them together (1024 nodes of 8 GPUs).
	MaxGPUNodesPerRun  = 1024
	MaxGPUsPerMultiRun = 8192
	// MaxGPUIDLen bounds one device id (an NVML UUID is 40 bytes, a MIG
	// instance's up to 44).
	MaxGPUIDLen = 128
	// MaxGPUNodeLen bounds the node name and id.
	MaxGPUNodeLen = 256
	// MaxGPUMemMiB bounds a measured peak memory (16 TiB: no GPU comes
	// near; a larger figure is nonsense).
	MaxGPUMemMiB = 16 << 20
	// MaxGPUSamples bounds the sample count of a measurement.
	MaxGPUSamples = 1 << 31
)

// GPUAlloc is what the executor observed of a run's GPUs: the node its
// allocation ran on and the device ids (GPU UUIDs) Nomad allocated to it.
// A multi-node run's record is its batch node's (or, when that has none,
// the first node's that has GPUs) with the other nodes' in OtherNodes.
type GPUAlloc struct {
	// NodeID is the Nomad node's id, Node its name (the job's NodeList).
	NodeID string `json:"node_id,omitempty"`
	Node   string `json:"node"`
	// UUIDs are the allocated device ids, sorted.
	UUIDs []string `json:"uuids"`
	// OtherNodes are a multi-node run's other nodes with GPUs, each with
	// its own device ids, in node name order; kept only from JobPlaced 3
	// and JobFinish 4 (an older entry's are dropped, as older servers
	// applied it).
	OtherNodes []GPUNode `json:"other_nodes,omitempty"`
}

// GPUNode is one node's GPUs in a run's record: as GPUAlloc's own.
type GPUNode struct {
	NodeID string   `json:"node_id,omitempty"`
	Node   string   `json:"node"`
	UUIDs  []string `json:"uuids"`
}

// PerNode is every node of the record with its GPUs, the first node
// first (what a donor's share is credited from).
func (g *GPUAlloc) PerNode() []GPUNode {
	if g == nil {
		return nil
	}
	return append([]GPUNode{{NodeID: g.NodeID, Node: g.Node, UUIDs: g.UUIDs}}, g.OtherNodes...)
}

// Count is the number of GPUs of the record, on all its nodes.
func (g *GPUAlloc) Count() int {
	if g == nil {
		return 0
	}
	n := len(g.UUIDs)
	for _, o := range g.OtherNodes {
		n += len(o.UUIDs)
	}
	return n
}

// GPUMeasure is what NVML measured for a run's GPUs on the node, as the
// task driver reported it: the highest utilisation of any of them (%),
// the highest memory any used (MiB), and the number of samples behind
// both. It is absent (nil) when nothing was measured, which is not zero.
type GPUMeasure struct {
	UtilMaxPct int   `json:"util_max_pct"`
	MemPeakMiB int64 `json:"mem_peak_mib"`
	Samples    int64 `json:"samples"`
}

// GPUUse is a run's GPU accounting: its allocation, its GPU-seconds once
// it has ended, and NVML's figures when the node measured them.
type GPUUse struct {
	GPUAlloc
	// Seconds are the run's GPU-seconds: its GPUs on all its nodes
	// (Count) times its whole seconds from StartTime to the end; 0 while
	// it runs.
	Seconds int64 `json:"seconds"`
	// Measured is nil when nothing was measured.
	Measured *GPUMeasure `json:"measured,omitempty"`
}

// Count is the number of GPUs the run was allocated, on all its nodes.
func (u *GPUUse) Count() int {
	if u == nil {
		return 0
	}
	return u.GPUAlloc.Count()
}

// GPUSeconds is n GPUs held from start to end, in whole seconds (0 when
// the run has no start, or its end is before it): the one formula of
// accounting's GPU-seconds.
func GPUSeconds(n int, start, end time.Time) int64 {
	if n <= 0 || start.IsZero() || !end.After(start) {
		return 0
	}
	return int64(n) * int64(end.Sub(start)/time.Second)
}

// Check reports why an allocation record cannot be kept.
func (g *GPUAlloc) Check() error {
	if len(g.OtherNodes) >= MaxGPUNodesPerRun {
		return fmt.Errorf("GPUs on %d nodes (at most %d)", len(g.OtherNodes)+1, MaxGPUNodesPerRun)
	}
	if n := g.Count(); n > MaxGPUsPerMultiRun {
		return fmt.Errorf("%d GPU ids on %d nodes (at most %d)", n, len(g.OtherNodes)+1, MaxGPUsPerMultiRun)
	}
	seen := map[string]bool{}
	for i, n := range g.PerNode() {
		if err := n.check(); err != nil {
			return err
		}
		if i > 0 && len(n.UUIDs) == 0 {
			return fmt.Errorf("GPU node %.40q without GPU ids", n.Node)
		}
		if seen[n.Node] {
			return fmt.Errorf("GPU node %.40q twice", n.Node)
		}
		seen[n.Node] = true
	}
	return nil
}

// check reports why one node's GPUs cannot be kept.
func (g *GPUNode) check() error {
	if len(g.Node) > MaxGPUNodeLen || len(g.NodeID) > MaxGPUNodeLen {
		return fmt.Errorf("GPU node name or id over %d bytes", MaxGPUNodeLen)
	}
	if len(g.UUIDs) > MaxGPUsPerRun {
		return fmt.Errorf("%d GPU ids on one node (at most %d)", len(g.UUIDs), MaxGPUsPerRun)
	}
	for _, id := range g.UUIDs {
		if id == "" || len(id) > MaxGPUIDLen || !printable(id) {
			return fmt.Errorf("GPU id %.40q: want 1 to %d printable characters", id, MaxGPUIDLen)
		}
	}
	if !slices.IsSorted(g.UUIDs) || len(slices.Compact(slices.Clone(g.UUIDs))) != len(g.UUIDs) {
		return errors.New("GPU ids are not sorted and distinct")
	}
	return nil
}

// Check reports why a measurement is nonsense.
func (m *GPUMeasure) Check() error {
	switch {
	case m.UtilMaxPct < 0 || m.UtilMaxPct > 100:
		return fmt.Errorf("GPU utilisation %d%%: want 0 to 100", m.UtilMaxPct)
	case m.MemPeakMiB < 0 || m.MemPeakMiB > MaxGPUMemMiB:
		return fmt.Errorf("GPU peak memory %d MiB: want 0 to %d", m.MemPeakMiB, MaxGPUMemMiB)
	case m.Samples < 1 || m.Samples > MaxGPUSamples:
		return fmt.Errorf("%d GPU samples: want 1 to %d", m.Samples, int64(MaxGPUSamples))
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// withGPUAlloc is j with g as its current run's allocation, unless it has
// one already (the first observation stands) or g is nil or invalid.
// Only multi (JobPlaced 3, JobFinish 4) keeps g's other nodes: an older
// entry is applied as the servers that wrote it did.
func withGPUAlloc(j *Job, g *GPUAlloc, multi bool) bool {
	if g == nil {
		return false
	}
	if !multi {
		g = &GPUAlloc{NodeID: g.NodeID, Node: g.Node, UUIDs: g.UUIDs}
	}
	if len(g.UUIDs) == 0 || j.GPU != nil || g.Check() != nil {
		return false
	}
	u := &GPUUse{GPUAlloc: GPUAlloc{NodeID: g.NodeID, Node: g.Node, UUIDs: slices.Clone(g.UUIDs)}}
	if multi {
		for _, o := range g.OtherNodes {
			u.OtherNodes = append(u.OtherNodes, GPUNode{NodeID: o.NodeID, Node: o.Node, UUIDs: slices.Clone(o.UUIDs)})
		}
	}
	j.GPU = u
	return true
}

// closeGPU fixes the GPU-seconds of j's current run, which ends at end
// (j.EndTime, or the requeue that ends it while it runs). Records are
// shared with readers: j.GPU is replaced, never changed in place.
func closeGPU(j *Job, end time.Time) {
	if j.GPU == nil {
		return
	}
	u := *j.GPU
	u.Seconds = GPUSeconds(u.Count(), j.StartTime, end)
	j.GPU = &u
}

// measured is j with m as its current run's NVML figures, when m is
// valid (a nonsense measurement is dropped: not measured).
func measured(j *Job, m *GPUMeasure) {
	if m == nil || j.GPU == nil || m.Check() != nil {
		return
	}
	u := *j.GPU
	mm := *m
	u.Measured = &mm
	j.GPU = &u
}
