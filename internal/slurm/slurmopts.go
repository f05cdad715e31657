package slurm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hpcbridge/hpcbridge/internal/getopt"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// ArgKind is how a command-line option takes its argument (getopt.Kind).
type ArgKind = getopt.Kind

// The kinds of argument.
const (
	NoArg           = getopt.NoArg        // --flag
	RequiredArg     = getopt.Required     // --opt=v, --opt v, -ov, -o v
	OptionalNextArg = getopt.OptionalNext // squeue -j [list]: optional, also the next word
)

// FlagDef is one option of a Slurm command. Set is called with the value
// (and whether one was given, for optional arguments); an error it returns
// ends the parse and is shown as is.
type FlagDef struct {
	Short byte   // 0: long only
	Long  string // "": short only
	Arg   ArgKind
	Set   func(val string, has bool) error
}

// FlagSet parses a Slurm command's options the way GNU getopt_long does
// (internal/getopt): options and operands may be mixed (operands are
// collected in order), "--" ends the options, long options may be
// abbreviated to a unique prefix, short options may be bundled ("-hl") and
// take their argument attached ("-ofmt") or as the next word.
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
	cfg := getopt.Config{Options: make([]getopt.Option, len(fs.Defs))}
	for k, d := range fs.Defs {
		cfg.Options[k] = getopt.Option{Short: d.Short, Long: d.Long, Kind: d.Arg}
	}
	res, err := cfg.Parse(args, func(o getopt.Opt) error {
		return fs.Defs[o.Index].Set(o.Value, o.HasValue)
	}, nil)
	if ge := (*getopt.Error)(nil); errors.As(err, &ge) {
		return nil, &usageError{fs.Prog + ": " + ge.Error()}
	}
	if err != nil {
		return nil, err
	}
	return res.Operands, nil
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
