package taskdriver

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestSrunFiles: srun's -o/--output, -e/--error and -i/--input inside a
// job, as Slurm 22.05's srun does them for steps (each case below was run
// under real Slurm first: the oracle gave the same files and lines, with
// its job id, name, user and node).
func TestSrunFiles(t *testing.T) {
	td := newTestDriver(t, Config{})
	const both = `sh -c 'echo out $SLURM_PROCID; echo err $SLURM_PROCID >&2'`
	script := `#!/bin/bash
srun -n 2 -o 'f-%j-%J-%s-%t-%n-%N-%u-%x-%A-%a.out' ` + both + `
srun -n 2 -o 'same-%j.out' ` + both + `
srun -n 2 --output=o2.out --error='e2-%t.err' ` + both + `
srun -n 2 -o none sh -c 'echo none-out; echo none-err >&2'
srun -n 2 -o 1 sh -c 'echo task1only $SLURM_PROCID; echo task1err $SLURM_PROCID >&2'
echo in-$SLURM_JOB_ID > in.txt
srun -n 2 -i in.txt sh -c 'read x; echo got $x $SLURM_PROCID' | sort
srun -n 2 --input=none sh -c 'read x; echo rc=$? $SLURM_PROCID' | sort
echo tpl0 > in-0.txt; echo tpl1 > in-1.txt
srun -n 2 -i 'in-%t.txt' sh -c 'read x; echo pt $x $SLURM_PROCID' | sort
srun -n 1 -o 'x-%4t-%5s-%J' true
srun -n 2 -e err-only.txt sh -c 'echo eo-out $SLURM_PROCID; echo eo-err $SLURM_PROCID >&2' | sort
echo first > app.txt
srun -n 1 -o app.txt --open-mode=append echo appended
srun -n 1 -o "$PWD/nosuchdir/x" true; echo "rc=$?"
`
	j := td.newJob(t, TaskConfig{Script: script}, coordinatorEnv("12"))
	if res := j.run(); res.ExitCode != 0 {
		t.Fatalf("result: %s\n%s", describe(res), j.file("slurm-12.out"))
	}
	sorted := func(s string) string {
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		slices.Sort(lines)
		return strings.Join(lines, "\n") + "\n"
	}
	files := map[string]string{
		"f-12-12.0-0-0-0-node7-alice-demo-12-4294967294.out": "out 0\nerr 0\n",
		"f-12-12.0-0-1-0-node7-alice-demo-12-4294967294.out": "out 1\nerr 1\n",
		"same-12.out":       "err 0\nerr 1\nout 0\nout 1\n", // sorted: the tasks interleave
		"o2.out":            "out 0\nout 1\n",
		"e2-0.err":          "err 0\n",
		"e2-1.err":          "err 1\n",
		"x-0000-00008-12.8": "",
		"err-only.txt":      "eo-err 0\neo-err 1\n",
		"app.txt":           "first\nappended\n",
	}
	for name, want := range files {
		got := j.file(name)
		if name == "same-12.out" || name == "o2.out" || name == "err-only.txt" {
			got = sorted(got)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	entries, _ := os.ReadDir(j.dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "none") {
			t.Errorf("-o none made a file %s", e.Name())
		}
	}
	out := j.file("slurm-12.out")
	wantPrefix := "task1only 1\ntask1err 1\ngot in-12 0\ngot in-12 1\nrc=1 0\nrc=1 1\npt tpl0 0\npt tpl1 1\neo-out 0\neo-out 1\n"
	if !strings.HasPrefix(out, wantPrefix) {
		t.Errorf("slurm-12.out:\n%s\nwant it to start with:\n%s", out, wantPrefix)
	}
	rest := strings.TrimPrefix(out, wantPrefix)
	if rest != "srun: error: Could not open stdout file: No such file or directory\nrc=1\n" {
		t.Errorf("an output file srun cannot open: %q", rest)
	}
}
