package runtimediff

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"
)

func TestParseRecords(t *testing.T) {
	out := "JobId=1092 ArrayJobId=1090 ArrayTaskId=2 JobName=task.sh\n   JobState=COMPLETED Reason=None Dependency=(null)\n" +
		"   Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0\n   NodeList=oracle\n\n" +
		"JobId=1091 JobName=x\n   JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0\n   NodeList=(null)\n"
	got := parseRecords(out)
	want := []record{
		{JobID: "1092", ArrayJobID: "1090", ArrayTaskID: "2", State: "COMPLETED", ExitCode: "0:0", Reason: "None", NodeList: "oracle"},
		{JobID: "1091", State: "FAILED", ExitCode: "3:0", Reason: "NonZeroExitCode", NodeList: "(null)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseRecords:\n got %+v\nwant %+v", got, want)
	}
}

func TestSplitWords(t *testing.T) {
	got, err := splitWords(`sbatch a --wrap 'echo "$x" >&2' "two words" '' b\ c`)
	want := []string{"sbatch", "a", "--wrap", `echo "$x" >&2`, "two words", "", "b c"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("splitWords = %q, %v; want %q", got, err, want)
	}
	if _, err := splitWords(`a 'b`); err == nil {
		t.Error("unterminated quote accepted")
	}
}

// TestCompare checks the comparison itself, on two made-up runs: job ids,
// work dirs and node names are translated, and every kind of difference
// is reported under its key.
func TestCompare(t *testing.T) {
	sc := &scenario{name: "x", envVars: append(slices.Clip(defaultEnvVars), "FOO"), known: map[string]string{}}
	mk := func(work string, ids map[string]string, recs map[string][]record, files map[string]string) *run {
		r := &run{sc: sc, work: work, ids: ids, records: recs, waitStatus: map[string]int{}}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(work, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	rw, ow := t.TempDir(), t.TempDir()
	env := func(id, node, dir, foo string) string {
		return "SLURM_JOB_ID=" + id + "\x00SLURMD_NODENAME=" + node + "\x00SLURM_SUBMIT_DIR=" + dir + "\x00FOO=" + foo + "\x00HOME=/root\x00"
	}
	real := mk(rw, map[string]string{"a": "1234", "b": "1240"},
		map[string][]record{"a": {{JobID: "1234", State: "COMPLETED", ExitCode: "0:0", NodeList: "oracle"}}, "b": {{JobID: "1240", State: "FAILED", ExitCode: "3:0", NodeList: "oracle"}}},
		map[string]string{"slurm-1234.out": "job 1234 on oracle in " + rw + " at 2026-01-02T03:04:05\n", "only-real.txt": "x", "e.env": env("1234", "oracle", rw, "bar")})
	ours := mk(ow, map[string]string{"a": "7", "b": "8"},
		map[string][]record{"a": {{JobID: "7", State: "COMPLETED", ExitCode: "0:0", NodeList: "dev"}}, "b": {{JobID: "8", State: "FAILED", ExitCode: "1:0", NodeList: "dev"}}},
		map[string]string{"slurm-7.out": "job 7 on dev in " + ow + " at 2030-12-31T23:59:59\n", "e.env": env("7", "dev", ow, "submitter")})
	real.waitStatus["b"], ours.waitStatus["b"] = 3, 1
	diffs, err := compare(sc, real, ours)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, d := range diffs {
		keys = append(keys, d.key)
	}
	want := []string{"state b", "wait b", "env e.env FOO", "file only-real.txt"}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("differences %q, want %q:\n%+v", keys, want, diffs)
	}
}

func TestDropLines(t *testing.T) {
	sc := &scenario{ignore: []*regexp.Regexp{regexp.MustCompile(`^User defined signal 2$`)}}
	if got := dropLines(sc, "a\nUser defined signal 2\nb\n"); got != "a\nb\n" {
		t.Errorf("dropLines = %q", got)
	}
}

func TestWaitStatusOf(t *testing.T) {
	tests := []struct {
		codes []string
		want  int
	}{
		{[]string{"0:0"}, 0},
		{[]string{"5:0"}, 5},
		{[]string{"0:9"}, 1},
		{[]string{"0:0", "3:0", "0:15", "2:0"}, 3},
	}
	for _, tt := range tests {
		var recs []record
		for _, c := range tt.codes {
			recs = append(recs, record{JobID: "1", ExitCode: c})
		}
		if got, err := waitStatusOf(recs); err != nil || got != tt.want {
			t.Errorf("waitStatusOf(%v) = %d, %v; want %d", tt.codes, got, err, tt.want)
		}
	}
	if _, err := waitStatusOf([]record{{JobID: "1", ExitCode: "x"}}); err == nil {
		t.Error("waitStatusOf accepted exit code \"x\"")
	}
}

// TestExpectEnv checks expect-env on made-up runs: a variable the profile
// should have set, missing from one side's recorded environment, fails
// that side even though nothing differs when it is missing from both; a
// pattern that matches no recorded environment fails too.
func TestExpectEnv(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, scenarioFile), []byte("user login\nexpect-env *-{a}.env FROM_PROFILE=1 X=y\nexpect-env none-*.env X=y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := parseScenario(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sc.user != userLogin || len(sc.expectEnv) != 2 {
		t.Fatalf("parsed user %q, expect-env %+v", sc.user, sc.expectEnv)
	}
	mk := func(side, id string) *run {
		return &run{c: &cluster{name: side}, sc: sc, ids: map[string]string{"a": id},
			records: map[string][]record{"a": {{JobID: id, State: "COMPLETED", ExitCode: "0:0"}}}}
	}
	real, ours := mk("Slurm", "1234"), mk("hpcbridge", "7")
	files := func(id, env string) map[string][]byte {
		return map[string][]byte{"env.sh-" + id + ".env": []byte(env), "env.sh-" + id + ".out": []byte("x")}
	}
	got := map[string]bool{}
	for _, d := range append(expectEnv(sc, real, files("1234", "FROM_PROFILE=1\x00X=y\x00")), expectEnv(sc, ours, files("7", "X=z\x00"))...) {
		got[d.key] = true
	}
	want := map[string]bool{
		"expect-env hpcbridge env.sh-{a}.env FROM_PROFILE": true,
		"expect-env hpcbridge env.sh-{a}.env X":            true,
		"expect-env Slurm none-*.env":                      true,
		"expect-env hpcbridge none-*.env":                  true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("expect-env differences %v, want %v", got, want)
	}
	for _, bad := range []string{"user root\n", "expect-env *.env\n", "expect-env *.env FOO\n", "expect-env [ X=1\n"} {
		if err := os.WriteFile(filepath.Join(dir, scenarioFile), []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := parseScenario(dir); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestLoginShellNeedsLoginUser: a scenario whose job would run its user's
// login shell is refused unless it runs as the login user, so that no
// scenario reads root's (the host's) profile.
func TestLoginShellNeedsLoginUser(t *testing.T) {
	tests := []struct {
		scenario, script string
		refused          bool
	}{
		{"sbatch a -o a.out job.sh\n", "", false},
		{"sbatch a --export=ALL -o a.out job.sh\n", "", false},
		{"sbatch a --export ALL job.sh\n", "", false},
		{"env SBATCH_EXPORT=ALL\nsbatch a job.sh\n", "", false},
		{"sbatch a --export=NONE job.sh\n", "", true},
		{"sbatch a -o a.out --export NONE job.sh\n", "", true},
		{"sbatch-wait a --export=ALL,FOO=bar job.sh\n", "", true},
		{"sbatch a --export=FOO job.sh\n", "", true},
		{"sbatch a --get-user-env=10L job.sh\n", "", true},
		{"env SBATCH_EXPORT=NONE\nsbatch a job.sh\n", "", true},
		{"env SBATCH_GET_USER_ENV=1\nsbatch a job.sh\n", "", true},
		{"sbatch a job.sh\n", "#!/bin/sh\n#SBATCH -o x.out\n#SBATCH --export=NONE\nenv\n", true},
		{"sbatch a job.sh\n", "#!/bin/sh\n#SBATCH --get-user-env\nenv\n", true},
		{"user login\nsbatch a --export=NONE job.sh\n", "#!/bin/sh\n#SBATCH --get-user-env\n", false},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, scenarioFile), []byte(tt.scenario), 0o644); err != nil {
			t.Fatal(err)
		}
		if tt.script != "" {
			if err := os.WriteFile(filepath.Join(dir, "job.sh"), []byte(tt.script), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		_, err := parseScenario(dir)
		if refused := err != nil; refused != tt.refused {
			t.Errorf("scenario %q, script %q: error %v, want refused %v", tt.scenario, tt.script, err, tt.refused)
		}
	}
}
