package taskdriver

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/nomad/structs"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// gpuCompared are the GPU variables the comparison checks, in the batch
// shell and in every step task: the GPUs' (the driver's and srun's) and
// the request forms' (the coordinator's, taskspec.JobEnv).
var gpuCompared = slices.Concat(slurmGPUVars, gpuFormVars)

// gpuFormVars are set by sbatch from the request form; the coordinator
// sends them in the job's environment.
var gpuFormVars = []string{"SLURM_GPUS", "SLURM_GPUS_PER_NODE", "SLURM_GPUS_PER_TASK", "SLURM_CPUS_PER_GPU", "SLURM_MEM_PER_GPU"}

// forgedGPUExport is what a submitter exports to claim GPUs it was not
// given: Slurm overrides it, and so must the driver.
const forgedGPUExport = "--export=ALL,CUDA_VISIBLE_DEVICES=7,GPU_DEVICE_ORDINAL=7,SLURM_JOB_GPUS=9,HPCBRIDGE_GPU_INDEXES=5,NVIDIA_VISIBLE_DEVICES=all"

// gpuScript records the batch shell's environment and each task's of one
// srun step (srun's options in $1).
const gpuScript = `#!/bin/bash
env -0 > batch.env
srun -l $1 bash -c 'env -0 > step-$SLURM_PROCID.env'
`

// gpuEnvs is what gpuScript recorded.
type gpuEnvs struct {
	batch map[string]string
	steps []map[string]string
}

// TestGPUEnvMatchesSlurm runs the same GPU scripts on the oracle's real
// Slurm 22.05 (fake GPUs, TaskPlugin=task/none: absolute indexes) and
// under the driver, and compares every GPU variable of the batch shell
// and of each srun task: a value that differs, or is set on one side
// only, fails.
//
// The driver's side is driver-level: the test builds the TaskConfig that
// Nomad would hand over for the hpcbridge-gpu plugin's reservation of the
// GPUs Slurm gave its job (the plugin's Reserve environment in DeviceEnv
// and Env, the GPU UUIDs in NomadResources.Devices), and the job-level
// environment the coordinator would send (taskspec.JobEnv's variables,
// copied from Slurm's job, and the submitter's export).
func TestGPUEnvMatchesSlurm(t *testing.T) {
	requireRoot(t)
	slurmoracle.Require(t)
	cases := []struct {
		name  string
		args  []string // sbatch's
		step  string   // srun's
		steps int      // tasks of the step
	}{
		{"gres", []string{"--gres=gpu:2", forgedGPUExport}, "", 1},
		{"gpus", []string{"--gpus=2"}, "", 1},
		{"gpus-per-node", []string{"--gpus-per-node=2"}, "", 1},
		{"gpus-per-task", []string{"-n", "2", "--gpus-per-task=1"}, "", 2},
		{"gpus-per-task one-task step", []string{"-n", "2", "--gpus-per-task=1"}, "-n1", 1},
		{"typed gres", []string{"--gres=gpu:a100:1"}, "", 1},
		{"typed h100", []string{"--gres=gpu:h100:2"}, "", 1},
		{"cpus-per-gpu", []string{"--gres=gpu:2", "--cpus-per-gpu=2"}, "", 1},
		{"mem-per-gpu", []string{"--gres=gpu:1", "--mem-per-gpu=1G"}, "", 1},
		{"step gres count", []string{"--gres=gpu:2"}, "-n1 --gres=gpu:1", 1},
		{"step gpus-per-task", []string{"--gres=gpu:2", "-n2"}, "-n2 --gpus-per-task=1", 2},
		{"step gres none", []string{"--gres=gpu:2"}, "--gres=none", 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			td := newTestDriver(t, Config{})
			real := runOracleGPUJob(t, c.args, c.step, c.steps)
			if real.batch["SLURM_JOB_GPUS"] == "" {
				t.Fatalf("real Slurm gave the job no GPUs: %v", c.args)
			}
			ours := runDriverGPUJob(t, td, real, c.args, c.step, c.steps, 700+i)
			compareGPUEnv(t, "batch", real.batch, ours.batch)
			for rank := range real.steps {
				compareGPUEnv(t, fmt.Sprintf("step task %d", rank), real.steps[rank], ours.steps[rank])
			}
		})
	}
}

// runOracleGPUJob runs gpuScript with sbatch --wait on the oracle.
func runOracleGPUJob(t *testing.T, args []string, step string, steps int) gpuEnvs {
	t.Helper()
	slurmoracle.ResumeRealModeDrain(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "gpu.sh")
	if err := os.WriteFile(script, []byte(gpuScript), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	argv := slices.Concat([]string{"--wait", "--chdir", dir, "-o", "slurm.out", "-t", "5"}, args, []string{script, step})
	cmd := exec.CommandContext(ctx, "sbatch", argv...)
	cmd.Env = append(slurmoracle.CleanEnv(), slurmoracle.ConfEnv())
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "slurm.out"))
		t.Fatalf("sbatch %q under the oracle: %v\n%s\n%s", argv, err, out, log)
	}
	return readGPUEnvs(t, dir, steps)
}

// runDriverGPUJob runs gpuScript under the driver with the reservation
// Nomad would hand over for the GPUs real Slurm gave its job.
func runDriverGPUJob(t *testing.T, td *testDriver, real gpuEnvs, args []string, step string, steps, id int) gpuEnvs {
	t.Helper()
	jobID := fmt.Sprint(id)
	env := map[string]string{
		"SLURMD_NODENAME": real.batch["SLURMD_NODENAME"], "PATH": "/usr/local/bin:/usr/bin:/bin",
		"SLURM_JOB_ID": jobID, "SLURM_JOBID": jobID, "SLURM_JOB_NAME": "gpu", "SLURM_SUBMIT_DIR": "/tmp",
		"GORACE": "atexit_sleep_ms=0",
	}
	for _, k := range slices.Concat(coordinatorVars, gpuFormVars, []string{"SLURM_CPUS_ON_NODE"}) {
		if v, ok := real.batch[k]; ok && !slices.Contains([]string{"SLURM_JOB_ID", "SLURM_JOBID"}, k) {
			env[k] = v
		}
	}
	if slices.Contains(args, forgedGPUExport) {
		// The submitter's export travels in the job's environment.
		for _, kv := range strings.Split(strings.TrimPrefix(forgedGPUExport, "--export=ALL,"), ",") {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	j := td.newJob(t, TaskConfig{Script: gpuScript, Args: []string{step}, Env: env, TimeLimitMin: 5}, nil)
	j.cfg.Env["PATH"] = env["PATH"]
	// The reservation: what the hpcbridge-gpu plugin's Reserve returns
	// for the GPUs with these NVML indexes, as Nomad's device hook passes
	// it, and the device ids Nomad allocated (which Nomad's plugin
	// protocol, like the harness's, does not carry to the driver).
	indexes := real.batch["SLURM_JOB_GPUS"]
	var uuids []string
	for _, n := range strings.Split(indexes, ",") {
		uuids = append(uuids, "GPU-fake0000-0000-0000-0000-"+fmt.Sprintf("%012s", n))
	}
	dev := map[string]string{envGPUIndexes: indexes, envGPUUUIDs: strings.Join(uuids, ","),
		envNvidiaVis: strings.Join(uuids, ","), envGPUBackend: "fake"}
	j.cfg.DeviceEnv = dev
	maps.Copy(j.cfg.Env, dev)
	j.cfg.Resources.NomadResources.Devices = []*structs.AllocatedDeviceResource{
		{Vendor: gpuVendor, Type: gpuType, Name: "NVIDIA A100-SXM4-40GB", DeviceIDs: uuids},
	}
	if res := j.run(); !res.Successful() {
		t.Fatalf("driver job: %s\n%s", describe(res), j.describe())
	}
	return readGPUEnvs(t, j.dir, steps)
}

// readGPUEnvs reads what gpuScript recorded in dir.
func readGPUEnvs(t *testing.T, dir string, steps int) gpuEnvs {
	t.Helper()
	e := gpuEnvs{batch: readEnvFile(t, filepath.Join(dir, "batch.env"))}
	for rank := range steps {
		e.steps = append(e.steps, readEnvFile(t, filepath.Join(dir, fmt.Sprintf("step-%d.env", rank))))
	}
	return e
}

// readEnvFile reads an `env -0` file.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// compareGPUEnv fails for each GPU variable set on one side only or set
// to different values.
func compareGPUEnv(t *testing.T, what string, real, ours map[string]string) {
	t.Helper()
	for _, k := range gpuCompared {
		rv, rok := real[k]
		ov, ook := ours[k]
		switch {
		case rok && !ook:
			t.Errorf("%s: Slurm sets %s=%q, hpcbridge does not", what, k, rv)
		case !rok && ook:
			t.Errorf("%s: hpcbridge sets %s=%q, Slurm does not", what, k, ov)
		case rv != ov:
			t.Errorf("%s: %s=%q, Slurm has %q", what, k, ov, rv)
		}
	}
}
