package proc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/sandbox"
)

// ExecName is argv[0] of the exec trampoline: the plugin binary started
// under this name sets SLURM_TASK_PID to its own pid and replaces itself
// with the task, as slurmstepd does between fork and exec. Go cannot change
// a child's environment after fork, so the child does it itself.
const ExecName = "hpcbridge-exec"

// Exec modes: how the command is found and how a failure is reported.
const (
	// ExecBatch runs a batch script through its interpreter: argv[0] is the
	// interpreter (from the #! line, or /bin/sh) and the script path follows
	// it; the script path is the last argument before the user's own.
	ExecBatch = "batch"
	// ExecTask runs an srun task: argv[0] is looked up in the task's PATH.
	ExecTask = "task"
	// ExecFile runs the file SCRIPT names with argv (argv[0] its name:
	// the plugin binary as the checkpoint file helper). Sandbox only.
	ExecFile = "file"
)

// ExecArgs builds the trampoline's argument vector (after argv[0]) for
// running argv in the given mode; script is the batch script path (ExecBatch
// only, for error messages); oomScoreAdj, when not empty, is written to
// /proc/self/oom_score_adj first (stepd protects itself from the OOM killer
// and gives the job back the score it had).
func ExecArgs(mode, script, oomScoreAdj string, argv []string) []string {
	return append([]string{mode, script, oomScoreAdj}, argv...)
}

// ExecMain is the trampoline: args are what ExecArgs built. It only returns
// when the exec failed, with slurmstepd's exit status for that case (the
// errno) after printing slurmstepd's message to stderr.
func ExecMain(args []string) int {
	if len(args) > 0 && args[0] == ScrubArg {
		return scrubMain(args[1:])
	}
	// The session keyring is a per-thread credential: the one given below
	// must be the one that executes.
	lockThread()
	if len(args) < 4 {
		fmt.Fprintf(os.Stderr, "%s: internal error: want MODE SCRIPT OOM_SCORE_ADJ ARGV..., got %q\n", ExecName, args)
		return 1
	}
	if args[0] == sandbox.Arg {
		return sandboxMain(args[1:])
	}
	mode, script, oom, argv := args[0], args[1], args[2], args[3:]
	if oom != "" {
		_ = os.WriteFile("/proc/self/oom_score_adj", []byte(oom), 0)
	}
	env := append(os.Environ(), "SLURM_TASK_PID="+strconv.Itoa(os.Getpid()))
	node := os.Getenv("SLURMD_NODENAME")
	if mode == ExecTask {
		env = chdirTask(env, os.Stderr, node)
	}
	if mode == ExecBatch {
		env = WithUserEnv(env, os.Stderr, node) // as the job's user
	}
	if err := newSessionKeyring(); err != nil {
		return ExecFailure(os.Stderr, node, mode, script, argv[0], err)
	}
	if err := closeInherited(); err != nil {
		return ExecFailure(os.Stderr, node, mode, script, argv[0], err)
	}
	err := execve(mode, argv, env)
	return ExecFailure(os.Stderr, node, mode, script, argv[0], err)
}

// SandboxArgs is the trampoline's argument vector (after argv[0]) for a
// job in a sandbox: stepd starts it as root, in a mount namespace of its
// own, with a fixed environment and the sandbox.Payload (the spec and the
// job's environment) on descriptor sandbox.PayloadFD; cwd is the working
// directory inside the sandbox.
func SandboxArgs(cwd, mode, script, oomScoreAdj string, argv []string) []string {
	return append([]string{sandbox.Arg, cwd}, ExecArgs(mode, script, oomScoreAdj, argv)...)
}

// sandboxMain builds the job's sandbox as root, drops to the job's ids
// for good and runs it as the plain trampoline would. The job's
// environment is only ever given to the job's program.
func sandboxMain(args []string) int {
	lockThread() // see ExecMain
	p, err := sandbox.ReadPayload()
	node := ""
	if p != nil {
		node = lookup(p.Env, "SLURMD_NODENAME")
	}
	if err == nil && len(args) < 5 {
		err = fmt.Errorf("internal error: want CWD MODE SCRIPT OOM_SCORE_ADJ ARGV..., got %q", args)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", StepdName(node), err)
		return 1
	}
	cwd, mode, script, oom, argv := args[0], args[1], args[2], args[3], args[4:]
	if oom != "" {
		_ = os.WriteFile("/proc/self/oom_score_adj", []byte(oom), 0)
	}
	// The file helper (the driver's own program, in root's directory) is
	// opened here, in the host's view: in the sandbox the parts of its
	// path above the job's directories may be the job's (a data_dir below
	// /tmp), and it is started as root there.
	helper := -1
	if mode == ExecFile {
		if helper, err = unix.Open(script, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			fmt.Fprintf(os.Stderr, "%s: error: open %s: %v: the job is not started\n", StepdName(node), script, err)
			return 1
		}
	}
	if err := sandbox.Enter(&p.Spec, cwd); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v: the job is not started\n", StepdName(node), err)
		return 1
	}
	// The file helper drops to the job's ids itself, after its exec
	// (DropHelper): a process whose ids change is not dumpable, so the
	// job can neither trace it nor see it in its /proc. Started as the
	// job's uid, the job could trace it from its first instruction and run
	// code outside its cgroups (the helper is the driver's child).
	if mode != ExecFile {
		if err := sandbox.Drop(p.Spec.UID, p.Spec.GID); err != nil {
			fmt.Fprintf(os.Stderr, "%s: error: %v: the job is not started\n", StepdName(node), err)
			return 1
		}
	}
	// Not stepd's session keyring (root's keys), nor the uid's user-session
	// keyring (what a previous job of the uid left): a new, empty one.
	if err := newSessionKeyring(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: sandbox: %v: the job is not started\n", StepdName(node), err)
		return 1
	}
	// Only its standard files: nothing its ancestors held open.
	if err := closeInherited(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: sandbox: %v: the job is not started\n", StepdName(node), err)
		return 1
	}
	env := append(p.Env, "SLURM_TASK_PID="+strconv.Itoa(os.Getpid()))
	switch mode {
	case ExecTask:
		env = chdirTask(env, os.Stderr, node)
	case ExecFile:
		env = append(env, EnvHelperIDs+"="+strconv.Itoa(p.Spec.UID)+":"+strconv.Itoa(p.Spec.GID))
		err := syscall.Exec("/proc/self/fd/"+strconv.Itoa(helper), argv, env)
		return ExecFailure(os.Stderr, node, mode, script, script, err)
	case ExecBatch:
		// There is no account to log in to: say so as slurmd does when
		// it cannot get the user's environment.
		env = withUserEnv(env, os.Stderr, node, func() ([]string, error) {
			return nil, fmt.Errorf("no account on this node: the job runs in a sandbox as uid %d", p.Spec.UID)
		})
	}
	err = execve(mode, argv, env)
	return ExecFailure(os.Stderr, node, mode, script, argv[0], err)
}

func execve(mode string, argv, env []string) error {
	path := argv[0]
	if mode == ExecTask && !strings.Contains(path, "/") {
		lp, err := lookPath(path, lookup(env, "PATH"))
		if err != nil {
			return syscall.ENOENT
		}
		path = lp
	}
	return syscall.Exec(path, argv, env)
}

// lookPath finds name in the absolute directories of path (the task's
// PATH, which in a sandbox is not the trampoline's own).
func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue // as exec.LookPath's ErrDot: never the working directory
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// ExecFailure prints slurmstepd's message for a failed execve to w and
// returns the exit status slurmstepd gives the task: the errno (1 when
// there is none). For a batch script whose interpreter is missing, Slurm
// names the interpreter ("bad interpreter(/usr/bin/foo)").
func ExecFailure(w io.Writer, node, mode, script, cmd string, err error) int {
	code := 1
	var errno syscall.Errno
	if errors.As(err, &errno) && errno != 0 {
		code = int(errno)
	}
	what := cmd
	if mode == ExecBatch {
		what = script
		if errors.Is(err, syscall.ENOENT) && cmd != script {
			what = "bad interpreter(" + cmd + ")"
		}
	}
	fmt.Fprintf(w, "%s: error: execve(): %s: %s\n", StepdName(node), what, Strerror(err))
	return code
}

// StepdName is how slurmstepd names itself in messages on node:
// "slurmstepd-NODE" ("slurmstepd" when the node name is unknown).
func StepdName(node string) string {
	if node == "" {
		return "slurmstepd"
	}
	return "slurmstepd-" + node
}

// EnvTaskCwd, in a remote task's environment, is the working directory
// srun asked for; the trampoline, already the job's user, changes to it,
// or stays where stepd started it (the node's task directory) when it
// cannot, with slurmstepd's message. The variable is removed.
const EnvTaskCwd = "HPCBRIDGE_TASK_CWD"

// chdirTask applies EnvTaskCwd and returns env without it (PWD set to
// where the task runs).
func chdirTask(env []string, errw io.Writer, node string) []string {
	want, found := "", false
	out := env[:0:0]
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, EnvTaskCwd+"="); ok {
			want, found = v, true
			continue
		}
		out = append(out, kv)
	}
	if !found {
		return env
	}
	here, _ := os.Getwd()
	if err := os.Chdir(want); err != nil {
		fmt.Fprintf(errw, "%s: error: couldn't chdir to `%s': %s: going to %s instead\n", StepdName(node), want, Strerror(err), here)
	} else {
		here = want
	}
	for i, kv := range out {
		if strings.HasPrefix(kv, "PWD=") {
			out[i] = "PWD=" + here
		}
	}
	return out
}
