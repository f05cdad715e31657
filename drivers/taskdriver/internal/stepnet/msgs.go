package stepnet

// Limits on what one launch may ask of a node.
const (
	MaxTasksPerNode = 1024
	MaxArgs         = 4096
)

// MaxStdin is the most one Stdin frame carries: srun sends a task's stdin
// in chunks of at most this, and a node's step service refuses a larger
// one, so that its queue of a task's stdin holds a few MiB at most.
const MaxStdin = 32 << 10

// Pong answers a ping: who the node is.
type Pong struct {
	Node string `json:"node"`
	Job  string `json:"job"`
}

// Launch asks a node's stepd to start the tasks of one step that run on
// it. The tasks run as that node's run-as user for the job, whatever the
// request says; the request only chooses what the job's user could choose
// anyway (command, environment, directory).
type Launch struct {
	Job    string `json:"job"`
	StepID int    `json:"step_id"`
	// Tasks are this node's tasks, in rank order.
	Tasks []Task `json:"tasks"`
	// Cwd is the tasks' working directory: "" is the node's task
	// directory; the tasks stay there, with slurmstepd's message, when
	// they cannot change to Cwd.
	Cwd string `json:"cwd"`
	// SrunBin is the bin directory on srun's node: the node replaces it
	// in PATH with its own.
	SrunBin string `json:"srun_bin"`
}

// Task is one task of a launch.
type Task struct {
	Rank int      `json:"rank"`
	Argv []string `json:"argv"`
	Env  []string `json:"env"`
	// Stdin: srun forwards stdin to this task (else /dev/null).
	Stdin bool `json:"stdin"`
	// Stdout and Stderr: send the stream back (else /dev/null).
	Stdout bool `json:"stdout"`
	Stderr bool `json:"stderr"`
}

// Launched answers a launch: "" when every task started.
type Launched struct {
	Error string `json:"error,omitempty"`
}

// Signal asks for a signal to every task of the step on the node.
type Signal struct {
	Signal int `json:"signal"`
}

// Exit is how a task ended: its raw wait status (syscall.WaitStatus).
type Exit struct {
	Status int `json:"status"`
}
