package nomadexec

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/nomad/api"

	hbapi "github.com/hpcbridge/hpcbridge/bridge/api"
)

// Node attributes the hpcbridge task driver fingerprints.
const (
	// AttrRunAs is the driver's run-as policy: "submitter" or "pool".
	AttrRunAs = "driver." + DriverName + ".run_as"
	// AttrDriverVersion is the driver's version.
	AttrDriverVersion = "driver." + DriverName + ".version"
)

// DefaultNodesTTL is how long Nodes serves one look at Nomad.
const DefaultNodesTTL = 2 * time.Second

// nodesLookTimeout bounds one look, so that a Nomad that does not answer
// cannot hold sinfo (and every request queued behind the look) for ever.
const nodesLookTimeout = 15 * time.Second

// Bounds on what one node says, so that a node's meta cannot make the
// node list large.
const (
	maxFeatures    = 64
	maxFeatureLen  = 64
	maxReasonLen   = 256
	maxGresEntries = 16
)

// Nodes lists the Nomad clients that run hpcbridge jobs as Slurm nodes
// (sinfo, scontrol show node). A node is a client whose hpcbridge driver
// Nomad detected; its state is Slurm's:
//
//   - DOWN + NOT_RESPONDING: Nomad says down or disconnected (missed
//     heartbeats); DOWN: the driver is unhealthy (Reason says why);
//     UNKNOWN: the node is still initializing;
//   - DRAIN flag: Nomad drains the node or made it ineligible;
//   - else IDLE, MIXED or ALLOCATED by the CPUs the node's pending and
//     running hpcbridge allocations hold (an allocation's CPUs are its
//     CPU shares over MHzPerCPU, as the translation reserved them).
//
// One look at Nomad costs one node list and one allocation list call, plus
// one node read per node that changed since the last look (for its meta
// and attributes); looks are shared for TTL. It is safe for concurrent
// use.
type Nodes struct {
	// Client reaches Nomad.
	Client *api.Client
	// Partitions are the coordinator's partitions, in order; Placement
	// says where each runs (as Translation.Partitions). A node serves
	// every partition whose placement it matches.
	Partitions []string
	Placement  map[string]Partition
	// MHzPerCPU is the CPU shares a Slurm CPU reserves (default
	// DefaultMHzPerCPU).
	MHzPerCPU int
	// TTL is how long one look is served (DefaultNodesTTL when 0).
	TTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu       sync.Mutex
	at       time.Time
	last     []hbapi.Node
	lastJobs map[string]bool        // Nomad jobs with a pending or running hpcbridge allocation
	details  map[string]*nodeDetail // by node id
}

// nodeDetail is what the node list lacks, kept per node until it changes.
type nodeDetail struct {
	modifyIndex uint64
	attrs, meta map[string]string
}

// Nodes returns the nodes, at most TTL old.
func (n *Nodes) Nodes(ctx context.Context) ([]hbapi.Node, error) {
	nodes, _, err := n.get(ctx, time.Time{})
	return slices.Clone(nodes), err
}

// Snapshot returns the nodes, from a look at most TTL old that began no
// earlier than notBefore, and the Nomad jobs whose pending or running
// allocations that look counted (the GPUs they hold are the nodes'
// NodeGPU.Used). Both are shared with later callers: read them only (GPU
// admission asks once per pending GPU job and pass, so it is not copied).
func (n *Nodes) Snapshot(ctx context.Context, notBefore time.Time) ([]hbapi.Node, map[string]bool, error) {
	return n.get(ctx, notBefore)
}

func (n *Nodes) get(ctx context.Context, notBefore time.Time) ([]hbapi.Node, map[string]bool, error) {
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	ttl := n.TTL
	if ttl <= 0 {
		ttl = DefaultNodesTTL
	}
	n.mu.Lock() // one look at a time: concurrent callers share it
	defer n.mu.Unlock()
	if n.last != nil && now().Sub(n.at) < ttl && !n.at.Before(notBefore) {
		return n.last, n.lastJobs, nil
	}
	at := now()
	lctx, cancel := context.WithTimeout(ctx, nodesLookTimeout)
	defer cancel()
	nodes, jobs, err := n.look(lctx)
	if err != nil {
		return nil, nil, err
	}
	n.last, n.lastJobs, n.at = nodes, jobs, at
	return nodes, jobs, nil
}

// look asks Nomad: the nodes, and the Nomad jobs of the allocations it
// counted.
func (n *Nodes) look(ctx context.Context) ([]hbapi.Node, map[string]bool, error) {
	q := (&api.QueryOptions{Params: map[string]string{"resources": "true"}}).WithContext(ctx)
	stubs, _, err := n.Client.Nodes().List(q)
	if err != nil {
		return nil, nil, fmt.Errorf("list Nomad nodes: %w", err)
	}
	aq := (&api.QueryOptions{
		Params: map[string]string{"resources": "true", "task_states": "false"},
		Filter: `ClientStatus == "pending" or ClientStatus == "running"`,
	}).WithContext(ctx)
	allocs, _, err := n.Client.Allocations().List(aq)
	if err != nil {
		return nil, nil, fmt.Errorf("list Nomad allocations: %w", err)
	}
	use := n.usage(allocs)
	jobs := map[string]bool{}
	for _, a := range allocs {
		if strings.HasPrefix(a.JobID, JobPrefix) {
			jobs[a.JobID] = true
		}
	}
	if n.details == nil {
		n.details = map[string]*nodeDetail{}
	}
	seen := make(map[string]bool, len(stubs))
	var out []hbapi.Node
	for _, s := range stubs {
		d, ok := s.Drivers[DriverName]
		if !ok || !d.Detected {
			continue
		}
		seen[s.ID] = true
		det, err := n.detail(ctx, s)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, n.node(s, d, det, use[s.ID]))
	}
	for id := range n.details {
		if !seen[id] {
			delete(n.details, id)
		}
	}
	return out, jobs, nil
}

// detail returns a node's attributes and meta, read again when the node
// changed.
func (n *Nodes) detail(ctx context.Context, s *api.NodeListStub) (*nodeDetail, error) {
	if d := n.details[s.ID]; d != nil && d.modifyIndex == s.ModifyIndex {
		return d, nil
	}
	info, _, err := n.Client.Nodes().Info(s.ID, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("read Nomad node %s: %w", s.Name, err)
	}
	d := &nodeDetail{modifyIndex: s.ModifyIndex, attrs: info.Attributes, meta: info.Meta}
	n.details[s.ID] = d
	return d, nil
}

// nodeUse is what hpcbridge allocations hold on one node.
type nodeUse struct {
	jobs   int
	cpus   int
	memMiB int64
	gpus   map[string]bool // GPU instance ids held
}

// usage sums the hpcbridge allocations per node id.
func (n *Nodes) usage(allocs []*api.AllocationListStub) map[string]*nodeUse {
	mhz := int64(n.MHzPerCPU)
	if mhz <= 0 {
		mhz = DefaultMHzPerCPU
	}
	out := map[string]*nodeUse{}
	for _, a := range allocs {
		if !strings.HasPrefix(a.JobID, JobPrefix) || a.AllocatedResources == nil {
			continue
		}
		u := out[a.NodeID]
		if u == nil {
			u = &nodeUse{gpus: map[string]bool{}}
			out[a.NodeID] = u
		}
		u.jobs++
		for _, t := range a.AllocatedResources.Tasks {
			if t == nil {
				continue
			}
			u.cpus += int(max((t.Cpu.CpuShares+mhz-1)/mhz, 1))
			u.memMiB += t.Memory.MemoryMB
			for _, dev := range t.Devices {
				if dev != nil && dev.Type == "gpu" {
					for _, id := range dev.DeviceIDs {
						u.gpus[id] = true
					}
				}
			}
		}
	}
	return out
}

// node is one Nomad client as a Slurm node.
func (n *Nodes) node(s *api.NodeListStub, drv *api.DriverInfo, det *nodeDetail, use *nodeUse) hbapi.Node {
	if use == nil {
		use = &nodeUse{}
	}
	out := hbapi.Node{
		Name: s.Name, Addr: s.Address, Datacenter: s.Datacenter, Pool: s.NodePool, Class: s.NodeClass,
		Jobs: use.jobs, AllocMemMiB: use.memMiB, Version: s.Version,
		Arch:  unameArch(det.attrs["cpu.arch"]),
		RunAs: firstNonEmpty(drv.Attributes[AttrRunAs], det.attrs[AttrRunAs]),
	}
	if v := firstNonEmpty(drv.Attributes[AttrDriverVersion], det.attrs[AttrDriverVersion]); v != "" {
		out.Version = v
	}
	if k := det.attrs["kernel.name"]; k != "" {
		out.OS = strings.TrimSpace(capitalise(k) + " " + det.attrs["kernel.version"])
	}
	if r := s.NodeResources; r != nil {
		out.CPUs = int(r.Cpu.TotalCpuCores)
		out.MemMiB = r.Memory.MemoryMB
		out.GPUs = gpusOf(r.Devices, use.gpus)
		out.Gres, out.GresUsed = gresStrings(out.GPUs)
	}
	out.AllocCPUs = min(use.cpus, out.CPUs)
	out.Features = featuresOf(det.meta[NodeMetaFeatures])
	out.Partitions = n.partitionsOf(s, det)

	switch {
	case s.Status == api.NodeStatusDown || s.Status == api.NodeStatusDisconnected:
		out.State, out.Flags = hbapi.NodeDown, []string{hbapi.FlagNotResponding}
		out.Reason, out.ReasonUser = "Not responding", "nomad"
		if s.Status == api.NodeStatusDisconnected {
			out.Reason = "Not responding (Nomad: disconnected)"
		}
	case s.Status == api.NodeStatusInit:
		out.State = hbapi.NodeUnknown
	case !drv.Healthy:
		out.State = hbapi.NodeDown
		out.Reason, out.ReasonUser = "hpcbridge driver unhealthy: "+drv.HealthDescription, "nomad"
		out.ReasonTime = drv.UpdateTime
	case use.jobs == 0:
		out.State = hbapi.NodeIdle
	case out.CPUs > 0 && out.AllocCPUs >= out.CPUs:
		out.State = hbapi.NodeAllocated
	default:
		out.State = hbapi.NodeMixed
	}
	if out.State != hbapi.NodeDown && out.State != hbapi.NodeUnknown && (s.Drain || s.SchedulingEligibility == api.NodeSchedulingIneligible) {
		out.Flags = append(out.Flags, hbapi.FlagDrain)
		out.ReasonUser = "nomad"
		switch {
		case s.Drain:
			out.Reason = "Nomad drain"
		default:
			out.Reason = "Nomad: ineligible for scheduling"
		}
		if d := s.LastDrain; d != nil && (s.Drain || d.Status == api.DrainStatusComplete) {
			out.Reason = "Nomad drain"
			if m := strings.TrimSpace(d.Meta["message"]); m != "" {
				out.Reason = m
			}
			out.ReasonTime = d.StartedAt
		}
	}
	out.Reason = clip(out.Reason, maxReasonLen)
	return out
}

// ModelsOfType lists the GPU models (device group names) of the nodes of
// the last look whose gres type is gpuType (ignoring case), so that a
// job's type constraint selects them (TypeConstraint). It does not ask
// Nomad.
func (n *Nodes) ModelsOfType(gpuType string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, node := range n.last {
		for _, g := range node.GPUs {
			if strings.EqualFold(g.Type, gpuType) && !slices.Contains(out, g.Model) {
				out = append(out, g.Model)
			}
		}
	}
	slices.Sort(out)
	return out
}

// partitionsOf lists the partitions whose placement the node matches.
func (n *Nodes) partitionsOf(s *api.NodeListStub, det *nodeDetail) []string {
	var out []string
	for _, name := range n.Partitions {
		p := n.Placement[name]
		pool := p.NodePool
		if pool == "" {
			pool = "default"
		}
		if s.NodePool != pool || !matchesDatacenter(p.Datacenters, s.Datacenter) || !matchesConstraints(p.Constraints, det) {
			continue
		}
		out = append(out, name)
	}
	return out
}

// matchesDatacenter says whether dc is one of dcs (globs as Nomad reads
// them; none means every datacenter).
func matchesDatacenter(dcs []string, dc string) bool {
	if len(dcs) == 0 {
		return true
	}
	for _, p := range dcs {
		if ok, _ := path.Match(p, dc); ok {
			return true
		}
	}
	return false
}

// matchesConstraints checks a partition's ${meta.KEY} = VALUE and
// ${attr.KEY} = VALUE constraints against the node; other forms are
// assumed to hold.
func matchesConstraints(cs []*api.Constraint, det *nodeDetail) bool {
	for _, c := range cs {
		if c == nil || (c.Operand != "=" && c.Operand != "==" && c.Operand != "is") {
			continue
		}
		target := strings.TrimSuffix(strings.TrimPrefix(c.LTarget, "${"), "}")
		var got string
		var ok bool
		switch {
		case strings.HasPrefix(target, "meta."):
			got, ok = det.meta[strings.TrimPrefix(target, "meta.")]
		case strings.HasPrefix(target, "attr."):
			got, ok = det.attrs[strings.TrimPrefix(target, "attr.")]
		default:
			continue
		}
		if !ok || got != c.RTarget {
			return false
		}
	}
	return true
}

// featuresOf splits the slurm_features meta (commas), bounded.
func featuresOf(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" || slices.Contains(out, f) {
			continue
		}
		if len(out) == maxFeatures {
			break
		}
		out = append(out, clip(f, maxFeatureLen))
	}
	return out
}

// Device attributes of hpcbridge's GPU device plugin (drivers/gpuplugin)
// that the coordinator reads.
const (
	// DeviceAttrGresType is the Slurm gres type of a GPU group ("a100").
	DeviceAttrGresType = "gres_type"
	// DeviceAttrFake is true on GPUs the plugin's fake backend invented.
	DeviceAttrFake = "fake"
)

// gpusOf lists a node's GPU groups (vendor-independent: every device of
// type gpu), at most maxGresEntries, by gres type. used are the instance
// ids hpcbridge allocations hold; an instance's index is its place among
// all the node's GPUs in PCI bus order (NVML's numbering), by id when the
// plugin reports no bus id.
func gpusOf(devs []*api.NodeDeviceResource, used map[string]bool) []hbapi.NodeGPU {
	type inst struct {
		bus, id string
		group   int
	}
	var all []inst
	var out []hbapi.NodeGPU
	for _, d := range devs {
		if d == nil || d.Type != "gpu" || len(out) == maxGresEntries {
			continue
		}
		g := hbapi.NodeGPU{Model: clip(d.Name, maxFeatureLen), Type: gresName(d.Name)}
		if t := attrString(d.Attributes[DeviceAttrGresType]); t != "" {
			g.Type = gresName(t)
		}
		if b := d.Attributes[DeviceAttrFake]; b != nil {
			g.Fake = b.BoolVal != nil && *b.BoolVal || b.StringVal != nil && *b.StringVal == "true"
		}
		for _, in := range d.Instances {
			if in == nil {
				continue
			}
			g.Count++
			if in.Healthy {
				g.Healthy++
			}
			bus := ""
			if in.Locality != nil {
				bus = strings.ToLower(in.Locality.PciBusID)
			}
			all = append(all, inst{bus: bus, id: in.ID, group: len(out)})
		}
		out = append(out, g)
	}
	slices.SortStableFunc(all, func(a, b inst) int {
		if c := strings.Compare(a.bus, b.bus); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for i, in := range all {
		if used[in.id] {
			g := &out[in.group]
			g.Used++
			g.UsedIndexes = append(g.UsedIndexes, i)
		}
	}
	slices.SortStableFunc(out, func(a, b hbapi.NodeGPU) int { return strings.Compare(a.Type, b.Type) })
	return out
}

// attrString is a device attribute's value as a string ("" when unset).
func attrString(a *api.Attribute) string {
	if a == nil || a.StringVal == nil {
		return ""
	}
	return *a.StringVal
}

// gresStrings are a node's Gres= and GresUsed= entries, as Slurm prints
// them: gpu:TYPE:COUNT for each group (its healthy instances; "(fake)"
// after the count marks a fake backend's GPUs, the way Slurm appends
// "(S:0-1)"), and gpu:TYPE:USED(IDX:0-1,3) or gpu:TYPE:0(IDX:N/A).
func gresStrings(gpus []hbapi.NodeGPU) (gres, used []string) {
	for _, g := range gpus {
		e := fmt.Sprintf("gpu:%s:%d", g.Type, g.Healthy)
		if g.Fake {
			e += "(fake)"
		}
		gres = append(gres, e)
		idx := "N/A"
		if len(g.UsedIndexes) > 0 {
			idx = indexRanges(g.UsedIndexes)
		}
		used = append(used, fmt.Sprintf("gpu:%s:%d(IDX:%s)", g.Type, g.Used, idx))
	}
	return gres, used
}

// indexRanges writes sorted indexes as Slurm's bitmap string: 0-2,5.
func indexRanges(idx []int) string {
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", idx[i], idx[j])
		} else {
			fmt.Fprintf(&b, "%d", idx[i])
		}
		i = j + 1
	}
	return b.String()
}

// gresName is a device model as a Slurm gres type: lower case, spaces as
// underscores ("NVIDIA A100-SXM4-40GB" -> "nvidia_a100-sxm4-40gb"), which
// --gres=gpu:a100 matches (see gpuDevices).
func gresName(model string) string {
	model = strings.ToLower(strings.TrimSpace(model))
	model = strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '\t':
			return '_'
		case r == ',' || r == ':' || r == '=' || r < ' ':
			return -1
		}
		return r
	}, model)
	if model == "" {
		return "gpu"
	}
	return clip(model, maxFeatureLen)
}

// unameArch is Nomad's cpu.arch (Go's GOARCH) as uname -m, and so Slurm's
// Arch=, names it.
func unameArch(goarch string) string {
	if m, ok := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "arm": "armv7l"}[goarch]; ok {
		return m
	}
	return goarch
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
