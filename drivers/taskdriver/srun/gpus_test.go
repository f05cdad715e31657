package srun

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestPlanGPUs: a step's GPU variables per task, as the oracle's Slurm
// 22.05 set them for the same srun line in the same job (nil: unset).
func TestPlanGPUs(t *testing.T) {
	type vars map[string]string
	gpuVars := func(gpus, onNode, bind string) vars {
		v := vars{"SLURM_STEP_GPUS": gpus, "CUDA_VISIBLE_DEVICES": gpus, "GPU_DEVICE_ORDINAL": gpus,
			"ROCR_VISIBLE_DEVICES": gpus, "ZE_AFFINITY_MASK": gpus, "SLURM_GPUS_ON_NODE": onNode}
		if bind != "" {
			v["SLURMD_TRES_BIND"] = bind
		}
		return v
	}
	migVars := func(v vars, cuda string) vars { v["CUDA_VISIBLE_DEVICES"] = cuda; return v }
	cases := []struct {
		name    string
		args    []string
		jobEnv  vars
		ntasks  int
		want    []vars // per task
		wantErr string
	}{
		{"no GPUs", nil, vars{}, 1, []vars{{}}, ""},
		{"all of the job's", nil, vars{"SLURM_JOB_GPUS": "0,1"}, 1, []vars{gpuVars("0,1", "2", "")}, ""},
		{"inherited per task", nil, vars{"SLURM_JOB_GPUS": "0,1", "SLURM_GPUS_PER_TASK": "1"}, 2,
			[]vars{gpuVars("0", "2", "gpu:per_task:1"), gpuVars("1", "2", "gpu:per_task:1")}, ""},
		{"per task 2", nil, vars{"SLURM_JOB_GPUS": "0,1,2,3", "SLURM_GPUS_PER_TASK": "2"}, 2,
			[]vars{gpuVars("0,1", "4", "gpu:per_task:2"), gpuVars("2,3", "4", "gpu:per_task:2")}, ""},
		{"per task on the line", []string{"--gpus-per-task=1"}, vars{"SLURM_JOB_GPUS": "24,25"}, 2,
			[]vars{gpuVars("24", "2", "gpu:per_task:1"), gpuVars("25", "2", "gpu:per_task:1")}, ""},
		{"one task per task", []string{"--gpus-per-task=1"}, vars{"SLURM_JOB_GPUS": "0,1"}, 1, []vars{gpuVars("0", "1", "")}, ""},
		{"gres count", []string{"--gres=gpu:1"}, vars{"SLURM_JOB_GPUS": "0,1"}, 1, []vars{gpuVars("0", "1", "")}, ""},
		{"gres none", []string{"--gres=none"}, vars{"SLURM_JOB_GPUS": "0,1"}, 1, []vars{{}}, ""},
		{"MIG instances by UUID", nil, vars{"SLURM_JOB_GPUS": "0,0", "SLURM_GPUS_PER_TASK": "1", "HPCBRIDGE_GPU_UUIDS": "MIG-a,MIG-b"}, 2,
			[]vars{migVars(gpuVars("0", "2", "gpu:per_task:1"), "MIG-a"), migVars(gpuVars("0", "2", "gpu:per_task:1"), "MIG-b")}, ""},
		{"gres too many", []string{"--gres=gpu:3"}, vars{"SLURM_JOB_GPUS": "0,1"}, 1, nil,
			"Step requested gres_per_node=gpu:3 is more than the job's gres_per_node=gpu:2"},
		{"per task too many", []string{"--gpus-per-task=1"}, vars{"SLURM_JOB_GPUS": "0,1"}, 4, nil,
			"Insufficient GRES available in allocation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := parseArgs(append(c.args, "true"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := planGPUs(o, c.ntasks, "7", func(k string) string { return c.jobEnv[k] })
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for rank, want := range c.want {
				set := map[string]string{}
				unset := p.env(rank, set)
				got := vars{}
				for k, v := range c.jobEnv {
					if slices.Contains(stepGPUVars, k) && !slices.Contains(unset, k) {
						got[k] = v
					}
				}
				maps.Copy(got, set)
				if !maps.Equal(got, want) {
					t.Errorf("task %d: %v, want %v", rank, got, want)
				}
			}
		})
	}
}
