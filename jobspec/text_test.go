package jobspec

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Free-text values that squeue, sacct and scontrol print may not hold
// control characters (a newline splits the job's row) and are bounded as
// slurmctld bounds them; the error says where.
func TestTextValues(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, c := range []struct {
		name     string
		in       Input
		wantErr  string
		wantDiag string
	}{
		{"newline in -J", Input{Args: []string{"-J", "a\nb"}}, "control character U+000A", "<command line>:1:11"},
		{"NUL in --comment", Input{Args: []string{"--comment=x\x00y"}}, "control character U+0000", "<command line>:1:18"},
		{"tab in --account", Input{Args: []string{"-A", "a\tb"}}, "control character U+0009", "<command line>:1:11"},
		{"escape in a directive", Input{Script: []byte("#!/bin/sh\n#SBATCH -J a\x1bb\n")}, "control character U+001B", "job.sh:2:12"},
		{"newline from SBATCH_JOB_NAME", Input{Env: []string{"SBATCH_JOB_NAME=a\nb"}}, "control character", ""},
		{"invalid UTF-8", Input{Args: []string{"--wckey=\xff"}}, "not valid UTF-8", ""},
		{"name over 1024 bytes", Input{Args: []string{"-J", long(1025)}}, "1025 bytes; the limit is 1024", ""},
		{"100k name", Input{Args: []string{"-J", long(100000)}}, "100000 bytes", ""},
		{"output over 4096 bytes", Input{Args: []string{"-o", "/" + long(4096)}}, "4097 bytes; the limit is 4096", ""},
		{"script file name with a newline", Input{File: "a\nb.sh"}, "job name (the script's file name)", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			if in.Script == nil {
				in.Script = []byte("#!/bin/sh\ntrue\n")
			}
			if in.File == "" {
				in.File = "job.sh"
			}
			in.Now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
			spec, diags := Parse(in)
			if spec != nil {
				t.Fatalf("accepted: job name %q", *spec.JobName)
			}
			errs := diags.Errors()
			if len(errs) == 0 || !strings.Contains(errs[0].Msg, c.wantErr) {
				t.Fatalf("errors %v, want %q", errs, c.wantErr)
			}
			if c.wantDiag != "" && errs[0].Pos.String() != c.wantDiag {
				t.Errorf("error at %s, want %s", errs[0].Pos, c.wantDiag)
			}
			if len(errs[0].Msg) > 400 {
				t.Errorf("message of %d bytes", len(errs[0].Msg))
			}
		})
	}
	// At the limits, and ordinary text, are fine.
	spec, diags := Parse(Input{File: "job.sh", Script: []byte("#!/bin/sh\n#SBATCH --comment=\"a b é\"\n"), Args: []string{"-J", long(1024), "-o", "/" + long(4095)}})
	if spec == nil {
		t.Fatal(diags.Render())
	}
	for _, v := range []string{"", "plain", "ünïcode ✓", long(1024)} {
		if err := CheckText("name", v, MaxTextLen); err != nil {
			t.Errorf("CheckText(%q): %v", v, err)
		}
	}
	if err := CheckText("name", "a\u0085b", 0); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("C1 control character: %v", err)
	}
}

// --begin far in the future or the past is refused with its reason, not
// carried into times the coordinator cannot write (it answered 500
// "Time.MarshalJSON: year outside of range").
func TestBeginBounds(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, v := range []string{"now+99999999999days", "now+999999999999999days", "now-99999999999days", "now+4000000weeks", "now-57years", "10000-01-01", "now-800000days"} {
		b, err := ParseBegin(v, now)
		if err == nil {
			if v == "now-57years" {
				continue // not a unit: an error either way
			}
			t.Errorf("--begin=%s accepted: %s", v, b.At)
			continue
		}
		if !errors.Is(err, ErrInvalidValue) {
			t.Errorf("--begin=%s: %v does not wrap ErrInvalidValue", v, err)
		}
	}
	for _, v := range []string{"now+2000000days", "9999-12-31T23:59:59", "now-2days", "1900-01-02", "now-30000days"} {
		if _, err := ParseBegin(v, now); err != nil {
			t.Errorf("--begin=%s: %v", v, err)
		}
	}
	_, diags := Parse(Input{File: "job.sh", Script: []byte("#!/bin/sh\n#SBATCH --begin=now+99999999999days\n"), Now: now})
	errs := diags.Errors()
	if len(errs) != 1 || errs[0].Pos.String() != "job.sh:2:17" || !strings.Contains(errs[0].Msg, "years 1 to 9999") {
		t.Fatalf("diagnostics %v", errs)
	}
}
