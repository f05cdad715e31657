package api

import "strings"

// NodeGPU is one group of a node's GPUs: the instances of one model that
// a Nomad device plugin fingerprints (vendor nvidia, type gpu). The submit
// check (can any node ever run this job?) and sinfo read it.
type NodeGPU struct {
	// Model is the device group's name, as NVML names the model
	// ("NVIDIA A100-SXM4-40GB").
	Model string `json:"model"`
	// Type is the Slurm gres type a job asks for: the device attribute
	// gres_type when the plugin sets it ("a100"), else the model in lower
	// case with underscores for spaces ("nvidia_a100-sxm4-40gb").
	Type string `json:"type"`
	// Count is every instance the plugin reports, healthy or not (an
	// unhealthy GPU may come back); Healthy those Nomad places on now.
	Count   int `json:"count"`
	Healthy int `json:"healthy"`
	// Used are those hpcbridge jobs hold; UsedIndexes their indexes on the
	// node (PCI order, as NVML numbers them), as GresUsed's IDX shows them.
	Used        int   `json:"used,omitempty"`
	UsedIndexes []int `json:"used_indexes,omitempty"`
	// Fake is true when the plugin's fake backend invented these GPUs
	// (device attribute fake=true): they run nothing on a GPU.
	Fake bool `json:"fake,omitempty"`
}

// MatchesType reports whether the group is of the Slurm GPU type t, as
// --gres=gpu:t:N and --gpus=t:N name it: t equals the group's gres type
// (ignoring case), or, for a group whose plugin sets no gres_type, t is a
// word of the model name ("a100" matches "NVIDIA A100-SXM4-40GB", but "a10"
// does not). An empty t matches every group.
func (g NodeGPU) MatchesType(t string) bool {
	if t == "" || strings.EqualFold(t, g.Type) {
		return true
	}
	return ModelHasType(g.Model, t)
}

// ModelHasType reports whether t is a word of model, ignoring case: it
// appears there with neither a letter nor a digit just before or after it.
func ModelHasType(model, t string) bool {
	if t == "" {
		return false
	}
	m, t := strings.ToLower(model), strings.ToLower(t)
	for i := 0; ; {
		j := strings.Index(m[i:], t)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(t)
		if (start == 0 || !isAlnum(m[start-1])) && (end == len(m) || !isAlnum(m[end])) {
			return true
		}
		i = start + 1
	}
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
