package jobdir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// StepdConfig is what the driver tells the stepd shim about one batch job.
// The job's environment is not in it: the executor gives stepd the job's
// environment as its own, and stepd passes it on to the script.
type StepdConfig struct {
	// TaskDir is the Nomad task directory; the job runs there when
	// Workdir does not exist, and relative file names are then resolved
	// against it.
	TaskDir string `json:"task_dir"`
	// JobID and Node name the job and the node in slurmstepd's messages.
	JobID string `json:"job_id"`
	Node  string `json:"node"`

	// Script is the batch script's path; Interpreter its #! line split
	// as the kernel splits it (interpreter, then at most one argument),
	// or /bin/sh when it has none. Args follow the script path.
	Script      string   `json:"script"`
	Interpreter []string `json:"interpreter"`
	Args        []string `json:"args"`

	// Workdir is the working directory the job asked for.
	Workdir string `json:"workdir"`
	// Output, Error and Input are the file names with their patterns
	// already expanded; relative names are relative to the working
	// directory. Error "" means the output file; Input "" means
	// /dev/null. Append selects --open-mode=append.
	Output string `json:"output"`
	Error  string `json:"error"`
	Input  string `json:"input"`
	Append bool   `json:"append"`

	// User, UID, GID and Groups are the run-as user's.
	User   string `json:"user"`
	UID    int    `json:"uid"`
	GID    int    `json:"gid"`
	Groups []int  `json:"groups"`

	// Exec is the path of the exec trampoline (the srun link), which the
	// run-as user can execute.
	Exec string `json:"exec"`

	// Start and TimeLimit (0: none) date the job: a stop at or after
	// Start+TimeLimit is reported as Slurm reports a time-limit kill.
	Start     time.Time     `json:"start"`
	TimeLimit time.Duration `json:"time_limit"`
}

// WriteJSON writes v to path atomically (a temporary file renamed over
// it), readable by root only.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadJSON reads path into v.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// Result is how the batch script ended, as stepd saw it.
type Result struct {
	ExitCode int `json:"exit_code"`
	// Signal is the signal that killed the script (0: it exited).
	Signal int `json:"signal"`
	// OOMKills counts the out-of-memory kills in the job's memory cgroup
	// while it ran (Slurm reports the job OUT_OF_MEMORY when it is > 0,
	// even if the script itself survived).
	OOMKills int `json:"oom_kills"`
}
