package taskspec

import (
	"strconv"
	"strings"
)

// Job is what a run's job-level Slurm environment is made of: the job's
// record as the coordinator committed it, and its submission.
type Job struct {
	ID uint64
	// ArrayJobID and ArrayTaskID name an array task (ArrayJobID 0: not
	// one); Array describes its array (nil: unknown).
	ArrayJobID                          uint64
	ArrayTaskID                         int
	Array                               *Array
	Name, User, Partition, Account, QOS string
	Dependency                          string
	// SubmitDir and SubmitHost are where sbatch ran; Cluster is the
	// Slurm cluster name.
	SubmitDir, SubmitHost, Cluster string
	// CPUs is the job's CPU count on its node.
	CPUs                               int
	Ntasks, NtasksPerNode, CPUsPerTask *int
	MemPerNodeMiB, MemPerCPUMiB        *int64
	// GPUs, GPUsPerNode and GPUsPerTask are --gpus, --gpus-per-node and
	// --gpus-per-task as given ("2", "a100:2"; "": not given);
	// CPUsPerGPU and MemPerGPUMiB are --cpus-per-gpu and --mem-per-gpu.
	// sbatch puts them in the job's environment (SLURM_GPUS, ...); srun
	// reads SLURM_GPUS_PER_TASK to bind each task to its own GPUs. The
	// GPUs themselves (CUDA_VISIBLE_DEVICES, SLURM_JOB_GPUS, ...) are the
	// driver's, from Nomad's device reservation.
	GPUs, GPUsPerNode, GPUsPerTask string
	CPUsPerGPU                     *int
	MemPerGPUMiB                   *int64
	// RestartCount is how often the job was requeued.
	RestartCount int
	// Export is --export as given (nil: not given).
	Export *string
	// Env is the submitter's environment as --export selected it
	// (KEY=value).
	Env []string
}

// Array is an array's shape, as SLURM_ARRAY_TASK_* give it.
type Array struct {
	Count, Min, Max, Step int
}

// JobEnv is the job-level environment of a run: the submitter's exported
// environment with the variables slurmctld gives a batch job of a one-node
// allocation (SLURM_JOB_ID, SLURM_ARRAY_*, SLURM_SUBMIT_DIR, ...). The
// coordinator sends it in the task config (Config.Env); the driver adds
// the node-level variables, and JobDefaults for a task that has none of it.
func JobEnv(j Job) map[string]string {
	env := map[string]string{}
	for _, kv := range j.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env[k] = v
		}
	}
	id := strconv.FormatUint(j.ID, 10)
	set := func(k, v string) { env[k] = v }
	set("SLURM_JOB_ID", id)
	set("SLURM_JOBID", id)
	set("SLURM_JOB_NAME", j.Name)
	set("SLURM_JOB_USER", j.User)
	set("SLURM_JOB_PARTITION", j.Partition)
	if j.Account != "" {
		set("SLURM_JOB_ACCOUNT", j.Account)
	}
	if j.QOS != "" {
		set("SLURM_JOB_QOS", j.QOS)
	}
	set("SLURM_SUBMIT_DIR", j.SubmitDir)
	if j.SubmitHost != "" {
		set("SLURM_SUBMIT_HOST", j.SubmitHost)
	}
	if j.Cluster != "" {
		set("SLURM_CLUSTER_NAME", j.Cluster)
	}
	set("SLURM_JOB_NUM_NODES", "1")
	set("SLURM_NNODES", "1")
	cpus := strconv.Itoa(j.CPUs)
	set("SLURM_CPUS_ON_NODE", cpus)
	set("SLURM_JOB_CPUS_PER_NODE", cpus)
	if j.Ntasks != nil {
		set("SLURM_NTASKS", strconv.Itoa(*j.Ntasks))
		set("SLURM_NPROCS", strconv.Itoa(*j.Ntasks))
	}
	if j.NtasksPerNode != nil {
		set("SLURM_NTASKS_PER_NODE", strconv.Itoa(*j.NtasksPerNode))
	}
	if j.CPUsPerTask != nil {
		set("SLURM_CPUS_PER_TASK", strconv.Itoa(*j.CPUsPerTask))
	}
	if j.MemPerNodeMiB != nil {
		set("SLURM_MEM_PER_NODE", strconv.FormatInt(*j.MemPerNodeMiB, 10))
	}
	if j.MemPerCPUMiB != nil {
		set("SLURM_MEM_PER_CPU", strconv.FormatInt(*j.MemPerCPUMiB, 10))
	}
	for k, v := range map[string]string{"SLURM_GPUS": j.GPUs, "SLURM_GPUS_PER_NODE": j.GPUsPerNode, "SLURM_GPUS_PER_TASK": j.GPUsPerTask} {
		if v != "" {
			set(k, v)
		}
	}
	if j.CPUsPerGPU != nil {
		set("SLURM_CPUS_PER_GPU", strconv.Itoa(*j.CPUsPerGPU))
	}
	if j.MemPerGPUMiB != nil {
		set("SLURM_MEM_PER_GPU", strconv.FormatInt(*j.MemPerGPUMiB, 10))
	}
	if j.RestartCount > 0 { // Slurm sets it only in a requeued job
		set("SLURM_RESTART_COUNT", strconv.Itoa(j.RestartCount))
	}
	if j.Dependency != "" {
		set("SLURM_JOB_DEPENDENCY", j.Dependency)
	}
	if j.Export != nil {
		set("SLURM_EXPORT_ENV", *j.Export)
		// sbatch asks the node for the user's login environment whenever
		// --export is not plain ALL (Slurm 22.05; the runtime differential
		// suite checks it).
		if !strings.EqualFold(*j.Export, "ALL") {
			set("SLURM_GET_USER_ENV", "1")
		}
	}
	if j.ArrayJobID != 0 && j.ArrayTaskID >= 0 {
		set("SLURM_ARRAY_JOB_ID", strconv.FormatUint(j.ArrayJobID, 10))
		set("SLURM_ARRAY_TASK_ID", strconv.Itoa(j.ArrayTaskID))
		if a := j.Array; a != nil {
			set("SLURM_ARRAY_TASK_COUNT", strconv.Itoa(a.Count))
			set("SLURM_ARRAY_TASK_MIN", strconv.Itoa(a.Min))
			set("SLURM_ARRAY_TASK_MAX", strconv.Itoa(a.Max))
			set("SLURM_ARRAY_TASK_STEP", strconv.Itoa(a.Step))
		}
	}
	return env
}

// JobDefaults are the job-level variables slurmctld always sets and
// JobEnv leaves to the node, with their values for a one-node job read
// from env (a task's environment): SLURM_TASKS_PER_NODE,
// SLURM_PRIO_PROCESS, SLURM_NODE_ALIASES, and, for a task the coordinator
// did not write (a hand-written Nomad job), SLURM_JOBID and the node
// counts. The driver applies those env lacks.
func JobDefaults(env map[string]string) map[string]string {
	ntasks := env["SLURM_NTASKS"]
	if ntasks == "" {
		ntasks = "1"
	}
	return map[string]string{
		"SLURM_JOBID":          env["SLURM_JOB_ID"],
		"SLURM_TASKS_PER_NODE": ntasks,
		"SLURM_JOB_NUM_NODES":  "1",
		"SLURM_NNODES":         "1",
		"SLURM_PRIO_PROCESS":   "0",
		"SLURM_NODE_ALIASES":   "(null)",
	}
}
