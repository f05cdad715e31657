package nomadexec

import (
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/gpufit"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// GPUDevice is the Nomad device a Slurm GPU request asks for: vendor
// "nvidia", type "gpu", any model, as NVIDIA's device plugins (Nomad's own
// and hpcbridge's) fingerprint GPUs.
const GPUDevice = "nvidia/gpu"

// GPUModels names the GPU models (device group names) whose gres_type
// attribute is a Slurm GPU type, from the nodes Nomad knows (Nodes), so
// that a type the plugin sets but the model name lacks ("a100_80gb")
// selects those models.
type GPUModels interface {
	ModelsOfType(gpuType string) []string
}

// gpuDevices is the device request for the job's GPUs, or nil when it asks
// for none: a request of GPUDevice per part of the request (gpufit.Parts,
// which the submit check and the executor's admission read the same way).
// A GPU type selects the models it names (TypeConstraint); a node without
// matching devices never gets the job, which waits, as in Slurm, rather
// than running
// without its GPUs.
func gpuDevices(spec *jobspec.Spec, models GPUModels) []*api.RequestedDevice {
	var out []*api.RequestedDevice
	for _, p := range gpufit.Parts(spec) {
		dev := &api.RequestedDevice{Name: GPUDevice, Count: ptr(uint64(p.Count))}
		if c := TypeConstraint(p.Types, models); c != nil {
			dev.Constraints = []*api.Constraint{c}
		}
		out = append(out, dev)
	}
	return out
}

// TypeConstraint is the device constraint that selects GPUs of any of the
// Slurm types: a case-insensitive regexp on ${device.model} that matches a
// model of which a type is a word ("a100" matches "NVIDIA A100-SXM4-40GB",
// "a10" does not: see api.ModelHasType), or that is one of the models
// whose plugin gives it that gres_type (from models; nil: none known).
// Nil when types is empty.
func TypeConstraint(types []string, models GPUModels) *api.Constraint {
	var alts []string
	for _, t := range types {
		if t == "" {
			continue
		}
		alts = append(alts, `(?:^|[^a-z0-9])`+regexp.QuoteMeta(strings.ToLower(t))+`(?:[^a-z0-9]|$)`)
		if models == nil {
			continue
		}
		for _, m := range models.ModelsOfType(t) {
			if alt := `^` + regexp.QuoteMeta(m) + `$`; !slices.Contains(alts, alt) {
				alts = append(alts, alt)
			}
		}
	}
	if len(alts) == 0 {
		return nil
	}
	return &api.Constraint{LTarget: "${device.model}", Operand: "regexp", RTarget: "(?i)" + strings.Join(alts, "|")}
}
