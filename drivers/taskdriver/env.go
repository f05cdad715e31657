package taskdriver

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
	"github.com/hpcbridge/hpcbridge/internal/taskspec"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// defaultPath is the job's PATH when its environment has none.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// nodeFacts is what the driver knows, at start, about the node and the
// task that slurmd would put in a batch job's environment.
type nodeFacts struct {
	node    string // short node name
	cpus    int    // CPUs Nomad allocated to the task
	account account
	layout  jobdir.Layout
	start   time.Time
	limit   time.Duration // 0: none
	gpus    gpuSet        // the GPUs Nomad reserved for the task
}

// stepVars are variables of srun steps that must not leak into a batch
// job's environment (from a submitter that ran sbatch inside another job).
var stepVars = []string{
	"SLURM_STEP_ID", "SLURM_STEPID", "SLURM_STEP_NUM_TASKS", "SLURM_STEP_NUM_NODES",
	"SLURM_STEP_NODELIST", "SLURM_STEP_TASKS_PER_NODE", "SLURM_STEP_LAUNCHER_PORT",
	"SLURM_SRUN_COMM_HOST", "SLURM_SRUN_COMM_PORT", "SLURM_LAUNCH_NODE_IPADDR",
	"SLURM_LABELIO", "SLURM_TASK_PID",
}

// jobEnv is the job's environment as the coordinator built it: the task
// config's env when it has one, with Nomad's own NOMAD_* variables added
// from the task's env. The rest of the task's env is not the job's: Nomad
// adds its agent's environment to a driver without file-system isolation,
// and interpolates "${...}" in env values, so the coordinator sends the
// environment in the config. A task without a config env (a hand-written
// Nomad job) gets its Nomad env as it is.
func jobEnv(task, config map[string]string) map[string]string {
	if config == nil {
		return task
	}
	env := make(map[string]string, len(config)+len(task))
	for k, v := range task {
		if strings.HasPrefix(k, "NOMAD_") {
			env[k] = v
		}
	}
	for k, v := range config {
		env[k] = v
	}
	return env
}

// batchEnv is the batch script's environment: the task's (the job-level
// Slurm variables and the submitter's exported environment, which the
// coordinator built with taskspec.JobEnv, plus Nomad's own) with the
// node-level variables slurmd adds. SLURM_TASK_PID is added by the exec trampoline, which knows
// the shell's pid.
func batchEnv(task map[string]string, f nodeFacts) map[string]string {
	env := make(map[string]string, len(task)+32)
	for k, v := range task {
		env[k] = v
	}
	for _, k := range stepVars {
		delete(env, k)
	}
	setGPUEnv(env, f.gpus)
	// slurmd applies the submitter's umask and takes it out of the job's
	// environment (the driver reads it from the task's).
	delete(env, "SLURM_UMASK")
	cpus := strconv.Itoa(f.cpus)
	set := map[string]string{
		"SLURMD_NODENAME":             f.node,
		"SLURM_JOB_NODELIST":          f.node,
		"SLURM_NODELIST":              f.node,
		"SLURM_TOPOLOGY_ADDR":         f.node,
		"SLURM_TOPOLOGY_ADDR_PATTERN": "node",
		"HOSTNAME":                    f.node,
		"SLURM_CPUS_ON_NODE":          cpus,
		"SLURM_JOB_CPUS_PER_NODE":     cpus,
		"SLURM_NODEID":                "0",
		"SLURM_PROCID":                "0",
		"SLURM_LOCALID":               "0",
		"SLURM_GTIDS":                 "0",
		"ENVIRONMENT":                 "BATCH",
		"SLURM_JOB_UID":               strconv.Itoa(f.account.uid),
		"SLURM_JOB_GID":               strconv.Itoa(f.account.gid),
		"SLURM_JOB_START_TIME":        strconv.FormatInt(f.start.Unix(), 10),
		jobdir.EnvStepsDir:            f.layout.StepsDir(),
	}
	if f.limit > 0 {
		set["SLURM_JOB_END_TIME"] = strconv.FormatInt(f.start.Add(f.limit).Unix(), 10)
	}
	for k, v := range set {
		env[k] = v
	}
	// Job-level variables Slurm always sets that the coordinator leaves
	// to the node (or, for a hand-written Nomad job, did not set).
	defaults := taskspec.JobDefaults(env)
	defaults["TMPDIR"] = "/tmp" // slurmstepd's, when the job has none
	// Slurm adds the user's own variables only with SLURM_GET_USER_ENV
	// (sbatch --export other than ALL), from the user's login shell; the
	// driver gives the account's (docs/runtime-differences.md).
	if env["SLURM_GET_USER_ENV"] == "1" {
		defaults["USER"], defaults["LOGNAME"], defaults["HOME"] = f.account.name, f.account.name, f.account.home
	}
	for k, v := range defaults {
		if _, ok := env[k]; !ok && v != "" {
			env[k] = v
		}
	}
	path := env["PATH"]
	switch {
	case path == "" && env["SLURM_GET_USER_ENV"] == "1":
		// The login environment's PATH, behind srun's directory: the exec
		// trampoline knows it (proc.WithUserEnv).
		env[proc.EnvPathPrefix] = f.layout.BinDir()
	case path == "":
		env["PATH"] = f.layout.BinDir() + ":" + defaultPath
	default:
		env["PATH"] = f.layout.BinDir() + ":" + path
	}
	return env
}

// envList renders env as KEY=value lines in key order.
func envList(env map[string]string) []string {
	list := make([]string, 0, len(env))
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	return list
}

// nodeName is the name the job knows its node by, the one squeue and sacct
// show: SLURMD_NODENAME when the task's environment sets it, else the
// Nomad node's name (which the coordinator records as the job's node
// list), else the short host name.
func nodeName(task map[string]string, nomadNode string) string {
	if n := task["SLURMD_NODENAME"]; n != "" {
		return n
	}
	if nomadNode != "" {
		return nomadNode
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "localhost"
	}
	short, _, _ := strings.Cut(host, ".")
	return short
}

// allocatedCPUs is the number of CPUs the job has on the node: the cores
// Nomad reserved for it (resources { cores = N }) when it has some; else
// the coordinator's SLURM_CPUS_ON_NODE, since only the coordinator knows how
// it turned Slurm CPUs into Nomad's MHz; else the task's MHz over the
// node's MHz per core, rounded up. At least 1.
func allocatedCPUs(r *drivers.Resources, c cpustats.Compute, task map[string]string) int {
	if r != nil && r.NomadResources != nil {
		if n := len(r.NomadResources.Cpu.ReservedCores); n > 0 {
			return n
		}
	}
	if n, err := strconv.Atoi(task["SLURM_CPUS_ON_NODE"]); err == nil && n > 0 {
		return n
	}
	if r == nil || r.NomadResources == nil {
		return 1
	}
	shares := r.NomadResources.Cpu.CpuShares
	if c.NumCores <= 0 || c.TotalCompute <= 0 || shares <= 0 {
		return 1
	}
	perCore := int64(c.TotalCompute) / int64(c.NumCores)
	if perCore <= 0 {
		return 1
	}
	return max(1, int((shares+perCore-1)/perCore))
}

// shortHostname is what slurmstepd expands %N to: this host's short
// name, which need not be the node's name; node when there is none.
func shortHostname(node string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return node
	}
	short, _, _ := strings.Cut(host, ".")
	return short
}

// patternVars are the values the job's file name patterns expand with,
// read from the environment the coordinator set; host is %N.
func patternVars(env map[string]string, host string) jobspec.PatternVars {
	node := host
	num := func(k string, def int64) int64 {
		if n, err := strconv.ParseInt(env[k], 10, 64); err == nil {
			return n
		}
		return def
	}
	return jobspec.PatternVars{
		JobID:       num("SLURM_JOB_ID", 0),
		ArrayJobID:  num("SLURM_ARRAY_JOB_ID", 0),
		ArrayTaskID: int(num("SLURM_ARRAY_TASK_ID", -1)),
		JobName:     env["SLURM_JOB_NAME"],
		User:        env["SLURM_JOB_USER"],
		Node:        node,
		StepID:      jobspec.BatchStepID,
	}
}

// fileNames expands the task's output, error and input patterns as
// slurmstepd does for the batch step. An empty output means Slurm's
// default; an empty error or input stays empty (the output file,
// /dev/null).
func fileNames(tc *TaskConfig, v jobspec.PatternVars) (out, errName, in string) {
	pattern := tc.Output
	if pattern == "" {
		pattern = "slurm-%j.out"
		if v.ArrayTaskID >= 0 {
			pattern = "slurm-%A_%a.out"
		}
	}
	out = jobspec.ExpandPattern(pattern, v)
	if tc.Error != "" {
		errName = jobspec.ExpandPattern(tc.Error, v)
	}
	if tc.Input != "" {
		in = jobspec.ExpandPattern(tc.Input, v)
	}
	return out, errName, in
}
