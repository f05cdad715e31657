package hostlist

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxNames bounds the names one host list expands to: a submitter's
// --nodelist or --exclude ("n[0-99999][0-99999]") must not make the
// coordinator build billions of strings.
const MaxNames = 100000

// errTooMany is a host list that names more than MaxNames hosts.
var errTooMany = fmt.Errorf("host list names more than %d hosts", MaxNames)

// Expand expands a Slurm hostlist ("n[1-3,5],gpu01") into names.
func Expand(s string) ([]string, error) {
	depth := 0
	elems := strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		}
		return r == ',' && depth == 0 // the commas between elements
	})
	var out []string
	for _, elem := range elems {
		elem = strings.TrimSpace(elem)
		if elem == "" {
			continue
		}
		names, err := expandOne(elem)
		if err != nil {
			return nil, err
		}
		if len(out)+len(names) > MaxNames {
			return nil, errTooMany
		}
		out = append(out, names...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty host list")
	}
	return out, nil
}

func expandOne(elem string) ([]string, error) {
	open := strings.IndexByte(elem, '[')
	if open < 0 {
		if strings.ContainsRune(elem, ']') {
			return nil, fmt.Errorf("%q: unbalanced ]", elem)
		}
		return []string{elem}, nil
	}
	close := strings.IndexByte(elem[open:], ']')
	if close < 0 {
		return nil, fmt.Errorf("%q: missing ]", elem)
	}
	close += open
	prefix, body, rest := elem[:open], elem[open+1:close], elem[close+1:]
	tails, err := expandOne(rest)
	if err != nil {
		return nil, err
	}
	if rest == "" {
		tails = []string{""}
	}
	var out []string
	for _, part := range strings.Split(body, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || b < a || lo == "" {
			return nil, fmt.Errorf("%q: bad range %q", elem, part)
		}
		if b-a > 100000 {
			return nil, fmt.Errorf("%q: range %q is too large", elem, part)
		}
		for x := a; x <= b; x++ {
			if len(out)+len(tails) > MaxNames {
				return nil, errTooMany
			}
			n := strconv.Itoa(x)
			for len(n) < len(lo) {
				n = "0" + n
			}
			for _, t := range tails {
				out = append(out, prefix+n+t)
			}
		}
	}
	return out, nil
}
