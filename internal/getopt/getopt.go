// Package getopt reads command lines the way GNU getopt_long(3) reads
// them for Slurm's commands: long options may be abbreviated to a unique
// prefix, "--" ends the options, short options may be bundled ("-hl") and
// take their argument attached ("-ofmt") or as the next word.
//
// It is hpcbridge's one getopt_long emulation: the sbatch parser
// (jobspec), the Slurm commands of internal/slurm and the srun of the task
// driver all read their options with it, each with its own table and its
// own wording of the errors. It imports nothing of the project, so jobspec
// ("pure, no project imports" but for this leaf) may use it.
//
// Parse reports every option it finds, with the word and byte offset it
// was found at, so that a caller can point at it (jobspec's
// file:line:col diagnostics). A caller that collects diagnostics keeps
// parsing after an error; the others stop at the first.
package getopt

import (
	"fmt"
	"strings"
)

// Kind is how an option takes its argument.
type Kind int

const (
	NoArg    Kind = iota // --flag
	Required             // --opt=v, --opt v, -ov, -o v
	Optional             // --opt, --opt=v, -ov (never "--opt v" nor "-o v")
	// OptionalNext is Optional that also takes the next word when it does
	// not start with "-" (squeue -j 123: squeue looks ahead itself).
	OptionalNext
)

// Option is one entry of an option table.
type Option struct {
	Short byte   // 0: long only
	Long  string // "": short only
	Kind  Kind
}

// Config is an option table and how to read it.
type Config struct {
	Options []Option
	// Exact turns abbreviations of long options off.
	Exact bool
	// InOrder stops at the first operand (getopt's "+" mode); otherwise
	// operands are collected and the options after them read too.
	InOrder bool
}

// Opt is one option found.
type Opt struct {
	Index    int    // the option's index in Config.Options
	Name     string // as matched: "--time" (the full name) or "-t"
	Value    string
	HasValue bool
	Word     int // the word the option is in
	Col      int // its byte offset in that word (0 for a long option)
	// ValWord and ValCol are where the value starts.
	ValWord, ValCol int
}

// ErrKind is what is wrong with an option.
type ErrKind int

const (
	Unrecognized ErrKind = iota // no such option
	Ambiguous                   // an abbreviation of several long options
	NeedsArg                    // a required argument is missing
	NoArgAllowed                // --flag=value for an option without one
)

// Error is a malformed option. Its Error method words it as getopt_long
// does, without the program name.
type Error struct {
	Kind    ErrKind
	Text    string // the word, as written
	Name    string // the long name as written (without "--"), or the short letter
	Short   bool
	Word    int
	Col     int   // byte offset in the word (the letter of a short option)
	Option  int   // for NeedsArg and NoArgAllowed: the option's index
	Matches []int // for Ambiguous: the candidates, in table order
	long    string
	matches []string
}

func (e *Error) Error() string {
	switch {
	case e.Kind == Unrecognized && e.Short:
		return fmt.Sprintf("invalid option -- '%c'", e.Name[0])
	case e.Kind == Unrecognized:
		return fmt.Sprintf("unrecognized option '--%s'", e.Name)
	case e.Kind == Ambiguous:
		var b strings.Builder
		fmt.Fprintf(&b, "option '--%s' is ambiguous; possibilities:", e.Name)
		for _, m := range e.matches {
			fmt.Fprintf(&b, " '--%s'", m)
		}
		return b.String()
	case e.Kind == NeedsArg && e.Short:
		return fmt.Sprintf("option requires an argument -- '%c'", e.Name[0])
	case e.Kind == NeedsArg:
		return fmt.Sprintf("option '--%s' requires an argument", e.long)
	default:
		return fmt.Sprintf("option '--%s' doesn't allow an argument", e.long)
	}
}

// Result is where Parse stopped.
type Result struct {
	// Operands are the words that are not options (all of them, in order,
	// those after "--" included), unless InOrder.
	Operands []string
	// Rest is, with InOrder, the index of the first operand (len(args)
	// when there is none).
	Rest int
	// DashDash is true when "--" ended the options (Rest is the word after it).
	DashDash bool
}

// Parse reads args. It calls opt for each option found, in order; an
// error opt returns stops the parse and is returned. It calls bad for each
// malformed option: when bad is nil or returns false the parse stops with
// that *Error, else it goes on with the next word.
func (c *Config) Parse(args []string, opt func(Opt) error, bad func(*Error) bool) (Result, error) {
	var res Result
	fail := func(e *Error) error {
		e.Text = args[e.Word]
		if e.Kind == NeedsArg || e.Kind == NoArgAllowed {
			e.long = c.Options[e.Option].Long
		}
		for _, m := range e.Matches {
			e.matches = append(e.matches, c.Options[m].Long)
		}
		if bad != nil && bad(e) {
			return nil
		}
		return e
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var err error
		switch {
		case a == "--":
			res.DashDash = true
			if c.InOrder {
				res.Rest = i + 1
				return res, nil
			}
			res.Operands = append(res.Operands, args[i+1:]...)
			return res, nil
		case strings.HasPrefix(a, "--"):
			i, err = c.long(args, i, opt, fail)
		case len(a) > 1 && a[0] == '-':
			i, err = c.short(args, i, opt, fail)
		case c.InOrder:
			res.Rest = i
			return res, nil
		default:
			res.Operands = append(res.Operands, a)
		}
		if err != nil {
			return res, err
		}
	}
	res.Rest = len(args)
	return res, nil
}

// long reads the long option args[i] and returns the index of the last
// word it consumed.
func (c *Config) long(args []string, i int, opt func(Opt) error, fail func(*Error) error) (int, error) {
	name, val, hasVal := strings.Cut(args[i][2:], "=")
	k, e := c.lookupLong(name)
	if e != nil {
		e.Word = i
		return i, fail(e)
	}
	d := c.Options[k]
	o := Opt{Index: k, Name: "--" + d.Long, Value: val, HasValue: hasVal, Word: i, ValWord: i, ValCol: len(name) + 3}
	switch d.Kind {
	case NoArg:
		if hasVal {
			return i, fail(&Error{Kind: NoArgAllowed, Name: name, Word: i, Option: k})
		}
	case Required:
		if !hasVal {
			if i+1 >= len(args) {
				return i, fail(&Error{Kind: NeedsArg, Name: name, Word: i, Option: k})
			}
			i++
			o.Value, o.HasValue, o.ValWord, o.ValCol = args[i], true, i, 0
		}
	case OptionalNext:
		if !hasVal && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			o.Value, o.HasValue, o.ValWord, o.ValCol = args[i], true, i, 0
		}
	}
	return i, opt(o)
}

// lookupLong finds a long option by its name or, unless Exact, a unique
// prefix of it. Entries that are spellings of one option (the same short
// letter and kind: scancel's --name and --jobname) are not ambiguous.
func (c *Config) lookupLong(name string) (int, *Error) {
	var matches []int
	for k, d := range c.Options {
		if d.Long == "" {
			continue
		}
		if d.Long == name {
			return k, nil
		}
		if !c.Exact && name != "" && strings.HasPrefix(d.Long, name) {
			matches = append(matches, k)
		}
	}
	switch {
	case len(matches) == 1 || len(matches) > 1 && c.sameOption(matches):
		return matches[0], nil
	case len(matches) > 1:
		return 0, &Error{Kind: Ambiguous, Name: name, Matches: matches}
	}
	return 0, &Error{Kind: Unrecognized, Name: name}
}

// sameOption reports whether every match is a spelling of one option.
func (c *Config) sameOption(ks []int) bool {
	first := c.Options[ks[0]]
	for _, k := range ks[1:] {
		d := c.Options[k]
		if d.Short == 0 || d.Short != first.Short || d.Kind != first.Kind {
			return false
		}
	}
	return true
}

// short reads the bundle of short options in args[i] and returns the
// index of the last word it consumed.
func (c *Config) short(args []string, i int, opt func(Opt) error, fail func(*Error) error) (int, error) {
	a := args[i]
	for j := 1; j < len(a); j++ {
		k := c.lookupShort(a[j])
		if k < 0 {
			return i, fail(&Error{Kind: Unrecognized, Short: true, Name: a[j : j+1], Word: i, Col: j})
		}
		d := c.Options[k]
		o := Opt{Index: k, Name: "-" + a[j:j+1], Word: i, Col: j, ValWord: i, ValCol: j + 1}
		rest := a[j+1:]
		switch d.Kind {
		case NoArg:
			if err := opt(o); err != nil {
				return i, err
			}
			continue
		case Optional:
			o.Value, o.HasValue = rest, rest != ""
			return i, opt(o)
		case OptionalNext:
			if rest == "" && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				rest, o.ValWord, o.ValCol = args[i], i, 0
			}
			o.Value, o.HasValue = rest, rest != ""
			return i, opt(o)
		}
		if rest == "" {
			if i+1 >= len(args) {
				return i, fail(&Error{Kind: NeedsArg, Short: true, Name: a[j : j+1], Word: i, Col: j, Option: k})
			}
			i++
			rest, o.ValWord, o.ValCol = args[i], i, 0
		}
		o.Value, o.HasValue = rest, true
		return i, opt(o)
	}
	return i, nil
}

// lookupShort finds a short option; -1 when there is none.
func (c *Config) lookupShort(b byte) int {
	for k, d := range c.Options {
		if d.Short != 0 && d.Short == b {
			return k
		}
	}
	return -1
}
