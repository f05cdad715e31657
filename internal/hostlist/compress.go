package hostlist

import (
	"slices"
	"strconv"
	"strings"
)

// Compress writes node names as a Slurm hostlist: names that
// differ only in a trailing number of the same width fold into ranges
// ("n[01-03,07],gpu1"), in name order.
func Compress(names []string) string {
	type host struct {
		prefix, digits string
		num            int
		plain          bool
	}
	var hosts []host
	for _, n := range names {
		i := len(n)
		for i > 0 && n[i-1] >= '0' && n[i-1] <= '9' {
			i--
		}
		d := n[i:]
		v, err := strconv.Atoi(d)
		if d == "" || len(d) > 9 || err != nil {
			hosts = append(hosts, host{prefix: n, plain: true})
			continue
		}
		hosts = append(hosts, host{prefix: n[:i], digits: d, num: v})
	}
	slices.SortStableFunc(hosts, func(a, b host) int {
		if c := strings.Compare(a.prefix, b.prefix); c != 0 {
			return c
		}
		if c := len(a.digits) - len(b.digits); c != 0 {
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
		for j < len(hosts) && !hosts[j].plain && hosts[j].prefix == h.prefix && len(hosts[j].digits) == len(h.digits) {
			k := j
			for k+1 < len(hosts) && !hosts[k+1].plain && hosts[k+1].prefix == h.prefix &&
				len(hosts[k+1].digits) == len(h.digits) && hosts[k+1].num <= hosts[k].num+1 {
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
