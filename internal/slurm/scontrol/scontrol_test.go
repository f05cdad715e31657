package scontrol

import (
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

// TestScontrolShowJobMatchesSlurm compares scontrol show job with what
// Slurm 22.05 printed for the oracle scenario (a second after the squeue
// goldens), but for TRES, which adds gres/gpu=N to a GPU job's as on a
// cluster with AccountingStorageTRES=gres/gpu (the oracle does not set it).
func TestScontrolShowJobMatchesSlurm(t *testing.T) {
	cases := []struct {
		golden string
		args   []string
	}{
		{"6781", []string{"show", "job", "6781"}},
		{"6782", []string{"show", "job", "6782"}},
		{"6782_7", []string{"show", "job", "6782_7"}},
		{"6783", []string{"show", "job", "6783"}},
		{"6784", []string{"show", "job", "6784"}},
		{"oneline-6784", []string{"-o", "show", "job", "6784"}},
		{"6785", []string{"show", "job", "6785"}},
		{"6786", []string{"show", "job", "6786"}},
		{"6786_1", []string{"show", "job", "6786_1"}},
		{"6787", []string{"show", "job", "6787"}},
		{"6788", []string{"show", "job", "6788"}},
		{"6789", []string{"show", "job", "6789"}},
		{"6790", []string{"show", "job", "6790"}},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
			d := slurmtest.Deps(f)
			d.Now = func() time.Time { return slurmtest.ScenarioNow.Add(time.Second) }
			code, out, errs := runCmd(t, d, "", nil, append([]string{"scontrol"}, c.args...)...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			slurmtest.Golden(t, "scontrol/"+c.golden+".golden", out)
		})
	}
}

func TestScontrolErrors(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		actErr   map[string]string
		code     int
		out, err string
	}{
		{name: "unknown job", args: []string{"show", "job", "99999"}, code: 1, err: "slurm_load_jobs error: Invalid job id specified\n"},
		{name: "bad job id", args: []string{"show", "job", "abc"}, code: 1, err: "scontrol_print_job error: Invalid job id specified\n"},
		{name: "range", args: []string{"show", "job", "6782_[1-2]"}, code: 1, err: "scontrol_print_job error: Invalid job id specified\n"},
		{name: "task not in array", args: []string{"show", "job", "6782_2000"}, code: 1, out: "Job 6782_2000 not found\n"},
		{name: "bad keyword", args: []string{"bogus"}, code: 1, err: "invalid keyword: bogus\n"},
		{name: "bad entity", args: []string{"show", "bogus"}, code: 1, err: "invalid entity:bogus for keyword:show \n"},
		{name: "show alone", args: []string{"show"}, code: 1, err: "too few arguments for keyword:show\n"},
		{name: "job=", args: []string{"sho", "job=6781"}, out: "JobId=6781 JobName=wrap\n"},
		{name: "hold unknown", args: []string{"hold", "99999"}, actErr: map[string]string{"99999": api.CodeNotFound}, code: 1,
			err: "Invalid job id specified for job 99999\nslurm_suspend error: Invalid job id specified\n"},
		{name: "hold bad id", args: []string{"hold", "abc"}, code: 1,
			err: "Invalid job id specified for job abc\nslurm_suspend error: Invalid job id specified\n"},
		{name: "requeue pending", args: []string{"requeue", "6781"}, actErr: map[string]string{"6781": api.CodeConflict}, code: 1,
			err: "for job 6781\n"},
		{name: "update no job", args: []string{"update", "TimeLimit=20"}, code: 1,
			err: "No valid entity in update command\nInput line must include \"NodeName\", \"PartitionName\", \"Reservation\", \"JobId\", or \"SlurmctldDebug\"\n"},
		{name: "update nothing", args: []string{"update", "JobId=6781"}, code: 1, err: "No changes specified\n"},
		{name: "update bad key", args: []string{"update", "JobId=6781", "Bogus=1"}, code: 1, err: "Update of this parameter is not supported: Bogus=1\nRequest aborted\n"},
		{name: "update bad time", args: []string{"update", "JobId=6781", "TimeLimit=bogus"}, code: 1, err: "scontrol: error: Invalid TimeLimit value\n"},
		{name: "update ok", args: []string{"update", "jobid=6781", "timelimit=1:00:00", "Partition=gpu", "Nice=10", "JobName=x", "Dependency="}},
		{name: "update unknown", args: []string{"update", "JobId=99999", "TimeLimit=10"}, actErr: map[string]string{"99999": api.CodeNotFound}, code: 1,
			err: "Invalid job id specified for job 99999\n"},
		{name: "partition", args: []string{"show", "partition", "gpu"}, out: "PartitionName=gpu\n   AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL\n   AllocNodes=ALL Default=NO QoS=N/A\n"},
		{name: "no partition", args: []string{"show", "partition", "nosuch"}, code: 1, out: "Partition nosuch not found\n"},
		{name: "version", args: []string{"-V"}, out: "slurm 22.05.8\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t), ActionErr: c.actErr,
				PartitionList: []api.Partition{{Name: "debug", Default: true, State: "up"}, {Name: "gpu", State: "up"}}}
			code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"scontrol"}, c.args...)...)
			slurmtest.CheckRun(t, code, out, errs, c.code, c.out, c.err)
		})
	}
}

func TestScontrolUpdateRequest(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	code, _, errs := runCmd(t, slurmtest.Deps(f), "", nil, "scontrol", "update", "JobId=6781,6782_[5-6]", "TimeLimit=1-0", "Nice=-5", "Dependency=afterok:6789")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	u := f.Updates[0]
	if strings.Join(u.Refs, " ") != "6781 6782_[5-6]" || *u.TimeLimit != "1-0" || *u.Nice != -5 || *u.Dependency != "afterok:6789" || u.Partition != nil {
		t.Errorf("update = %+v", u)
	}
	// TimeLimit=+30 extends each job's limit by 30 minutes.
	f.Updates = nil
	if code, _, errs := runCmd(t, slurmtest.Deps(f), "", nil, "scontrol", "update", "JobId=6783", "TimeLimit=+30"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := *f.Updates[0].TimeLimit; got != "120" {
		t.Errorf("relative time limit = %s, want 120", got)
	}
}

func TestScontrolHoldRelease(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	for _, argv := range [][]string{{"hold", "6781", "6782_[5-6],6783"}, {"release", "6781"}, {"uhold", "6781"}, {"requeue", "6785"}} {
		if code, _, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"scontrol"}, argv...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", argv, code, errs)
		}
	}
	want := "hold 6781,hold 6782_[5-6],hold 6783,release 6781,hold 6781,requeue 6785"
	if got := strings.Join(f.Holds, ","); got != want {
		t.Errorf("actions = %s\nwant      %s", got, want)
	}
}

func TestScontrolInteractive(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	code, out, errs := runCmd(t, slurmtest.Deps(f), "show job 6781\nbogus\noneliner\nshow job 6783\nquit\nshow job 6784\n", nil, "scontrol")
	if code != 1 || errs != "invalid keyword: bogus\n" {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "JobId=6781 JobName=wrap\n   UserId=") || !strings.Contains(out, "JobId=6783 JobName=averyveryverylongjobname UserId=") || strings.Contains(out, "6784") {
		t.Errorf("stdout:\n%s", out)
	}
}
