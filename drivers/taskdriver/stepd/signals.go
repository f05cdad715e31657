package stepd

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
)

// serveRequests carries out the driver's queued requests in order.
func (s *shim) serveRequests() {
	reqs, err := jobdir.TakeRequests(s.layout.CtlDir())
	if err != nil {
		fmt.Fprintf(s.nomadErr, "hpcbridge stepd: %v\n", err)
	}
	for _, r := range reqs {
		sig := syscall.Signal(r.Signal)
		switch r.Kind {
		case jobdir.KindSignal:
			s.deliver(r.Scope, sig)
		case jobdir.KindStop:
			s.stop(sig, r.Grace)
		default:
			fmt.Fprintf(s.nomadErr, "hpcbridge stepd: ignoring request of unknown kind %q\n", r.Kind)
		}
	}
}

// stop ends the job as scancel does: slurmstepd's cancel message, SIGCONT
// and sig to every process of the job, SIGKILL after grace. A second stop
// can only bring the SIGKILL closer.
func (s *shim) stop(sig syscall.Signal, grace time.Duration) {
	if grace < 0 {
		grace = 0
	}
	if s.stopping {
		s.signalSession(sig)
		s.server.signalAll(sig)
		if s.kill.Stop() {
			s.kill.Reset(min(grace, time.Until(s.killAt)))
		}
		return
	}
	s.stopping = true
	now := time.Now()
	s.errorf("%s", cancelLine(s.cfg, now))
	s.signalSession(syscall.SIGCONT)
	s.signalSession(sig)
	s.server.signalAll(syscall.SIGCONT)
	s.server.signalAll(sig)
	s.killAt = now.Add(grace)
	s.kill = time.NewTimer(grace)
}

// deliver sends sig to the processes scope names.
func (s *shim) deliver(scope jobdir.Scope, sig syscall.Signal) {
	var err error
	switch scope {
	case jobdir.ScopeBatch:
		err = syscall.Kill(s.batchPID, sig)
		if errors.Is(err, syscall.ESRCH) {
			err = nil
		}
	case jobdir.ScopeFull:
		err = s.signalSession(sig)
		s.server.signalAll(sig)
	case jobdir.ScopeSteps:
		// A multi-node job's steps run under the step service, on this
		// node and the others (whose stepd gets the signal too).
		err = s.signalSteps(sig)
		s.server.signalAll(sig)
	default:
		err = fmt.Errorf("unknown scope %q", scope)
	}
	if err != nil {
		fmt.Fprintf(s.nomadErr, "hpcbridge stepd: signal %s to %s: %v\n", proc.SignalName(sig), scope, err)
	}
}

// signalSession sends sig to every process in the batch shell's session:
// the shell, its children, the srun steps.
func (s *shim) signalSession(sig syscall.Signal) error {
	procs, err := proc.List()
	if err != nil {
		return err
	}
	_, err = proc.Signal(proc.Filter(procs, proc.InSession(s.batchPID)), sig)
	return err
}

// signalSteps sends sig to the tasks of every running srun step. srun
// registers each step's process group in the steps directory, which the
// job's user can write; only processes of that group that are in the job's
// session are signalled, so a forged entry reaches nothing outside the job.
func (s *shim) signalSteps(sig syscall.Signal) error {
	steps, err := jobdir.Steps(s.layout.StepsDir())
	if err != nil || len(steps) == 0 {
		return err
	}
	procs, err := proc.List()
	if err != nil {
		return err
	}
	groups := make(map[int]bool, len(steps))
	for _, st := range steps {
		groups[st.PGID] = true
	}
	members := proc.Filter(procs, func(p proc.Process) bool {
		return p.SID == s.batchPID && groups[p.PGID] && p.PGID != s.batchPID
	})
	_, err = proc.Signal(members, sig)
	return err
}

// cancelLine is slurmstepd's message for a cancelled job; a stop at the
// time limit (within timeLimitSlack) is the time limit's.
func cancelLine(c *jobdir.StepdConfig, now time.Time) string {
	why := ""
	if c.TimeLimit > 0 && !now.Before(c.Start.Add(c.TimeLimit-timeLimitSlack)) {
		why = " DUE TO TIME LIMIT"
	}
	return fmt.Sprintf("*** JOB %s ON %s CANCELLED AT %s%s ***", c.JobID, c.Node, now.Format("2006-01-02T15:04:05"), why)
}
