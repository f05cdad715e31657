package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseNameFormat(t *testing.T) {
	fields, errs := parseNameFormat("jobid,Name:5,UserName:.10,State:|,bogus,", squeueCanonical, 20)
	want := []nameField{{"JobID", 20, false, ""}, {"Name", 5, false, ""}, {"UserName", 10, true, ""}, {"State", 0, false, "|"}}
	if fmt.Sprint(fields) != fmt.Sprint(want) || strings.Join(errs, ",") != "bogus" {
		t.Errorf("fields %v errs %v", fields, errs)
	}
}

func FuzzParseLetterFormat(f *testing.F) {
	for _, s := range []string{squeueDefaultFormat, squeueLongFormat, "%all", "x%iy", "%-5i|", "%3.5i", "%", "%.", "%99999999999999i"} {
		f.Add(s)
	}
	jobs := scenarioJobs(f)
	f.Fuzz(func(t *testing.T, format string) {
		fields, _ := parseLetterFormat(format, func(c byte) bool { _, ok := squeueLetters[c]; return ok })
		for _, fl := range fields {
			if fl.literal == "" && fl.width > maxFieldWidth {
				t.Fatalf("width %d", fl.width)
			}
		}
		if len(format) < 200 {
			formatSqueue(jobs, squeueOptions{Format: format, Now: scenarioNow}, scenarioNow)
		}
	})
}

func FuzzParseNameFormat(f *testing.F) {
	for _, s := range []string{"JobID,Name:5,UserName:.10,State:|", ":", ",,", "jobid:.", "Name:999999999999"} {
		f.Add(s)
	}
	jobs := scenarioJobs(f)
	f.Fuzz(func(t *testing.T, format string) {
		parseNameFormat(format, squeueCanonical, 20)
		if len(format) < 200 {
			formatSqueue(jobs, squeueOptions{FormatO: format, Now: scenarioNow}, scenarioNow)
		}
	})
}
