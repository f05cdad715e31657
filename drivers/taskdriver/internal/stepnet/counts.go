package stepnet

import (
	"strconv"
	"strings"
)

// CountList writes per-node counts as Slurm does in SLURM_TASKS_PER_NODE
// and SLURM_JOB_CPUS_PER_NODE: runs of one value folded, "2(x2),1".
func CountList(counts []int) string {
	var parts []string
	for i := 0; i < len(counts); {
		j := i
		for j < len(counts) && counts[j] == counts[i] {
			j++
		}
		s := strconv.Itoa(counts[i])
		if j-i > 1 {
			s += "(x" + strconv.Itoa(j-i) + ")"
		}
		parts = append(parts, s)
		i = j
	}
	return strings.Join(parts, ",")
}

// BlockCounts spreads ntasks over nodes as Slurm's block distribution
// does: perNode each (0: as evenly as possible, the first nodes one more)
// until the tasks run out.
func BlockCounts(ntasks, nodes, perNode int) []int {
	counts := make([]int, nodes)
	if nodes == 0 {
		return counts
	}
	if perNode > 0 {
		left := ntasks
		for i := range counts {
			counts[i] = min(perNode, left)
			left -= counts[i]
		}
		// More tasks than perNode x nodes: the rest go round (srun
		// refuses this before; the job's count is the coordinator's).
		// Dealt round from the first node, counted rather than looped
		// (the count comes from the job's environment).
		for i := range counts {
			if left > 0 {
				counts[i] += left / nodes
				if i < left%nodes {
					counts[i]++
				}
			}
		}
		return counts
	}
	for i := range counts {
		counts[i] = ntasks / nodes
		if i < ntasks%nodes {
			counts[i]++
		}
	}
	return counts
}
