package jobspec

// The value parsers read sbatch option arguments the way Slurm 22.05 reads
// them, one file per option family: timelimit.go, memory.go, nodes.go,
// gres.go, mailtype.go, signal.go, array.go, dependency.go and begin.go,
// over cnum.go's C number reading. This file holds what they share.
//
// Every rule was settled against a real Slurm 22.05 (sbatch -v option
// dumps, held submissions read back with scontrol, and real runs); each
// file's _test.go records what Slurm said for each case. Where
// Slurm's C code wraps integers or reads numbers with strtol, the same
// arithmetic is reproduced here so that odd input gives Slurm's odd answer
// rather than a different one.

import (
	"errors"
	"fmt"
)

// ErrInvalidValue is wrapped by every error the value parsers return, so a
// caller can tell a bad option argument from other failures with errors.Is.
var ErrInvalidValue = errors.New("invalid option value")

// ValueError is an option argument a value parser rejected. Its message
// says what is wrong and what is allowed; the caller adds the position.
type ValueError struct {
	// What names the kind of value, e.g. "time limit".
	What string
	// Value is the argument as given.
	Value string
	// Reason says what is wrong and what is allowed.
	Reason string
}

// Error implements error.
func (e *ValueError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.What, e.Value, e.Reason)
}

// Unwrap returns ErrInvalidValue.
func (e *ValueError) Unwrap() error { return ErrInvalidValue }

func badValue(what, value, reason string, args ...any) error {
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	return &ValueError{What: what, Value: value, Reason: reason}
}
