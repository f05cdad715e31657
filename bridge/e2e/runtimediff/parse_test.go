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
