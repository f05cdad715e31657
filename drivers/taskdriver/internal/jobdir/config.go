package jobdir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/sandbox"
)

// StepdConfig is what the driver tells the stepd shim about one batch job.
// It lives in the root-only control directory. stepd runs as root with a
// fixed, clean environment of its own (see StepdEnv): the job's
// environment, which the submitter chose, travels here and is given only
// to the job's processes, after they dropped root.
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

	// Env is the batch script's environment (KEY=value), the submitter's
	// included. stepd never applies it to itself.
	Env []string `json:"env"`
	// Umask is the submitter's umask (SLURM_UMASK), -1 for none: the
	// output files and the script get it.
	Umask int `json:"umask"`

	// Start and TimeLimit (0: none) date the job: a stop at or after
	// Start+TimeLimit is reported as Slurm reports a time-limit kill.
	Start     time.Time     `json:"start"`
	TimeLimit time.Duration `json:"time_limit"`

	// DeviceCgroup, when set, is the cgroup v1 devices cgroup that keeps
	// the job off the NVIDIA GPUs it was not given: stepd joins it before
	// anything of the job runs, or does not start the job.
	DeviceCgroup string `json:"device_cgroup,omitempty"`

	// Multi is set for a job of two or more nodes (see multinode.go).
	Multi *MultiNode `json:"multi,omitempty"`

	// Sandbox, on a node with `sandbox = true`, is the job's file-system
	// view: stepd starts the script and every step task through the
	// trampoline as root in a mount namespace of its own, which builds it
	// and drops to the job's uid (internal/sandbox).
	Sandbox *sandbox.Spec `json:"sandbox,omitempty"`
	// Limits, with Sandbox, are enforced on the task's cgroups before the
	// job starts; a limit that cannot be set keeps the job from starting.
	Limits *Limits `json:"limits,omitempty"`
}

// Limits are a sandboxed job's resource limits.
type Limits struct {
	// MemoryBytes is the job's memory (its --mem, Nomad's memory): the
	// hard limit, with no swap on top (memory_max is not honoured).
	MemoryBytes int64 `json:"memory_bytes"`
	// CPUs is the job's CPUs as a CFS quota (CPUs periods per period); 0
	// is none.
	CPUs int `json:"cpus"`
	// Pids bounds the job's tasks (processes and threads).
	Pids int64 `json:"pids"`
	// PidsCgroup, on cgroup v1 (where Nomad makes no pids cgroup), is the
	// pids cgroup the driver made for the task with pids.max set: stepd
	// joins it; the driver removes it when the task is over.
	PidsCgroup string `json:"pids_cgroup,omitempty"`
}

// StepdEnv is the whole environment of the processes the driver runs as
// root (stepd): nothing of the job's. A dynamic loader, iconv or locale
// variable from a submitter would otherwise run code as root.
func StepdEnv(extra ...string) []string {
	return append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, extra...)
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
	// Error is slurmstepd's message when the job could not be launched
	// (its output not opened, the script not started); the driver
	// reports it with the exit result, and the coordinator shows it as
	// the job's reason.
	Error string `json:"error,omitempty"`
}
