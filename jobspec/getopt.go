package jobspec

import (
	"fmt"
	"sort"
	"strings"
)

// argKind is how an option takes its argument, as in getopt_long.
type argKind int

const (
	noArg       argKind = iota // --flag
	requiredArg                // --opt=v, --opt v, -ov, -o v
	optionalArg                // --opt, --opt=v, -ov (never "--opt v")
)

// occurrence is one option found among the tokens of one source.
type occurrence struct {
	opt    *option
	name   string // as written: "--time" or "-t"
	value  string
	hasVal bool
	at     token // the option itself
	valAt  token // where the value starts (for value diagnostics)
}

// getopt reads options from toks the way sbatch's getopt_long does: long
// options may be abbreviated to any unique prefix, "--" ends the options,
// short options may be bundled ("-HQ") and take their argument attached
// ("-N2") or as the next token. With stopAtOperand it stops at the first
// token that is not an option and returns its index (the script on sbatch's
// command line); otherwise such tokens are errors (stray words in #SBATCH
// lines), reported through bad.
func getopt(toks []token, stopAtOperand bool, bad func(t token, col int, msg string)) (occs []occurrence, rest int) {
	occs = make([]occurrence, 0, len(toks))
	i := 0
	for i < len(toks) {
		t := toks[i]
		switch {
		case t.text == "--":
			i++
			if stopAtOperand {
				return occs, i
			}
			for ; i < len(toks); i++ {
				bad(toks[i], 0, fmt.Sprintf("invalid directive %q: options end at \"--\", nothing may follow it", toks[i].text))
			}
			return occs, i
		case strings.HasPrefix(t.text, "--"):
			var o *occurrence
			o, i = longOption(toks, i, bad)
			if o != nil {
				occs = append(occs, *o)
			}
		case strings.HasPrefix(t.text, "-") && len(t.text) > 1:
			var os []occurrence
			os, i = shortOptions(toks, i, bad)
			occs = append(occs, os...)
		default:
			if stopAtOperand {
				return occs, i
			}
			bad(t, 0, fmt.Sprintf("invalid directive %q: expected an option such as --time=10", t.text))
			i++
		}
	}
	return occs, i
}

func longOption(toks []token, i int, bad func(token, int, string)) (*occurrence, int) {
	t := toks[i]
	body := t.text[2:]
	name, val, hasVal := strings.Cut(body, "=")
	opt, err := lookupLong(name)
	if err != nil {
		bad(t, 0, err.Error())
		return nil, i + 1
	}
	o := &occurrence{opt: opt, name: "--" + opt.long, at: t}
	switch {
	case hasVal && opt.arg == noArg:
		bad(t, 0, fmt.Sprintf("option --%s does not take an argument", opt.long))
		return nil, i + 1
	case hasVal:
		o.value, o.hasVal = val, true
		o.valAt = shifted(t, len(name)+3)
		if t.valueCol > 0 {
			o.valAt.pos.Col = t.valueCol
		}
	case opt.arg == requiredArg:
		if i+1 >= len(toks) {
			bad(t, 0, fmt.Sprintf("option --%s requires an argument", opt.long))
			return nil, i + 1
		}
		i++
		o.value, o.hasVal, o.valAt = toks[i].text, true, toks[i]
	}
	return o, i + 1
}

func shortOptions(toks []token, i int, bad func(token, int, string)) ([]occurrence, int) {
	t := toks[i]
	var occs []occurrence
	for j := 1; j < len(t.text); j++ {
		c := t.text[j]
		opt := shortIndex[c]
		if opt == nil {
			bad(t, j, fmt.Sprintf("invalid option -%c%s", c, suggest(string(c), true)))
			return occs, i + 1
		}
		o := occurrence{opt: opt, name: "-" + string(c), at: shifted(t, j)}
		if opt.arg == noArg {
			occs = append(occs, o)
			continue
		}
		if j+1 < len(t.text) {
			o.value, o.hasVal, o.valAt = t.text[j+1:], true, shifted(t, j+1)
			return append(occs, o), i + 1
		}
		if opt.arg == requiredArg {
			if i+1 >= len(toks) {
				bad(t, j, fmt.Sprintf("option -%c requires an argument", c))
				return occs, i + 1
			}
			o.value, o.hasVal, o.valAt = toks[i+1].text, true, toks[i+1]
			return append(occs, o), i + 2
		}
		return append(occs, o), i + 1
	}
	return occs, i + 1
}

// shifted is t's position moved n bytes to the right (for a value inside a token).
func shifted(t token, n int) token {
	t.pos.Col += n
	return t
}

// lookupLong finds a long option by exact name or unique prefix.
func lookupLong(name string) (*option, error) {
	if o := longIndex[name]; o != nil {
		return o, nil
	}
	var cands []*option
	if name != "" {
		for _, o := range options {
			if strings.HasPrefix(o.long, name) {
				cands = append(cands, o)
			}
		}
	}
	switch len(cands) {
	case 1:
		return cands[0], nil
	case 0:
		return nil, fmt.Errorf("unrecognized option --%s%s", name, suggest(name, false))
	}
	names := make([]string, len(cands))
	for i, o := range cands {
		names[i] = "--" + o.long
	}
	return nil, fmt.Errorf("option --%s is ambiguous; possibilities: %s", name, strings.Join(names, " "))
}

// suggest returns ` (did you mean --x?)` for the closest known option name.
func suggest(name string, short bool) string {
	if short {
		if o := shortIndex[strings.ToLower(name)[0]]; o != nil {
			return fmt.Sprintf(" (did you mean -%c, --%s?)", o.short, o.long)
		}
		if o := shortIndex[strings.ToUpper(name)[0]]; o != nil {
			return fmt.Sprintf(" (did you mean -%c, --%s?)", o.short, o.long)
		}
		return ""
	}
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, o := range options {
		d := editDistance(strings.ToLower(name), o.long)
		if d <= 2 || (d <= 3 && len(name) > 8) {
			cs = append(cs, cand{o.long, d})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].d < cs[j].d || cs[i].d == cs[j].d && cs[i].name < cs[j].name })
	return fmt.Sprintf(" (did you mean --%s?)", cs[0].name)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
