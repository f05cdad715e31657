package squeue

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

const scenarioIDs = "6781,6782,6783,6784,6785,6786,6787,6788,6789,6790"

// TestSqueueMatchesSlurm runs squeue over the oracle scenario's queue and
// compares with what Slurm 22.05 printed for the same command
// (testdata/oracle/scenario.sh recorded them).
func TestSqueueMatchesSlurm(t *testing.T) {
	cases := []struct {
		golden string
		args   []string
	}{
		{"default", []string{"-j", scenarioIDs}},
		{"long", []string{"-j", scenarioIDs, "-l"}},
		{"array", []string{"-j", scenarioIDs, "-r"}},
		{"all", []string{"-j", scenarioIDs, "-t", "all"}},
		{"fmt1", []string{"-j", scenarioIDs, "-t", "all", "-o", "%.18i %.9P %.8j %.8u %.2t %.10M %.9l %.6D %R %A %F %K %a %E %C %m %S %e %V %T %r %y %q"}},
		{"fmtO", []string{"-j", scenarioIDs, "-t", "all", "-O", "JobID,JobArrayID,ArrayJobID,ArrayTaskID,Name:12,UserName:.8,StateCompact:4,State,Reason:20,ReasonList:25,TimeUsed:.10,TimeLimit:.12,TimeLeft:12,NumNodes:6,NumCPUs:5,Partition:10,Dependency:30,MinMemory:8,exit_code:10,NodeList:10,StartTime,EndTime"}},
		{"noheader", []string{"-j", scenarioIDs, "-h", "-t", "R,PD", "-o", "%i|%T|%R|%M|%L"}},
		{"filter", []string{"-u", "root", "-p", "gpu,long", "-j", scenarioIDs}},
		{"sort-id-desc", []string{"-j", scenarioIDs, "-t", "all", "-S", "-i", "-o", "%i %T"}},
		{"sort-name", []string{"-j", scenarioIDs, "-t", "all", "-S", "j,-M", "-o", "%i %j %M"}},
		{"all-fields", []string{"-j", scenarioIDs, "-o", "%all"}},
	}
	for _, c := range cases {
		// squeue reads the brief view from a coordinator (briefClient);
		// fakeClient answers with full records.
		for _, view := range []string{"full", "brief"} {
			t.Run(c.golden+"/"+view, func(t *testing.T) {
				var client slurm.Client = &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
				if view == "brief" {
					client = &briefClient{FakeClient: client.(*slurmtest.FakeClient), t: t}
				}
				code, out, errs := runCmd(t, slurmtest.Deps(client), "", nil, append([]string{"squeue"}, c.args...)...)
				if code != 0 || errs != "" {
					t.Fatalf("exit %d, stderr %q", code, errs)
				}
				slurmtest.Golden(t, "squeue/"+c.golden+".golden", out)
			})
		}
	}
}

func TestSqueueErrors(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		code       int
		out, err   string // substrings
		wantNoJobs bool
	}{
		{name: "unknown job", args: []string{"-j", "99999"}, code: 1, err: "slurm_load_jobs error: Invalid job id specified\n"},
		{name: "purged job", args: []string{"-j", "6787"}, code: 1, err: "slurm_load_jobs error: Invalid job id specified\n"},
		{name: "finished job", args: []string{"-j", "6787"}, out: "NODELIST(REASON)\n"},
		{name: "bad job id", args: []string{"-j", "abc"}, code: 1, err: "squeue: error: Invalid job id: abc\n"},
		{name: "zero job id", args: []string{"-j", "0"}, code: 1, err: "squeue: error: Invalid job id: 0\n"},
		{name: "two jobs one unknown", args: []string{"-j", "6781,99999", "-h", "-o", "%i"}, out: "6781\n"},
		{name: "task not in array", args: []string{"-j", "6782_2000"}, out: "NODELIST(REASON)\n"},
		{name: "one task", args: []string{"-j", "6782_7", "-h", "-o", "%i %K"}, out: "6782_7 7\n"},
		{name: "bad state", args: []string{"-t", "foo"}, code: 1, err: "squeue: error: Invalid job state specified: foo\nsqueue: error: Valid job states include: PENDING,RUNNING,SUSPENDED,COMPLETED,"},
		{name: "bad format letter", args: []string{"-j", "6781", "-o", "%i %!"}, out: "JOBID %!\n6781 %!\n", err: "squeue: error: Invalid job format specification: !\n"},
		{name: "bad -O name", args: []string{"-j", "6781", "-O", "JobID,Bogus"}, out: "JOBID               \n6781                \n", err: "squeue: error: Invalid job format specification: Bogus\n"},
		{name: "unknown user", args: []string{"-u", "nosuchuser"}, out: "NODELIST(REASON)\n", err: "squeue: error: Invalid user: nosuchuser\n\n"},
		{name: "unknown option", args: []string{"--bogus"}, code: 1, err: "squeue: unrecognized option '--bogus'\nTry \"squeue --help\" for more information\n"},
		{name: "invalid short", args: []string{"-x"}, code: 1, err: "squeue: invalid option -- 'x'\n"},
		{name: "missing argument", args: []string{"-o"}, code: 1, err: "squeue: option requires an argument -- 'o'\n"},
		{name: "operand", args: []string{"bogusarg"}, code: 1, out: "Usage: squeue", err: "squeue: error: Unrecognized option: bogusarg\n"},
		{name: "version", args: []string{"-V"}, out: "slurm 22.05.8\n"},
		{name: "me", args: []string{"--me", "-h", "-o", "%i", "-p", "gpu"}, out: "6783\n"},
		{name: "dash prefix", args: []string{"--form=%i", "-h", "-j", "6781"}, out: "6781\n"},
		{name: "ambiguous", args: []string{"--s"}, code: 1, err: "is ambiguous; possibilities:"},
		{name: "name filter", args: []string{"-n", "waiter,wrap", "-h", "-o", "%i"}, out: "6789\n6781\n"},
		{name: "steps", args: []string{"-s"}, out: "         STEPID     NAME PARTITION     USER      TIME NODELIST\n"},
		{name: "start", args: []string{"--start", "-j", "6789", "-h"}, out: "6789     debug   waiter     root PD                 N/A      1 (null)               (Dependency)\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
			d := slurmtest.Deps(f)
			if c.name == "purged job" {
				// 6787 ended at 18:41:49; ten minutes later it is past MinJobAge.
				d.Now = func() time.Time { return slurmtest.ScenarioNow.Add(10 * time.Minute) }
			}
			code, out, errs := runCmd(t, d, "", nil, append([]string{"squeue"}, c.args...)...)
			slurmtest.CheckRun(t, code, out, errs, c.code, c.out, c.err)
		})
	}
}

func TestSqueueJSON(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, "squeue", "--json", "-j", "99999")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Meta struct {
			Plugin struct{ Type string } `json:"plugin"`
		} `json:"meta"`
		Jobs []map[string]any `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Meta.Plugin.Type != "openapi/v0.0.38" {
		t.Errorf("meta = %+v", doc.Meta)
	}
	// --json ignores the filters (as Slurm 22.05 does): every live job.
	if len(doc.Jobs) != 12 {
		t.Fatalf("%d jobs", len(doc.Jobs))
	}
	byID := map[float64]map[string]any{}
	for _, j := range doc.Jobs {
		byID[j["job_id"].(float64)] = j
	}
	checks := []struct {
		id   float64
		key  string
		want any
	}{
		{6782, "array_task_string", "5-999%10"},
		{6782, "array_task_id", nil},
		{6782, "array_max_tasks", 10.0},
		{6791, "array_task_id", 1.0},
		{6791, "array_job_id", 6786.0},
		{6787, "exit_code", 768.0},
		{6787, "job_state", "FAILED"},
		{6787, "state_reason", "NonZeroExitCode"},
		{6783, "time_limit", 90.0},
		{6781, "time_limit", nil},
		{6781, "priority", 0.0},
		{6781, "user_name", "root"},
		{6784, "dependency", "afterok:6781(unfulfilled)"},
		{6784, "command", "/tmp/sj/train.sh a b"},
		{6784, "begin", nil},
	}
	for _, c := range checks {
		if got := byID[c.id][c.key]; got != c.want {
			t.Errorf("%v %s = %v, want %v", c.id, c.key, got, c.want)
		}
	}
}

func TestSqueueConnectFailure(t *testing.T) {
	f := &slurmtest.FakeClient{FailWith: errors.New("dial tcp 127.0.0.1:4747: connection refused")}
	code, _, errs := runCmd(t, slurmtest.Deps(f), "", nil, "squeue")
	if code != 1 || !strings.HasPrefix(errs, "slurm_load_jobs error: ") {
		t.Errorf("exit %d, %q", code, errs)
	}
}

// TestSqueueQuery checks what squeue asks the coordinator for.
func TestSqueueQuery(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	runCmd(t, slurmtest.Deps(f), "", nil, "squeue", "-u", "alice,root", "-t", "pd,R,suspended", "-p", "gpu", "-A", "physics", "-r", "-n", "x")
	q := f.Queries[len(f.Queries)-1]
	if strings.Join(q.Users, ",") != "alice,root" || strings.Join(q.States, ",") != "PENDING,RUNNING" ||
		strings.Join(q.Partitions, ",") != "gpu" || strings.Join(q.Accounts, ",") != "physics" ||
		!q.ExpandArrays || strings.Join(q.Names, ",") != "x" {
		t.Errorf("query = %+v", q)
	}
	f.Queries = nil
	runCmd(t, slurmtest.Deps(f), "", nil, "squeue", "-t", "SUSPENDED")
	if len(f.Queries) != 0 {
		t.Errorf("a state hpcbridge never uses should not be asked for: %+v", f.Queries)
	}
}

// TestIterate checks squeue -i and sinfo -i: a dated report, a blank line,
// again, until interrupted.
func TestIterate(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t), PartitionList: []api.Partition{{Name: "debug", Default: true}}}
	d := slurmtest.Deps(f)
	n := 0
	d.Sleep = func(context.Context, time.Duration) error {
		if n++; n == 2 {
			return context.Canceled
		}
		return nil
	}
	_, out, _ := runCmd(t, d, "", nil, "squeue", "-i", "5", "-j", "6781")
	want := "Sat Nov 21 18:41:55 2026\n" +
		"             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)\n" +
		"              6781     debug     wrap     root PD       0:00      1 (JobHeldUser)\n\n"
	if out != want+want {
		t.Errorf("squeue -i:\n%s", out)
	}
	n = 0
	_, out, _ = runCmd(t, d, "", nil, "sinfo", "-i", "1", "-h")
	if out != "debug*       up   infinite      0    n/a \n\n"+"debug*       up   infinite      0    n/a \n\n" {
		t.Errorf("sinfo -i -h:\n%q", out)
	}
}

// A job the coordinator started that Nomad has not placed yet has no node:
// squeue and scontrol show it CONFIGURING, -t R still lists it (Slurm's
// base-state filter), and -t CF lists only such jobs.
func TestSqueueConfiguring(t *testing.T) {
	jobs := slurmtest.ScenarioJobs(t)
	var placed, waiting *state.Job
	for _, j := range jobs {
		if j.State == state.StateRunning && j.NodeList != "" && !j.IsArrayBase() {
			if placed == nil {
				placed = j
			} else if waiting == nil {
				waiting = j
			}
		}
	}
	if placed == nil || waiting == nil {
		t.Fatal("the scenario has fewer than two running jobs")
	}
	waiting.NodeList = ""
	f := &slurmtest.FakeClient{Jobs: jobs}
	list := func(args ...string) map[string]string {
		t.Helper()
		code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"squeue", "-h", "-o", "%i %t %T"}, args...)...)
		if code != 0 {
			t.Fatalf("squeue %v: exit %d: %s", args, code, errs)
		}
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if id, st, ok := strings.Cut(line, " "); ok {
				got[id] = st
			}
		}
		return got
	}
	p, w := placed.SlurmID(), waiting.SlurmID()
	for _, c := range []struct {
		args        []string
		wantP, want string // "" for not listed
	}{
		{nil, "R RUNNING", "CF CONFIGURING"},
		{[]string{"-t", "R"}, "R RUNNING", "CF CONFIGURING"},
		{[]string{"-t", "CF"}, "", "CF CONFIGURING"},
		{[]string{"-t", "configuring,PD"}, "", "CF CONFIGURING"},
		{[]string{"-t", "CF,R"}, "R RUNNING", "CF CONFIGURING"},
	} {
		got := list(c.args...)
		if got[p] != c.wantP || got[w] != c.want {
			t.Errorf("squeue %v: placed %q, waiting %q; want %q, %q", c.args, got[p], got[w], c.wantP, c.want)
		}
	}
	code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, "scontrol", "show", "job", w)
	if code != 0 || !strings.Contains(out, "JobState=CONFIGURING ") {
		t.Errorf("scontrol show job %s: exit %d %s\n%s", w, code, errs, out)
	}
}
