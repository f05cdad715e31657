package squeue

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

func TestParseNameFormat(t *testing.T) {
	fields, errs := slurm.ParseNameFormat("jobid,Name:5,UserName:.10,State:|,bogus,", squeueCanonical, 20)
	want := []slurm.NameField{{Name: "JobID", Width: 20, Right: false, Suffix: ""}, {Name: "Name", Width: 5, Right: false, Suffix: ""}, {Name: "UserName", Width: 10, Right: true, Suffix: ""}, {Name: "State", Width: 0, Right: false, Suffix: "|"}}
	if fmt.Sprint(fields) != fmt.Sprint(want) || strings.Join(errs, ",") != "bogus" {
		t.Errorf("fields %v errs %v", fields, errs)
	}
}

func FuzzParseLetterFormat(f *testing.F) {
	for _, s := range []string{squeueDefaultFormat, squeueLongFormat, "%all", "x%iy", "%-5i|", "%3.5i", "%", "%.", "%99999999999999i"} {
		f.Add(s)
	}
	jobs := slurmtest.ScenarioJobs(f)
	f.Fuzz(func(t *testing.T, format string) {
		fields, _ := slurm.ParseLetterFormat(format, func(c byte) bool { _, ok := squeueLetters[c]; return ok })
		for _, fl := range fields {
			if fl.Literal == "" && fl.Width > slurm.MaxFieldWidth {
				t.Fatalf("width %d", fl.Width)
			}
		}
		if len(format) < 200 {
			formatSqueue(jobs, squeueOptions{Format: format, Locale: slurm.Locale{Now: slurmtest.ScenarioNow}}, slurmtest.ScenarioNow)
		}
	})
}

func FuzzParseNameFormat(f *testing.F) {
	for _, s := range []string{"JobID,Name:5,UserName:.10,State:|", ":", ",,", "jobid:.", "Name:999999999999"} {
		f.Add(s)
	}
	jobs := slurmtest.ScenarioJobs(f)
	f.Fuzz(func(t *testing.T, format string) {
		slurm.ParseNameFormat(format, squeueCanonical, 20)
		if len(format) < 200 {
			formatSqueue(jobs, squeueOptions{FormatO: format, Locale: slurm.Locale{Now: slurmtest.ScenarioNow}}, slurmtest.ScenarioNow)
		}
	})
}
