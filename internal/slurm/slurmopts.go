package slurm

import (
	"fmt"
	"strings"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// argKind is how a command-line option takes its argument, as in
// getopt_long(3).
type argKind int

const (
	NoArg       argKind = iota // --flag
	RequiredArg                // --opt=v, --opt v, -ov, -o v
	optionalArg                // --opt, --opt=v, -ov (never "--opt v" nor "-o v")
	// OptionalNextArg is optionalArg that also takes the next word when it
	// does not start with "-" (squeue -j 123: squeue looks ahead itself).
	OptionalNextArg
)

// FlagDef is one option of a Slurm command. set is called with the value
// (and whether one was given, for optional arguments); an error it returns
// ends the parse and is shown as is.
type FlagDef struct {
	Short byte   // 0: long only
	Long  string // "": short only
	Arg   argKind
	Set   func(val string, has bool) error
}

// FlagSet parses a Slurm command's options the way GNU getopt_long does:
// options and operands may be mixed (operands are collected in order),
// "--" ends the options, long options may be abbreviated to a unique
// prefix, short options may be bundled ("-hl") and take their argument
// attached ("-ofmt") or as the next word.
type FlagSet struct {
	Prog string
	Defs []FlagDef
}

// usageError is a getopt complaint. The command prints it followed by a
// "Try ... --help" line and exits with its usage status.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Parse applies args to the definitions and returns the operands.
func (fs *FlagSet) Parse(args []string) ([]string, error) {
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(operands, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			next, err := fs.long(args, i)
			if err != nil {
				return nil, err
			}
			i = next
		case len(a) > 1 && a[0] == '-':
			next, err := fs.short(args, i)
			if err != nil {
				return nil, err
			}
			i = next
		default:
			operands = append(operands, a)
		}
	}
	return operands, nil
}

// long handles args[i], a long option, and returns the index of the last
// word it consumed.
func (fs *FlagSet) long(args []string, i int) (int, error) {
	name, val, hasVal := strings.Cut(args[i][2:], "=")
	d, err := fs.lookupLong(name)
	if err != nil {
		return i, err
	}
	switch d.Arg {
	case NoArg:
		if hasVal {
			return i, &usageError{fmt.Sprintf("%s: option '--%s' doesn't allow an argument", fs.Prog, d.Long)}
		}
	case RequiredArg:
		if !hasVal {
			if i+1 >= len(args) {
				return i, &usageError{fmt.Sprintf("%s: option '--%s' requires an argument", fs.Prog, d.Long)}
			}
			i++
			val, hasVal = args[i], true
		}
	case OptionalNextArg:
		if !hasVal && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			val, hasVal = args[i], true
		}
	}
	return i, d.Set(val, hasVal)
}

// lookupLong finds a long option by its name or a unique prefix of it.
func (fs *FlagSet) lookupLong(name string) (*FlagDef, error) {
	var matches []*FlagDef
	for k := range fs.Defs {
		d := &fs.Defs[k]
		if d.Long == "" {
			continue
		}
		if d.Long == name {
			return d, nil
		}
		if name != "" && strings.HasPrefix(d.Long, name) {
			matches = append(matches, d)
		}
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	if len(matches) > 1 && sameHandler(matches) {
		return matches[0], nil
	}
	if len(matches) > 1 {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: option '--%s' is ambiguous; possibilities:", fs.Prog, name)
		for _, d := range matches {
			fmt.Fprintf(&b, " '--%s'", d.Long)
		}
		return nil, &usageError{b.String()}
	}
	return nil, &usageError{fmt.Sprintf("%s: unrecognized option '--%s'", fs.Prog, name)}
}

// sameHandler reports whether every match is a spelling of one option
// (--name and --jobname of scancel): getopt_long does not call that
// ambiguous when the entries are identical.
func sameHandler(ds []*FlagDef) bool {
	for _, d := range ds[1:] {
		if d.Short == 0 || d.Short != ds[0].Short || d.Arg != ds[0].Arg {
			return false
		}
	}
	return true
}

// short handles a bundle of short options in args[i] and returns the index
// of the last word it consumed.
func (fs *FlagSet) short(args []string, i int) (int, error) {
	a := args[i]
	for k := 1; k < len(a); k++ {
		c := a[k]
		d := fs.lookupShort(c)
		if d == nil {
			return i, &usageError{fmt.Sprintf("%s: invalid option -- '%c'", fs.Prog, c)}
		}
		rest := a[k+1:]
		switch d.Arg {
		case NoArg:
			if err := d.Set("", false); err != nil {
				return i, err
			}
			continue
		case optionalArg:
			return i, d.Set(rest, rest != "")
		case OptionalNextArg:
			if rest == "" && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				rest = args[i]
			}
			return i, d.Set(rest, rest != "")
		}
		if rest == "" {
			if i+1 >= len(args) {
				return i, &usageError{fmt.Sprintf("%s: option requires an argument -- '%c'", fs.Prog, c)}
			}
			i++
			rest = args[i]
		}
		return i, d.Set(rest, true)
	}
	return i, nil
}

// lookupShort finds a short option.
func (fs *FlagSet) lookupShort(c byte) *FlagDef {
	for k := range fs.Defs {
		if fs.Defs[k].Short == c {
			return &fs.Defs[k]
		}
	}
	return nil
}

// Setters for the common kinds of option.

// IgnoreFlag accepts an option that changes nothing in hpcbridge
// (--federation, -M, ...).
func IgnoreFlag(string, bool) error { return nil }

// SetBool returns a setter that sets *p.
func SetBool(p *bool) func(string, bool) error {
	return func(string, bool) error { *p = true; return nil }
}

// SetString returns a setter that stores the value in *p.
func SetString(p *string) func(string, bool) error {
	return func(v string, _ bool) error { *p = v; return nil }
}

// AppendList returns a setter that appends the comma-separated items of the
// value to *p.
func AppendList(p *[]string) func(string, bool) error {
	return func(v string, _ bool) error { *p = append(*p, SplitList(v)...); return nil }
}

// CountUp returns a setter that increments *p (-v, -vv).
func CountUp(p *int) func(string, bool) error {
	return func(string, bool) error { *p++; return nil }
}

// SplitList splits a comma-separated list, dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// InfoFlags are the options every Slurm command answers without asking the
// coordinator: --help, --usage and -V/--version.
type InfoFlags struct {
	Help, Usage, Version bool
}

// Answer prints what they ask for and reports whether the command is done.
func (f InfoFlags) Answer(s Streams, help, usage string) bool {
	switch {
	case f.Help:
		fmt.Fprint(s.Out, help)
	case f.Usage:
		fmt.Fprint(s.Out, usage)
	case f.Version:
		fmt.Fprintf(s.Out, "slurm %s\n", Version)
	default:
		return false
	}
	return true
}

// StateNames maps the names and short codes of hpcbridge's states, and
// those of Slurm states it never uses (name, code pairs) to "", as a
// command's state filter accepts them.
func StateNames(ours []state.JobState, slurmOnly ...string) map[string]state.JobState {
	m := make(map[string]state.JobState, 2*len(ours)+len(slurmOnly))
	for _, st := range ours {
		m[string(st)], m[st.Short()] = st, st
	}
	for _, name := range slurmOnly {
		m[name] = ""
	}
	return m
}
