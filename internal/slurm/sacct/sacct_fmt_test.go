package sacct

import (
	"fmt"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

func TestParseSacctFormat(t *testing.T) {
	cases := []struct {
		format, want, err string
	}{
		{sacctDefaultFormat, "JobID:-12 JobName:10 Partition:10 Account:10 AllocCPUS:10 State:10 ExitCode:8", ""},
		{"jobid%20,jobname%-30", "JobID:20 JobName:-30", ""},
		{"ncpu,jobn, elapsed ", "NCPUS:10 JobName:10 Elapsed:10", ""},
		{"AllocCPUs", "AllocCPUS:10", ""},
		{"bogus", "", `Invalid field requested: "bogus"`},
		{"jobid%x", "", `Invalid field requested: "jobid%x"`},
	}
	for _, c := range cases {
		fields, err := parseSacctFormat(c.format)
		var parts []string
		for _, f := range fields {
			parts = append(parts, fmt.Sprintf("%s:%d", f.name, f.width))
		}
		if got := strings.Join(parts, " "); got != c.want || (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("%q: %s, %v", c.format, got, err)
		}
	}
}

func TestRenderSacct(t *testing.T) {
	cases := []struct {
		v     string
		width int
		want  string
	}{
		{"COMPLETED", 10, " COMPLETED"},
		{"CANCELLED by 0", 10, "CANCELLED+"},
		{"6782_[5-999%10]", -12, "6782_[5-999+"},
		{"6781", -12, "6781        "},
		{"abc", 1, "+"},
	}
	for _, c := range cases {
		if got := renderSacct(c.v, c.width); got != c.want {
			t.Errorf("renderSacct(%q, %d) = %q, want %q", c.v, c.width, got, c.want)
		}
	}
}

func FuzzParseSacctFormat(f *testing.F) {
	for _, s := range []string{sacctDefaultFormat, sacctLongFormat, "jobid%20,jobname%-30", "%", "x%-", "a,,b"} {
		f.Add(s)
	}
	jobs := slurmtest.ScenarioJobs(f)
	f.Fuzz(func(t *testing.T, format string) {
		fields, err := parseSacctFormat(format)
		if err != nil {
			return
		}
		for _, fl := range fields {
			if fl.width == 0 || fl.width > 1<<16 || fl.width < -(1<<16) {
				t.Fatalf("width %d", fl.width)
			}
		}
		formatSacct(accountingRecords(jobs), sacctOptions{Fields: fields, Locale: slurm.Locale{Now: slurmtest.ScenarioNow}})
	})
}
