package nomadexec

import (
	"context"
	"time"

	hbapi "github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/gpufit"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// admittedTTL is how long a GPU job the executor admitted but was not
// handed (Start) keeps its GPUs set aside: the scheduler starts what it
// admitted in the same pass, so only a job that changed meanwhile
// (cancelled, held) is left, and its GPUs come back after this.
const admittedTTL = 10 * time.Second

// admitGPUs says whether a GPU job may start now: whether a usable node of
// its partition has the GPUs free (gpufit.Now) on the nodes as Nomad
// shows them, once the GPUs of the runs Nomad has not placed yet and of
// the jobs admitted but not started are set aside. A job that may not
// waits PENDING with reason Resources, as in Slurm, instead of waiting in
// Nomad's blocked evaluations (CONFIGURING). A job the view wrongly admits
// (a non-hpcbridge allocation took the GPUs meanwhile) waits in Nomad.
// Without a node source (Config.Nodes), or when Nomad does not answer, it
// admits: Nomad places the job when it can.
func (e *Executor) admitGPUs(ctx context.Context, j *state.Job, sub *state.Submission, parts []gpufit.Part) bool {
	if e.cfg.Nodes == nil {
		return true
	}
	var since time.Time
	e.mu.Lock()
	for id := range e.gpuRuns {
		if e.runs[id] == nil {
			since = time.Now() // a run ended: its GPUs may be free
			break
		}
	}
	e.gpuRuns = make(map[uint64]bool, len(e.runs))
	for id := range e.runs {
		e.gpuRuns[id] = true
	}
	e.mu.Unlock()
	nodes, placed, err := e.cfg.Nodes.Snapshot(ctx, since)
	if err != nil {
		e.cfg.Logger.Warn("GPU admission: no node list from Nomad; admitting", "job", j.SlurmID(), "err", err)
		return true
	}
	view := e.cfg.Store.View()
	now := time.Now()
	e.mu.Lock()
	var inFlight [][]gpufit.Part
	for id, r := range e.runs {
		if placed[r.nomadID] || id == j.ID {
			continue
		}
		if rj := view.Job(id); rj != nil {
			if sub := view.Submission(rj); sub != nil && sub.Spec != nil {
				if p := gpufit.Parts(sub.Spec); p != nil {
					inFlight = append(inFlight, p)
				}
			}
		}
	}
	for id, a := range e.gpuAdmitted {
		switch {
		case now.Sub(a.at) > admittedTTL:
			delete(e.gpuAdmitted, id)
		case id != j.ID:
			inFlight = append(inFlight, a.parts)
		}
	}
	e.mu.Unlock()
	if !gpufit.Now(sub.Spec, []string{j.Partition}, nodes, inFlight) {
		return false
	}
	if j.IsArrayBase() {
		// Its tasks start under their own ids: they are set aside as
		// runs once started. (Tasks beyond the GPUs free wait in Nomad.)
		return true
	}
	e.mu.Lock()
	e.gpuAdmitted[j.ID] = admitted{at: now, parts: parts}
	e.mu.Unlock()
	return true
}

// NodeSnapshots is the node view GPU admission reads (Nodes).
type NodeSnapshots interface {
	GPUModels
	Snapshot(ctx context.Context, notBefore time.Time) ([]hbapi.Node, map[string]bool, error)
}

// admitted is a GPU job admitted and not yet started.
type admitted struct {
	at    time.Time
	parts []gpufit.Part
}
