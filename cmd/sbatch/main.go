// Command sbatch is hpcbridge's sbatch as a program of its own, for the
// command that runs once per job: workflow tools start thousands of them.
// hpcbridge, which links the coordinator, Raft and Nomad's client, spends
// longer starting up than a submission takes; this program links the
// parser and a plain HTTP/1.1 client (bridge/api/wire) and nothing else.
//
// It submits a batch script itself: parse it with jobspec, POST /v1/jobs,
// print the job id. Everything else it hands to hpcbridge (next to it,
// else in PATH), which behaves as sbatch under that name, with the same
// arguments and environment: --help, --usage, --version, --parse-only, a
// script on standard input, a script or options with warnings or errors,
// --test-only, --wait, a coordinator it cannot reach, and a submission the
// coordinator refused (nothing was committed: hpcbridge submits again and
// reports as sbatch does). A submission whose outcome is unknown (the
// connection or the leader lost after the request was sent) is reported
// here and not repeated.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api/wire"
	"github.com/hpcbridge/hpcbridge/internal/slurmcli"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

func main() {
	os.Exit(run(os.Args[1:], streams{out: os.Stdout, err: os.Stderr, env: os.Environ()}, realDeps()))
}

// streams are the command's output streams and environment.
type streams struct {
	out, err io.Writer
	env      []string
}

// deps are what run takes from the process's surroundings.
type deps struct {
	now      func() time.Time
	getwd    func() (string, error)
	hostname func() (string, error)
	// currentUser is the local caller's user name: the job's owner.
	currentUser func() (string, error)
	// handOff runs hpcbridge as sbatch with args, in place of this
	// process; it returns only when that failed.
	handOff func(args []string, s streams) int
}

func realDeps() deps {
	return deps{now: time.Now, getwd: os.Getwd, hostname: os.Hostname, currentUser: currentUser, handOff: execHPCBridge}
}

// handOffOptions are the options only hpcbridge answers.
var handOffOptions = []string{"--parse-only", "-h", "--help", "--usage", "-V", "--version"}

// run submits the job args describe, or hands it to hpcbridge; it
// returns the exit status.
func run(args []string, s streams, d deps) int {
	opts, script, scriptArgs := jobspec.SplitCommandLine(args)
	wrap := slurmcli.HasWrap(opts)
	if slices.ContainsFunc(opts, func(o string) bool { return slices.Contains(handOffOptions, o) }) ||
		!wrap && (script == "" || script == "-") {
		return d.handOff(args, s)
	}
	sub := slurmcli.Submission{Args: opts, ScriptArgs: scriptArgs, Env: s.env, Now: d.now()}
	if !wrap {
		body, err := os.ReadFile(script)
		if err != nil {
			return d.handOff(args, s)
		}
		sub.ScriptName, sub.Script = script, body
	}
	spec, diags := sub.Parse()
	if spec == nil || len(diags) > 0 || spec.Wait || spec.TestOnly {
		return d.handOff(args, s)
	}
	cwd, err := d.getwd()
	if err != nil {
		return d.handOff(args, s)
	}
	sub.Cwd = cwd
	sub.Host, _ = d.hostname()
	sub.User, _ = d.currentUser()
	body, err := json.Marshal(sub.Request(spec))
	if err != nil {
		return d.handOff(args, s)
	}
	status, reply, err := wire.Post(context.Background(), wire.FromEnv(s.env), "/v1/jobs", body)
	var notSent *wire.NotSentError
	switch {
	case errors.As(err, &notSent):
		return d.handOff(args, s)
	case err != nil:
		slurmcli.Unreachable(s.err, err)
		return 1
	case status >= 200 && status < 300:
		var resp wire.SubmitResponse
		switch err := json.Unmarshal(reply, &resp); {
		case err == nil && resp.TestOnly:
			// Validated only, nothing committed: as hpcbridge reports it.
			return d.handOff(args, s)
		case err != nil || resp.JobID == 0:
			slurmcli.Unreachable(s.err, fmt.Errorf("hpcbridge: submit reply %.200q", reply))
			return 1
		}
		slurmcli.Submitted(s.out, spec, resp.JobID)
		return 0
	}
	var e wire.ErrorReply
	_ = json.Unmarshal(reply, &e)
	if e.Error == nil {
		e.Error = &wire.ErrorDetail{Message: fmt.Sprintf("HTTP status %d: %.200q", status, reply)}
	}
	if status < 500 || e.Error.Code == wire.CodeNotLeader {
		// Refused before anything was committed: hpcbridge submits again
		// and reports the refusal as sbatch does.
		return d.handOff(args, s)
	}
	slurmcli.SubmitFailed(s.err, e.Error.Code, e.Error.Message, e.Error.Diagnostics)
	return 1
}

// execHPCBridge replaces the process with hpcbridge running as sbatch.
func execHPCBridge(args []string, s streams) int {
	path, err := hpcbridgePath()
	if err == nil {
		err = execAs(path, append([]string{"sbatch"}, args...), s.env)
	}
	fmt.Fprintf(s.err, "sbatch: error: cannot run hpcbridge, which answers what this sbatch does not: %v\n", err)
	return 1
}

// hpcbridgePath finds hpcbridge next to this program, else in PATH.
func hpcbridgePath() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "hpcbridge")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return exec.LookPath("hpcbridge")
}

// currentUser names the user this process runs as (by uid, as Slurm
// identifies the submitter).
func currentUser() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	return u.Username, nil
}
