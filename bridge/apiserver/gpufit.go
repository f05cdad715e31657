package apiserver

import (
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/gpufit"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// Bounds on a job's GPU types (--gres=gpu:TYPE:N, --gpus=TYPE:N, ...).
const (
	maxGPUTypes   = 16
	maxGPUTypeLen = 64
)

// checkGPUs refuses a GPU request that no node of the job's partitions
// could ever run (gpufit.Never): more GPUs of one model than any node has,
// a type no node has, or the CPUs or memory that come with the GPUs
// beyond any such node. Slurm refuses these at submit with "Requested node
// configuration is not available"; sbatch prints that, with what the
// nodes offer. Every node Nomad knows counts, whatever its state (a donor
// that is down may come back). While no node of those partitions is
// registered, or one is still initializing, the job is accepted and waits
// PENDING (Resources): a cluster whose clients have not registered yet
// must not refuse its first jobs. When Nomad cannot be asked, it is
// accepted too: the job waits for its GPUs instead. At most maxGPUTypes
// types of at most maxGPUTypeLen bytes are accepted, nodes or not.
func (s *Server) checkGPUs(spec *jobspec.Spec, nodes func() []api.Node) error {
	if spec.GPUType != nil {
		// Bounds, so that a request cannot make the refusal's message or
		// the Nomad job's type constraint large.
		types := strings.Split(*spec.GPUType, ",")
		if len(types) > maxGPUTypes {
			return badRequest("Invalid generic resource (gres) specification: %d GPU types; at most %d in one job", len(types), maxGPUTypes)
		}
		for _, t := range types {
			if len(t) > maxGPUTypeLen {
				return badRequest("Invalid generic resource (gres) specification: GPU type %.20q... is %d bytes; at most %d", t, len(t), maxGPUTypeLen)
			}
		}
	}
	if gpufit.Parts(spec) == nil {
		return nil
	}
	// On each of its nodes (a multi-node job asks for its share on each).
	perNode := (spec.CPUCount() + spec.MinNodes() - 1) / spec.MinNodes()
	job := gpufit.Job{Partitions: s.jobPartitions(spec), CPUs: perNode, MemMiB: jobMemMiB(spec)}
	if err := gpufit.Never(spec, job, nodes()); err != nil {
		return badRequest("%s", err.Error())
	}
	return nil
}

// jobMemMiB is the memory the job asks for on its node (0: none given),
// as the Nomad translation reserves it: --mem, --mem-per-cpu x CPUs or
// --mem-per-gpu x GPUs.
func jobMemMiB(spec *jobspec.Spec) int64 {
	switch {
	case spec.MemPerNodeMiB != nil:
		return *spec.MemPerNodeMiB
	case spec.MemPerCPUMiB != nil:
		return *spec.MemPerCPUMiB * int64(spec.CPUCount())
	case spec.MemPerGPUMiB != nil:
		return *spec.MemPerGPUMiB * int64(spec.GPUCount())
	}
	return 0
}
