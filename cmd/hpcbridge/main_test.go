package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// invoke runs the binary in-process as argv[0] with the given arguments.
func invoke(t *testing.T, argv0 string, env []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{argv0}, args...), strings.NewReader(stdin), &out, &errb, env)
	return code, out.String(), errb.String()
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, s)
	}
	return m
}

func TestJobspecPrintsTheContract(t *testing.T) {
	script := slurmtest.WriteScript(t, "#!/bin/bash\n#SBATCH -t 10 --gres=gpu:a100:2\n#SBATCH --array=1-5%2\necho\n")
	code, out, errs := invoke(t, "hpcbridge", []string{"SBATCH_PARTITION=gpu"}, "", "jobspec", "-J", "cli", script, "a", "b")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	m := decode(t, out)
	for _, k := range append(slurmoracle.Keys(), "script_args", "ignored", "warnings") {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	checks := map[string]any{
		"job_name": "cli", "partition": "gpu", "time_limit_min": 10.0, "gpus_per_node": 2.0, "gpu_type": "a100",
	}
	for k, want := range checks {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if got := m["array"].(map[string]any); got["spec"] != "1-5%2" || got["count"] != 5.0 || got["throttle"] != 2.0 {
		t.Errorf("array = %v", got)
	}
	if got := m["script_args"].([]any); len(got) != 2 || got[0] != "a" {
		t.Errorf("script_args = %v", got)
	}
}

func TestJobspecExitCodes(t *testing.T) {
	bad := slurmtest.WriteScript(t, "#!/bin/bash\n#SBATCH --time=soon\n")
	code, out, errs := invoke(t, "hpcbridge", nil, "", "jobspec", bad)
	if code != exitRejected || out != "" {
		t.Errorf("bad script: exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errs, "job.sh:2:16: error: --time: invalid time limit") || !strings.Contains(errs, "^") {
		t.Errorf("diagnostics = %q", errs)
	}
	if code, _, errs := invoke(t, "hpcbridge", nil, "", "jobspec", filepath.Join(t.TempDir(), "missing.sh")); code != exitRejected || !strings.Contains(errs, "unable to open") {
		t.Errorf("missing script: exit %d, %q", code, errs)
	}
	if code, out, _ := invoke(t, "hpcbridge", nil, "", "jobspec", "--help"); code != exitOK || !strings.Contains(out, "usage: hpcbridge jobspec") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
	if code, _, _ := invoke(t, "hpcbridge", []string{"HPCBRIDGE_MAX_ARRAY_SIZE=x"}, "", "jobspec", bad); code != exitUsage {
		t.Errorf("bad HPCBRIDGE_MAX_ARRAY_SIZE: exit %d", code)
	}
}

func TestJobspecStdinAndWrap(t *testing.T) {
	code, out, errs := invoke(t, "hpcbridge", nil, "#!/bin/sh\n#SBATCH -J fromstdin\n", "jobspec", "-")
	if code != exitOK || decode(t, out)["job_name"] != "fromstdin" {
		t.Errorf("stdin: exit %d %s %s", code, out, errs)
	}
	code, out, errs = invoke(t, "hpcbridge", nil, "", "jobspec", "--wrap", "echo hi", "-t", "5")
	if code != exitOK {
		t.Fatalf("wrap: exit %d %s", code, errs)
	}
	if m := decode(t, out); m["job_name"] != "wrap" || m["wrap"] != "echo hi" || m["time_limit_min"] != 5.0 {
		t.Errorf("wrap spec = %v", m)
	}
}

func TestArrayLimit(t *testing.T) {
	script := slurmtest.WriteScript(t, "#!/bin/sh\n#SBATCH --array=0-999999\n")
	if code, _, errs := invoke(t, "hpcbridge", nil, "", "jobspec", script); code != exitOK {
		t.Errorf("a million tasks should fit hpcbridge's default limit: exit %d %s", code, errs)
	}
	if code, _, _ := invoke(t, "hpcbridge", []string{"HPCBRIDGE_MAX_ARRAY_SIZE=1001"}, "", "jobspec", script); code != exitRejected {
		t.Errorf("limit 1001: exit %d", code)
	}
}

func TestSbatchPersonality(t *testing.T) {
	script := slurmtest.WriteScript(t, "#!/bin/sh\n#SBATCH -J viasbatch\n")
	code, out, errs := invoke(t, "/usr/local/bin/sbatch", nil, "", "--parse-only", "-t", "7", script, "--parse-only")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	m := decode(t, out)
	if m["job_name"] != "viasbatch" || m["time_limit_min"] != 7.0 {
		t.Errorf("spec = %v", m)
	}
	if args := m["script_args"].([]any); len(args) != 1 || args[0] != "--parse-only" {
		t.Errorf("a script argument named --parse-only must reach the script: %v", args)
	}
	// Nothing listens at this address: every command says so, as Slurm's
	// commands do when slurmctld is down.
	env := []string{"HPCBRIDGE_ADDR=http://127.0.0.1:1", "HOME=" + t.TempDir()}
	if code, _, errs := invoke(t, "sbatch", env, "", script); code != exitRejected || !strings.Contains(errs, "Unable to contact slurm controller") {
		t.Errorf("submit without a coordinator: exit %d %q", code, errs)
	}
	for _, argv := range [][]string{{"squeue"}, {"scancel", "12"}, {"sacct"}, {"sinfo"}, {"scontrol", "show", "job"}} {
		if code, _, errs := invoke(t, argv[0], env, "", argv[1:]...); code != exitRejected || !strings.Contains(errs, "Unable to contact slurm controller") {
			t.Errorf("%s: exit %d %q", argv[0], code, errs)
		}
	}
}

func TestExplain(t *testing.T) {
	script := slurmtest.WriteScript(t, "#!/bin/sh\n#SBATCH -J train -N 2 -n 8 --gpus-per-node=4 -t 1-0 --signal=B:USR1@120\n#SBATCH --array=0-9%2\n")
	code, out, errs := invoke(t, "hpcbridge", nil, "", "explain", script)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{`job "train"`, "2 node(s), 8 tasks", "GPUs: 4 per node", "time limit: 1440 minute(s)",
		"array of 10 tasks (0-9%2), at most 2 running at once", "sends SIGUSR1 to the batch shell 120 s before the time limit"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
}

// runCmd runs a Slurm command in-process with the given deps.
func runCmd(t *testing.T, d slurm.Deps, stdin string, env []string, argv ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runWith(argv, streams{in: strings.NewReader(stdin), out: &out, err: &errb, env: env}, d)
	return code, out.String(), errb.String()
}
