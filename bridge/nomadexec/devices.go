package nomadexec

import (
	"regexp"
	"strings"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

// GPUDevice is the Nomad device a Slurm GPU request asks for: vendor
// "nvidia", type "gpu", any model, as NVIDIA's device plugins (Nomad's own
// and hpcbridge's) fingerprint GPUs.
const GPUDevice = "nvidia/gpu"

// gpuDevices is the device request for the job's GPUs (--gpus,
// --gpus-per-node, --gpus-per-task, --gres=gpu), or nil when it asks for
// none. A GPU type (gpu:a100:1) must appear in the device's model name,
// ignoring case ("a100" matches "NVIDIA A100-SXM4-80GB"); several types
// accept any of them. A node without a matching device never gets the job:
// it stays queued, as in Slurm, rather than running without its GPUs.
func gpuDevices(spec *jobspec.Spec) []*api.RequestedDevice {
	n := spec.GPUCount()
	if n <= 0 {
		return nil
	}
	dev := &api.RequestedDevice{Name: GPUDevice, Count: ptr(uint64(n))}
	if spec.GPUType != nil && *spec.GPUType != "" {
		var alts []string
		for _, t := range strings.Split(*spec.GPUType, ",") {
			alts = append(alts, regexp.QuoteMeta(t))
		}
		dev.Constraints = []*api.Constraint{{LTarget: "${device.model}", Operand: "regexp", RTarget: "(?i)(" + strings.Join(alts, "|") + ")"}}
	}
	return []*api.RequestedDevice{dev}
}
