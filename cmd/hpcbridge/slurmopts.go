package main

import (
	"fmt"
	"strings"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// argKind is how a command-line option takes its argument, as in
// getopt_long(3).
type argKind int

const (
	noArg       argKind = iota // --flag
	requiredArg                // --opt=v, --opt v, -ov, -o v
	optionalArg                // --opt, --opt=v, -ov (never "--opt v" nor "-o v")
	// optionalNextArg is optionalArg that also takes the next word when it
	// does not start with "-" (squeue -j 123: squeue looks ahead itself).
	optionalNextArg
)

// flagDef is one option of a Slurm command. set is called with the value
// (and whether one was given, for optional arguments); an error it returns
// ends the parse and is shown as is.
type flagDef struct {
	short byte   // 0: long only
	long  string // "": short only
	arg   argKind
	set   func(val string, has bool) error
}

// flagSet parses a Slurm command's options the way GNU getopt_long does:
// options and operands may be mixed (operands are collected in order),
// "--" ends the options, long options may be abbreviated to a unique
// prefix, short options may be bundled ("-hl") and take their argument
// attached ("-ofmt") or as the next word.
type flagSet struct {
	prog string
	defs []flagDef
}

// usageError is a getopt complaint. The command prints it followed by a
// "Try ... --help" line and exits with its usage status.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// parse applies args to the definitions and returns the operands.
func (fs *flagSet) parse(args []string) ([]string, error) {
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
func (fs *flagSet) long(args []string, i int) (int, error) {
	name, val, hasVal := strings.Cut(args[i][2:], "=")
	d, err := fs.lookupLong(name)
	if err != nil {
		return i, err
	}
	switch d.arg {
	case noArg:
		if hasVal {
			return i, &usageError{fmt.Sprintf("%s: option '--%s' doesn't allow an argument", fs.prog, d.long)}
		}
	case requiredArg:
		if !hasVal {
			if i+1 >= len(args) {
				return i, &usageError{fmt.Sprintf("%s: option '--%s' requires an argument", fs.prog, d.long)}
			}
			i++
			val, hasVal = args[i], true
		}
	case optionalNextArg:
		if !hasVal && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			val, hasVal = args[i], true
		}
	}
	return i, d.set(val, hasVal)
}

// lookupLong finds a long option by its name or a unique prefix of it.
func (fs *flagSet) lookupLong(name string) (*flagDef, error) {
	var matches []*flagDef
	for k := range fs.defs {
		d := &fs.defs[k]
		if d.long == "" {
			continue
		}
		if d.long == name {
			return d, nil
		}
		if name != "" && strings.HasPrefix(d.long, name) {
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
		fmt.Fprintf(&b, "%s: option '--%s' is ambiguous; possibilities:", fs.prog, name)
		for _, d := range matches {
			fmt.Fprintf(&b, " '--%s'", d.long)
		}
		return nil, &usageError{b.String()}
	}
	return nil, &usageError{fmt.Sprintf("%s: unrecognized option '--%s'", fs.prog, name)}
}

// sameHandler reports whether every match is a spelling of one option
// (--name and --jobname of scancel): getopt_long does not call that
// ambiguous when the entries are identical.
func sameHandler(ds []*flagDef) bool {
	for _, d := range ds[1:] {
		if d.short == 0 || d.short != ds[0].short || d.arg != ds[0].arg {
			return false
		}
	}
	return true
}

// short handles a bundle of short options in args[i] and returns the index
// of the last word it consumed.
func (fs *flagSet) short(args []string, i int) (int, error) {
	a := args[i]
	for k := 1; k < len(a); k++ {
		c := a[k]
		d := fs.lookupShort(c)
		if d == nil {
			return i, &usageError{fmt.Sprintf("%s: invalid option -- '%c'", fs.prog, c)}
		}
		rest := a[k+1:]
		switch d.arg {
		case noArg:
			if err := d.set("", false); err != nil {
				return i, err
			}
			continue
		case optionalArg:
			return i, d.set(rest, rest != "")
		case optionalNextArg:
			if rest == "" && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				rest = args[i]
			}
			return i, d.set(rest, rest != "")
		}
		if rest == "" {
			if i+1 >= len(args) {
				return i, &usageError{fmt.Sprintf("%s: option requires an argument -- '%c'", fs.prog, c)}
			}
			i++
			rest = args[i]
		}
		return i, d.set(rest, true)
	}
	return i, nil
}

// lookupShort finds a short option.
func (fs *flagSet) lookupShort(c byte) *flagDef {
	for k := range fs.defs {
		if fs.defs[k].short == c {
			return &fs.defs[k]
		}
	}
	return nil
}

// Setters for the common kinds of option.

// ignoreFlag accepts an option that changes nothing in hpcbridge
// (--federation, -M, ...).
func ignoreFlag(string, bool) error { return nil }

// setBool returns a setter that sets *p.
func setBool(p *bool) func(string, bool) error {
	return func(string, bool) error { *p = true; return nil }
}

// setString returns a setter that stores the value in *p.
func setString(p *string) func(string, bool) error {
	return func(v string, _ bool) error { *p = v; return nil }
}

// appendList returns a setter that appends the comma-separated items of the
// value to *p.
func appendList(p *[]string) func(string, bool) error {
	return func(v string, _ bool) error { *p = append(*p, splitList(v)...); return nil }
}

// countUp returns a setter that increments *p (-v, -vv).
func countUp(p *int) func(string, bool) error {
	return func(string, bool) error { *p++; return nil }
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// infoFlags are the options every Slurm command answers without asking the
// coordinator: --help, --usage and -V/--version.
type infoFlags struct {
	help, usage, version bool
}

// answer prints what they ask for and reports whether the command is done.
func (f infoFlags) answer(s streams, help, usage string) bool {
	switch {
	case f.help:
		fmt.Fprint(s.out, help)
	case f.usage:
		fmt.Fprint(s.out, usage)
	case f.version:
		fmt.Fprintf(s.out, "slurm %s\n", slurmVersion)
	default:
		return false
	}
	return true
}

// stateNames maps the names and short codes of hpcbridge's states, and
// those of Slurm states it never uses (name, code pairs) to "", as a
// command's state filter accepts them.
func stateNames(ours []state.JobState, slurmOnly ...string) map[string]state.JobState {
	m := make(map[string]state.JobState, 2*len(ours)+len(slurmOnly))
	for _, st := range ours {
		m[string(st)], m[st.Short()] = st, st
	}
	for _, name := range slurmOnly {
		m[name] = ""
	}
	return m
}
