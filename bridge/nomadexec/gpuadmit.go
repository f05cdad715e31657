package nomadexec

import (
	"context"
	"time"

	hbapi "github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/gpufit"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
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
	nodes, inFlight, ok := e.gpuView(ctx, j)
	if !ok {
		return true
	}
	if !gpufit.Now(sub.Spec, []string{j.Partition}, nodes, inFlight) {
		return false
	}
	if j.IsArrayBase() {
		return true // AdmitTasks says how many of its tasks
	}
	e.mu.Lock()
	e.gpuAdmitted[j.ID] = admitted{at: time.Now(), parts: parts, copies: sub.Spec.MinNodes()} // a share per node
	e.mu.Unlock()
	return true
}

var _ sched.TaskAdmitter = (*Executor)(nil)

// maxTasksAdmitted bounds the tasks of one array admitted in one pass.
const maxTasksAdmitted = 256

// AdmitTasks says how many tasks of a GPU array may start now: as many
// copies of a task's GPU request as the free GPUs hold (see admitGPUs), at
// most want (at most maxTasksAdmitted); the rest wait PENDING
// (Resources). Arrays without GPUs: no bound (-1).
func (e *Executor) AdmitTasks(ctx context.Context, base *state.Job, sub *state.Submission, want int) int {
	if sub == nil || sub.Spec == nil || e.cfg.Nodes == nil || sub.Spec.Exclusive != nil {
		return -1
	}
	parts := gpufit.Parts(sub.Spec)
	if parts == nil {
		return -1
	}
	nodes, inFlight, ok := e.gpuView(ctx, base)
	if !ok {
		return -1
	}
	if want < 0 || want > maxTasksAdmitted {
		want = maxTasksAdmitted
	}
	n := 0
	for n < want && gpufit.Now(sub.Spec, []string{base.Partition}, nodes, inFlight) {
		for range sub.Spec.MinNodes() {
			inFlight = append(inFlight, parts)
		}
		n++
	}
	if n > 0 {
		e.mu.Lock()
		e.gpuAdmitted[base.ID] = admitted{at: time.Now(), parts: parts, copies: n * sub.Spec.MinNodes()}
		e.mu.Unlock()
	}
	return n
}

// gpuView is what GPU admission decides on: the nodes (a look fresh since
// a run last ended) and the GPU requests in flight (runs Nomad has not
// placed in that look, jobs admitted but not started), but j's own; ok is
// false when Nomad does not answer.
func (e *Executor) gpuView(ctx context.Context, j *state.Job) (nodes []hbapi.Node, inFlight [][]gpufit.Part, ok bool) {
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
		return nil, nil, false
	}
	view := e.cfg.Store.View()
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, r := range e.runs {
		if placed[r.nomadID] || id == j.ID {
			continue
		}
		if rj := view.Job(id); rj != nil {
			if sub := view.Submission(rj); sub != nil && sub.Spec != nil {
				if p := gpufit.Parts(sub.Spec); p != nil {
					for range sub.Spec.MinNodes() { // a share on each of its nodes
						inFlight = append(inFlight, p)
					}
				}
			}
		}
	}
	for id, a := range e.gpuAdmitted {
		switch {
		case now.Sub(a.at) > admittedTTL:
			delete(e.gpuAdmitted, id)
		case id != j.ID:
			for range a.copies {
				inFlight = append(inFlight, a.parts)
			}
		}
	}
	return nodes, inFlight, true
}

// started takes a job Start registered off the admitted ones: itself, or
// one task's share of its array's.
func (e *Executor) started(j *state.Job) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.gpuAdmitted, j.ID)
	if j.ArrayJobID == 0 || j.ArrayTaskID == state.NoTask {
		return
	}
	if a, ok := e.gpuAdmitted[j.ArrayJobID]; ok {
		nodes := 1 // a task's share on each of its nodes
		if j.Submission != nil && j.Submission.Spec != nil {
			nodes = j.Submission.Spec.MinNodes()
		}
		if a.copies -= nodes; a.copies <= 0 {
			delete(e.gpuAdmitted, j.ArrayJobID)
		} else {
			e.gpuAdmitted[j.ArrayJobID] = a
		}
	}
}

// NodeSnapshots is the node view GPU admission reads (Nodes).
type NodeSnapshots interface {
	GPUModels
	Snapshot(ctx context.Context, notBefore time.Time) ([]hbapi.Node, map[string]bool, error)
}

// knowGPUModels makes sure the node view that resolves GPU types to
// models (GPUModels) has looked at Nomad before a typed GPU job is
// translated: admission looks for it, but a job restarted after a
// failover, or an --exclusive one, was not admitted by this leader.
func (e *Executor) knowGPUModels(ctx context.Context, sub *state.Submission) {
	if e.cfg.Nodes == nil || sub == nil || sub.Spec == nil || sub.Spec.GPUType == nil {
		return
	}
	if _, _, err := e.cfg.Nodes.Snapshot(ctx, time.Time{}); err != nil {
		e.cfg.Logger.Warn("GPU types: no node list from Nomad; types match model names only", "err", err)
	}
}

// admitted is a GPU job admitted and not yet started, or copies tasks of
// a GPU array.
type admitted struct {
	at     time.Time
	parts  []gpufit.Part
	copies int
}
