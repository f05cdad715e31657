package taskspec

import "testing"

// TestJobEnvGPUForms: the request-form GPU variables, as the oracle's
// sbatch sets them (values as given; --mem-per-gpu in MiB), and none for
// a job that did not use the form (--gres=gpu:2 sets none of them).
func TestJobEnvGPUForms(t *testing.T) {
	cpus, mem := 2, int64(1024)
	env := JobEnv(Job{ID: 1, GPUs: "a100:2", GPUsPerNode: "2", GPUsPerTask: "1", CPUsPerGPU: &cpus, MemPerGPUMiB: &mem})
	want := map[string]string{"SLURM_GPUS": "a100:2", "SLURM_GPUS_PER_NODE": "2", "SLURM_GPUS_PER_TASK": "1",
		"SLURM_CPUS_PER_GPU": "2", "SLURM_MEM_PER_GPU": "1024"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	plain := JobEnv(Job{ID: 1})
	for k := range want {
		if v, ok := plain[k]; ok {
			t.Errorf("job without GPU options: %s=%q", k, v)
		}
	}
}
