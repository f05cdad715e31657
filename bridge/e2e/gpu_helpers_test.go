package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
)

// gpuPluginName is the GPU device plugin's file name in the plugin dir,
// which its plugin block is named after.
const gpuPluginName = "hpcbridge-gpu"

// buildGPUTools builds what buildTools builds and the GPU device plugin
// beside the task driver.
func buildGPUTools(t *testing.T) (binDir, pluginDir string) {
	t.Helper()
	binDir, pluginDir = buildTools(t)
	cmd := exec.Command("go", "build", "-o", filepath.Join(pluginDir, gpuPluginName), "../../cmd/hpcbridge-gpu")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build the GPU device plugin: %v\n%s", err, b)
	}
	return binDir, pluginDir
}

// fakeGPUPlugin configures the device plugin on its fake backend (go-nvml's
// mock): count GPUs of model on the node, their UUIDs pinned by seed.
func fakeGPUPlugin(model string, count int, seed string) nomadagent.Plugin {
	return nomadagent.Plugin{Name: gpuPluginName, Config: map[string]any{
		"backend": "fake", "fake_model": model, "fake_count": count, "fake_seed": seed, "fingerprint_period": "1s",
	}}
}

// nodeGPUs waits until Nomad's node nodeID offers want healthy nvidia/gpu
// devices, and returns their group (the model) and instance ids (UUIDs).
func nodeGPUs(t *testing.T, nc *nomadapi.Client, nodeID string, want int) (model string, uuids []string) {
	t.Helper()
	eventually(t, fmt.Sprintf("node %s fingerprints %d GPUs", nodeID, want), 2*time.Minute, func() error {
		node, _, err := nc.Nodes().Info(nodeID, nil)
		if err != nil {
			return err
		}
		model, uuids = "", nil
		if node.NodeResources != nil {
			for _, d := range node.NodeResources.Devices {
				if d.Vendor+"/"+d.Type != nomadexec.GPUDevice {
					continue
				}
				model = d.Name
				for _, in := range d.Instances {
					if in.Healthy {
						uuids = append(uuids, in.ID)
					}
				}
			}
		}
		if len(uuids) != want {
			return fmt.Errorf("healthy GPUs %v (model %q)", uuids, model)
		}
		return nil
	})
	slices.Sort(uuids)
	return model, uuids
}

// gpuEnvScript prints the GPU environment of a batch job, says "started",
// and waits until the test creates release-<job id> in the submit
// directory.
const gpuEnvScript = `#!/bin/bash
for v in CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES HPCBRIDGE_GPU_UUIDS SLURM_JOB_GPUS SLURM_GPUS_ON_NODE GPU_DEVICE_ORDINAL; do
	echo "$v=${!v-<unset>}"
done
echo started
while [ ! -e "release-$SLURM_JOB_ID" ]; do sleep 0.1; done
echo released
`

// gpuOutput is what gpuEnvScript printed: its variables, and whether it
// has started and been released.
type gpuOutput struct {
	vars     map[string]string
	started  bool
	released bool
}

func parseGPUOutput(s string) gpuOutput {
	out := gpuOutput{vars: map[string]string{}}
	for _, line := range strings.Split(s, "\n") {
		switch line {
		case "started":
			out.started = true
		case "released":
			out.released = true
		default:
			if k, v, ok := strings.Cut(line, "="); ok {
				out.vars[k] = v
			}
		}
	}
	return out
}

// uuids are the GPU UUIDs the job was given: NVIDIA_VISIBLE_DEVICES, or
// the device plugin's own HPCBRIDGE_GPU_UUIDS when the driver does not pass
// the former on.
func (o gpuOutput) uuids() []string {
	v := o.vars["NVIDIA_VISIBLE_DEVICES"]
	if v == "" || v == "<unset>" {
		v = o.vars["HPCBRIDGE_GPU_UUIDS"]
	}
	return list(v)
}

// list splits a comma-separated list; nothing or "<unset>" is empty.
func list(v string) []string {
	if v == "" || v == "<unset>" {
		return nil
	}
	return strings.Split(v, ",")
}

// readOutput reads a job's output file, "" while it does not exist.
func (st *stack) readOutput(name string) string {
	b, err := os.ReadFile(filepath.Join(st.work, name))
	if err != nil {
		return ""
	}
	return string(b)
}

// release lets the gpuEnvScript job id end.
func (st *stack) release(id string) {
	st.t.Helper()
	if err := os.WriteFile(filepath.Join(st.work, "release-"+id), nil, 0o644); err != nil {
		st.t.Fatal(err)
	}
}

// allocatedGPUs are the GPU ids Nomad allocated to the live allocation of
// hpcbridge's job id (pending in the server's view until the client's
// next update, even once the task runs).
func allocatedGPUs(nc *nomadapi.Client, id string) ([]string, error) {
	allocs, _, err := nc.Jobs().Allocations(nomadexec.JobPrefix+id, false, nil)
	if err != nil {
		return nil, err
	}
	for _, stub := range allocs {
		if stub.DesiredStatus != nomadapi.AllocDesiredStatusRun ||
			stub.ClientStatus != nomadapi.AllocClientStatusRunning && stub.ClientStatus != nomadapi.AllocClientStatusPending {
			continue
		}
		a, _, err := nc.Allocations().Info(stub.ID, nil)
		if err != nil {
			return nil, err
		}
		var ids []string
		if a.AllocatedResources != nil && a.AllocatedResources.Tasks[nomadexec.TaskName] != nil {
			for _, d := range a.AllocatedResources.Tasks[nomadexec.TaskName].Devices {
				ids = append(ids, d.DeviceIDs...)
			}
		}
		slices.Sort(ids)
		return ids, nil
	}
	return nil, fmt.Errorf("%s%s has no live allocation", nomadexec.JobPrefix, id)
}

// newGPUStack starts a Nomad dev agent with the task driver and count fake
// GPUs of model, waits until Nomad offers them, and one coordinator.
func newGPUStack(t *testing.T, model string, count int, serverFlags ...string) (*stack, []string) {
	t.Helper()
	nomadtest.Require(t)
	binDir, plugins := buildGPUTools(t)
	agent := nomadtest.StartDev(t, nomadagent.Config{
		Dir: searchableDir(t), PluginDir: plugins, Drivers: []string{"hpcbridge"},
		Plugins: []nomadagent.Plugin{driverPlugin(), fakeGPUPlugin(model, count, "e2e-"+model)},
	})
	_, uuids := nodeGPUs(t, agent.API(), agent.NodeID(), count)
	return startStack(t, binDir, plugins, agent, serverFlags...), uuids
}
