package taskdriver

import (
	"errors"
	"maps"
	"testing"

	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"
)

// reservation is the task config Nomad hands a driver for a task given the
// GPUs uuids (NVML indexes idx) by the hpcbridge-gpu plugin: the device
// hook's environment in DeviceEnv (and Env), the device ids in
// NomadResources.Devices.
func reservation(uuids, idx, backend string) *drivers.TaskConfig {
	dev := map[string]string{envGPUIndexes: idx, envGPUUUIDs: uuids, envNvidiaVis: uuids, envGPUBackend: backend}
	return &drivers.TaskConfig{
		Env:       maps.Clone(dev),
		DeviceEnv: dev,
		Resources: &drivers.Resources{NomadResources: &structs.AllocatedTaskResources{
			Devices: []*structs.AllocatedDeviceResource{{Vendor: gpuVendor, Type: gpuType, Name: "NVIDIA A100-SXM4-40GB", DeviceIDs: splitList(uuids)}},
		}},
	}
}

func TestReservedGPUs(t *testing.T) {
	g, err := reservedGPUs(reservation("GPU-b,GPU-a", "0,3", "fake"))
	if err != nil || g.list() != "0,3" || g.backend != "fake" || len(g.uuids) != 2 {
		t.Fatalf("reservedGPUs: %+v, %v", g, err)
	}
	// Over Nomad's plugin protocol the allocated ids do not arrive: the
	// device hook's environment alone says which GPUs the task has.
	remote := reservation("GPU-b,GPU-a", "0,3", "nvml")
	remote.Resources = nil
	if g, err := reservedGPUs(remote); err != nil || g.list() != "0,3" {
		t.Fatalf("reservation without the device ids: %+v, %v", g, err)
	}
	if g, err := reservedGPUs(&drivers.TaskConfig{}); err != nil || len(g.indexes) != 0 {
		t.Fatalf("no devices: %+v, %v", g, err)
	}
	bad := map[string]*drivers.TaskConfig{
		"ids without the plugin's env": func() *drivers.TaskConfig {
			c := reservation("GPU-a", "0", "fake")
			c.DeviceEnv = nil
			return c
		}(),
		"env in Env only (the task's, not the device hook's)": func() *drivers.TaskConfig {
			c := reservation("GPU-a", "0", "fake")
			c.DeviceEnv, c.Resources = nil, nil
			c.Env[envGPUIndexes] = "0"
			return c
		}(),
		"other GPUs than allocated": func() *drivers.TaskConfig {
			c := reservation("GPU-a", "0", "fake")
			c.Resources.NomadResources.Devices[0].DeviceIDs = []string{"GPU-z"}
			return c
		}(),
		"count mismatch":  reservation("GPU-a,GPU-b", "0", "fake"),
		"repeated UUID":   reservation("GPU-a,GPU-a", "0,1", "fake"),
		"not an index":    reservation("GPU-a", "-1", "fake"),
		"index too large": reservation("GPU-a", "100000", "fake"),
	}
	for name, c := range bad {
		g, err := reservedGPUs(c)
		if name == "env in Env only (the task's, not the device hook's)" {
			// Without Nomad's word, a task has no GPUs, whatever its env says.
			if err != nil || len(g.indexes) != 0 {
				t.Errorf("%s: %+v, %v; want no GPUs", name, g, err)
			}
			continue
		}
		if !errors.Is(err, errGPUReservation) {
			t.Errorf("%s: %+v, %v; want a reservation error", name, g, err)
		}
	}
}

// TestSubmitterCannotForgeGPUs: what a submitter exports (sbatch --export,
// carried in the task config's env) about GPUs never reaches the job: the
// job sees the GPUs Nomad reserved, as Slurm overrides the same variables;
// a job without GPUs sees none of them (Slurm unsets them too).
func TestSubmitterCannotForgeGPUs(t *testing.T) {
	forged := map[string]string{
		"CUDA_VISIBLE_DEVICES": "7", "GPU_DEVICE_ORDINAL": "7", "SLURM_JOB_GPUS": "7", "SLURM_STEP_GPUS": "6",
		"SLURM_GPUS_ON_NODE": "8", "SLURMD_TRES_BIND": "gpu:per_task:8", "ROCR_VISIBLE_DEVICES": "7", "ZE_AFFINITY_MASK": "7",
		envGPUIndexes: "5", envGPUUUIDs: "GPU-x", envNvidiaVis: "all", envGPUBackend: "nvml", "CUDA_DEVICE_ORDER": "FASTEST_FIRST",
		"SLURM_JOB_ID": "9",
	}
	cfg := reservation("GPU-b,GPU-a", "0,3", "fake")
	g, err := reservedGPUs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env := batchEnv(jobEnv(cfg.Env, forged), nodeFacts{node: "n1", cpus: 1, gpus: g})
	want := map[string]string{
		"CUDA_VISIBLE_DEVICES": "0,3", "GPU_DEVICE_ORDINAL": "0,3", "ROCR_VISIBLE_DEVICES": "0,3", "ZE_AFFINITY_MASK": "0,3",
		"SLURM_JOB_GPUS": "0,3", "SLURM_GPUS_ON_NODE": "2", "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
		envGPUIndexes: "0,3", envGPUUUIDs: "GPU-b,GPU-a", envNvidiaVis: "GPU-b,GPU-a", envGPUBackend: "fake",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"SLURM_STEP_GPUS", "SLURMD_TRES_BIND"} {
		if v, ok := env[k]; ok {
			t.Errorf("batch env has %s=%q", k, v)
		}
	}
	none := batchEnv(jobEnv(map[string]string{}, forged), nodeFacts{node: "n1", cpus: 1})
	for _, k := range append(append([]string{}, slurmGPUVars...), reservationVars...) {
		if v, ok := none[k]; ok {
			t.Errorf("job without GPUs: %s=%q", k, v)
		}
	}
}

// TestMIGInstancesByUUID: a MIG instance's index is its GPU's, so CUDA is
// told the instances' UUIDs.
func TestMIGInstancesByUUID(t *testing.T) {
	g, err := reservedGPUs(reservation("MIG-a,MIG-b", "0,0", "nvml"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	setGPUEnv(env, g)
	if env["CUDA_VISIBLE_DEVICES"] != "MIG-a,MIG-b" || env["SLURM_JOB_GPUS"] != "0,0" || env["SLURM_GPUS_ON_NODE"] != "2" {
		t.Errorf("MIG env: %v", env)
	}
}
