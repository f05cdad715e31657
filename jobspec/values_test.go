package jobspec_test

// Every expectation in the value parsers' tests (timelimit_test.go, ...,
// begin_test.go and this file) was checked against real Slurm 22.05.8 (the
// oracle in ../shared/slurm-oracle): the "slurm" column records what it
// said -- sbatch -v's option dump, the job record of a held submission
// (scontrol show job), or the rejection message.

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

func TestValueErrors(t *testing.T) {
	_, err := jobspec.ParseTime("5m")
	var ve *jobspec.ValueError
	if !errors.As(err, &ve) || ve.Value != "5m" || ve.What != "time limit" {
		t.Fatalf("ParseTime error = %#v, want a *ValueError for 5m", err)
	}
	if !errors.Is(err, jobspec.ErrInvalidValue) {
		t.Errorf("%v does not wrap ErrInvalidValue", err)
	}
	want := `invalid time limit "5m": use minutes, minutes:seconds, hours:minutes:seconds, days-hours, ` +
		`days-hours:minutes, days-hours:minutes:seconds or UNLIMITED`
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
	for name, f := range map[string]func() error{
		"memory":     func() error { _, err := jobspec.ParseMemory("x"); return err },
		"nodes":      func() error { _, _, err := jobspec.ParseNodes("x"); return err },
		"array":      func() error { _, err := jobspec.ParseArray("x", 0); return err },
		"dependency": func() error { _, err := jobspec.ParseDependency("x"); return err },
		"signal":     func() error { _, err := jobspec.ParseSignal("x"); return err },
		"gres":       func() error { _, err := jobspec.ParseGres("gpu::1"); return err },
		"gpus":       func() error { _, _, err := jobspec.ParseGPUs("2x"); return err },
		"begin":      func() error { _, err := jobspec.ParseBegin("x", time.Unix(1e9, 0)); return err },
		"mail":       func() error { _, err := jobspec.ParseMailType("x"); return err },
	} {
		if err := f(); !errors.Is(err, jobspec.ErrInvalidValue) {
			t.Errorf("%s: error %v does not wrap ErrInvalidValue", name, err)
		}
	}
}

func ExampleParseTime() {
	for _, s := range []string{"90", "2:30", "1-12", "0", "UNLIMITED"} {
		t, err := jobspec.ParseTime(s)
		fmt.Println(s, "->", t, err)
	}
	// Output:
	// 90 -> 90 <nil>
	// 2:30 -> 3 <nil>
	// 1-12 -> 2160 <nil>
	// 0 -> UNLIMITED <nil>
	// UNLIMITED -> UNLIMITED <nil>
}

func ExampleParseArray() {
	for _, s := range []string{"1-1000:2", "[1-3,5]%2", "5,1-3,2", "0-15:4"} {
		a, err := jobspec.ParseArray(s, jobspec.DefaultMaxArraySize)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s, "->", a.Spec, a.Count)
	}
	_, err := jobspec.ParseArray("1-2000", jobspec.DefaultMaxArraySize)
	fmt.Println(err)
	// Output:
	// 1-1000:2 -> 1-999:2 500
	// [1-3,5]%2 -> 1-3,5%2 4
	// 5,1-3,2 -> 1-3,5 4
	// 0-15:4 -> 0,4,8,12 4
	// invalid array "1-2000": index 2000 is not below MaxArraySize (1001)
}

// Fuzz targets: no panics, and every accepted value renders (String) to an
// argument that parses back to the same value.

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"90", "2:30", "1:00:30", "1-2", "1-2:3", "1-2:3:4", "0", "-5", "UNLIMITED", "1-", "99999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := jobspec.ParseTime(s)
		if err != nil {
			return
		}
		if v.Minutes > (math.MaxInt32-59)/60 {
			return // only reachable through Slurm's overflow; not writable
		}
		back, err := jobspec.ParseTime(v.String())
		if err != nil || back != v {
			t.Fatalf("ParseTime(%q) = %+v; String %q parses to %+v, %v", s, v, v.String(), back, err)
		}
	})
}

func FuzzParseArray(f *testing.F) {
	for _, s := range []string{"1-1000:2", "[1-3,5]%2", "5,1-3,2", "0-15:4", "1,%2", "[,1]", "1-8]:2", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := jobspec.ParseArray(s, 2000)
		if err != nil || a == nil {
			return
		}
		back, err := jobspec.ParseArray(a.String(), 2000)
		if err != nil || back == nil || back.Spec != a.Spec || back.Count != a.Count ||
			!reflect.DeepEqual(back.Throttle, a.Throttle) {
			t.Fatalf("ParseArray(%q) = %+v; String %q parses to %+v, %v", s, a, a.String(), back, err)
		}
	})
}

func FuzzParseDependency(f *testing.F) {
	for _, s := range []string{
		"afterok:11", "afterok:11:33?afterany:22_[1-3]+5", "singleton", "11,33", "after:1+5x,afterok:2",
		"afterok:22_*", "0", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := jobspec.ParseDependency(s)
		if err != nil || d == nil {
			return
		}
		back, err := jobspec.ParseDependency(d.String())
		if err != nil || !reflect.DeepEqual(back, d) {
			t.Fatalf("ParseDependency(%q) = %+v; String %q parses to %+v, %v", s, d, d.String(), back, err)
		}
	})
}

// FuzzParseValues runs the other value parsers on arbitrary text: none may
// panic, a signal renders to an argument that parses back to it, and a
// begin time renders to an absolute one.
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{
		"B:USR1@120", "rTERM", "gpu:a100:2,gpu:1k", "1-2k", "1025K", "ALL,TIME_LIMIT", "now+1hour 16:00",
		"12/25/2712/26", "midnight9:05", "%5j-%A_%a\\x",
	} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 21, 18, 10, 2, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = jobspec.ParseMemory(s)
		_, _, _ = jobspec.ParseNodes(s)
		_, _ = jobspec.ParseGres(s)
		_, _, _ = jobspec.ParseGPUs(s)
		_, _ = jobspec.ParseMailType(s)
		_ = jobspec.ExpandPattern(s, jobspec.PatternVars{JobID: 7, ArrayTaskID: -1, StepID: jobspec.BatchStepID})
		if sig, err := jobspec.ParseSignal(s); err == nil {
			back, err := jobspec.ParseSignal(sig.String())
			if err != nil || !reflect.DeepEqual(back, sig) {
				t.Fatalf("ParseSignal(%q) = %+v; String %q parses to %+v, %v", s, sig, sig.String(), back, err)
			}
		}
		if b, err := jobspec.ParseBegin(s, now); err == nil && b.At.Year() >= 1000 && b.At.Year() <= 9999 {
			back, err := jobspec.ParseBegin(b.String(), now)
			if err != nil || !back.At.Equal(b.At) {
				t.Fatalf("ParseBegin(%q) = %v; String %q parses to %+v, %v", s, b.At, b.String(), back, err)
			}
		}
	})
}
