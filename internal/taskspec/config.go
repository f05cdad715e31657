package taskspec

// Config is a task's `config` block: the coordinator fills it, the driver
// decodes it (with the codec tags, against the driver's hclspec, whose keys
// are these tags). Values are as the driver reads them: the executor
// escapes what Nomad would interpolate before it sends them.
type Config struct {
	// Script is the batch script's text.
	Script string `codec:"script"`
	// ScriptName is the script's file name in the task directory
	// (default slurm_script, as slurmd names it); $0 in the script.
	ScriptName string `codec:"script_name"`
	// Args are the script's arguments.
	Args []string `codec:"args"`
	// Workdir is where the script runs (--chdir, else the submit
	// directory); absolute. Empty: SLURM_SUBMIT_DIR, else the task dir.
	Workdir string `codec:"workdir"`
	// Output, Error and Input are Slurm file name patterns (%j, %x,
	// ...), relative to the working directory. Empty Output:
	// slurm-%j.out (slurm-%A_%a.out for an array task); empty Error:
	// the output file; empty Input: /dev/null.
	Output string `codec:"output"`
	Error  string `codec:"error"`
	Input  string `codec:"input"`
	// OpenMode is "truncate" (default) or "append" (also "t"/"a").
	OpenMode string `codec:"open_mode"`
	// TimeLimitMin is the time limit in minutes (0: none); it sets
	// SLURM_JOB_END_TIME and names a stop at the limit as Slurm does.
	TimeLimitMin int `codec:"time_limit_min"`
	// Env is the job's environment, exactly as the coordinator built it
	// (JobEnv); nil: the Nomad task's env is used instead.
	Env map[string]string `codec:"env"`

	// The layout of a multi-node job (Nodes >= 2); all zero for a job on
	// one node, whose config keeps its one-node keys only (ToMap leaves
	// these out), so a driver without them still runs every one-node job.
	//
	// Nodes is the job's node count (SLURM_NNODES): the Nomad group's
	// count, one allocation per node.
	Nodes int `codec:"nodes"`
	// NTasks is the job's task count (-n, else --ntasks-per-node x
	// Nodes, else one per node); NTasksPerNode is --ntasks-per-node (0:
	// not given: the tasks are spread as Slurm's block distribution does);
	// CPUsPerTask is -c (0: not given); CPUsPerNode is the CPUs reserved
	// on each node (SLURM_JOB_CPUS_PER_NODE, one value per node).
	NTasks        int `codec:"ntasks"`
	NTasksPerNode int `codec:"ntasks_per_node"`
	CPUsPerTask   int `codec:"cpus_per_task"`
	CPUsPerNode   int `codec:"cpus_per_node"`
	// StepService is the Nomad service every allocation of the job
	// registers its step daemon's port under ("hpcbridge-step-<nomad job
	// id>"); the peers template (secrets/hpcbridge-peers) lists it.
	StepService string `codec:"step_service"`

	// Files and checkpoints (docs/files.md, docs/checkpoints.md): all
	// empty for a job the coordinator gives no credentials (ToMap leaves
	// them out then).
	//
	// Coordinator is the coordinator's API URLs, comma separated, that
	// the driver talks to for this run; RunToken the run's own secret (an
	// ACL token of type "run", valid for this job's run only, deleted
	// when the run ends). The driver keeps both from the job: they are
	// never in the job's environment or files.
	Coordinator string `codec:"coordinator"`
	RunToken    string `codec:"run_token"`
	// JobID is the Slurm job id; Run the run (the job's restart count).
	JobID int `codec:"job_id"`
	Run   int `codec:"run"`
	// StagedInput is the digest of the submit directory's manifest for a
	// job of a staged partition ("sha256:..."): the driver restores it
	// as the working directory before the script starts and sends back
	// what the job created or changed. Empty: a shared partition.
	StagedInput string `codec:"staged_input"`
	// Restore is the digest of the checkpoint manifest to restore before
	// the script starts (a requeued run's last committed checkpoint);
	// empty: none.
	Restore string `codec:"restore"`
	// CheckpointDir is where the job's checkpoint lives, relative to its
	// working directory (empty: the working directory itself).
	CheckpointDir string `codec:"checkpoint_dir"`
}

// Multi-node files a multi-node task finds in its secrets directory,
// rendered by Nomad's client from the templates the coordinator adds.
const (
	// PeersFile lists the job's step daemons, one per line:
	// "<node name> <address> <port> <alloc id>".
	PeersFile = "hpcbridge-peers"
	// StepKeyFile holds the run's step key (64 hex digits), 0600.
	StepKeyFile = "hpcbridge-step.key"
	// StepKeyVar is the Nomad Variable's item that holds the key, at
	// nomad/jobs/<nomad job id>.
	StepKeyVar = "step_key"
	// StepPortLabel is the group's dynamic port of the step daemon.
	StepPortLabel = "hpcbridge_step"
)

// ToMap is the config as Nomad's API takes a task's config (api.Task's
// Config), keyed by the codec tags.
func (c *Config) ToMap() map[string]any {
	m := map[string]any{
		"script":         c.Script,
		"script_name":    c.ScriptName,
		"args":           c.Args,
		"workdir":        c.Workdir,
		"output":         c.Output,
		"error":          c.Error,
		"input":          c.Input,
		"open_mode":      c.OpenMode,
		"time_limit_min": c.TimeLimitMin,
		"env":            c.Env,
	}
	if c.Nodes > 1 {
		m["nodes"] = c.Nodes
		m["ntasks"] = c.NTasks
		m["ntasks_per_node"] = c.NTasksPerNode
		m["cpus_per_task"] = c.CPUsPerTask
		m["cpus_per_node"] = c.CPUsPerNode
		m["step_service"] = c.StepService
	}
	if c.Coordinator != "" {
		m["coordinator"] = c.Coordinator
		m["run_token"] = c.RunToken
		m["job_id"] = c.JobID
		m["run"] = c.Run
		m["staged_input"] = c.StagedInput
		m["restore"] = c.Restore
		m["checkpoint_dir"] = c.CheckpointDir
	}
	return m
}
