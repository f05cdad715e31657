package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWorkflowToolCommands runs on a real Nomad agent what workflow tools
// drive: sbatch --wrap jobs, srun's file patterns inside a job, and srun
// on the submit host.
func TestWorkflowToolCommands(t *testing.T) {
	top := newStack(t)
	t.Run("wrap job completes", func(t *testing.T) { wrapJobCompletes(top.on(t).in("wrap")) })
	t.Run("srun files in a job", func(t *testing.T) { srunFilesInJob(top.on(t).in("srunfiles")) })
	t.Run("srun on the submit host", func(t *testing.T) { srunOnSubmitHost(top.on(t).in("srun")) })
	t.Run("scontrol show config", func(t *testing.T) { showConfig(top.on(t)) })
}

// wrapJobCompletes: an sbatch --wrap job runs the command through the
// script sbatch generates for it, and ends COMPLETED with the command's
// output in its output file.
func wrapJobCompletes(st *stack) {
	t := st.t
	id := st.sbatch("--wrap", `echo "wrapped $SLURM_JOB_NAME"; head -2 "$0"`)
	st.waitEnded(2*time.Minute, id)
	if got := st.sacctState(id); got != "COMPLETED|0:0" {
		t.Errorf("sacct: %q, want COMPLETED|0:0", got)
	}
	want := "wrapped wrap\n#!/bin/sh\n# This script was created by sbatch --wrap.\n"
	if got := st.readFile("slurm-" + id + ".out"); got != want {
		t.Errorf("slurm-%s.out = %q, want %q", id, got, want)
	}
	// sacct selects the batch step alone, and nothing for steps it has no
	// record of.
	if got := st.must("sacct", "-n", "-P", "-j", id+".batch", "-o", "jobid,state"); got != id+".batch|COMPLETED\n" {
		t.Errorf("sacct -j %s.batch: %q", id, got)
	}
	if got := st.must("sacct", "-n", "-P", "-j", id+".0", "-o", "jobid,state"); got != "" {
		t.Errorf("sacct -j %s.0: %q, want nothing", id, got)
	}
}

// showConfig: scontrol show config gives the coordinator's own settings.
func showConfig(st *stack) {
	t := st.t
	out := st.must("scontrol", "show", "config")
	for _, want := range []string{"\nClusterName             = hpcbridge\n", "\nKillWait                = 3 sec\n",
		"\nMaxArraySize            = 1000001\n", "\nDefMemPerNode           = 512\n", "\nSLURM_VERSION           = 22.05.8\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("scontrol show config lacks %q:\n%s", want, out)
		}
	}
}

// srunFilesInJob: srun -o with a per-task pattern inside a job on Nomad.
func srunFilesInJob(st *stack) {
	t := st.t
	id := st.sbatch("-n", "2", "-J", "pat", "--wrap", `srun -o 'r-%j-%s-%t-%x.out' -e none sh -c 'echo task $SLURM_PROCID; echo lost >&2'`)
	st.waitEnded(2*time.Minute, id)
	if got := st.sacctState(id); got != "COMPLETED|0:0" {
		t.Errorf("sacct: %q, want COMPLETED|0:0\n%s", got, st.readFile("slurm-"+id+".out"))
	}
	for rank, want := range []string{"task 0\n", "task 1\n"} {
		name := "r-" + id + "-0-" + string(rune('0'+rank)) + "-pat.out"
		if got := st.readFile(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// srunOnSubmitHost: srun outside a job submits a one-step job, streams
// the tasks' stdout and stderr to its own and exits with their exit code.
func srunOnSubmitHost(st *stack) {
	t := st.t
	cmd := exec.Command(filepath.Join(st.binDir, "srun"), "-n", "2", "-l", "sh", "-c", `echo "out $SLURM_PROCID $SLURM_JOB_NAME"; echo "err $SLURM_PROCID" >&2; exit 3`)
	var out, errb bytes.Buffer
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = st.work, st.env, &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("srun: %v, want exit status 3\nstdout: %s\nstderr: %s", err, out.String(), errb.String())
	}
	lines := func(s string) []string {
		l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		slices.Sort(l)
		return l
	}
	if got, want := lines(out.String()), []string{"0: out 0 sh", "1: out 1 sh"}; !slices.Equal(got, want) {
		t.Errorf("stdout %q, want %q", got, want)
	}
	gotErr := lines(errb.String())
	for _, w := range []string{"0: err 0", "1: err 1"} {
		if !slices.Contains(gotErr, w) {
			t.Errorf("stderr %q lacks %q", gotErr, w)
		}
	}
	// The same through "hpcbridge srun", and no output file is left.
	cmd = exec.Command(filepath.Join(st.binDir, "hpcbridge"), "srun", "echo", "busybox")
	cmd.Dir, cmd.Env = st.work, st.env
	if b, err := cmd.Output(); err != nil || string(b) != "busybox\n" {
		t.Errorf("hpcbridge srun echo busybox: %q, %v", b, err)
	}
	if m, _ := filepath.Glob(filepath.Join(st.work, "slurm-*")); len(m) != 0 {
		t.Errorf("srun left output files: %v", m)
	}

	// Ctrl-C cancels the job, as srun's does.
	cmd = exec.Command(filepath.Join(st.binDir, "srun"), "-J", "interrupted", "sh", "-c", "echo started; exec sleep 300")
	out.Reset()
	errb.Reset()
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = st.work, st.env, &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var id string
	eventually(t, "the srun job running", 2*time.Minute, func() error {
		got := strings.TrimSpace(st.must("squeue", "-h", "-n", "interrupted", "-t", "R", "-o", "%i"))
		if got == "" {
			return errors.New("not running yet")
		}
		id = got
		return nil
	})
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Errorf("srun after SIGINT: %v, want exit 130\nstderr: %s", err, errb.String())
		}
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("srun did not end after SIGINT")
	}
	st.waitEnded(time.Minute, id)
	if got := st.sacctState(id); !strings.HasPrefix(got, "CANCELLED") {
		t.Errorf("the interrupted srun's job: sacct %q, want CANCELLED", got)
	}
}
