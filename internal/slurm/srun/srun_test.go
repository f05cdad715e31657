package srun

import (
	"slices"
	"strings"
	"testing"
)

func TestSrunArgsAndScript(t *testing.T) {
	o, err := ParseArgs([]string{"-n2", "-l", "-p", "gpu", "--time=5", "-o", "out-%t", "--export=ALL,A=b", "--mpi=pmix", "sh", "-c", "echo 'x y'; exit 3"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--ntasks=2", "--partition=gpu", "--time=5", "--export=ALL,A=b"}; !slices.Equal(o.JobArgs, want) {
		t.Errorf("job options %q, want %q", o.JobArgs, want)
	}
	if want := []string{"--ntasks=2", "--label", "--output=out-%t", "--export=ALL,A=b"}; !slices.Equal(o.StepArgs, want) {
		t.Errorf("step options %q, want %q", o.StepArgs, want)
	}
	want := "#!/bin/sh\n# This script was created by hpcbridge srun.\n\nexec srun --ntasks=2 --label --output=out-%t --export=ALL,A=b -- sh -c 'echo '\\''x y'\\''; exit 3'\n"
	if got := string(Script(o)); got != want {
		t.Errorf("script:\n%q\nwant\n%q", got, want)
	}
	for bad, msg := range map[string]string{
		"--bogus x":     "unrecognized option '--bogus'",
		"--bogus=1 x":   "unrecognized option '--bogus=1'",
		"--lab x":       "unrecognized option '--lab'",
		"-n":            "option requires an argument -- 'n'",
		"--ntasks":      "option '--ntasks' requires an argument",
		"--label=1 x":   "option '--label' doesn't allow an argument",
		"-Z x":          "invalid option -- 'Z'",
		"-lh x":         "invalid option -- 'h'",
		"--help=1 x":    "unrecognized option '--help=1'",
		"-l --bogus -h": "unrecognized option '--bogus'",
	} {
		if _, err := ParseArgs(strings.Fields(bad)); err == nil || err.Error() != msg {
			t.Errorf("ParseArgs(%q): %v, want %q", bad, err, msg)
		}
	}
	for args, want := range map[string]string{"-h": "help", "-l --help x": "help", "--usage": "help", "-V": "version", "x -h": "command"} {
		o, err := ParseArgs(strings.Fields(args))
		got := "command"
		switch {
		case err != nil:
			got = err.Error()
		case o.help:
			got = "help"
		case o.version:
			got = "version"
		}
		if got != want {
			t.Errorf("ParseArgs(%q): %s, want %s", args, got, want)
		}
	}
	if o, err := ParseArgs([]string{"-l", "--", "-x"}); err != nil || !slices.Equal(o.command, []string{"-x"}) {
		t.Errorf("ParseArgs(-l -- -x): %v, %v", o, err)
	}
}
