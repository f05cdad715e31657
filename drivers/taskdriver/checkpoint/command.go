package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// Exit statuses of `hpcbridge checkpoint`.
const (
	ExitOK     = 0 // the coordinator committed the checkpoint
	ExitFailed = 1 // nothing was committed; the message says why
	ExitUsage  = 2 // bad options, or not inside a job that can checkpoint
)

// DefaultTimeout bounds a commit the command waits for.
const DefaultTimeout = 30 * time.Minute

// Usage is the command's help.
const Usage = `usage: hpcbridge checkpoint [--quiet] [--timeout DURATION] [PATH...]

Commits the job's checkpoint and returns once the coordinator has committed
it: the PATHs (files or directories inside $HPCBRIDGE_CHECKPOINT_DIR), or
the whole checkpoint directory when none are named. Only what changed since
the last commit is uploaded. A requeued run finds the last committed
checkpoint restored in $HPCBRIDGE_CHECKPOINT_DIR before its script starts.

Runs inside a batch job on an hpcbridge node (it talks to the node's driver
through $HPCBRIDGE_CHECKPOINT_SOCKET).

  -q, --quiet             print nothing when the commit succeeds
      --timeout DURATION  give up after DURATION (default 30m)

Exit status: 0 committed, 1 not committed (the message says why), 2 usage.
`

// Options are the command's parsed arguments.
type Options struct {
	Paths   []string
	Quiet   bool
	Timeout time.Duration
	Help    bool
}

// ParseArgs reads the command's arguments (after "checkpoint").
func ParseArgs(args []string) (Options, error) {
	o := Options{Timeout: DefaultTimeout}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.Paths = append(o.Paths, args[i+1:]...)
			return o, nil
		case a == "-h" || a == "--help" || a == "-help":
			o.Help = true
		case a == "-q" || a == "--quiet":
			o.Quiet = true
		case a == "--timeout" || strings.HasPrefix(a, "--timeout="):
			v, ok := strings.CutPrefix(a, "--timeout=")
			if !ok {
				if i+1 >= len(args) {
					return o, errors.New("--timeout needs a duration (e.g. 10m)")
				}
				i++
				v = args[i]
			}
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return o, fmt.Errorf("--timeout %q: want a positive duration such as 90s or 10m", v)
			}
			o.Timeout = d
		case strings.HasPrefix(a, "-") && a != "-":
			return o, fmt.Errorf("unknown option %s", a)
		default:
			o.Paths = append(o.Paths, a)
		}
	}
	return o, nil
}

// Main is `hpcbridge checkpoint [PATH...]`: args after "checkpoint", env
// the process environment ("NAME=value").
func Main(args []string, stdout, stderr io.Writer, env []string) int {
	o, err := ParseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "hpcbridge checkpoint: %v\n%s", err, Usage)
		return ExitUsage
	}
	if o.Help {
		fmt.Fprint(stdout, Usage)
		return ExitOK
	}
	socket := lookup(env, EnvSocket)
	if socket == "" {
		fmt.Fprintf(stderr, "hpcbridge checkpoint: %s is not set: run it inside a batch job on an hpcbridge node that takes checkpoints\n", EnvSocket)
		return ExitUsage
	}
	paths := make([]string, 0, len(o.Paths))
	for _, p := range o.Paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			fmt.Fprintf(stderr, "hpcbridge checkpoint: %s: %v\n", p, err)
			return ExitUsage
		}
		paths = append(paths, abs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	rep, err := Commit(ctx, socket, paths)
	if err != nil {
		fmt.Fprintf(stderr, "hpcbridge checkpoint: not committed: %v\n", err)
		return ExitFailed
	}
	if !o.Quiet {
		fmt.Fprintln(stdout, Describe(rep))
	}
	return ExitOK
}

// Describe is a committed checkpoint in one line, as the command prints it.
func Describe(rep *Reply) string {
	if rep.Unchanged {
		return fmt.Sprintf("checkpoint unchanged since checkpoint %d (%s): nothing committed", rep.Seq, rep.Digest)
	}
	s := fmt.Sprintf("checkpoint %d committed: %d files, %s, %s uploaded (%s)",
		rep.Seq, rep.Files, Bytes(rep.Size), Bytes(rep.Uploaded), rep.Digest)
	if rep.Clamped && rep.Note != "" {
		s += "; credit clamped: " + rep.Note
	}
	return s
}

// Bytes writes n bytes with a binary unit (12.3 MiB); it is cas.HumanBytes.
func Bytes(n int64) string { return cas.HumanBytes(n) }

func lookup(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// JobName is the name the plugin binary has on a job's PATH for this
// command (a link beside srun).
const JobName = "hpcbridge"

// JobMain is the plugin binary run as "hpcbridge" inside a job: it serves
// `hpcbridge checkpoint` itself and hands anything else to the next
// hpcbridge on the job's PATH (the user's own, for squeue and the rest),
// or says that only checkpoint is here. args is os.Args.
func JobMain(args []string) int {
	if len(args) > 1 && args[1] == "checkpoint" {
		return Main(args[2:], os.Stdout, os.Stderr, os.Environ())
	}
	if next := nextOnPath(os.Getenv("PATH")); next != "" {
		err := syscall.Exec(next, append([]string{next}, args[1:]...), os.Environ())
		fmt.Fprintf(os.Stderr, "hpcbridge: exec %s: %v\n", next, err)
		return ExitFailed
	}
	fmt.Fprintln(os.Stderr, "hpcbridge: inside a job this node provides only `hpcbridge checkpoint [PATH...]`")
	return ExitUsage
}

// nextOnPath finds an executable named hpcbridge on path that is not
// this program (the plugin binary, under any of its links).
func nextOnPath(path string) string {
	var self os.FileInfo
	if exe, err := os.Executable(); err == nil {
		self, _ = os.Stat(exe)
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, JobName)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			continue
		}
		if self != nil && os.SameFile(fi, self) {
			continue
		}
		return p
	}
	return ""
}
