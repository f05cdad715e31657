package jobspec

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hpcbridge/hpcbridge/internal/getopt"
)

// argKind is how an option takes its argument (internal/getopt, the one
// getopt_long emulation: a leaf package without project imports, the only
// project package jobspec imports).
type argKind = getopt.Kind

const (
	noArg       = getopt.NoArg    // --flag
	requiredArg = getopt.Required // --opt=v, --opt v, -ov, -o v
	optionalArg = getopt.Optional // --opt, --opt=v, -ov (never "--opt v")
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

// optionTable is sbatch's option set as getopt reads it.
var optionTable = sync.OnceValue(func() getopt.Config {
	c := getopt.Config{InOrder: true, Options: make([]getopt.Option, len(options))}
	for i, o := range options {
		c.Options[i] = getopt.Option{Short: o.short, Long: o.long, Kind: o.arg}
	}
	return c
})

// scanOptions reads options from toks the way sbatch's getopt_long does: long
// options may be abbreviated to any unique prefix, "--" ends the options,
// short options may be bundled ("-HQ") and take their argument attached
// ("-N2") or as the next token. With stopAtOperand it stops at the first
// token that is not an option and returns its index (the script on sbatch's
// command line); otherwise such tokens are errors (stray words in #SBATCH
// lines), reported through bad.
func scanOptions(toks []token, stopAtOperand bool, bad func(t token, col int, msg string)) (occs []occurrence, rest int) {
	occs = make([]occurrence, 0, len(toks))
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.text
	}
	cfg := optionTable()
	for start := 0; ; {
		res, _ := cfg.Parse(words[start:], func(g getopt.Opt) error {
			occs = append(occs, found(toks, start, g))
			return nil
		}, func(e *getopt.Error) bool {
			t := toks[start+e.Word]
			bad(t, e.Col, getoptMessage(e))
			return true
		})
		rest = start + res.Rest
		switch {
		case stopAtOperand || rest >= len(toks):
			return occs, rest
		case res.DashDash:
			for ; rest < len(toks); rest++ {
				bad(toks[rest], 0, fmt.Sprintf("invalid directive %q: options end at \"--\", nothing may follow it", toks[rest].text))
			}
			return occs, rest
		}
		bad(toks[rest], 0, fmt.Sprintf("invalid directive %q: expected an option such as --time=10", toks[rest].text))
		start = rest + 1
	}
}

// found is the occurrence of the option getopt found in toks[base:].
func found(toks []token, base int, g getopt.Opt) occurrence {
	t := toks[base+g.Word]
	o := occurrence{opt: options[g.Index], name: g.Name, value: g.Value, hasVal: g.HasValue, at: shifted(t, g.Col)}
	switch {
	case !g.HasValue:
	case g.ValWord != g.Word:
		o.valAt = toks[base+g.ValWord]
	default:
		o.valAt = shifted(t, g.ValCol)
		if g.Col == 0 && t.valueCol > 0 {
			o.valAt.pos.Col = t.valueCol
		}
	}
	return o
}

// getoptMessage words a malformed option as sbatch's diagnostics do.
func getoptMessage(e *getopt.Error) string {
	switch {
	case e.Kind == getopt.Unrecognized && e.Short:
		return fmt.Sprintf("invalid option -%c%s", e.Name[0], suggest(string(rune(e.Name[0])), true))
	case e.Kind == getopt.Unrecognized:
		return fmt.Sprintf("unrecognized option --%s%s", e.Name, suggest(e.Name, false))
	case e.Kind == getopt.Ambiguous:
		names := make([]string, len(e.Matches))
		for i, k := range e.Matches {
			names[i] = "--" + options[k].long
		}
		return fmt.Sprintf("option --%s is ambiguous; possibilities: %s", e.Name, strings.Join(names, " "))
	case e.Kind == getopt.NeedsArg && e.Short:
		return fmt.Sprintf("option -%c requires an argument", e.Name[0])
	case e.Kind == getopt.NeedsArg:
		return fmt.Sprintf("option --%s requires an argument", options[e.Option].long)
	default:
		return fmt.Sprintf("option --%s does not take an argument", options[e.Option].long)
	}
}

// shifted is t's position moved n bytes to the right (for a value inside a token).
func shifted(t token, n int) token {
	t.pos.Col += n
	return t
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
