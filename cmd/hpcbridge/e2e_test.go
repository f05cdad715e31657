package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// e2e runs the Slurm commands against a real API server in-process
// (bridgetest), as user alice: the wiring to api.Client, end to end.
type e2e struct {
	t    *testing.T
	srv  *bridgetest.Server
	deps slurm.Deps
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	srv := bridgetest.Start(t, bridgetest.Options{Partitions: []string{"batch", "gpu"}})
	token := srv.UserToken(t, "alice")
	d := slurmtest.Deps(nil)
	d.Now = time.Now
	d.CurrentUser = func() (string, error) { return "alice", nil }
	d.Connect = func(env []string) (slurm.Client, error) {
		return api.NewClient(&api.Config{Address: srv.URL, Token: token})
	}
	return &e2e{t: t, srv: srv, deps: d}
}

// run runs a command line and fails the test on an unexpected status.
func (e *e2e) run(code int, stdin string, argv ...string) (stdout, stderr string) {
	e.t.Helper()
	got, out, errs := runCmd(e.t, e.deps, stdin, []string{"HOME=/home/alice", "PATH=/bin"}, argv...)
	if got != code {
		e.t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(argv, " "), got, code, out, errs)
	}
	return out, errs
}

func TestEndToEnd(t *testing.T) {
	e := newE2E(t)
	script := slurmtest.WriteScript(t, "#!/bin/bash\n#SBATCH -J e2e -t 10 --mem=2G\nsleep 60\n")

	out, _ := e.run(0, "", "sbatch", "--hold", script)
	if out != "Submitted batch job 1\n" {
		t.Fatalf("sbatch: %q", out)
	}
	out, _ = e.run(0, "", "sbatch", "--parsable", "--array=1-4%2", "-p", "gpu", "--wrap", "hostname")
	if out != "2\n" {
		t.Fatalf("sbatch --parsable: %q", out)
	}
	_, errs := e.run(1, "", "sbatch", "-p", "nosuch", script)
	if !strings.Contains(errs, "sbatch: error: Batch job submission failed: Invalid partition name specified") {
		t.Errorf("bad partition: %q", errs)
	}

	out, _ = e.run(0, "", "squeue")
	want := "" +
		"             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)\n" +
		"                 1     batch      e2e    alice PD       0:00      1 (JobHeldUser)\n" +
		"         2_[1-4%2]       gpu     wrap    alice PD       0:00      1 (Priority)\n"
	if out != want {
		t.Errorf("squeue:\n%s\nwant:\n%s", out, want)
	}
	out, _ = e.run(0, "", "squeue", "-r", "-h", "-o", "%i %t %K", "-j", "2")
	if out != "2_1 PD 1\n2_2 PD 2\n2_3 PD 3\n2_4 PD 4\n" {
		t.Errorf("squeue -r: %q", out)
	}
	e.run(1, "", "squeue", "-j", "99")

	e.run(0, "", "scontrol", "release", "1")
	e.run(0, "", "scontrol", "update", "JobId=1", "TimeLimit=5", "Nice=5")
	out, _ = e.run(0, "", "scontrol", "show", "job", "1")
	for _, w := range []string{"JobId=1 JobName=e2e\n", "Nice=5", "JobState=PENDING", "TimeLimit=00:05:00", "MinMemoryNode=2G", "UserId=alice("} {
		if !strings.Contains(out, w) {
			t.Errorf("scontrol show job lacks %q:\n%s", w, out)
		}
	}
	_, errs = e.run(1, "", "scontrol", "update", "JobId=1", "TimeLimit=60")
	if errs != "Access/permission denied for job 1\n" {
		t.Errorf("raising a time limit: %q", errs)
	}
	_, errs = e.run(1, "", "scontrol", "requeue", "1")
	if errs != "Job is pending execution for job 1\n" {
		t.Errorf("requeue pending: %q", errs)
	}
	_, errs = e.run(1, "", "scontrol", "hold", "99")
	if errs != "Invalid job id specified for job 99\nslurm_suspend error: Invalid job id specified\n" {
		t.Errorf("hold unknown: %q", errs)
	}
	e.run(1, "", "scontrol", "show", "job", "99")

	_, errs = e.run(228, "", "scancel", "-s", "USR1", "1")
	if errs != "scancel: error: Kill job error on job id 1: Job can not be altered now, try again later\n" {
		t.Errorf("signal a pending job: %q", errs)
	}
	e.run(0, "", "scancel", "2_3")
	e.run(0, "", "scancel", "99")
	_, errs = e.run(0, "", "scancel", "-v", "99")
	if !strings.Contains(errs, "Kill job error on job id 99: Invalid job id specified") {
		t.Errorf("scancel -v unknown: %q", errs)
	}
	out, _ = e.run(0, "", "squeue", "-t", "all", "-h", "-o", "%i %T")
	if !strings.Contains(out, "2_3 CANCELLED\n") || !strings.Contains(out, "2_[1-2,4%2] PENDING\n") {
		t.Errorf("after scancel 2_3:\n%s", out)
	}
	e.run(0, "", "scancel", "-u", "alice", "-p", "batch")
	out, _ = e.run(0, "", "sacct", "-X", "-n", "-P", "-o", "jobid,jobname,state,partition,timelimit")
	for _, w := range []string{"1|e2e|CANCELLED|batch|00:05:00\n", "2_3|wrap|CANCELLED|gpu|UNLIMITED\n", "2_[1-2,4%2]|wrap|PENDING|gpu|UNLIMITED\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("sacct lacks %q:\n%s", w, out)
		}
	}
	out, _ = e.run(0, "", "sinfo")
	if !strings.HasPrefix(out, "PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST\nbatch*       up   infinite      0    n/a \ngpu          up   infinite      0    n/a \n") {
		t.Errorf("sinfo:\n%s", out)
	}
	out, _ = e.run(0, "", "scontrol", "show", "partition", "gpu")
	if !strings.HasPrefix(out, "PartitionName=gpu\n") {
		t.Errorf("show partition:\n%s", out)
	}
}

// TestEndToEndWait runs sbatch --wait while the job starts and fails with
// exit code 3 (the commands a scheduler would commit).
func TestEndToEndWait(t *testing.T) {
	e := newE2E(t)
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb strings.Builder
		code := runWith([]string{"sbatch", "--wait", "--wrap", "exit 3"},
			streams{in: strings.NewReader(""), out: &out, err: &errb, env: []string{"HOME=/home/alice"}}, e.deps)
		done <- result{code, out.String(), errb.String()}
	}()
	timeout := time.After(10 * time.Second)
	for {
		changed := e.srv.Store.WatchJobs()
		if e.srv.Store.View().Job(1) != nil {
			break
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatal("the job was never submitted")
		}
	}
	now := time.Now().UTC()
	apply := func(ct state.CommandType, cmd any) {
		b, err := state.Encode(ct, cmd)
		if err != nil {
			t.Fatal(err)
		}
		if res, _, err := e.srv.Raft.Apply(context.Background(), b); err != nil || res.Err != nil {
			t.Fatalf("apply: %v %v", err, res.Err)
		}
	}
	apply(state.CmdJobStart, state.JobStartCmd{Time: now, JobID: 1, Task: state.NoTask, NodeList: "node1"})
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: now, JobID: 1, State: state.StateFailed, ExitCode: 3})
	select {
	case r := <-done:
		if r.code != 3 || r.out != "Submitted batch job 1\n" {
			t.Errorf("sbatch --wait: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sbatch --wait did not return")
	}
}
