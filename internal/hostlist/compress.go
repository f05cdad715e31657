package hostlist

import (
	"slices"
	"strconv"
	"strings"
)

// host is one node name split as Slurm's hostlist splits it: a prefix and
// a trailing number (digits as written), or a plain name without one.
type host struct {
	prefix, digits string
	num            int
	plain          bool
	// class is the width the number is grouped by: its own width, or, for
	// a number written without leading zeros that follows one in the list
	// (9 then 10, 99 then 100), that number's class.
	class int
}

// Compress writes node names as a Slurm hostlist, sorted as
// `scontrol show hostlistsorted` sorts them: names that differ only in a
// trailing number fold into ranges in one bracket per prefix
// ("n[01-03,07],gpu1"). As in Slurm 22.05, numbers of one width fold
// together, and a number without leading zeros continues the range of the
// number before it even when it is one digit longer ("n[9-10]",
// "n[99-101]"), but not a zero-padded one ("n[9-10,02]", "n[2,001]").
// Where zero-padded and unpadded numbers mix, Slurm's own answer depends
// on the order of its input (its sort changes widths while it compares:
// "n9,n10,n02,n11" gives n[9-10,02,11], "n10,n9,n02,n11" n[9,02,10-11]);
// Compress gives one answer for any order (n[9-11,02] for both), which
// Expand and Slurm read back as the same names.
func Compress(names []string) string {
	hosts := make([]host, 0, len(names))
	for _, n := range names {
		hosts = append(hosts, split(n))
	}
	classify(hosts)
	slices.SortStableFunc(hosts, func(a, b host) int {
		if c := strings.Compare(a.prefix, b.prefix); c != 0 {
			return c
		}
		if a.plain != b.plain {
			if a.plain {
				return -1
			}
			return 1
		}
		if c := a.class - b.class; c != 0 {
			return c
		}
		return a.num - b.num
	})
	var out []string
	for i := 0; i < len(hosts); {
		h := hosts[i]
		if h.plain {
			out = append(out, h.prefix)
			i++
			continue
		}
		j := i
		var ranges []string
		for j < len(hosts) && !hosts[j].plain && hosts[j].prefix == h.prefix {
			k := j
			for k+1 < len(hosts) && !hosts[k+1].plain && hosts[k+1].prefix == h.prefix &&
				hosts[k+1].class == hosts[k].class && hosts[k+1].num == hosts[k].num+1 {
				k++
			}
			if k == j {
				ranges = append(ranges, hosts[j].digits)
			} else {
				ranges = append(ranges, hosts[j].digits+"-"+hosts[k].digits)
			}
			j = k + 1
		}
		if j == i+1 {
			out = append(out, h.prefix+h.digits)
		} else {
			out = append(out, h.prefix+"["+strings.Join(ranges, ",")+"]")
		}
		i = j
	}
	return strings.Join(out, ",")
}

// SplitNumber splits a node name as Slurm's hostlist does: the prefix
// before its trailing number and the number's digits as written, or the
// whole name and "" when it has no trailing number of at most 9 digits.
func SplitNumber(n string) (prefix, digits string) {
	i := len(n)
	for i > 0 && n[i-1] >= '0' && n[i-1] <= '9' {
		i--
	}
	if d := n[i:]; d != "" && len(d) <= 9 {
		return n[:i], d
	}
	return n, ""
}

// split parses one name.
func split(n string) host {
	prefix, d := SplitNumber(n)
	if d == "" {
		return host{prefix: n, plain: true}
	}
	v, _ := strconv.Atoi(d) // at most 9 digits
	return host{prefix: prefix, digits: d, num: v, class: len(d)}
}

// natural reports whether a number is written without leading zeros.
func (h host) natural() bool { return h.digits == "0" || h.digits[0] != '0' }

// classify sets each number's class: a number written without leading
// zeros joins the class of its predecessor (num-1, also written without
// them) under the same prefix; any other keeps its own width.
func classify(hosts []host) {
	type key struct {
		prefix string
		num    int
	}
	naturals := map[key]int{} // index into hosts
	for i, h := range hosts {
		if !h.plain && h.natural() {
			if _, dup := naturals[key{h.prefix, h.num}]; !dup {
				naturals[key{h.prefix, h.num}] = i
			}
		}
	}
	order := make([]int, 0, len(naturals))
	for _, i := range naturals {
		order = append(order, i)
	}
	// Ascending numbers, so a predecessor's class is final before use.
	slices.SortFunc(order, func(a, b int) int { return hosts[a].num - hosts[b].num })
	for _, i := range order {
		h := &hosts[i]
		if p, ok := naturals[key{h.prefix, h.num - 1}]; ok && h.num > 0 {
			h.class = hosts[p].class
		}
	}
	for i := range hosts {
		h := &hosts[i]
		if !h.plain && h.natural() {
			h.class = hosts[naturals[key{h.prefix, h.num}]].class
		}
	}
}
