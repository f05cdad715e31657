package srun

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args []string
		want options
	}{
		{[]string{"hostname"}, options{command: []string{"hostname"}}},
		{[]string{"-n", "3", "-l", "a", "-n", "x"}, options{ntasks: 3, label: true, command: []string{"a", "-n", "x"}}},
		{[]string{"-ln4", "-c2", "cmd"}, options{ntasks: 4, cpusPerTask: 2, label: true, command: []string{"cmd"}}},
		{[]string{"--ntasks=2", "--cpus-per-task", "3", "--cpu-bind=cores", "--export=ALL,A=b", "--", "-x"},
			options{ntasks: 2, cpusPerTask: 3, export: "ALL,A=b", command: []string{"-x"}}},
		{[]string{"-N", "1", "--nodes=1-1", "-K", "--mpi=pmi2", "true"}, options{killOnBad: true, command: []string{"true"}}},
		{[]string{"-D", "/tmp", "-J", "name", "-O", "t"}, options{chdir: "/tmp", jobName: "name", overcommit: true, command: []string{"t"}}},
	}
	for _, c := range cases {
		got, err := parseArgs(c.args)
		if err != nil {
			t.Errorf("parseArgs(%q): %v", c.args, err)
			continue
		}
		if got.ntasks != c.want.ntasks || got.cpusPerTask != c.want.cpusPerTask || got.label != c.want.label ||
			got.export != c.want.export || got.chdir != c.want.chdir || got.jobName != c.want.jobName ||
			got.overcommit != c.want.overcommit || got.killOnBad != c.want.killOnBad || !slices.Equal(got.command, c.want.command) {
			t.Errorf("parseArgs(%q) = %+v, want %+v", c.args, *got, c.want)
		}
	}
	usage := [][]string{{"--bogus", "x"}, {"-Z"}, {"-n"}, {"-n", "0", "x"}, {"--label=1", "x"}, {"-c", "two", "x"}}
	for _, args := range usage {
		if _, err := parseArgs(args); !errors.Is(err, errUsage) {
			t.Errorf("parseArgs(%q) = %v, want a usage error", args, err)
		}
	}
	// -N 2 parses (a multi-node job's steps use it); a one-node job's
	// step refuses it with a plain error.
	o, err := parseArgs([]string{"-N", "2", "--ntasks-per-node=1", "-w", "n[1-2]", "-r", "1", "--multi-prog", "x"})
	if err != nil || o.nodesMin != 2 || o.nodesMax != 2 || o.ntasksPerNode != 1 || o.nodelist != "n[1-2]" || o.relative != 1 || !o.multiProg {
		t.Fatalf("multi-node options: %+v, %v", o, err)
	}
	if err := o.checkOneNode(); err == nil || errors.Is(err, errUsage) {
		t.Errorf("-N 2 in a one-node job: %v, want a plain error", err)
	}
}

func TestExportEnv(t *testing.T) {
	env := []string{"PATH=/bin", "HOME=/h", "SLURM_JOB_ID=3", "X=1"}
	cases := []struct {
		export string
		want   []string
	}{
		{"", env},
		{"ALL", env},
		{"NONE", []string{"SLURM_JOB_ID=3"}},
		{"PATH,Y=2", []string{"PATH=/bin", "SLURM_JOB_ID=3", "Y=2"}},
		{"ALL,X=9", []string{"HOME=/h", "PATH=/bin", "SLURM_JOB_ID=3", "X=9"}},
	}
	for _, c := range cases {
		got := exportEnv(env, c.export)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("exportEnv(%q) = %q, want %q", c.export, got, want)
		}
	}
}

func TestTasks(t *testing.T) {
	cases := map[string][]int{
		"task 1":        {1},
		"tasks 0,2":     {2, 0},
		"tasks 0-3":     {3, 1, 0, 2},
		"tasks 0,1,5-7": {0, 1, 5, 6, 7},
	}
	for want, ranks := range cases {
		if got := tasks(ranks); got != want {
			t.Errorf("tasks(%v) = %q, want %q", ranks, got, want)
		}
	}
}

// TestParseArgsWording pins getopt_long's words for each malformed option.
func TestParseArgsWording(t *testing.T) {
	for args, msg := range map[string]string{
		"--bogus x":       "unrecognized option '--bogus'",
		"--bogus=1 x":     "unrecognized option '--bogus=1'",
		"--lab x":         "unrecognized option '--lab'",
		"-n":              "option requires an argument -- 'n'",
		"--ntasks":        "option '--ntasks' requires an argument",
		"--label=1 x":     "option '--label' doesn't allow an argument",
		"-Z x":            "invalid option -- 'Z'",
		"-lZ x":           "invalid option -- 'Z'",
		"--open-mode=x y": "Invalid --open-mode argument: x. Ignored",
		"-n 0 x":          `invalid --ntasks value "0": want a positive whole number`,
	} {
		if _, err := parseArgs(strings.Fields(args)); err == nil || err.Error() != msg {
			t.Errorf("parseArgs(%q): %v, want %q", args, err, msg)
		}
	}
	o, err := parseArgs([]string{"-ln2", "-K", "--kill-on-bad-exit=0", "--", "-x", "y"})
	if err != nil || !o.label || o.ntasks != 2 || o.killOnBad || strings.Join(o.command, " ") != "-x y" {
		t.Errorf("parseArgs: %+v, %v", o, err)
	}
}
