package scontrol

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

// scontrolShowNode prints nodes as "scontrol show node [NAME]": one
// record per node, in Slurm 22.05's layout, plus hpcbridge's RunAs line
// (the node driver's run-as policy: submitter or pool).
func scontrolShowNode(ctx context.Context, o scontrolOptions, s slurm.Streams, name string, hasName bool) int {
	var nodes []api.Node
	if hasName && name != "" && !strings.ContainsAny(name, "[,") {
		n, err := o.Client.Node(ctx, name)
		var ae *api.Error
		switch {
		case errors.As(err, &ae) && ae.Code == api.CodeNotFound:
			fmt.Fprintf(s.Out, "Node %s not found\n", name)
			return slurm.ExitRejected
		case err != nil:
			fmt.Fprintf(s.Err, "slurm_load_node error: %s\n", slurm.APIMessage(err))
			return slurm.ExitRejected
		}
		nodes = []api.Node{*n}
	} else {
		list, err := o.Client.Nodes(ctx)
		if err != nil {
			fmt.Fprintf(s.Err, "slurm_load_node error: %s\n", slurm.APIMessage(err))
			return slurm.ExitRejected
		}
		nodes = list.Nodes
		if hasName && name != "" {
			nodes = nodesNamed(nodes, name)
		}
	}
	if len(nodes) == 0 {
		if hasName && name != "" {
			fmt.Fprintf(s.Out, "Node %s not found\n", name)
			return slurm.ExitRejected
		}
		fmt.Fprintln(s.Out, "No nodes in the system")
		return slurm.ExitOK
	}
	slices.SortStableFunc(nodes, func(a, b api.Node) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	for i := range nodes {
		writeRecord(&b, nodeLines(&nodes[i], o.Location(), o.Details), o.OneLiner)
	}
	out := b.String()
	if !o.OneLiner {
		out = strings.ReplaceAll(out, "\n   \n\n", "\n\n")
	}
	fmt.Fprint(s.Out, out)
	return slurm.ExitOK
}

// nodesNamed keeps the nodes a hostlist names.
func nodesNamed(nodes []api.Node, list string) []api.Node {
	var out []api.Node
	names := map[string]bool{}
	expanded, err := hostlist.Expand(list)
	if err != nil {
		expanded = []string{list}
	}
	for _, name := range expanded {
		names[name] = true
	}
	for _, n := range nodes {
		if names[n.Name] {
			out = append(out, n)
		}
	}
	return out
}

// nodeStateScontrol is a node's state as scontrol prints it
// (IDLE+DRAIN, DOWN+NOT_RESPONDING).
func nodeStateScontrol(n *api.Node) string {
	s := n.State
	for _, f := range n.Flags {
		s += "+" + f
	}
	return s
}

// nodeLines are the lines of one node's record. What Nomad does not tell
// is printed as Slurm prints an unknown value: no boot time, CPU load and
// free memory N/A, one core per socket and one thread per core. With
// details (-d), a node with GPUs also shows GresDrain=N/A and GresUsed=
// (gpu:a100:2(IDX:0-1)), as Slurm 22.05 does. A fake backend's GPUs say
// so in Gres= (gpu:a100:8(fake)).
func nodeLines(n *api.Node, loc *time.Location, details bool) []string {
	cfg := fmt.Sprintf("cpu=%d,mem=%s,billing=%d", n.CPUs, slurm.MemString(n.MemMiB), n.CPUs)
	if g := gresCount(n.Gres); g > 0 {
		cfg += ",gres/gpu=" + strconv.Itoa(g)
	}
	alloc := ""
	if n.AllocCPUs > 0 || n.AllocMemMiB > 0 {
		alloc = fmt.Sprintf("cpu=%d", n.AllocCPUs)
		if n.AllocMemMiB > 0 {
			alloc += ",mem=" + slurm.MemString(n.AllocMemMiB)
		}
		if g := gresCount(n.GresUsed); g > 0 {
			alloc += ",gres/gpu=" + strconv.Itoa(g)
		}
	}
	lines := []string{
		fmt.Sprintf("NodeName=%s Arch=%s CoresPerSocket=1 ", n.Name, slurm.CmpOr(n.Arch, slurm.NullString)),
		fmt.Sprintf("CPUAlloc=%d CPUEfctv=%d CPUTot=%d CPULoad=N/A", n.AllocCPUs, n.CPUs, n.CPUs),
		"AvailableFeatures=" + slurm.CmpOr(strings.Join(n.Features, ","), slurm.NullString),
		"ActiveFeatures=" + slurm.CmpOr(strings.Join(n.Features, ","), slurm.NullString),
		"Gres=" + slurm.CmpOr(strings.Join(n.Gres, ","), slurm.NullString),
	}
	if details && len(n.Gres) > 0 {
		lines = append(lines, "GresDrain=N/A", "GresUsed="+strings.Join(n.GresUsed, ","))
	}
	lines = append(lines,
		fmt.Sprintf("NodeAddr=%s NodeHostName=%s Version=%s", slurm.CmpOr(n.Addr, n.Name), n.Name, slurm.CmpOr(n.Version, slurm.NullString)),
		"OS="+slurm.CmpOr(n.OS, slurm.NullString)+" ",
		fmt.Sprintf("RealMemory=%d AllocMem=%d FreeMem=N/A Sockets=%d Boards=1", n.MemMiB, n.AllocMemMiB, n.CPUs),
		fmt.Sprintf("State=%s ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A", nodeStateScontrol(n)),
		"Partitions="+slurm.CmpOr(strings.Join(n.Partitions, ","), slurm.NullString)+" ",
		"BootTime=None SlurmdStartTime=None",
		"LastBusyTime=None",
		"CfgTRES="+cfg,
		"AllocTRES="+alloc,
		"CapWatts=n/a",
		"CurrentWatts=0 AveWatts=0",
		"ExtSensorsJoules=n/s ExtSensorsWatts=0 ExtSensorsTemp=n/s",
	)
	if n.RunAs != "" {
		lines = append(lines, "RunAs="+n.RunAs)
	}
	if n.Reason != "" {
		r := "Reason=" + n.Reason
		if !n.ReasonTime.IsZero() {
			r += fmt.Sprintf(" [%s@%s]", slurm.CmpOr(n.ReasonUser, "nomad"), n.ReasonTime.In(loc).Format("2006-01-02T15:04:05"))
		}
		lines = append(lines, r)
	}
	return lines
}

// gresCount sums the counts of gres entries ("gpu:a100:2" -> 2,
// "gpu:a100:8(fake)" -> 8, "gpu:a100:2(IDX:0-1)" -> 2).
func gresCount(gres []string) int {
	total := 0
	for _, g := range gres {
		if i := strings.IndexByte(g, '('); i >= 0 {
			g = g[:i]
		}
		i := strings.LastIndexByte(g, ':')
		if v, err := strconv.Atoi(g[i+1:]); err == nil {
			total += v
		}
	}
	return total
}

// partitionNodes is scontrol show partition's Nodes=: the hostlist of the
// partition's nodes, or (null).
func partitionNodes(part string, nodes []api.Node) string {
	var names []string
	for _, n := range nodes {
		if slices.Contains(n.Partitions, part) {
			names = append(names, n.Name)
		}
	}
	if len(names) == 0 {
		return slurm.NullString
	}
	return hostlist.Compress(names)
}

// partitionTotals is scontrol show partition's "TotalCPUs=N TotalNodes=N".
func partitionTotals(part string, nodes []api.Node) string {
	cpus, count := 0, 0
	for _, n := range nodes {
		if slices.Contains(n.Partitions, part) {
			cpus += n.CPUs
			count++
		}
	}
	return fmt.Sprintf("TotalCPUs=%d TotalNodes=%d", cpus, count)
}
