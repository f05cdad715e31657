package sacct

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

// TestSacctFormats renders the oracle scenario's history. Slurm's oracle
// has no accounting storage, so these goldens follow sacct(1): the default
// columns and widths, "+" on cut values, -p/-P delimiters.
func TestSacctFormats(t *testing.T) {
	cases := []struct {
		golden string
		args   []string
	}{
		{"default", []string{"-a"}},
		{"jobs", []string{"-j", "6785,6786,6787"}},
		{"allocations", []string{"-X", "-j", "6785,6786,6787"}},
		{"brief", []string{"-b", "-j", "6787,6788"}},
		{"parsable", []string{"-p", "-j", "6787,6788", "-o", "JobID,JobName,State,ExitCode,Elapsed,Start,End,NodeList"}},
		{"parsable2", []string{"-P", "-n", "-j", "6787,6788", "--format=jobid,state"}},
		{"widths", []string{"-j", "6783,6784", "-o", "jobid%20,jobname%-30,user,timelimit,reqmem,ncpus,state%-12,submit"}},
		{"state-filter", []string{"-a", "-s", "F,CD", "-S", "2026-11-21T00:00:00", "-o", "jobid,state"}},
		{"delimiter", []string{"-P", "--delimiter=,", "-j", "6781", "-o", "jobid,user,uid,group,partition,account,priority"}},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
			code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"sacct"}, c.args...)...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			slurmtest.Golden(t, "sacct/"+c.golden+".golden", out)
		})
	}
}

func TestSacctErrors(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{name: "bad field", args: []string{"-o", "jobid,bogus"}, code: 1, err: "sacct: error: Invalid field requested: \"bogus\"\n"},
		{name: "bad state", args: []string{"-s", "nope"}, code: 1, err: "sacct: error: Invalid state: nope\n"},
		{name: "bad time", args: []string{"-S", "yesterdayish"}, code: 1, err: "sacct: error: Invalid time specification (starttime): yesterdayish\n"},
		{name: "bad job", args: []string{"-j", "x"}, code: 1, err: "sacct: error: Invalid job id: x\n"},
		{name: "helpformat", args: []string{"-e"}, out: "Account             AdminComment        AllocCPUS           AllocNodes\n"},
		{name: "prefix field", args: []string{"-n", "-X", "-j", "6787", "-o", "jobn,ncpu"}, out: "     quick          1 \n"},
		{name: "env format", args: []string{"-n", "-X", "-j", "6787"}, out: "6787         F+ \n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
			var env []string
			if c.name == "env format" {
				env = []string{"SACCT_FORMAT=jobid,state%2"}
			}
			code, out, errs := runCmd(t, slurmtest.Deps(f), "", env, append([]string{"sacct"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errs)
			}
			if !strings.Contains(out, c.out) {
				t.Errorf("stdout %q lacks %q", out, c.out)
			}
			if errs != c.err {
				t.Errorf("stderr %q, want %q", errs, c.err)
			}
		})
	}
}

// TestSacctWindow checks the default time windows of sacct(1).
func TestSacctWindow(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	runCmd(t, slurmtest.Deps(f), "", nil, "sacct")
	q := f.Queries[0]
	if !q.Start.Equal(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)) || !q.End.Equal(slurmtest.ScenarioNow.Add(time.Second)) || !q.History {
		t.Errorf("default window %v .. %v", q.Start, q.End)
	}
	f.Queries = nil
	runCmd(t, slurmtest.Deps(f), "", nil, "sacct", "-j", "6781")
	if q := f.Queries[0]; !q.Start.IsZero() || strings.Join(q.Jobs, ",") != "6781" {
		t.Errorf("with -j: start %v jobs %v", q.Start, q.Jobs)
	}
	// A user other than root sees their own jobs unless -a.
	d := slurmtest.Deps(f)
	d.CurrentUser = func() (string, error) { return "alice", nil }
	f.Queries = nil
	runCmd(t, d, "", nil, "sacct")
	runCmd(t, d, "", nil, "sacct", "-a")
	if strings.Join(f.Queries[0].Users, ",") != "alice" || len(f.Queries[1].Users) != 0 {
		t.Errorf("users: %v then %v", f.Queries[0].Users, f.Queries[1].Users)
	}
}

func TestSacctJSON(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, "sacct", "--json", "-j", "6787,6786")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Jobs []struct {
			JobID    uint64 `json:"job_id"`
			ExitCode struct {
				Status     string `json:"status"`
				ReturnCode int    `json:"return_code"`
			} `json:"exit_code"`
			State struct{ Current string } `json:"state"`
			Steps []struct {
				Step struct{ Name string } `json:"step"`
			} `json:"steps"`
			Array struct {
				JobID  uint64  `json:"job_id"`
				Task   *string `json:"task"`
				TaskID *int    `json:"task_id"`
			} `json:"array"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Jobs) != 4 {
		t.Fatalf("%d jobs:\n%s", len(doc.Jobs), out)
	}
	for _, j := range doc.Jobs {
		switch j.JobID {
		case 6787:
			if j.ExitCode.Status != "FAILED" || j.ExitCode.ReturnCode != 3 || j.State.Current != "FAILED" || len(j.Steps) != 1 || j.Steps[0].Step.Name != "batch" {
				t.Errorf("6787 = %+v", j)
			}
		case 6786:
			if j.Array.Task == nil || *j.Array.Task != "3-6%2" {
				t.Errorf("6786 array = %+v", j.Array)
			}
		case 6791:
			if j.Array.TaskID == nil || *j.Array.TaskID != 1 || j.Array.JobID != 6786 {
				t.Errorf("6791 array = %+v", j.Array)
			}
		}
	}
}

// TestSacctTimes reads -S and -E in the formats sacct(1) lists.
func TestSacctTimes(t *testing.T) {
	cases := map[string]time.Time{
		"2026-11-20":       time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		"2026-11-20T10:30": time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC),
		"midnight":         time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), "12:00": time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), "20:00": time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC), "12/24": time.Date(2025, 12, 24, 0, 0, 0, 0, time.UTC), "2026-12-24": time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC),
		"now-2hours": slurmtest.ScenarioNow.Add(-2 * time.Hour),
		"11/20":      time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		"112026":     time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
	}
	for in, want := range cases {
		f := &slurmtest.FakeClient{}
		code, _, errs := runCmd(t, slurmtest.Deps(f), "", nil, "sacct", "-S", in, "-E", "now")
		if code != 0 {
			t.Errorf("-S %s: exit %d %s", in, code, errs)
			continue
		}
		if got := f.Queries[0].Start; !got.Equal(want) {
			t.Errorf("-S %s = %v, want %v", in, got, want)
		}
	}
}
