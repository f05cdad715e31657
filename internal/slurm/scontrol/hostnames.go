package scontrol

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

// Host list conversions, which need no controller: `scontrol show
// hostnames [LIST]` prints one name a line (the torchrun recipe
// MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)),
// `show hostlist LIST` folds names into a host list in their order, `show
// hostlistsorted LIST` sorted. Without LIST, hostnames reads SLURM_NODELIST,
// as Slurm 22.05 does; an empty list prints "host list is empty" and exits 0.
// Slurm's abbreviations: 5 letters ("hostn", "hostl"), 9 for
// hostlistsorted ("hostlists").

// scontrolShowHosts handles the three host list entities; ok is false for
// any other entity.
func scontrolShowHosts(s slurm.Streams, entity, list string, hasList bool) (code int, ok bool) {
	var sorted bool
	switch {
	case keyword(entity, "hostnames", 5):
		if !hasList {
			list, _ = slurm.LookupEnv(s.Env, "SLURM_NODELIST")
		}
	case keyword(entity, "hostlistsorted", 9):
		sorted = true
	case keyword(entity, "hostlist", 5):
	default:
		return 0, false
	}
	if strings.Trim(list, ", ") == "" {
		fmt.Fprintln(s.Err, "scontrol: error: host list is empty")
		return slurm.ExitOK, true
	}
	names, err := hostlist.Expand(list)
	if err != nil {
		fmt.Fprintf(s.Err, "scontrol: error: invalid host list %q: %v\n", list, err)
		return slurm.ExitRejected, true
	}
	if len(names) == 0 {
		fmt.Fprintln(s.Err, "scontrol: error: host list is empty")
		return slurm.ExitOK, true
	}
	switch {
	case keyword(entity, "hostnames", 5):
		fmt.Fprintln(s.Out, strings.Join(names, "\n"))
	case sorted:
		fmt.Fprintln(s.Out, hostlist.Compress(names))
	default:
		fmt.Fprintln(s.Out, compressInOrder(names))
	}
	return slurm.ExitOK, true
}

// compressInOrder folds names into a host list without sorting them, as
// Slurm's `scontrol show hostlist` does: consecutive names that share a
// prefix before a trailing number go into one bracket, in their order, a
// run of numbers each one more than the last as a range ("n[2,1]",
// "n[1-2,10,3]"); a zero-padded number joins a run only at its width.
func compressInOrder(names []string) string {
	type group struct {
		prefix string
		ranges [][2]string // first and last number, as written
	}
	follows := func(last, next string) bool {
		a, _ := strconv.Atoi(last)
		b, _ := strconv.Atoi(next)
		padded := len(next) > 1 && next[0] == '0' || len(last) > 1 && last[0] == '0'
		return b == a+1 && (!padded || len(next) == len(last))
	}
	var groups []group
	for _, n := range names {
		prefix, digits := hostlist.SplitNumber(n)
		if digits == "" {
			groups = append(groups, group{prefix: n})
			continue
		}
		if k := len(groups) - 1; k >= 0 && groups[k].prefix == prefix && len(groups[k].ranges) > 0 {
			r := &groups[k].ranges[len(groups[k].ranges)-1]
			if follows(r[1], digits) {
				r[1] = digits
			} else {
				groups[k].ranges = append(groups[k].ranges, [2]string{digits, digits})
			}
			continue
		}
		groups = append(groups, group{prefix: prefix, ranges: [][2]string{{digits, digits}}})
	}
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		switch {
		case len(g.ranges) == 0:
			out = append(out, g.prefix)
		case len(g.ranges) == 1 && g.ranges[0][0] == g.ranges[0][1]:
			out = append(out, g.prefix+g.ranges[0][0])
		default:
			parts := make([]string, len(g.ranges))
			for i, r := range g.ranges {
				parts[i] = r[0]
				if r[1] != r[0] {
					parts[i] += "-" + r[1]
				}
			}
			out = append(out, g.prefix+"["+strings.Join(parts, ",")+"]")
		}
	}
	return strings.Join(out, ",")
}
