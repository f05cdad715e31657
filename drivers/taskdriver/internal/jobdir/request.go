package jobdir

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
)

// Scope says which processes of a job a signal is for, in Slurm's terms.
type Scope string

const (
	// ScopeSteps is every process of every running srun step, not the
	// batch shell: plain `scancel -s SIG` and `--signal=SIG@T`.
	ScopeSteps Scope = "steps"
	// ScopeBatch is the batch shell alone, not its children:
	// `scancel -b -s SIG` and `--signal=B:SIG@T`.
	ScopeBatch Scope = "batch"
	// ScopeFull is every process of the job, batch shell and steps:
	// `scancel -f -s SIG`.
	ScopeFull Scope = "full"
)

// WakeSignal is the signal the driver sends stepd (through Nomad's
// executor) after writing a request. Its default action is to ignore it, so
// one that arrives before stepd listens is harmless: stepd reads the
// requests once it is ready.
const WakeSignal = syscall.SIGWINCH

// ParseSignalSpec reads the signal string the driver's SignalTask gets:
// "SIGUSR1" (steps), "B:SIGUSR1" (batch shell only), "F:SIGUSR1" (all of
// the job). The signal may be a name with or without SIG, or a number.
// A SIGKILL without a prefix goes to the whole job: Slurm never spares the
// batch shell from SIGKILL.
func ParseSignalSpec(s string) (Scope, syscall.Signal, error) {
	scope := ScopeSteps
	if len(s) > 2 && s[1] == ':' {
		switch s[0] {
		case 'B', 'b':
			scope = ScopeBatch
		case 'F', 'f':
			scope = ScopeFull
		default:
			return "", 0, fmt.Errorf("signal %q: unknown prefix %q (want B: for the batch shell, F: for the whole job, or none for the job steps)", s, s[:2])
		}
		s = s[2:]
	}
	sig, err := proc.ParseSignal(s)
	if err != nil {
		return "", 0, err
	}
	if sig == syscall.SIGKILL && scope == ScopeSteps {
		scope = ScopeFull
	}
	return scope, sig, nil
}

// Request kinds.
const (
	// KindSignal delivers Signal to Scope.
	KindSignal = "signal"
	// KindStop ends the job as scancel does: Slurm's cancel message into
	// the error file, SIGCONT and Signal to the whole job, SIGKILL to
	// what is left after Grace.
	KindStop = "stop"
)

// Request is one instruction from the driver to stepd.
type Request struct {
	Kind   string        `json:"kind"`
	Signal int           `json:"signal"`
	Scope  Scope         `json:"scope,omitempty"`
	Grace  time.Duration `json:"grace,omitempty"`
}

// requestSeq orders requests written within the same nanosecond.
var requestSeq atomic.Uint64

// WriteRequest queues r for stepd in ctlDir. The caller then sends
// WakeSignal to stepd.
func WriteRequest(ctlDir string, r Request) error {
	name := fmt.Sprintf("req-%020d-%010d.json", time.Now().UnixNano(), requestSeq.Add(1))
	if err := WriteJSON(filepath.Join(ctlDir, name), r); err != nil {
		return fmt.Errorf("queue %s request: %w", r.Kind, err)
	}
	return nil
}

// TakeRequests removes and returns the queued requests, oldest first. A
// request that cannot be decoded is returned as an error after the others
// have been taken.
func TakeRequests(ctlDir string) ([]Request, error) {
	names, err := filepath.Glob(filepath.Join(ctlDir, "req-*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var reqs []Request
	var bad []string
	for _, name := range names {
		var r Request
		err := ReadJSON(name, &r)
		os.Remove(name)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		reqs = append(reqs, r)
	}
	if len(bad) > 0 {
		return reqs, fmt.Errorf("undecodable requests: %s", strings.Join(bad, "; "))
	}
	return reqs, nil
}
