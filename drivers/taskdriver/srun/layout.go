package srun

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/stepnet"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
)

// layout is where a multi-node step's tasks run: its nodes (in the job's
// order) and, per node, its ranks (block distribution).
type layout struct {
	nodes []jobdir.NetNode
	ranks [][]int
}

// counts are the tasks per node.
func (l layout) counts() []int {
	c := make([]int, len(l.ranks))
	for i, r := range l.ranks {
		c[i] = len(r)
	}
	return c
}

// names are the step's node names.
func (l layout) names() []string {
	n := make([]string, len(l.nodes))
	for i, nd := range l.nodes {
		n[i] = nd.Name
	}
	return n
}

// planLayout lays a step out on the job's nodes as srun does: the nodes
// -w names (else the job's, from -r on), -N of them (else all, or as many
// as there are tasks), -n tasks (else -N x --ntasks-per-node, else the
// job's SLURM_NTASKS), block distributed.
func planLayout(o *options, job []jobdir.NetNode, getenv func(string) string) (layout, error) {
	avail := job
	if o.relative >= 0 {
		if o.relative >= len(job) {
			return layout{}, fmt.Errorf("--relative=%d: the job has %d nodes", o.relative, len(job))
		}
		avail = job[o.relative:]
	}
	if o.nodelist != "" {
		var err error
		if avail, err = pickNodes(avail, o.nodelist); err != nil {
			return layout{}, err
		}
	}
	perNode := o.ntasksPerNode
	ntasks := o.ntasks
	if ntasks == 0 && o.nodesMin == 0 && o.nodelist == "" {
		if n, err := strconv.Atoi(getenv("SLURM_NTASKS")); err == nil && n > 0 {
			ntasks = n
		}
		if perNode == 0 {
			perNode, _ = strconv.Atoi(getenv("SLURM_NTASKS_PER_NODE"))
		}
	}
	nnodes := len(avail)
	switch {
	case o.nodesMin > 0:
		nnodes = min(o.nodesMax, len(avail))
		if o.nodesMin > len(avail) {
			return layout{}, fmt.Errorf("Unable to create step for job %s: Requested node configuration is not available", getenv("SLURM_JOB_ID"))
		}
	case ntasks > 0 && perNode == 0 && o.nodelist == "":
		nnodes = min(ntasks, len(avail))
	}
	if ntasks == 0 {
		ntasks = nnodes * max(perNode, 1)
	}
	if ntasks < nnodes {
		nnodes = ntasks
	}
	if perNode > 0 && ntasks > nnodes*perNode {
		return layout{}, fmt.Errorf("Unable to create step for job %s: Requested node configuration is not available (%d tasks, %d nodes, %d tasks per node)",
			getenv("SLURM_JOB_ID"), ntasks, nnodes, perNode)
	}
	l := layout{nodes: avail[:nnodes], ranks: make([][]int, nnodes)}
	rank := 0
	for i, c := range stepnet.BlockCounts(ntasks, nnodes, perNode) {
		for j := 0; j < c; j++ {
			l.ranks[i] = append(l.ranks[i], rank)
			rank++
		}
	}
	return l, nil
}

// pickNodes keeps the nodes a -w hostlist names, in the job's order.
func pickNodes(avail []jobdir.NetNode, list string) ([]jobdir.NetNode, error) {
	names, err := hostlist.Expand(list)
	if err != nil {
		return nil, fmt.Errorf("--nodelist=%s: %w", list, err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []jobdir.NetNode
	for _, nd := range avail {
		if want[nd.Name] {
			out = append(out, nd)
			delete(want, nd.Name)
		}
	}
	if len(want) > 0 {
		return nil, fmt.Errorf("--nodelist=%s: not all of these nodes are in the job's allocation", list)
	}
	return out, nil
}

// maxMultiProgFile bounds a --multi-prog configuration file.
const maxMultiProgFile = 1 << 20

// multiProg reads a --multi-prog file: per line "RANKS PROGRAM ARGS...",
// RANKS being "*" or a list of ids and ranges ("0,2-3"); in the program's
// words %t is the task's rank and %o its offset in its range. It returns
// each rank's command.
func multiProg(path string, ntasks int) ([][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--multi-prog: %w", err)
	}
	if len(b) > maxMultiProgFile {
		return nil, fmt.Errorf("--multi-prog: %s is larger than %d bytes", path, maxMultiProgFile)
	}
	cmds := make([][]string, ntasks)
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("--multi-prog: %s line %d: no program", path, line)
		}
		ranks, err := rankList(f[0], ntasks)
		if err != nil {
			return nil, fmt.Errorf("--multi-prog: %s line %d: %w", path, line, err)
		}
		for off, r := range ranks {
			if cmds[r] != nil {
				continue // the first line that names a rank wins
			}
			argv := make([]string, len(f)-1)
			for i, w := range f[1:] {
				w = strings.ReplaceAll(w, "%t", strconv.Itoa(r))
				argv[i] = strings.ReplaceAll(w, "%o", strconv.Itoa(off))
			}
			cmds[r] = argv
		}
	}
	for r, c := range cmds {
		if c == nil {
			return nil, fmt.Errorf("--multi-prog: %s names no program for task %d", path, r)
		}
	}
	return cmds, nil
}

// rankList reads "*" or "0,2-3" (ranks below ntasks).
func rankList(s string, ntasks int) ([]int, error) {
	if s == "*" {
		all := make([]int, ntasks)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, ok := strings.Cut(part, "-")
		if !ok {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 0 || b < a {
			return nil, fmt.Errorf("bad task list %q", s)
		}
		for r := a; r <= b && r < ntasks; r++ {
			out = append(out, r)
		}
	}
	return out, nil
}
