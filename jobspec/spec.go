package jobspec

import "time"

// Spec is the typed meaning of one sbatch submission: what real Slurm would
// record for the script, its command-line options and the SBATCH_* environment.
//
// A nil pointer (or nil slice) means "not given"; defaults that belong to the
// cluster (partition, time limit, node count) are not filled in here. The JSON
// form is the contract printed by `hpcbridge jobspec`.
type Spec struct {
	JobName       *string     `json:"job_name"`
	Partition     *string     `json:"partition"`
	Account       *string     `json:"account"`
	QOS           *string     `json:"qos"`
	NodesMin      *int        `json:"nodes_min"`
	NodesMax      *int        `json:"nodes_max"`
	Ntasks        *int        `json:"ntasks"`
	NtasksPerNode *int        `json:"ntasks_per_node"`
	CPUsPerTask   *int        `json:"cpus_per_task"`
	MemPerNodeMiB *int64      `json:"mem_per_node_mib"`
	MemPerCPUMiB  *int64      `json:"mem_per_cpu_mib"`
	MemPerGPUMiB  *int64      `json:"mem_per_gpu_mib"`
	TimeLimit     *TimeLimit  `json:"time_limit_min"`
	TimeMin       *TimeLimit  `json:"time_min_min"`
	GPUsPerJob    *int        `json:"gpus_per_job"`
	GPUsPerNode   *int        `json:"gpus_per_node"`
	GPUsPerTask   *int        `json:"gpus_per_task"`
	GPUType       *string     `json:"gpu_type"`
	Gres          []string    `json:"gres"`
	Constraint    *string     `json:"constraint"`
	Array         *Array      `json:"array"`
	Dependency    *Dependency `json:"dependency"`
	Requeue       *bool       `json:"requeue"`
	Signal        *Signal     `json:"signal"`
	Output        *string     `json:"output"`
	Error         *string     `json:"error"`
	Input         *string     `json:"input"`
	Chdir         *string     `json:"chdir"`
	Export        *string     `json:"export"`
	Exclusive     *Exclusive  `json:"exclusive"`
	Nice          *int        `json:"nice"`
	Begin         *Begin      `json:"begin"`
	Hold          bool        `json:"hold"`
	MailType      []string    `json:"mail_type"`
	MailUser      *string     `json:"mail_user"`
	OpenMode      *string     `json:"open_mode"`
	ScriptArgs    []string    `json:"script_args"`
	Ignored       []Ignored   `json:"ignored"`
	Warnings      []string    `json:"warnings"`

	// Fields beyond the contract: options the coordinator uses.
	CPUsPerGPU *int    `json:"cpus_per_gpu"`
	Nodelist   *string `json:"nodelist"`
	Exclude    *string `json:"exclude"`
	Comment    *string `json:"comment"`
	Wrap       *string `json:"wrap"`
	Parsable   bool    `json:"parsable"`
	Wait       bool    `json:"wait"`
	TestOnly   bool    `json:"test_only"`
	Quiet      bool    `json:"quiet"`
	Verbose    int     `json:"verbose"`
	// GPURequests are the --gpus, --gpus-per-node and --gpus-per-task
	// values as written ("2", "a100:2" or "a100:2,v100:1"); the counts above
	// are their sums and GPUType joins their types with the --gres types.
	GPURequests [3]string `json:"-"`
	// Other holds sbatch options that are valid but not modelled above
	// (--licenses, --reservation, --hint, ...), by long name, with their
	// last value ("" for options without an argument).
	Other map[string]string `json:"other"`
}

// TimeLimit is a --time or --time-min value in whole minutes (Slurm rounds
// seconds up), or UNLIMITED.
type TimeLimit struct {
	Minutes   int
	Unlimited bool
	// Raw is the value as written, when parsed from one. Slurm computes in
	// 32-bit seconds, so some accepted values (over 71582788 minutes) have
	// no other spelling that reads back the same; Format writes Raw for them.
	Raw string `json:"-"`
}

// Array is a parsed --array value.
type Array struct {
	// Spec is the index expression as Slurm prints it, e.g. "1-999:2%4".
	Spec string `json:"spec"`
	// Count is the number of array tasks.
	Count int `json:"count"`
	// Throttle is the %N limit on simultaneously running tasks, if any.
	Throttle *int `json:"throttle"`
	// Ranges are the index ranges in the order written.
	Ranges []ArrayRange `json:"-"`
}

// ArrayRange is First..Last (inclusive) in steps of Step; Last is always a
// member of the range (Slurm normalises 1-10:4 to 1-9:4).
type ArrayRange struct {
	First, Last, Step int
}

// Dependency is a parsed --dependency expression.
type Dependency struct {
	// Raw is the expression as written.
	Raw string
	// Any is true when the conditions are joined with '?' (any one suffices)
	// rather than ',' (all are required).
	Any bool
	// Conditions in the order written.
	Conditions []DepCondition
}

// DepCondition is one term of a dependency expression, e.g. afterok:12:13.
type DepCondition struct {
	// Type is after, afterany, afterok, afternotok, aftercorr, afterburstbuffer or singleton.
	Type string
	// Jobs are the referenced jobs; empty for singleton.
	Jobs []DepJob
}

// DepJob is one job reference in a dependency, JOBID[_TASK][+MINUTES].
type DepJob struct {
	JobID int64
	// Task is the array index for JOBID_TASK references, or -1.
	Task int
	// DelayMin is the +time suffix in minutes (only for "after").
	DelayMin int
}

// Signal is a parsed --signal=[{R|B}:]sig[@secs] value.
type Signal struct {
	// Signal is the name without the SIG prefix, e.g. "USR1".
	Signal string `json:"signal"`
	// Number is the signal number.
	Number int `json:"-"`
	// Seconds before the time limit at which it is sent (default 60).
	Seconds int `json:"seconds"`
	// BatchOnly is true for B: (only the batch shell is signalled).
	BatchOnly bool `json:"batch_only"`
	// Reservation is true for R: (also signal on reservation end).
	Reservation bool `json:"-"`
}

// Exclusive is the --exclusive mode: "" for the bare flag, or "user", "mcs", "topo".
type Exclusive struct {
	Mode string
}

// Begin is a parsed --begin value, resolved against the submit time.
type Begin struct {
	// At is the resolved start time.
	At time.Time
	// Raw is the value as written.
	Raw string
}

// Ignored is a #SBATCH directive Slurm does not read because it follows the
// first command of the script.
type Ignored struct {
	Line int    `json:"line"`
	Text string `json:"text"`
}
