package sbatch

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

func TestSbatchSubmits(t *testing.T) {
	script := slurmtest.WriteScript(t, "#!/bin/bash\n#SBATCH -J fromscript -t 10\necho hi\n")
	cases := []struct {
		name     string
		args     []string
		env      []string
		stdin    string
		code     int
		out, err string
	}{
		{name: "plain", args: []string{script, "a", "b"}, out: "Submitted batch job 101\n"},
		{name: "parsable", args: []string{"--parsable", script}, out: "101\n"},
		{name: "quiet", args: []string{"-Q", script}, out: ""},
		{name: "test only", args: []string{"--test-only", "-p", "gpu", script}, err: "sbatch: Job 101 to start at 2026-11-21T18:41:55 using 1 processors on nodes (any) in partition gpu\n"},
		{name: "wrap", args: []string{"--wrap", "hostname", "-J", "w"}, out: "Submitted batch job 101\n"},
		{name: "stdin", stdin: "#!/bin/sh\n#SBATCH -J fromstdin\n", out: "Submitted batch job 101\n"},
		{name: "bad option value", args: []string{"-t", "bogus", script}, code: 255, err: "sbatch: error: <command line>:1:11: --time: invalid time limit"},
		{name: "missing script", args: []string{"/nonexistent/job.sh"}, code: 1, err: "sbatch: error: Unable to open file /nonexistent/job.sh\n"},
		{name: "version", args: []string{"-V"}, out: "slurm 22.05.8\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &slurmtest.FakeClient{}
			code, out, errs := runCmd(t, slurmtest.Deps(f), c.stdin, c.env, append([]string{"sbatch"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errs)
			}
			if out != c.out {
				t.Errorf("stdout %q, want %q", out, c.out)
			}
			if !strings.Contains(errs, c.err) || c.err == "" && errs != "" {
				t.Errorf("stderr %q, want %q", errs, c.err)
			}
		})
	}
}

func TestSbatchRequest(t *testing.T) {
	script := slurmtest.WriteScript(t, "#!/bin/bash\n#SBATCH -J fromscript\necho hi\n")
	f := &slurmtest.FakeClient{}
	env := []string{"HOME=/home/alice", "SECRET=x", "SLURM_X=1", "TZ=Europe/Berlin"}
	code, _, errs := runCmd(t, slurmtest.Deps(f), "", env, "sbatch", "--export=NONE", "-t", "5", script, "arg1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r := f.Submits[0]
	if !slices.Equal(r.Args, []string{"--export=NONE", "-t", "5"}) || !slices.Equal(r.ScriptArgs, []string{"arg1"}) ||
		r.ScriptName != script || !strings.Contains(string(r.Script), "echo hi") {
		t.Errorf("request = %+v", r)
	}
	// --export=NONE: the SLURM_* variables, and sbatch's umask.
	if len(r.Env) != 2 || r.Env[0] != "SLURM_X=1" || !strings.HasPrefix(r.Env[1], "SLURM_UMASK=0") {
		t.Errorf("env = %v", r.Env)
	}
	if r.Cwd != "/home/alice" || r.SubmitHost != "login1" || r.TimeZone != "Europe/Berlin" {
		t.Errorf("context = %q %q %q", r.Cwd, r.SubmitHost, r.TimeZone)
	}
}

func TestSbatchRejected(t *testing.T) {
	script := slurmtest.WriteScript(t, "#!/bin/bash\necho hi\n")
	f := &slurmtest.FakeClient{FailWith: &api.Error{Code: api.CodeInvalidRequest, Message: `invalid partition name specified: "nosuch" (partitions: batch, gpu)`}}
	code, _, errs := runCmd(t, slurmtest.Deps(f), "", nil, "sbatch", "-p", "nosuch", script)
	if code != 1 || errs != "sbatch: error: Batch job submission failed: Invalid partition name specified\n" {
		t.Errorf("exit %d, %q", code, errs)
	}
}

// waitClient answers --wait's polls with a finished job.
type waitClient struct {
	slurmtest.FakeClient
	polls int
	final []*state.Job
}

func (w *waitClient) JobsAll(ctx context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error) {
	w.polls++
	if w.polls < 3 {
		return []*state.Job{{ID: 101, State: state.StateRunning, ArrayTaskID: state.NoTask}}, &api.QueryMeta{LastIndex: uint64(w.polls)}, nil
	}
	return w.final, &api.QueryMeta{LastIndex: uint64(w.polls)}, nil
}

func TestSbatchWait(t *testing.T) {
	script := slurmtest.WriteScript(t, "#!/bin/bash\nexit 3\n")
	cases := []struct {
		name  string
		final []*state.Job
		code  int
	}{
		{"exit code", []*state.Job{{ID: 101, State: state.StateFailed, ExitCode: 3, ArrayTaskID: state.NoTask}}, 3},
		{"success", []*state.Job{{ID: 101, State: state.StateCompleted, ArrayTaskID: state.NoTask}}, 0},
		{"signal", []*state.Job{{ID: 101, State: state.StateCancelled, ExitSignal: 9, ArrayTaskID: state.NoTask}}, 1},
		{"array max", []*state.Job{
			{ID: 101, ArrayJobID: 101, ArrayTaskID: 1, State: state.StateFailed, ExitCode: 2},
			{ID: 102, ArrayJobID: 101, ArrayTaskID: 2, State: state.StateFailed, ExitCode: 7},
		}, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &waitClient{final: c.final}
			code, out, errs := runCmd(t, slurmtest.Deps(w), "", nil, "sbatch", "--wait", script)
			if code != c.code || out != "Submitted batch job 101\n" {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q", code, c.code, out, errs)
			}
		})
	}
}
