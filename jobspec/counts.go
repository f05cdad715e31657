package jobspec

import "strconv"

// The counts below are what Slurm derives from a submission when the
// cluster adds nothing: squeue's %D, %C and NumTasks, sacct's AllocCPUS,
// and what the coordinator reserves on a node. A nil Spec asks for one
// node, one task and one CPU.

// MinNodes is the requested node count (-N, default 1).
func (s *Spec) MinNodes() int {
	if s != nil && s.NodesMin != nil && *s.NodesMin > 0 {
		return *s.NodesMin
	}
	return 1
}

// TaskCount is -n, or --ntasks-per-node times the nodes, or --gpus over
// --gpus-per-task (Slurm 22.05: --gpus=4 --gpus-per-task=2 is two tasks),
// or one task per node.
func (s *Spec) TaskCount() int {
	if s != nil {
		if s.Ntasks != nil && *s.Ntasks > 0 {
			return *s.Ntasks
		}
		if s.NtasksPerNode != nil && *s.NtasksPerNode > 0 {
			return *s.NtasksPerNode * s.MinNodes()
		}
		if s.GPUsPerJob != nil && s.GPUsPerTask != nil && *s.GPUsPerTask > 0 && *s.GPUsPerJob > 0 {
			return max(*s.GPUsPerJob / *s.GPUsPerTask, s.MinNodes())
		}
	}
	return s.MinNodes()
}

// TaskCPUs is -c, else --cpus-per-gpu times --gpus-per-task (as Slurm
// 22.05 sets CPUs/Task from them), else 1.
func (s *Spec) TaskCPUs() int {
	if s != nil && s.CPUsPerTask != nil && *s.CPUsPerTask > 0 {
		return *s.CPUsPerTask
	}
	if s != nil && s.CPUsPerGPU != nil && s.GPUsPerTask != nil && *s.CPUsPerGPU > 0 && *s.GPUsPerTask > 0 {
		return *s.CPUsPerGPU * *s.GPUsPerTask
	}
	return 1
}

// GPUCount is the job's GPUs: --gpus, or per node or per task times the
// nodes or tasks.
func (s *Spec) GPUCount() int {
	switch {
	case s == nil:
		return 0
	case s.GPUsPerJob != nil:
		return *s.GPUsPerJob
	case s.GPUsPerNode != nil:
		return *s.GPUsPerNode * s.MinNodes()
	case s.GPUsPerTask != nil:
		return *s.GPUsPerTask * s.TaskCount()
	}
	return 0
}

// CPUCount is the CPUs the job asks for: tasks × CPUs per task, raised by
// --cpus-per-gpu and --mincpus, and at least one per node.
func (s *Spec) CPUCount() int {
	n := s.TaskCount() * s.TaskCPUs()
	if s != nil && s.CPUsPerGPU != nil {
		n = max(n, s.GPUCount()*(*s.CPUsPerGPU))
	}
	if mc, ok := s.minCPUs(); ok {
		n = max(n, mc*s.MinNodes())
	}
	return max(n, s.MinNodes())
}

// MinCPUsPerNode is the CPUs each node must have: CPUs per task times
// --ntasks-per-node, raised by --mincpus.
func (s *Spec) MinCPUsPerNode() int {
	n := s.TaskCPUs()
	if s != nil && s.NtasksPerNode != nil && *s.NtasksPerNode > 0 {
		n *= *s.NtasksPerNode
	}
	if mc, ok := s.minCPUs(); ok {
		n = max(n, mc)
	}
	return n
}

// minCPUs is --mincpus, kept in Other.
func (s *Spec) minCPUs() (int, bool) {
	if s == nil {
		return 0, false
	}
	mc, err := strconv.Atoi(s.Other["mincpus"])
	return mc, err == nil
}
