package state

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// A reclaim is a node's owner taking it back: `hpcbridge node reclaim`, an
// ordinary `nomad node drain`, or the end of the node's donation window.
// The leader makes the node ineligible in Nomad, gives each job there its
// --signal (or SIGTERM), waits until the job ends or the reclaim's
// deadline, stops it and requeues it (NodeReclaimCmd with
// ReclaimRequeue). The reclaim itself is replicated, so that a new leader
// carries on with the same deadline and does not signal a job twice.

// Reclaim sources: who took the node back.
const (
	// ReclaimCommand: hpcbridge node reclaim (POST /v1/node/{name}/reclaim).
	ReclaimCommand = "reclaim"
	// ReclaimDrain: nomad node drain, seen by the leader.
	ReclaimDrain = "drain"
	// ReclaimWindow: the node's donation window closed.
	ReclaimWindow = "window"
)

// NodeReclaimCmd operations.
const (
	// ReclaimBegin starts a reclaim of Node (or moves an ongoing one's
	// deadline earlier).
	ReclaimBegin = "begin"
	// ReclaimSignalled records the runs the reclaim hit (their signal,
	// or their stop), before they learn of it.
	ReclaimSignalled = "signalled"
	// ReclaimEnd ends a reclaim: the node is back (eligible again).
	ReclaimEnd = "end"
	// ReclaimRequeue ends a job's run as State (PREEMPTED: its node was
	// reclaimed; REQUEUED: it exited with ExitCheckpoint) and puts the
	// job back in the queue.
	ReclaimRequeue = "requeue"
)

// ExitCheckpoint is the exit code by which a job says "checkpointed,
// requeue me" (HTCondor's convention).
const ExitCheckpoint = 85

// A job that exits 85 at once would be requeued for ever: a run that
// exits 85 within CheckpointLoopRun of its start, after CheckpointLoopRuns
// such runs in a row, ends FAILED 85 instead. Longer runs are requeued
// however often they exit 85 (a long job that checkpoints and asks to be
// requeued every hour), and reclaims, which are not the job's doing, are
// never bounded.
const (
	CheckpointLoopRuns = 8
	CheckpointLoopRun  = time.Minute
)

// Bounds on a reclaim's fields.
const (
	maxReclaimName      = 256
	maxReclaimSignalled = 4096
)

// metaReclaimPrefix prefixes the meta rows that hold reclaims, one per
// Nomad node id (the meta table is in every snapshot already).
const metaReclaimPrefix = "reclaim/"

// NodeReclaimCmd (CmdNodeReclaim) begins, records or ends a node's
// reclaim, or requeues a job whose run a reclaim (or its exit 85) ended.
// Time is the leader's clock when it decided; Apply never reads a clock.
type NodeReclaimCmd struct {
	Time time.Time `json:"time"`
	Op   string    `json:"op"`
	// Node and NodeID name the Nomad client node (begin, signalled, end).
	Node   string `json:"node,omitempty"`
	NodeID string `json:"node_id,omitempty"`
	// Deadline is when the jobs still there are stopped (begin).
	Deadline time.Time `json:"deadline,omitzero"`
	// Source is ReclaimCommand, ReclaimDrain or ReclaimWindow (begin);
	// By who asked, for the record. WasIneligible: the node was already
	// ineligible in Nomad (someone else's doing), so the reclaim's end
	// leaves it so.
	Source        string `json:"source,omitempty"`
	By            string `json:"by,omitempty"`
	WasIneligible bool   `json:"was_ineligible,omitempty"`
	// LastDrain (begin) is when the node's last Nomad drain had started
	// (Nomad's clock; zero: never drained): a drain since means the
	// node's administrator has it, and a window opening leaves it
	// ineligible.
	LastDrain time.Time `json:"last_drain,omitzero"`
	// Hits are the runs the reclaim hit: signalled, or stopped
	// (signalled).
	Hits []ReclaimHit `json:"hits,omitempty"`
	// Begins (end) is the reclaim's Begins as the leader saw it when it
	// decided to end it: a begin committed since (hpcbridge node reclaim
	// while a window's reclaim ends) keeps the reclaim. 0: unchecked.
	Begins int `json:"begins,omitempty"`

	// The run's end (requeue): Run is the job's restart count in that
	// run; a requeue of a run that is not the job's current one is
	// ignored (sent twice, or the job was requeued otherwise).
	JobID      uint64      `json:"job_id,omitempty"`
	Run        int         `json:"run,omitempty"`
	State      JobState    `json:"state,omitempty"`
	ExitCode   int         `json:"exit_code,omitempty"`
	ExitSignal int         `json:"exit_signal,omitempty"`
	GPU        *GPUAlloc   `json:"gpu,omitempty"`
	Measured   *GPUMeasure `json:"measured,omitempty"`
}

// Reclaim is a node being taken back.
type Reclaim struct {
	Node     string    `json:"node"`
	NodeID   string    `json:"node_id"`
	Since    time.Time `json:"since"`
	Deadline time.Time `json:"deadline"`
	Source   string    `json:"source"`
	By       string    `json:"by,omitempty"`
	// WasIneligible: the node was ineligible before the reclaim began;
	// it is left so when the reclaim ends.
	WasIneligible bool `json:"was_ineligible,omitempty"`
	// LastDrain: when the node's last Nomad drain before the reclaim
	// had started (Nomad's clock).
	LastDrain time.Time `json:"last_drain,omitzero"`
	// Hits are the runs the reclaim hit (signalled or stopped), in
	// order: their end is a requeue.
	Hits []ReclaimHit `json:"hits,omitempty"`
	// Begins counts the begins committed for it (an end decided before
	// the last one is ignored).
	Begins int `json:"begins,omitempty"`
}

// ReclaimHit is one run a reclaim hit: a job and its restart count.
type ReclaimHit struct {
	JobID uint64 `json:"job_id"`
	Run   int    `json:"run"`
}

// Hit reports whether the reclaim hit run (a restart count) of job id.
func (r *Reclaim) Hit(id uint64, run int) bool {
	return slices.Contains(r.Hits, ReclaimHit{JobID: id, Run: run})
}

// Reclaims returns the ongoing reclaims, by node id.
func (v *View) Reclaims() []Reclaim {
	it, err := v.txn.Get(tableMeta, "id_prefix", metaReclaimPrefix)
	if err != nil {
		return nil
	}
	var out []Reclaim
	for raw := it.Next(); raw != nil; raw = it.Next() {
		var r Reclaim
		if json.Unmarshal([]byte(raw.(*metaRow).Value), &r) == nil {
			out = append(out, r)
		}
	}
	return out
}

// Reclaim returns the ongoing reclaim of a node (by Nomad node id), or nil.
func (v *View) Reclaim(nodeID string) *Reclaim {
	val := v.Meta(metaReclaimPrefix + nodeID)
	if val == "" {
		return nil
	}
	var r Reclaim
	if json.Unmarshal([]byte(val), &r) != nil {
		return nil
	}
	return &r
}

func (a *applier) reclaim(nodeID string) *Reclaim {
	val := a.meta(metaReclaimPrefix + nodeID)
	if val == "" {
		return nil
	}
	var r Reclaim
	if err := json.Unmarshal([]byte(val), &r); err != nil {
		panic(fmt.Sprintf("state: reclaim of %s: %v", nodeID, err))
	}
	return &r
}

func (a *applier) putReclaim(r *Reclaim) {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("state: reclaim of %s: %v", r.NodeID, err))
	}
	a.setMeta(metaReclaimPrefix+r.NodeID, string(b))
}

// applyNodeReclaim applies a NodeReclaimCmd.
func applyNodeReclaim(a *applier, _ uint8, c *NodeReclaimCmd) *Result {
	if c.Op == ReclaimRequeue {
		return a.reclaimRequeue(c)
	}
	if c.NodeID == "" || len(c.NodeID) > maxReclaimName || len(c.Node) > maxReclaimName || len(c.By) > maxReclaimName {
		return &Result{Err: fmt.Errorf("reclaim: node id %.64q, name %.64q: empty or over %d bytes: %w", c.NodeID, c.Node, maxReclaimName, ErrState)}
	}
	r := a.reclaim(c.NodeID)
	switch c.Op {
	case ReclaimBegin:
		switch c.Source {
		case ReclaimCommand, ReclaimDrain, ReclaimWindow:
		default:
			return &Result{Err: fmt.Errorf("reclaim of %s: source %.64q: want reclaim, drain or window: %w", c.Node, c.Source, ErrState)}
		}
		if c.Deadline.IsZero() {
			return &Result{Err: fmt.Errorf("reclaim of %s without a deadline: %w", c.Node, ErrState)}
		}
		if r == nil {
			r = &Reclaim{Node: c.Node, NodeID: c.NodeID, Since: c.Time, Deadline: c.Deadline, Source: c.Source, By: c.By, WasIneligible: c.WasIneligible, LastDrain: c.LastDrain}
		} else {
			// Already under way: an earlier deadline wins, and an
			// administrator's reclaim or drain is not ended by a window
			// opening (a drain replaces a window's reclaim).
			if c.Deadline.Before(r.Deadline) {
				r.Deadline = c.Deadline
			}
			// A command reclaim takes over a window's; the operator's
			// (ReclaimByRank 2) a drain's too; between command reclaims,
			// the operator's over a donor's admin's over a node's leave:
			// a donor cannot take the operator's reclaim or drain over,
			// and end it.
			rank := ReclaimByRank(c.By)
			if c.Source == ReclaimCommand && (r.Source == ReclaimWindow || r.Source == ReclaimDrain && rank == 2 ||
				r.Source == ReclaimCommand && rank >= ReclaimByRank(r.By)) ||
				c.Source == ReclaimDrain && r.Source == ReclaimWindow {
				r.Source, r.By = c.Source, c.By
			}
		}
		r.Begins++
		a.putReclaim(r)
		return &Result{Value: *r}
	case ReclaimSignalled:
		if r == nil {
			return &Result{Err: fmt.Errorf("node %s is not being reclaimed: %w", c.Node, ErrState)}
		}
		cp := *r
		cp.Hits = slices.Clone(r.Hits)
		for _, h := range c.Hits {
			if !slices.Contains(cp.Hits, h) && len(cp.Hits) < maxReclaimSignalled {
				cp.Hits = append(cp.Hits, h)
			}
		}
		a.putReclaim(&cp)
		return &Result{Value: cp}
	case ReclaimEnd:
		if r == nil {
			return &Result{}
		}
		if c.Begins != 0 && c.Begins != r.Begins {
			return &Result{Value: *r} // begun again since the leader looked
		}
		if err := a.txn.Delete(tableMeta, &metaRow{Key: metaReclaimPrefix + c.NodeID}); err != nil {
			panic(fmt.Sprintf("state: end reclaim of %s: %v", c.NodeID, err))
		}
		return &Result{Value: *r}
	}
	return &Result{Err: fmt.Errorf("reclaim: operation %.32q: %w", c.Op, ErrState)}
}

// reclaimRequeue ends a running job's run as c.State and queues the job
// again: its run record ends in that state (sacct -D shows it), the job is
// PENDING with its restart count up by one, as a Slurm requeue. A job
// submitted with --no-requeue is not run again: it ends PREEMPTED (a
// reclaim), or FAILED with its exit code (exit 85), as does a job in an
// exit-85 loop (checkpointLoop). A job that is no longer running (cancelled or
// ended meanwhile) is left alone.
func (a *applier) reclaimRequeue(c *NodeReclaimCmd) *Result {
	if c.State != StatePreempted && c.State != StateRequeued {
		return &Result{Err: fmt.Errorf("requeue with %s: want PREEMPTED or REQUEUED: %w", c.State, ErrState)}
	}
	j := a.job(c.JobID)
	if j == nil {
		return &Result{Err: fmt.Errorf("%d: %w", c.JobID, ErrNotFound)}
	}
	// The run's Nomad end is seen (the executor asks only then, after the
	// driver committed its last checkpoint): its run tokens go, as with
	// JobFinish (files.go).
	if c.Run != j.RestartCount {
		return &Result{} // an earlier run: its end was seen already
	}
	running := j.State == StateRunning || j.State == StateCompleting
	a.dropRunTokens(j.ID, j.RestartCount, running)
	if !running {
		return &Result{} // cancelled, ended or requeued meanwhile
	}
	cp := *j
	if c.GPU != nil && c.GPU.Check() == nil {
		withGPUAlloc(&cp, c.GPU, true)
	}
	measured(&cp, c.Measured)
	loop := c.State == StateRequeued && checkpointLoop(j, c.Time)
	again := j.Requeue && !loop
	if again {
		run := cp.endRun(c.Time, c.State)
		run.ExitCode, run.ExitSignal = c.ExitCode, c.ExitSignal
		cp = *requeued(j, run)
	} else {
		cp.State, cp.Reason = c.State, ReasonNone
		if c.State == StateRequeued {
			cp.State = StateFailed
			cp.Reason = fmt.Sprintf("exit %d (checkpointed, requeue me) not requeued: ", c.ExitCode)
			if !j.Requeue {
				cp.Reason += "the job was submitted with --no-requeue"
			} else {
				cp.Reason += fmt.Sprintf("its last %d runs exited 85 within %v of their start", CheckpointLoopRuns+1, CheckpointLoopRun)
			}
		}
		cp.EndTime, cp.ExitCode, cp.ExitSignal = c.Time, c.ExitCode, c.ExitSignal
		closeGPU(&cp, c.Time)
	}
	a.put(&cp)
	return &Result{Changed: []uint64{cp.ID}}
}

// checkpointLoop reports whether j's run ending at end by exit 85 is the
// last of a loop: it and the CheckpointLoopRuns runs before it all exited
// 85 within CheckpointLoopRun of their start.
func checkpointLoop(j *Job, end time.Time) bool {
	if end.Sub(j.StartTime) >= CheckpointLoopRun {
		return false
	}
	n := 0
	for i := len(j.Runs) - 1; i >= 0 && n < CheckpointLoopRuns; i-- {
		r := j.Runs[i]
		if r.State != StateRequeued || r.ExitCode != ExitCheckpoint || r.EndTime.Sub(r.StartTime) >= CheckpointLoopRun {
			return false
		}
		n++
	}
	return n == CheckpointLoopRuns
}
