package slurm

import (
	"errors"
	"fmt"
	"github.com/hpcbridge/hpcbridge/internal/jobref"
	"strings"
	"testing"
)

// TestParseSqueueJobs follows what squeue 22.05 did with each -j value.
func TestParseSqueueJobs(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{"123", "123", ""},
		{"123,124_7", "123 124_7", ""},
		{" 123", "123", ""},
		{"123,", "123", ""},
		{",123", "123", ""},
		{"123junk", "123", ""},
		{"123.0", "123", ""},
		{"123+1", "123", ""},
		{"123_2_3", "123_2", ""},
		{"123_x", "123_0", ""},
		{"123_[1-3]", "123_0", ""},
		{"0", "", "Invalid job id: 0"},
		{"abc", "", "Invalid job id: abc"},
		{"4294967296", "", "Invalid job id: 4294967296"},
		{"4294967295", "4294967295", ""},
		{"123_99999999999", "123_2147483647", ""},
	}
	for _, c := range cases {
		sels, err := ParseSqueueJobs(c.in)
		var parts []string
		for _, s := range sels {
			parts = append(parts, s.String())
		}
		got := strings.Join(parts, " ")
		if got != c.want || fmt.Sprint(err) != map[bool]string{true: "<nil>", false: c.err}[c.err == ""] {
			t.Errorf("%q: %q, %v; want %q, %q", c.in, got, err, c.want, c.err)
		}
	}
}

// TestParseJobArg follows what scancel 22.05 accepted and rejected.
func TestParseJobArg(t *testing.T) {
	cases := []struct {
		in, ref, rangeErr string
		bad               bool
	}{
		{in: "123", ref: "123"},
		{in: "123_7", ref: "123_7"},
		{in: "123_[1-3,5]", ref: "123_[1-3,5]"},
		{in: "123_[1,2]", ref: "123_[1,2]"},
		{in: "123_[7]", ref: "123_7"},
		{in: "123.4", ref: "123"},
		{in: "123_7.batch", ref: "123_7"},
		{in: "123_", ref: "123_"},
		{in: "abc", bad: true},
		{in: "0", bad: true},
		{in: "+5", bad: true},
		{in: "123_[1-3", bad: true},
		{in: "123_1]", bad: true},
		{in: "123_[1-2]x", bad: true},
		{in: "123_[x]", bad: true, rangeErr: "x"},
		{in: "123_[3-1]", bad: true, rangeErr: "3-1"},
		{in: "123_[1:2]", bad: true, rangeErr: "1:2"},
		{in: "123_[]", bad: true, rangeErr: ""},
		{in: "123.", bad: true},
		{in: "4294967296", bad: true},
		// The shared grammar (internal/jobref) reads digits only: a signed
		// index is refused as the API refuses it.
		{in: "123_-0", bad: true},
		{in: "123_[0--0]", bad: true, rangeErr: "0--0"},
		{in: "123_[1-3:1]", bad: true, rangeErr: "1-3:1"},
	}
	for _, c := range cases {
		a, err := ParseJobArg(c.in)
		if c.bad {
			var re *RefError
			if !errors.As(err, &re) || re.Range != c.rangeErr {
				t.Errorf("%q: err %v, want a refError with range %q", c.in, err, c.rangeErr)
			}
			continue
		}
		if err != nil || a.Ref() != c.ref {
			t.Errorf("%q: %q, %v; want %q", c.in, a.Ref(), err, c.ref)
		}
	}
	if got := SplitJobArgs("12,13_[1,2],14"); strings.Join(got, " ") != "12 13_[1,2] 14" {
		t.Errorf("splitJobArgs = %q", got)
	}
}

func FuzzParseSqueueJobs(f *testing.F) {
	for _, s := range []string{"123", "123,124_7", "123_[1-3]", "0", "-5", " 12", "99999999999999999999999_1", "1_-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sels, err := ParseSqueueJobs(s)
		if err != nil {
			return
		}
		for _, sel := range sels {
			if sel.JobID == 0 || sel.JobID > jobref.MaxJobID || sel.Task < -1 {
				t.Fatalf("%q gave %+v", s, sel)
			}
		}
	})
}

func FuzzParseJobArg(f *testing.F) {
	for _, s := range []string{"123", "123_7", "123_[1-3,5]", "123_[x]", "123.batch", "123_", "1_[2147483646]", "5_[1-2147483646]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseJobArg(s)
		if err != nil {
			return
		}
		if a.JobID == 0 || a.JobID > jobref.MaxJobID {
			t.Fatalf("%q: job id %d", s, a.JobID)
		}
		for _, r := range a.Tasks {
			if r.First < 0 || r.Last < r.First || r.Last > jobref.MaxTaskIndex {
				t.Fatalf("%q: range %+v", s, r)
			}
		}
		// The ref the API gets parses back to the same selection.
		b, err := ParseJobArg(a.Ref())
		if err != nil || b.Ref() != a.Ref() {
			t.Fatalf("%q: ref %q does not round-trip: %v", s, a.Ref(), err)
		}
	})
}
