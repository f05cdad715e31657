package taskdriver

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/nomad/plugins/drivers"
)

// The reservation's variables, as the hpcbridge-gpu device plugin's
// Reserve sets them (the GPU contract of issue 11; drivers/gpuplugin
// names them too). Nomad's device hook puts them in TaskConfig.DeviceEnv,
// and in Env over the task's own variables (Nomad 1.11
// client/taskenv.Builder.buildEnv).
const (
	envGPUIndexes = "HPCBRIDGE_GPU_INDEXES"
	envGPUUUIDs   = "HPCBRIDGE_GPU_UUIDS"
	envGPUBackend = "HPCBRIDGE_GPU_BACKEND"
	envNvidiaVis  = "NVIDIA_VISIBLE_DEVICES"
)

// gpuVendor and gpuType are the Nomad device the plugin offers.
const (
	gpuVendor = "nvidia"
	gpuType   = "gpu"
)

// maxGPUs bounds the GPUs one task may be given (a Nomad node never has
// this many; the bound only keeps a broken reservation small).
const maxGPUs = 1024

// slurmGPUVars are the variables Slurm 22.05's gres/gpu plugin and srun
// own in a job: each is set from the job's GPUs, or unset in a job without
// GPUs, whatever the submitter exported (checked against the oracle).
var slurmGPUVars = []string{
	"CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES", "ZE_AFFINITY_MASK",
	"SLURM_JOB_GPUS", "SLURM_GPUS_ON_NODE", "SLURM_STEP_GPUS", "SLURMD_TRES_BIND",
}

// reservationVars are the device plugin's variables: only Nomad's device
// hook sets them, never the submitter.
var reservationVars = []string{envGPUIndexes, envGPUUUIDs, envGPUBackend, envNvidiaVis}

// gpuSet is the GPUs Nomad reserved for a task: NVML indexes (PCI order),
// the GPUs' UUIDs in the same order, and the plugin's backend ("nvml" or
// "fake"). No indexes: the task has no GPUs.
type gpuSet struct {
	indexes []int
	uuids   []string
	backend string
}

// errGPUReservation: the device reservation Nomad handed over does not
// describe the GPUs it allocated.
var errGPUReservation = errors.New("GPU reservation")

// reservedGPUs reads the task's GPUs from what Nomad alone sets: the
// device hook's environment, TaskConfig.DeviceEnv, which Nomad builds from
// the device plugins' reservations only (the task's env, where the job's
// own variables could be, is not read). Nomad's allocated device ids
// (Resources.NomadResources.Devices) do not cross the plugin boundary
// (Nomad 1.11's ResourcesToProto sends CPU, memory and networks only): when
// a driver in the same process does see them, they must name the same
// GPUs. A reservation that does not describe its GPUs is refused rather
// than run on the wrong ones.
func reservedGPUs(cfg *drivers.TaskConfig) (gpuSet, error) {
	allocated := allocatedGPUIDs(cfg.Resources)
	dev := cfg.DeviceEnv
	if len(allocated) == 0 && dev[envGPUIndexes] == "" && dev[envGPUUUIDs] == "" {
		return gpuSet{}, nil
	}
	if dev[envGPUIndexes] == "" {
		return gpuSet{}, fmt.Errorf("%w: Nomad allocated GPUs %q but the device plugin set no %s (is the hpcbridge-gpu plugin the node's nvidia/gpu plugin?)",
			errGPUReservation, strings.Join(allocated, ","), envGPUIndexes)
	}
	g := gpuSet{uuids: splitList(dev[envGPUUUIDs]), backend: dev[envGPUBackend]}
	for _, s := range splitList(dev[envGPUIndexes]) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n >= maxGPUs {
			return gpuSet{}, fmt.Errorf("%w: %s=%q: %q is not a GPU index", errGPUReservation, envGPUIndexes, dev[envGPUIndexes], s)
		}
		g.indexes = append(g.indexes, n)
	}
	if len(g.indexes) > maxGPUs || len(g.indexes) != len(g.uuids) || !sameSet(g.uuids, g.uuids) {
		return gpuSet{}, fmt.Errorf("%w: %d indexes (%s) for %d distinct UUIDs (%s)", errGPUReservation,
			len(g.indexes), envGPUIndexes, len(g.uuids), envGPUUUIDs)
	}
	if len(allocated) > 0 && !sameSet(g.uuids, allocated) {
		return gpuSet{}, fmt.Errorf("%w: the device plugin describes GPUs %s, Nomad allocated %s",
			errGPUReservation, strings.Join(g.uuids, ","), strings.Join(allocated, ","))
	}
	return g, nil
}

// allocatedGPUIDs are the ids of the nvidia/gpu devices Nomad allocated to
// the task.
func allocatedGPUIDs(r *drivers.Resources) []string {
	if r == nil || r.NomadResources == nil {
		return nil
	}
	var ids []string
	for _, d := range r.NomadResources.Devices {
		if d != nil && d.Vendor == gpuVendor && d.Type == gpuType {
			ids = append(ids, d.DeviceIDs...)
		}
	}
	return ids
}

// sameSet reports whether a and b hold the same strings, each once.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y) && len(slices.Compact(x)) == len(a)
}

// splitList splits a comma-separated list; "" is no items.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// mig reports whether the reservation holds MIG instances (UUIDs "MIG-...",
// whose HPCBRIDGE_GPU_INDEXES are their GPUs' indexes).
func (g gpuSet) mig() bool {
	return slices.ContainsFunc(g.uuids, func(u string) bool { return strings.HasPrefix(u, "MIG-") })
}

// list is the indexes as Slurm writes them: "0,3".
func (g gpuSet) list() string {
	s := make([]string, len(g.indexes))
	for i, n := range g.indexes {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// setGPUEnv gives env the GPU variables real Slurm 22.05 gives a batch job
// (gres/gpu, TaskPlugin=task/none: absolute indexes) for the GPUs g, and
// takes out what the submitter's environment said about GPUs: a job sees
// the GPUs it was given, as under Slurm. The request-form variables
// (SLURM_GPUS, SLURM_GPUS_PER_NODE, SLURM_GPUS_PER_TASK, SLURM_CPUS_PER_GPU,
// SLURM_MEM_PER_GPU) are job-level: the coordinator sets them.
//
// CUDA_DEVICE_ORDER=PCI_BUS_ID is hpcbridge's own: the indexes are NVML's,
// in PCI order, and CUDA's default order (fastest first) would let an index
// name another GPU on a node with mixed models (docs/runtime-differences.md).
func setGPUEnv(env map[string]string, g gpuSet) {
	for _, k := range slices.Concat(slurmGPUVars, reservationVars) {
		delete(env, k)
	}
	if len(g.indexes) == 0 {
		return
	}
	list := g.list()
	for _, k := range []string{"CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES", "ZE_AFFINITY_MASK", "SLURM_JOB_GPUS"} {
		env[k] = list
	}
	env["SLURM_GPUS_ON_NODE"] = strconv.Itoa(len(g.indexes))
	env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
	uuids := strings.Join(g.uuids, ",")
	if g.mig() {
		// A MIG instance's index is its GPU's: only its UUID names it to
		// CUDA.
		env["CUDA_VISIBLE_DEVICES"] = uuids
	}
	env[envGPUIndexes], env[envGPUUUIDs], env[envNvidiaVis] = list, uuids, uuids
	if g.backend != "" {
		env[envGPUBackend] = g.backend
	}
}
