// Package gpufit decides where a job's GPU request fits, on the nodes as
// the coordinator lists them (bridge/api Node, NodeGPU): whether some node
// could ever run it (the submit check, which refuses a request no node can
// meet, as Slurm refuses "Requested node configuration is not available"),
// and whether one can now (the executor keeps a job PENDING with reason
// Resources until then). It follows Nomad's device scheduling: each part
// of a request (GPUParts) is served by one device group, a model, of one
// node; an untyped request does not mix models. It imports no Nomad
// package.
package gpufit

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// Part is one device request of a job: Count GPUs of one of Types (any GPU
// when Types is empty) on the job's node.
type Part struct {
	Types []string
	Count int
}

// Parts is the job's GPU request per node: one part per type when the
// request that sets the count lists several typed GPUs
// (--gres=gpu:a100:1,gpu:h100:1 or --gpus=a100:1,h100:1 asks for one of
// each; --gpus-per-task=a100:1,h100:1 for one of each per task), else one
// part of GPUCount GPUs of any of the job's types. Jobs run on one node,
// so the job's GPUs are its node's (--gpus, --gpus-per-node,
// --gpus-per-task x tasks, --gres=gpu). Nil when the job asks for no GPU.
//
// A job on N >= 2 nodes asks for that on each node: the job's count over
// N, rounded up (--gpus-per-node as given; --gpus=4 -N 2 is 2 a node).
func Parts(spec *jobspec.Spec) []Part {
	n := spec.GPUCount()
	if n <= 0 {
		return nil
	}
	var types []string
	if spec.GPUType != nil && *spec.GPUType != "" {
		types = strings.Split(*spec.GPUType, ",")
	}
	parts := []Part{{Types: types, Count: n}}
	if len(types) > 1 {
		if typed := typedParts(spec, n); typed != nil {
			parts = typed
		}
	}
	if nodes := spec.MinNodes(); nodes > 1 {
		for i := range parts {
			parts[i].Count = (parts[i].Count + nodes - 1) / nodes
		}
	}
	return parts
}

// typedParts splits the request that sets the job's GPU count (Spec's
// GPUCount: --gpus, else --gpus-per-node or --gres=gpu, else
// --gpus-per-task) by type, when each of its entries is typed and they
// add up to n; else nil.
func typedParts(spec *jobspec.Spec, n int) []Part {
	var entries []jobspec.GresEntry
	times := 1
	switch {
	case spec.GPUsPerJob != nil:
		entries, _ = jobspec.ParseGPUList(spec.GPURequests[0])
	case spec.GPUsPerNode != nil && spec.GPURequests[1] != "":
		entries, _ = jobspec.ParseGPUList(spec.GPURequests[1])
	case spec.GPUsPerNode != nil:
		for _, g := range spec.Gres {
			e, err := jobspec.ParseGres(g)
			if err != nil || len(e) != 1 {
				return nil
			}
			entries = append(entries, e[0])
		}
	case spec.GPUsPerTask != nil:
		entries, _ = jobspec.ParseGPUList(spec.GPURequests[2])
		times = spec.TaskCount()
	}
	var parts []Part
	sum := 0
	for _, e := range entries {
		if e.Name != "gpu" || e.Type == "" {
			return nil
		}
		if e.Count > 0 {
			parts = append(parts, Part{Types: []string{e.Type}, Count: int(e.Count) * times})
			sum += int(e.Count) * times
		}
	}
	if len(parts) < 2 || sum != n {
		return nil
	}
	return parts
}

// matches says whether group g is of one of the part's types.
func (p Part) matches(g api.NodeGPU) bool {
	if len(p.Types) == 0 {
		return true
	}
	for _, t := range p.Types {
		if g.MatchesType(t) {
			return true
		}
	}
	return false
}

// ErrNeverFits is wrapped by Never's error: no node can ever run the job.
// Its text is Slurm's, which sbatch prints.
var ErrNeverFits = errors.New("Requested node configuration is not available")

// Job is what the submit check needs of a job besides its GPUs.
type Job struct {
	// Partitions the job may run in (any of them).
	Partitions []string
	// CPUs and MemMiB the job needs on its node (0: not checked).
	CPUs   int
	MemMiB int64
}

// Never returns an error wrapping ErrNeverFits when no node of the job's
// partitions could run its GPU request even were it idle, whatever its
// state now (a node that is down may come back; an unhealthy GPU may
// recover): none has, for each part, a model of the part's type with as
// many GPUs, with the CPUs and memory too; --nodelist and --exclude are
// applied. It returns nil for a job without GPUs, and when no node of
// those partitions is registered yet or one is still initializing (a
// cluster whose clients have not all registered must not refuse what they
// would offer: such a job waits PENDING, reason Resources).
func Never(spec *jobspec.Spec, job Job, nodes []api.Node) error {
	parts := Parts(spec)
	if len(parts) == 0 {
		return nil
	}
	var cands []api.Node
	for _, n := range nodes {
		if !InPartitions(n, job.Partitions) {
			continue
		}
		if n.State == api.NodeUnknown {
			return nil
		}
		cands = append(cands, n)
	}
	if len(cands) == 0 {
		return nil
	}
	cands, err := byNodeOptions(spec, cands)
	if err != nil {
		return err
	}
	other := "" // the first node that had the GPUs but not the CPUs or memory
	fit, want := 0, spec.MinNodes()
	for _, n := range cands {
		free := make([]int, len(n.GPUs))
		for i, g := range n.GPUs {
			free[i] = g.Count
		}
		why := ""
		switch {
		case !take(n.GPUs, free, parts):
			why = "GPUs"
		case job.CPUs > 0 && n.CPUs > 0 && job.CPUs > n.CPUs:
			why = fmt.Sprintf("%d CPUs (the node has %d)", job.CPUs, n.CPUs)
		case job.MemMiB > 0 && n.MemMiB > 0 && job.MemMiB > n.MemMiB:
			why = fmt.Sprintf("%d MiB of memory (the node has %d)", job.MemMiB, n.MemMiB)
		default:
			if fit++; fit >= want {
				return nil
			}
			continue
		}
		if why != "GPUs" && other == "" {
			other = n.Name + " lacks " + why
		}
	}
	if want > 1 {
		return fmt.Errorf("%w: %d node(s) of partition %s can ever give the job %s each, it asks for %d nodes (%d node(s) considered; %s)",
			ErrNeverFits, fit, strings.Join(job.Partitions, ","), describe(parts), want, len(cands), largest(cands, other))
	}
	return fmt.Errorf("%w: no node of partition %s can ever give the job %s (%d node(s) considered; %s)",
		ErrNeverFits, strings.Join(job.Partitions, ","), describe(parts), len(cands), largest(cands, other))
}

// Now reports whether the job's GPU request fits on some node of its
// partitions now: free healthy GPUs of a usable node (not down, not
// draining), after the GPUs of inFlight (requests started but not yet
// placed on the nodes' counts, each put on the first node it fits) are
// set aside. --nodelist and --exclude are applied.
func Now(spec *jobspec.Spec, partitions []string, nodes []api.Node, inFlight [][]Part) bool {
	parts := Parts(spec)
	if len(parts) == 0 {
		return true
	}
	var usable []api.Node
	for _, n := range nodes {
		if n.State == api.NodeDown || n.State == api.NodeUnknown || n.HasFlag(api.FlagDrain) {
			continue
		}
		usable = append(usable, n)
	}
	free := make([][]int, len(usable))
	for i, n := range usable {
		free[i] = make([]int, len(n.GPUs))
		for j, g := range n.GPUs {
			free[i][j] = max(g.Healthy-g.Used, 0)
		}
	}
	for _, req := range inFlight {
		for i, n := range usable {
			if take(n.GPUs, free[i], req) {
				break
			}
		}
	}
	mine, err := byNodeOptions(spec, usable)
	if err != nil {
		return false
	}
	fit := 0
	for i, n := range usable {
		if !InPartitions(n, partitions) || !slices.ContainsFunc(mine, func(m api.Node) bool { return m.Name == n.Name }) {
			continue
		}
		if take(n.GPUs, slices.Clone(free[i]), parts) {
			if fit++; fit >= spec.MinNodes() {
				return true // on as many distinct nodes as it asks for
			}
		}
	}
	return false
}

// take sets aside, from free (per group of gpus), each part's GPUs from one
// group of its type, the fullest first (as a best fit); it reports whether
// every part found room, and changes free only then.
func take(gpus []api.NodeGPU, free []int, parts []Part) bool {
	left := slices.Clone(free)
	for _, p := range parts {
		at := -1
		for i, g := range gpus {
			if p.matches(g) && left[i] >= p.Count && (at < 0 || left[i] < left[at]) {
				at = i
			}
		}
		if at < 0 {
			return false
		}
		left[at] -= p.Count
	}
	copy(free, left)
	return true
}

// InPartitions reports whether n is in one of parts (any node when parts
// is empty).
func InPartitions(n api.Node, parts []string) bool {
	if len(parts) == 0 {
		return true
	}
	for _, p := range parts {
		if slices.Contains(n.Partitions, p) {
			return true
		}
	}
	return false
}

// byNodeOptions keeps the nodes --nodelist names and --exclude does not.
func byNodeOptions(spec *jobspec.Spec, nodes []api.Node) ([]api.Node, error) {
	out := nodes
	if spec.Nodelist != nil && *spec.Nodelist != "" {
		names, err := hostlist.Expand(*spec.Nodelist)
		if err != nil {
			return nil, fmt.Errorf("--nodelist: %w", err)
		}
		out = slices.DeleteFunc(slices.Clone(out), func(n api.Node) bool { return !slices.Contains(names, n.Name) })
	}
	if spec.Exclude != nil && *spec.Exclude != "" {
		names, err := hostlist.Expand(*spec.Exclude)
		if err != nil {
			return nil, fmt.Errorf("--exclude: %w", err)
		}
		out = slices.DeleteFunc(slices.Clone(out), func(n api.Node) bool { return slices.Contains(names, n.Name) })
	}
	return out, nil
}

// describe writes the request: "9 GPUs", "1 GPU of type v100",
// "1 GPU of type a100 and 1 of type h100".
func describe(parts []Part) string {
	var out []string
	for i, p := range parts {
		s := fmt.Sprintf("%d GPU", p.Count)
		if p.Count != 1 {
			s += "s"
		}
		if i > 0 {
			s = fmt.Sprintf("%d", p.Count)
		}
		if len(p.Types) > 0 {
			s += " of type " + strings.Join(p.Types, " or ")
		}
		out = append(out, s)
	}
	return strings.Join(out, " and ")
}

// largest says what the nodes offer: the most GPUs of one model a node
// has, per type, or why the best candidate failed.
func largest(nodes []api.Node, why string) string {
	most := map[string]int{}
	for _, n := range nodes {
		for _, g := range n.GPUs {
			most[g.Type] = max(most[g.Type], g.Count)
		}
	}
	if len(most) == 0 {
		return "no node has a GPU"
	}
	var have []string
	for t, c := range most {
		have = append(have, fmt.Sprintf("%s:%d", t, c))
	}
	slices.Sort(have)
	s := "at most gpu:" + strings.Join(have, ", gpu:") + " on one node"
	if why != "" {
		s += "; " + why
	}
	return s
}
