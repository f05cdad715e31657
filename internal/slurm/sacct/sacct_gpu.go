package sacct

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// GPU accounting in sacct. hpcbridge accounts as a Slurm 22.05 whose
// slurm.conf has AccountingStorageTRES=gres/gpu (plus the default cpu,
// mem, energy, node, billing, fs/disk, vmem, pages) and whose acct_gather
// reports gres/gpumem and gres/gpuutil:
//
//   - ReqTRES and AllocTRES carry gres/gpu=N, sorted by TRES name as sacct
//     prints them (billing=1,cpu=1,gres/gpu=2,mem=1G,node=1); AllocTRES
//     counts the GPUs Nomad allocated (state.GPUUse), on every node of a
//     multi-node run, ReqTRES those asked for.
//   - TRESUsageInMax of the .batch step is NVML's measurement when the
//     node made one (gres/gpumem=30517M,gres/gpuutil=87), and empty when
//     it did not: not measured, never zero. As in Slurm, the job's own
//     line has no TRESUsage.
//   - GPUSeconds (an hpcbridge field, not Slurm's) is the run's GPUs
//     times its Elapsed, as the coordinator observed them from the Nomad
//     servers: the figure accounting keeps, and the one to bill by.

// sacctExtensions are hpcbridge's own fields, which sacct --helpformat
// lists after Slurm's, under their own heading.
var sacctExtensions = append([]sacctFieldDef{{"GPUSeconds", 12}}, checkpointFields...)

// sacctExtensionsHeading introduces them in --helpformat.
const sacctExtensionsHeading = "\nhpcbridge fields (not in Slurm's sacct):\n"

// gpusAllocated is the GPU count of a record's AllocTRES: the GPUs Nomad
// allocated to the run, or, until the executor has seen its allocation
// (or for a record from before GPU accounting), those it asked for.
func gpusAllocated(v slurm.JobView) int {
	if n := v.Job.GPU.Count(); n > 0 {
		return n
	}
	return v.Spec.GPUCount()
}

// tresString is the job's TRES with gpus GPUs, sorted by name, as sacct's
// AllocTRES and ReqTRES print them.
func tresString(v slurm.JobView, gpus int) string {
	parts := []string{"billing=" + strconv.Itoa(v.CPUs()), "cpu=" + strconv.Itoa(v.CPUs())}
	if gpus > 0 {
		parts = append(parts, "gres/gpu="+strconv.Itoa(gpus))
	}
	if m := v.MemTotal(); m > 0 {
		parts = append(parts, "mem="+slurm.MemString(m))
	}
	return strings.Join(append(parts, "node="+strconv.Itoa(v.Nodes())), ",")
}

// gpuSeconds is a record's GPUSeconds: what accounting fixed when the run
// ended; for a running job, its GPUs times its Elapsed so far; 0 for a
// job that holds no GPUs; empty for a started GPU job whose allocation
// the executor has not reported (nothing observed, so no figure).
func gpuSeconds(v slurm.JobView) string {
	j := v.Job
	if j.GPU == nil && v.Spec.GPUCount() > 0 && !j.StartTime.IsZero() && j.State != state.StatePending {
		return ""
	}
	return strconv.FormatInt(gpuSecondsOf(v), 10)
}

// gpuSecondsOf is the figure of gpuSeconds, 0 where it is empty.
func gpuSecondsOf(v slurm.JobView) int64 {
	j := v.Job
	switch {
	case j.GPU != nil && recordEnded(j):
		return j.GPU.Seconds
	case j.GPU != nil:
		return state.GPUSeconds(j.GPU.Count(), j.StartTime, v.Now)
	}
	return 0
}

// gpuUsageMax is the TRESUsageInMax of a .batch step: NVML's peak memory
// and utilisation when they were measured, else empty.
func gpuUsageMax(j *state.Job) string {
	if j.GPU == nil || j.GPU.Measured == nil {
		return ""
	}
	m := j.GPU.Measured
	return fmt.Sprintf("gres/gpumem=%s,gres/gpuutil=%d", slurm.MemString(m.MemPeakMiB), m.UtilMaxPct)
}

// tresJSONWith is tresJSON with gres/gpu (Slurm's first gres TRES id,
// 1001) when gpus > 0.
func tresJSONWith(v slurm.JobView, gpus int) []sacctJSONTres {
	out := tresJSON(v)
	if gpus > 0 {
		out = append(out, sacctJSONTres{Type: "gres", Name: "gpu", ID: 1001, Count: int64(gpus)})
	}
	return out
}

// sacctJSONGPU is hpcbridge's GPU accounting of a record in sacct --json
// (the job's "hpcbridge_gpu" key, absent for a record without GPUs): the
// GPUs Nomad allocated and their node (a multi-node run's batch node,
// its other nodes' in "other_nodes"), the GPU-seconds of all of them, and
// NVML's figures ("measured", absent when not measured).
type sacctJSONGPU struct {
	Node       string            `json:"node"`
	NodeID     string            `json:"node_id,omitempty"`
	UUIDs      []string          `json:"uuids"`
	OtherNodes []state.GPUNode   `json:"other_nodes,omitempty"`
	Seconds    int64             `json:"gpu_seconds"`
	Measured   *state.GPUMeasure `json:"measured,omitempty"`
}

func gpuJSON(v slurm.JobView) *sacctJSONGPU {
	u := v.Job.GPU
	if u == nil {
		return nil
	}
	return &sacctJSONGPU{Node: u.Node, NodeID: u.NodeID, UUIDs: u.UUIDs, OtherNodes: u.OtherNodes, Seconds: gpuSecondsOf(v), Measured: u.Measured}
}

// stepUsageJSON is a step's tres.requested.max in sacct --json: NVML's
// figures as Slurm's gres/gpumem (bytes) and gres/gpuutil (%) TRES.
func stepUsageJSON(j *state.Job) []sacctJSONTres {
	if j.GPU == nil || j.GPU.Measured == nil {
		return []sacctJSONTres{}
	}
	m := j.GPU.Measured
	return []sacctJSONTres{
		{Type: "gres", Name: "gpumem", ID: 1002, Count: m.MemPeakMiB << 20},
		{Type: "gres", Name: "gpuutil", ID: 1003, Count: int64(m.UtilMaxPct)},
	}
}
