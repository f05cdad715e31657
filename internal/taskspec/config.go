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
}

// ToMap is the config as Nomad's API takes a task's config (api.Task's
// Config), keyed by the codec tags.
func (c *Config) ToMap() map[string]any {
	return map[string]any{
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
}
