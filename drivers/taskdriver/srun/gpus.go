package srun

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// stepGPUVars are the GPU variables a step's task gets from srun and
// slurmstepd (SLURM_JOB_GPUS stays the job's).
var stepGPUVars = []string{
	"CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES", "ZE_AFFINITY_MASK",
	"SLURM_GPUS_ON_NODE", "SLURM_STEP_GPUS", "SLURMD_TRES_BIND",
}

// gpuPlan is which of the job's GPUs a step has and how its tasks share
// them.
type gpuPlan struct {
	// job is false in a job without GPUs: the step's environment keeps
	// the batch shell's as it is.
	job bool
	// gpus are the step's GPUs (absolute indexes, as SLURM_JOB_GPUS
	// writes them); none: the step has no GPUs (--gres=none).
	gpus []string
	// perTask > 0 binds each task to its own perTask GPUs
	// (--gpus-per-task, given to srun or inherited from the job's
	// SLURM_GPUS_PER_TASK, as Slurm's srun reads it).
	perTask int
	// bind is SLURMD_TRES_BIND's value ("" unset).
	bind string
	// cuda, for MIG instances, names the job's GPUs to CUDA by UUID, in
	// SLURM_JOB_GPUS's order (from HPCBRIDGE_GPU_UUIDS); nil: by index.
	cuda []string
}

// planGPUs gives a step its GPUs, as Slurm 22.05 does on one node (checked
// against the oracle): by default all of the job's; with --gpus-per-task=N
// (here or the job's) the first N per task, task i the i-th N, bound
// per task when the step has more than one task; with --gpus=N or
// --gres=gpu:N the first N; with --gres=none none. A step asking for more
// than the job has is refused with slurmctld's words.
func planGPUs(o *options, ntasks int, job string, getenv func(string) string) (gpuPlan, error) {
	jobGPUs := strings.Split(getenv("SLURM_JOB_GPUS"), ",")
	if getenv("SLURM_JOB_GPUS") == "" {
		return gpuPlan{}, nil
	}
	p := gpuPlan{job: true, gpus: jobGPUs}
	if uuids := strings.Split(getenv("HPCBRIDGE_GPU_UUIDS"), ","); len(uuids) == len(jobGPUs) &&
		slices.ContainsFunc(uuids, func(u string) bool { return strings.HasPrefix(u, "MIG-") }) {
		p.cuda = uuids
	}
	perTaskSpec := o.gpusPerTask
	if perTaskSpec == "" {
		perTaskSpec = getenv("SLURM_GPUS_PER_TASK")
	}
	switch {
	case o.gres == "none":
		p.gpus = nil
	case perTaskSpec != "":
		n, err := gpuCount(perTaskSpec)
		if err != nil {
			return gpuPlan{}, usagef("invalid --gpus-per-task value %q", perTaskSpec)
		}
		if n*ntasks > len(jobGPUs) {
			return gpuPlan{}, fmt.Errorf("Unable to create step for job %s: Insufficient GRES available in allocation", job)
		}
		p.gpus, p.perTask = jobGPUs[:n*ntasks], n
		if ntasks > 1 {
			p.bind = "gpu:per_task:" + perTaskSpec
		}
	case o.gpus != "" || o.gres != "":
		n, err := stepGPUCount(o)
		if err != nil {
			return gpuPlan{}, err
		}
		if n > len(jobGPUs) {
			return gpuPlan{}, fmt.Errorf("Step requested gres_per_node=gpu:%d is more than the job's gres_per_node=gpu:%d\n"+
				"srun: error: Unable to create step for job %s: Invalid generic resource (gres) specification", n, len(jobGPUs), job)
		}
		if n > 0 {
			p.gpus = jobGPUs[:n]
		}
	}
	return p, nil
}

// stepGPUCount is the GPU count of srun's --gpus or --gres (the gpu entry
// of its list; a GRES without gpu asks for none).
func stepGPUCount(o *options) (int, error) {
	if o.gpus != "" {
		n, err := gpuCount(o.gpus)
		if err != nil {
			return 0, usagef("invalid --gpus value %q", o.gpus)
		}
		return n, nil
	}
	for _, g := range strings.Split(o.gres, ",") {
		name, rest, _ := strings.Cut(g, ":")
		if name != "gpu" {
			continue
		}
		if rest == "" {
			return 1, nil
		}
		n, err := gpuCount(rest)
		if err != nil {
			return 0, usagef("invalid --gres value %q", o.gres)
		}
		return n, nil
	}
	return 0, nil
}

// gpuCount reads "N" or "type:N" (Slurm's GPU counts), N from 1 to 1024.
func gpuCount(s string) (int, error) {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1024 {
		return 0, fmt.Errorf("bad GPU count %q", s)
	}
	return n, nil
}

// env sets task rank's GPU variables in set, and names in unset those it
// must not have.
func (p gpuPlan) env(rank int, set map[string]string) (unset []string) {
	if !p.job {
		return nil
	}
	if len(p.gpus) == 0 {
		return stepGPUVars
	}
	lo, hi := 0, len(p.gpus)
	if p.perTask > 0 && p.bind != "" {
		lo, hi = rank*p.perTask, (rank+1)*p.perTask
	}
	list := strings.Join(p.gpus[lo:hi], ",")
	for _, k := range []string{"CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES", "ZE_AFFINITY_MASK", "SLURM_STEP_GPUS"} {
		set[k] = list
	}
	if p.cuda != nil {
		set["CUDA_VISIBLE_DEVICES"] = strings.Join(p.cuda[lo:hi], ",")
	}
	set["SLURM_GPUS_ON_NODE"] = strconv.Itoa(len(p.gpus))
	if p.bind != "" {
		set["SLURMD_TRES_BIND"] = p.bind
	} else {
		unset = append(unset, "SLURMD_TRES_BIND")
	}
	return unset
}
