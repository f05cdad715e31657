package scancel

import (
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

func TestScancel(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		actErr map[string]string
		code   int
		err    string
		refs   string // the refs sent, one request per argument, joined by " "
		signal string
	}{
		{name: "one job", args: []string{"6781"}, refs: "6781"},
		{name: "several", args: []string{"6781", "6782_7", "6782_[8-9,11]"}, refs: "6781 6782_7 6782_[8-9,11]"},
		{name: "comma list", args: []string{"6781,6783"}, refs: "6781 6783"},
		{name: "options after ids", args: []string{"6781", "-v"}, refs: "6781", err: "scancel: Terminating job 6781\n"},
		{name: "unknown quiet", args: []string{"99999"}, actErr: map[string]string{"99999": api.CodeNotFound}, refs: "99999"},
		{name: "unknown verbose", args: []string{"-v", "99999"}, actErr: map[string]string{"99999": api.CodeNotFound}, refs: "99999",
			err: "scancel: Terminating job 99999\nscancel: error: Kill job error on job id 99999: Invalid job id specified\n"},
		{name: "denied", args: []string{"6781"}, actErr: map[string]string{"6781": api.CodePermissionDenied}, refs: "6781", code: 1,
			err: "scancel: error: Kill job error on job id 6781: Access/permission denied\n"},
		{name: "signal unknown job", args: []string{"-s", "USR1", "99999"}, actErr: map[string]string{"99999": api.CodeNotFound}, refs: "99999", signal: "10", code: 1,
			err: "scancel: error: Kill job error on job id 99999: Invalid job id specified\n"},
		{name: "signal names", args: []string{"--signal=sigterm", "6781"}, refs: "6781", signal: "15"},
		{name: "signal number", args: []string{"-s", "9", "6781"}, refs: "6781", signal: "9"},
		{name: "bad signal", args: []string{"-s", "FOO", "6781"}, code: 1, err: "Unknown job signal: FOO\n"},
		{name: "zero signal", args: []string{"-s", "0", "6781"}, code: 1, err: "Unknown job signal: 0\n"},
		{name: "bad id", args: []string{"abc"}, code: 1, err: "scancel: error: Invalid job id abc\n"},
		{name: "bad id in list", args: []string{"6781,abc"}, code: 1, err: "scancel: error: Invalid job id abc\n"},
		{name: "bad range", args: []string{"6782_[3-1]"}, code: 1, err: "scancel: error: _parse_single_range: Invalid range: `3-1'\nscancel: error: Invalid job id 6782_[3-1]\n"},
		{name: "unclosed", args: []string{"6782_[1-3"}, code: 1, err: "scancel: error: Invalid job id 6782_[1-3\n"},
		{name: "nothing", args: nil, code: 1, err: "scancel: error: No job identification provided\n"},
		{name: "bad user", args: []string{"-u", "nosuch"}, code: 1, err: "scancel: error: Invalid user name: nosuch\n"},
		{name: "bad state", args: []string{"-t", "foo", "6781"}, code: 1, err: "Invalid job state specified: foo\nValid job states are PENDING, RUNNING, and SUSPENDED\n"},
		{name: "filters", args: []string{"-u", "alice", "-n", "x", "-p", "gpu", "-t", "pd"}, refs: ""},
		{name: "unknown option", args: []string{"--bogus"}, code: 1, err: "scancel: unrecognized option '--bogus'\nTry \"scancel --help\" for more information\n"},
		{name: "step", args: []string{"6781.1"}},
		{name: "empty task", args: []string{"-v", "6781_"}, err: "scancel: Terminating job 6781_\nscancel: error: Kill job error on job id 6781_: Invalid job id specified\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t), ActionErr: c.actErr}
			code, _, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"scancel"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errs)
			}
			if errs != c.err {
				t.Errorf("stderr %q\nwant   %q", errs, c.err)
			}
			var refs []string
			for _, r := range f.Cancels {
				refs = append(refs, r.Refs...)
				if r.Signal != c.signal {
					t.Errorf("signal %q, want %q", r.Signal, c.signal)
				}
			}
			if got := strings.Join(refs, " "); got != c.refs {
				t.Errorf("refs %q, want %q", got, c.refs)
			}
		})
	}
}

func TestScancelFilters(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	code, _, errs := runCmd(t, slurmtest.Deps(f), "", nil, "scancel", "--me", "-n", "x,y", "-A", "physics", "-t", "RUNNING")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	r := f.Cancels[0]
	if strings.Join(r.Users, ",") != "root" || strings.Join(r.Names, ",") != "x,y" || strings.Join(r.Accounts, ",") != "physics" || strings.Join(r.States, ",") != "RUNNING" {
		t.Errorf("request = %+v", r)
	}
	// QOS is filtered here: the matching jobs are cancelled by id.
	f = &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	f.Jobs[0].QOS = "high"
	if code, _, errs := runCmd(t, slurmtest.Deps(f), "", nil, "scancel", "-q", "high"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if len(f.Cancels) != 1 || strings.Join(f.Cancels[0].Refs, ",") != "6781" {
		t.Errorf("cancels = %+v", f.Cancels)
	}
	// Nothing matches: silent, or a note with -v.
	f = &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	code, _, errs = runCmd(t, slurmtest.Deps(f), "", nil, "scancel", "-v", "-q", "nosuch", "-u", "root")
	if code != 0 || errs != "scancel: error: No active jobs match ALL job filters, including: qos=nosuch user_name=root \n" {
		t.Errorf("exit %d, %q", code, errs)
	}
}

func TestScancelInteractive(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}
	code, out, _ := runCmd(t, slurmtest.Deps(f), "n\ny\n", nil, "scancel", "-i", "6781", "6783")
	if code != 0 || !strings.Contains(out, "Cancel job_id=6781 name=wrap partition=debug [y/n]? ") {
		t.Errorf("exit %d, %q", code, out)
	}
	if len(f.Cancels) != 1 || f.Cancels[0].Refs[0] != "6783" {
		t.Errorf("cancels = %+v", f.Cancels)
	}
}
