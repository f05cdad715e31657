package runtimediff

import (
	"reflect"
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
