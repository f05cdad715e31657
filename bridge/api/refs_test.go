package api

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/jobref"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

func refsString(refs []state.JobRef) string {
	var s []string
	for _, r := range refs {
		s = append(s, r.String())
	}
	return strings.Join(s, " ")
}

func TestParseJobRefs(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" means an error
	}{
		{"123", "123"},
		{"123_7", "123_7"},
		{"123,124_[1-3],125_7", "123 124_1 124_2 124_3 125_7"},
		{"5_[1,3-5,10-14:2]", "5_1 5_3 5_4 5_5 5_10 5_12 5_14"},
		{"5_[2-7:5]", "5_2 5_7"},
		{"1,1,1_2,1_[2]", "1 1_2"},
		{"1_0", "1_0"},
		{"4294967295", "4294967295"},
		{"", ""},
		{",", ""},
		{"1,", ""},
		{"0", ""},
		{"-1", ""},
		{"+1", ""},
		{" 1", ""},
		{"4294967296", ""},
		{"1_", ""},
		{"1_x", ""},
		{"1_-1", ""},
		{"1_[", ""},
		{"1_[]", ""},
		{"1_]", ""},
		{"1_[[1]]", ""},
		{"1_[3-1]", ""},
		{"1_[1-3:0]", ""},
		{"1_[1:2]", ""},
		{"1_[1-3]x", ""},
		{"1_2_3", ""},
		{"1_[1-3%2]", ""},
		{"1_2147483647", ""},
		{"1_[0-2147483646]", ""}, // over MaxRefs
	} {
		got, err := ParseJobRefs(c.in)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("ParseJobRefs(%q) = %s, want an error", c.in, refsString(got))
		case c.want == "" && !errors.Is(err, ErrBadRef):
			t.Errorf("ParseJobRefs(%q) error %v does not wrap ErrBadRef", c.in, err)
		case c.want != "" && err != nil:
			t.Errorf("ParseJobRefs(%q): %v", c.in, err)
		case c.want != "" && refsString(got) != c.want:
			t.Errorf("ParseJobRefs(%q) = %s, want %s", c.in, refsString(got), c.want)
		}
	}
	// Duplicates do not let a short list take long.
	long := strings.Repeat("1_[0-99999],", 50) + "1"
	if _, err := ParseJobRefs(long); err == nil {
		t.Error("50 copies of a 100000-task range accepted")
	}
}

func TestParseJobRef(t *testing.T) {
	for in, want := range map[string]string{"7": "7", "7_3": "7_3", "7,8": "", "7_[3]": "", "x": ""} {
		got, err := ParseJobRef(in)
		if (err != nil) != (want == "") || (err == nil && got.String() != want) {
			t.Errorf("ParseJobRef(%q) = %v, %v", in, got, err)
		}
	}
}

func TestParseJobState(t *testing.T) {
	for in, want := range map[string]state.JobState{
		"PD": state.StatePending, "pending": state.StatePending, "r": state.StateRunning,
		"CANCELED": state.StateCancelled, "ca": state.StateCancelled, "oom": state.StateOutOfMemory,
		"COMPLETED": state.StateCompleted, "nope": "", "": "",
	} {
		got, err := ParseJobState(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("ParseJobState(%q) = %q, %v", in, got, err)
		}
	}
}

func FuzzParseJobRefs(f *testing.F) {
	for _, s := range []string{"123,124_[1-3],125_7", "1_[1,3-5,10-14:2]", "1_[", "1__2", "9999999999", "1_[0-99999]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		refs, err := ParseJobRefs(s)
		if err != nil {
			if !errors.Is(err, ErrBadRef) {
				t.Fatalf("error %v does not wrap ErrBadRef", err)
			}
			return
		}
		if len(refs) == 0 || len(refs) > MaxRefs {
			t.Fatalf("%d refs", len(refs))
		}
		seen := map[state.JobRef]bool{}
		for _, r := range refs {
			if r.JobID == 0 || r.JobID > jobref.MaxJobID || r.Task < state.AllTasks || r.Task > jobref.MaxTaskIndex || seen[r] {
				t.Fatalf("bad ref %+v from %q", r, s)
			}
			seen[r] = true
		}
		// The refs print back to a list that parses to the same refs.
		var parts []string
		for _, r := range refs {
			parts = append(parts, r.String())
		}
		again, err := ParseJobRefs(strings.Join(parts, ","))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(refs) {
			t.Fatalf("round trip of %q: %v %v", s, again, err)
		}
	})
}
