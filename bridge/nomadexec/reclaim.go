package nomadexec

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"

	hbapi "github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/internal/donation"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// AttrDonationWindows is the node's donation windows, as the task driver
// publishes them (donation.Encode).
const AttrDonationWindows = "driver." + DriverName + ".donation_windows"

// Reclaim defaults.
const (
	// DefaultReclaimDeadline is how long a reclaimed node's jobs have to
	// checkpoint and end before they are stopped (hpcbridge server
	// --reclaim-deadline).
	DefaultReclaimDeadline = hbapi.DefaultReclaimDeadline
	// DefaultReclaimInterval is how often the leader looks at the nodes.
	DefaultReclaimInterval = 2 * time.Second
	// drainMargin is how long before a Nomad drain's own deadline the
	// leader stops the node's jobs itself: Nomad would stop and replace
	// the allocations at its deadline, and a replacement would run the
	// job a second time beside the coordinator's requeued run.
	drainMargin = 10 * time.Second
)

// ReclaimApplier commits reclaim commands (the leader's raft.Node).
type ReclaimApplier interface {
	Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error)
}

// ReclaimConfig configures the leader's reclaims (Config.Reclaim): a node
// reclaimed (hpcbridge node reclaim, committed by the API), drained in
// Nomad, or outside its donation windows is made ineligible, each job
// there gets its --signal (or SIGTERM) at once and is stopped at the
// reclaim's deadline; a run that ends on a reclaimed node is requeued
// (state.NodeReclaimCmd), as is a run that exits 85.
type ReclaimConfig struct {
	// Raft commits the reclaims the leader begins, carries on and ends
	// (nil: reclaims, drains and donation windows are not followed; a
	// run's exit 85 still requeues it).
	Raft ReclaimApplier
	// Deadline is a reclaim's deadline when none is given (default
	// DefaultReclaimDeadline).
	Deadline time.Duration
	// Interval is how often the nodes are looked at (default
	// DefaultReclaimInterval).
	Interval time.Duration
	// Now is the leader's clock (time.Now when nil): donation windows are
	// evaluated with it, and reclaims it begins carry it.
	Now func() time.Time
}

func (c ReclaimConfig) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// reclaimer is one term's reclaim loop state.
type reclaimer struct {
	e *Executor
	// stopped, sent: runs (job and restart count: a job requeued onto a
	// node reclaimed later is hit again) whose Nomad job this term
	// stopped, or that it signalled, for a reclaim; hit: the runs this
	// term hit.
	stopped, sent map[state.ReclaimHit]bool
	hit           map[state.ReclaimHit]bool
	// ineligible: nodes under reclaim seen ineligible (or made so) this
	// term; one seen eligible again after that was given back.
	ineligible map[string]bool
	// nodes: what the node list lacks, by node id, until it changes.
	nodes map[string]reclaimNode
}

type reclaimNode struct {
	modifyIndex uint64
	windows     *donation.Windows // nil: always lent
	badWindows  error
	drain       *api.DrainStrategy
}

// reclaimLoop follows reclaims until ctx ends (RunTerm).
func (e *Executor) reclaimLoop(ctx context.Context) {
	if e.cfg.Reclaim.Raft == nil {
		return
	}
	interval := e.cfg.Reclaim.Interval
	if interval <= 0 {
		interval = DefaultReclaimInterval
	}
	r := &reclaimer{e: e, stopped: map[state.ReclaimHit]bool{}, sent: map[state.ReclaimHit]bool{}, hit: map[state.ReclaimHit]bool{}, ineligible: map[string]bool{}, nodes: map[string]reclaimNode{}}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.pass(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Warn("reclaim", "err", err)
		}
		t.Reset(interval)
	}
}

// pass looks at the nodes once: begins the reclaims that drains and
// closed windows call for, then carries every ongoing one on.
func (r *reclaimer) pass(ctx context.Context) error {
	e := r.e
	q := (&api.QueryOptions{}).WithContext(ctx)
	stubs, _, err := e.cfg.Client.Nodes().List(q)
	if err != nil {
		return fmt.Errorf("list Nomad nodes: %w", err)
	}
	now := e.cfg.Reclaim.now()
	v := e.cfg.Store.View()
	var errs []error
	seen := map[string]bool{}
	for _, s := range stubs {
		if d := s.Drivers[DriverName]; d == nil || !d.Detected {
			continue
		}
		seen[s.ID] = true
		rc := v.Reclaim(s.ID)
		n, err := r.node(ctx, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if rc == nil {
			if err := r.maybeBegin(ctx, s, n, now); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if err := r.carryOn(ctx, v, s, n, rc, now); err != nil {
			errs = append(errs, fmt.Errorf("reclaim of %s: %w", s.Name, err))
		}
	}
	for _, rc := range v.Reclaims() {
		if !seen[rc.NodeID] && !hitLeft(v, &rc) {
			// The node left Nomad, and no job runs there any more.
			errs = append(errs, r.commit(ctx, state.NodeReclaimCmd{Time: now, Op: state.ReclaimEnd, Node: rc.Node, NodeID: rc.NodeID, Begins: rc.Begins}))
		}
	}
	return errors.Join(errs...)
}

// node is what the list lacks of a node: its windows and drain, read
// again when the node changed.
func (r *reclaimer) node(ctx context.Context, s *api.NodeListStub) (reclaimNode, error) {
	if n, ok := r.nodes[s.ID]; ok && n.modifyIndex == s.ModifyIndex {
		return n, nil
	}
	full, _, err := r.e.cfg.Client.Nodes().Info(s.ID, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return reclaimNode{}, fmt.Errorf("read Nomad node %s: %w", s.Name, err)
	}
	n := reclaimNode{modifyIndex: s.ModifyIndex, drain: full.DrainStrategy}
	if attr := full.Attributes[AttrDonationWindows]; attr != "" {
		n.windows, n.badWindows = donation.Decode(attr)
		if n.badWindows != nil {
			r.e.cfg.Logger.Warn("node's donation windows ignored", "node", s.Name, "err", n.badWindows)
			n.windows = nil
		}
	}
	r.nodes[s.ID] = n
	return n, nil
}

// maybeBegin begins the reclaim of a node that Nomad drains or whose
// donation window closed.
func (r *reclaimer) maybeBegin(ctx context.Context, s *api.NodeListStub, n reclaimNode, now time.Time) error {
	def := r.e.cfg.Reclaim.Deadline
	if def <= 0 {
		def = DefaultReclaimDeadline
	}
	switch {
	case s.Drain && n.drain != nil:
		return r.commit(ctx, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: s.Name, NodeID: s.ID,
			Deadline: drainDeadline(n.drain, now, def), Source: state.ReclaimDrain})
	case n.windows != nil && !n.windows.Open(now):
		r.e.cfg.Logger.Info("donation window closed: reclaiming the node", "node", s.Name, "windows", n.windows.Encode())
		return r.commit(ctx, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: s.Name, NodeID: s.ID,
			Deadline: now.Add(def), Source: state.ReclaimWindow, WasIneligible: s.SchedulingEligibility == api.NodeSchedulingIneligible,
			LastDrain: lastDrain(s)})
	}
	return nil
}

// drainDeadline is a drain's deadline as a reclaim's: a little before
// Nomad's own (drainMargin), now for a forced drain, the default deadline
// for a drain without one.
func drainDeadline(d *api.DrainStrategy, now time.Time, def time.Duration) time.Time {
	switch {
	case d.Deadline < 0:
		return now
	case d.ForceDeadline.IsZero():
		return now.Add(def)
	}
	dl := d.ForceDeadline.Add(-min(drainMargin, d.Deadline/10))
	if dl.Before(now) {
		return now
	}
	return dl
}

// carryOn carries an ongoing reclaim on: the node stays ineligible, each
// job there is hit once (recorded in the reclaim, then given its signal)
// and stopped at the deadline; a run that never started there is stopped
// at once. The reclaim ends once the jobs it hit are requeued and the node
// is back (its window opened, or someone made it eligible again); runs
// placed on a node that is back are left alone.
func (r *reclaimer) carryOn(ctx context.Context, v *state.View, s *api.NodeListStub, n reclaimNode, rc *state.Reclaim, now time.Time) error {
	e := r.e
	allocs, _, err := e.cfg.Client.Nodes().Allocations(s.ID, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return fmt.Errorf("allocations: %w", err)
	}
	if rc.Source == state.ReclaimWindow && s.Drain && n.drain != nil {
		// Drained (nomad node drain) while its window was closed: the
		// drain's reclaim from now on, which a window opening does not
		// end (the node is not made eligible under its administrator).
		def := e.cfg.Reclaim.Deadline
		if def <= 0 {
			def = DefaultReclaimDeadline
		}
		if err := r.commit(ctx, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: s.Name, NodeID: s.ID,
			Deadline: drainDeadline(n.drain, now, def), Source: state.ReclaimDrain}); err != nil {
			return err
		}
		cp := *rc
		cp.Source, cp.Begins = state.ReclaimDrain, rc.Begins+1
		rc = &cp
	}
	eligible := s.SchedulingEligibility == api.NodeSchedulingEligible
	// A donor node's leave (POST /v1/node/{name}/leave) is over when the
	// node rejoined (its agent started again): then, as for a window
	// that opened, the node is made eligible again.
	leave := state.IsLeaveReclaim(rc)
	var back bool
	switch {
	case rc.Source == state.ReclaimWindow:
		back = n.windows == nil || n.windows.Open(now)
	case leave:
		back = v.IsRejoined(s.ID) && !s.Drain
	default:
		back = eligible && !s.Drain && r.ineligible[s.ID]
	}
	type target struct {
		id      uint64
		nid     string
		job     *state.Job
		started bool
	}
	var targets []target
	var hit []state.ReclaimHit
	for _, a := range allocs {
		if !strings.HasPrefix(a.JobID, JobPrefix) || (a.ClientStatus != api.AllocClientStatusPending && a.ClientStatus != api.AllocClientStatusRunning) {
			continue
		}
		e.mu.Lock()
		id, tracked := e.nomad[a.JobID]
		e.mu.Unlock()
		j := v.Job(id)
		if !tracked || j == nil || j.State != state.StateRunning || back && !rc.Hit(id, j.RestartCount) {
			continue // not a run of this term's (yet), or placed since the node is back
		}
		ts := a.TaskStates[TaskName]
		targets = append(targets, target{id, a.JobID, j, a.ClientStatus == api.AllocClientStatusRunning && ts != nil && !ts.StartedAt.IsZero()})
		if !rc.Hit(id, j.RestartCount) {
			hit = append(hit, state.ReclaimHit{JobID: id, Run: j.RestartCount})
		}
	}
	// The hit is committed before the job learns of it: a run that ends
	// on its signal is then known to end for the reclaim (asRequeue).
	if len(hit) > 0 {
		if err := r.commit(ctx, state.NodeReclaimCmd{Time: now, Op: state.ReclaimSignalled, Node: rc.Node, NodeID: rc.NodeID, Hits: hit}); err != nil {
			return err
		}
		for _, h := range hit {
			r.hit[h] = true
		}
	}
	var errs []error
	for _, t := range targets {
		run := state.ReclaimHit{JobID: t.id, Run: t.job.RestartCount}
		switch {
		case !t.started || !now.Before(rc.Deadline):
			// Not started yet (nothing to checkpoint), or out of time.
			if r.stopped[run] {
				continue
			}
			e.cfg.Logger.Info("reclaim: stopping the job", "job", t.job.SlurmID(), "node", s.Name, "started", t.started)
			if _, _, err := e.cfg.Client.Jobs().Deregister(t.nid, false, (&api.WriteOptions{}).WithContext(ctx)); err != nil && !IsNotFound(err) {
				errs = append(errs, fmt.Errorf("stop %s: %w", t.nid, err))
				continue
			}
			r.stopped[run] = true
		case r.hit[run] && !r.sent[run]:
			// Hit in this term (one hit in an earlier term had its signal).
			sig, scope := reclaimSignal(v, t.job)
			if err := e.Signal(ctx, t.id, sig, scope); err != nil {
				errs = append(errs, fmt.Errorf("signal %s: %w", t.job.SlurmID(), err))
				continue
			}
			e.cfg.Logger.Info("reclaim: signalled the job", "job", t.job.SlurmID(), "node", s.Name, "signal", sig, "deadline", rc.Deadline)
			r.sent[run] = true
		}
	}
	done := len(targets) == 0 && !hitLeft(v, rc)
	// A drain since the reclaim began keeps the node ineligible (its
	// administrator has it); a leave's begin (the API's) does not know
	// Nomad's last drain, so only a drain in force counts for it.
	drainedSince := lastDrain(s).After(rc.LastDrain) && !leave
	if (rc.Source == state.ReclaimWindow || leave) && done && back && !eligible && !rc.WasIneligible && !s.Drain && !drainedSince {
		if _, err := e.cfg.Client.Nodes().ToggleEligibility(s.ID, true, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
			return errors.Join(append(errs, fmt.Errorf("make %s eligible: %w", s.Name, err))...)
		}
		if leave {
			e.cfg.Logger.Info("donor node rejoined: the node takes jobs again", "node", s.Name)
		} else {
			e.cfg.Logger.Info("donation window open: the node takes jobs again", "node", s.Name)
		}
	}
	if done && back {
		delete(r.ineligible, s.ID)
		return errors.Join(append(errs, r.commit(ctx, state.NodeReclaimCmd{Time: now, Op: state.ReclaimEnd, Node: rc.Node, NodeID: rc.NodeID, Begins: rc.Begins}))...)
	}
	if eligible && !back {
		if _, err := e.cfg.Client.Nodes().ToggleEligibility(s.ID, false, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
			return errors.Join(append(errs, fmt.Errorf("make %s ineligible: %w", s.Name, err))...)
		}
		e.cfg.Logger.Info("reclaim: the node takes no new jobs", "node", s.Name, "source", rc.Source)
	}
	if !eligible || !back {
		r.ineligible[s.ID] = true
	}
	return errors.Join(errs...)
}

// lastDrain is when the node's last Nomad drain started (zero: never).
func lastDrain(s *api.NodeListStub) time.Time {
	if s.LastDrain == nil {
		return time.Time{}
	}
	return s.LastDrain.StartedAt
}

// hitLeft reports whether a job the reclaim hit still runs in the
// replicated state: its requeue is not committed yet.
func hitLeft(v *state.View, rc *state.Reclaim) bool {
	for _, h := range rc.Hits {
		if j := v.Job(h.JobID); j != nil && j.State == state.StateRunning && j.RestartCount == h.Run {
			return true
		}
	}
	return false
}

// reclaimSignal is what a reclaimed job gets: its --signal (to whom
// --signal says), else SIGTERM to every process of the job.
func reclaimSignal(v *state.View, j *state.Job) (string, sched.SignalScope) {
	if sub := v.Submission(j); sub != nil && sub.Spec != nil && sub.Spec.Signal != nil {
		sig := sub.Spec.Signal
		if sig.BatchOnly {
			return sig.Signal, sched.ScopeBatch
		}
		return sig.Signal, sched.ScopeSteps
	}
	return "TERM", sched.ScopeFull
}

func (r *reclaimer) commit(ctx context.Context, c state.NodeReclaimCmd) error {
	if r.e.cfg.Reclaim.Raft == nil {
		return nil
	}
	b, err := state.Encode(state.CmdNodeReclaim, c)
	if err != nil {
		return err
	}
	res, _, err := r.e.cfg.Reclaim.Raft.Apply(ctx, b)
	if err == nil && res != nil && res.Err != nil {
		err = res.Err
	}
	if err != nil {
		return fmt.Errorf("commit reclaim %s of %s: %w", c.Op, c.Node, err)
	}
	return nil
}

// asRequeue turns an ended run's outcome into a requeue where it is one:
// a run that exited 85 (checkpointed, requeue me) ends REQUEUED; a run
// that a reclaim hit (signalled or stopped), or that a drain moved, ends
// PREEMPTED (a run that never started there is given
// back instead). Either way the job is queued again (sched.Outcome's
// Requeue). A node failure of a run no reclaim hit stays NODE_FAIL; one
// of a hit run (the node went during the reclaim, or a multi-node run's
// other allocation was stopped first) is the reclaim's.
func (e *Executor) asRequeue(en ending) ending {
	o := en.outcome
	if o.Requeue || o.State == state.StatePending || o.State == state.StateRunning {
		return en
	}
	v := e.cfg.Store.View()
	j := v.Job(o.JobID)
	switch {
	case en.migrate || reclaimedDuring(v, en.nodeID, j):
		// Whatever it returned, exit 85 included (a job that saves and
		// exits 85 on its signal): a reclaim is not the job's doing, so
		// its run is PREEMPTED and never counts toward exit 85's loop
		// bound (state.CheckpointLoopRuns).
		if j != nil && j.NodeList == "" {
			// Never ran there: back to the queue without a run record.
			en.outcome = sched.Outcome{JobID: o.JobID, State: state.StatePending, Reason: state.ReasonBeginTime, Time: o.Time}
			return en
		}
		o.State, o.Requeue, o.Reason = state.StatePreempted, true, ""
	case o.State == state.StateFailed && o.ExitCode == state.ExitCheckpoint && o.ExitSignal == 0:
		o.State, o.Requeue, o.Reason = state.StateRequeued, true, ""
	default:
		return en
	}
	o.Run = runOf(en.nomadJob)
	en.outcome = o
	return en
}

// runOf is the restart count a Nomad job id names (NomadID's "-rN"; none:
// the first run).
func runOf(nid string) int {
	i := strings.LastIndex(nid, "-r")
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(nid[i+2:])
	if err != nil {
		return 0
	}
	return n
}

// reclaimedDuring reports whether the current run of j, which ended on
// nodeID, was hit by a reclaim of that node or of another of its nodes.
func reclaimedDuring(v *state.View, nodeID string, j *state.Job) bool {
	if j == nil {
		return false
	}
	if rc := v.Reclaim(nodeID); rc != nil && rc.Hit(j.ID, j.RestartCount) {
		return true
	}
	for _, rc := range v.Reclaims() {
		if rc.Hit(j.ID, j.RestartCount) {
			return true
		}
	}
	return false
}

// NodeID is the Nomad node id of the node called name, among the nodes
// with the hpcbridge driver (apiserver.NodeResolver, for hpcbridge node
// reclaim).
func (n *Nodes) NodeID(ctx context.Context, name string) (string, error) {
	q := (&api.QueryOptions{Filter: fmt.Sprintf("Name == %q", name)}).WithContext(ctx)
	stubs, _, err := n.Client.Nodes().List(q)
	if err != nil {
		return "", fmt.Errorf("list Nomad nodes: %w", err)
	}
	var ids []string
	for _, s := range stubs {
		if d := s.Drivers[DriverName]; s.Name == name && d != nil && d.Detected {
			ids = append(ids, s.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", errors.New("no such node runs the hpcbridge driver in Nomad")
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%d Nomad nodes have that name (%s): reclaim them with nomad node drain", len(ids), strings.Join(ids, ", "))
}

// SetEligible makes Nomad node id eligible again (a reclaim cancelled:
// apiserver.NodeEligibility).
func (n *Nodes) SetEligible(ctx context.Context, nodeID string) error {
	if _, err := n.Client.Nodes().ToggleEligibility(nodeID, true, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		return fmt.Errorf("make Nomad node %s eligible: %w", nodeID, err)
	}
	return nil
}
