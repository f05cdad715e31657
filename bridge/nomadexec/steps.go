package nomadexec

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Step accounting as the executor observes it: the task driver reports a
// job's srun steps as task events whose annotation AnnotationSteps holds
// the steps' records (drivers/taskdriver, stepevents.go), and the executor
// commits each step it has not committed yet (state.JobStepsCmd) through
// StepRecorder. Every allocation update is looked at (the event stream
// carries them all, a reconcile lists them), and a step is committed once
// when it starts and once when it ends. What the node reports is a claim:
// records that do not pass state.Step.Check are dropped, never clamped.
//
// Nomad keeps a task's last 10 events: steps reported while the leader was
// away from the event stream (a failover, a lost connection) are lost when
// more than 10 events came in the meantime, except the last 32, which the
// driver repeats when the job ends.

// AnnotationSteps is the annotation of the task driver's event that
// carries step records: a JSON array of the records srun writes (see
// docs/driver.md).
const AnnotationSteps = "hpcbridge.steps"

// maxStepsAnnotation bounds the annotation the executor decodes.
const maxStepsAnnotation = 64 << 10

// StepRecorder commits a job's step records (the coordinator's Raft log).
type StepRecorder interface {
	RecordSteps(ctx context.Context, jobID uint64, steps []state.Step) error
}

// stepEvent is a step record as the driver's event carries it.
type stepEvent struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	NodeList string `json:"nodelist"`
	NNodes   int    `json:"nnodes"`
	NTasks   int    `json:"ntasks"`
	Start    int64  `json:"start"`
	End      int64  `json:"end"`
	State    string `json:"state"`
	Exit     int    `json:"exit"`
	Signal   int    `json:"signal"`
}

func (r stepEvent) step(run int) state.Step {
	s := state.Step{Run: run, ID: r.ID, Name: r.Name, NodeList: r.NodeList, NNodes: r.NNodes, NTasks: r.NTasks,
		Start: unixTime(r.Start), State: state.StateRunning}
	if r.State != "" {
		s.State, s.End, s.ExitCode, s.ExitSignal = state.JobState(r.State), unixTime(r.End), r.Exit, r.Signal
	}
	return s
}

func unixTime(s int64) time.Time {
	if s <= 0 || s > 1<<40 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// runOfNomadID is the restart count a run's Nomad job id names (NomadID).
func runOfNomadID(nid string) int {
	i := strings.LastIndex(nid, "-r")
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(nid[i+2:])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// stepsOf reads the step records of a task's events, later events first
// winning (an end beats a start), each record checked.
func (e *Executor) stepsOf(ts *api.TaskState, run int) map[int]state.Step {
	if ts == nil {
		return nil
	}
	out := map[int]state.Step{}
	for _, ev := range ts.Events {
		if ev == nil || ev.Type != api.TaskDriverMessage {
			continue
		}
		raw, ok := ev.Details[AnnotationSteps]
		if !ok {
			continue
		}
		var recs []stepEvent
		if len(raw) > maxStepsAnnotation || json.Unmarshal([]byte(raw), &recs) != nil || len(recs) > state.MaxStepsPerCommand {
			e.cfg.Logger.Warn("task event with step records that are not valid: not accounted", AnnotationSteps, quoteNode(raw))
			continue
		}
		for _, r := range recs {
			s := r.step(run)
			if err := s.Check(); err != nil {
				e.cfg.Logger.Warn("step record not accounted", "step", r.ID, "err", err)
				continue
			}
			if old, ok := out[s.ID]; ok && old.Ended() && !s.Ended() {
				continue
			}
			out[s.ID] = s
		}
	}
	return out
}

// recordSteps commits the steps an allocation's task reports that the job
// does not have yet. A step is asked for once per leader term when it
// starts and once when it ends (stepsSent), also when the job is past
// state.MaxStepsPerJob (the log counts it then).
func (e *Executor) recordSteps(ctx context.Context, jobID uint64, a alloc) {
	if e.cfg.Steps == nil || a.Task == nil {
		return
	}
	run := runOfNomadID(a.JobID)
	steps := e.stepsOf(a.Task, run)
	_, terminal := outcomeOf(a)
	defer func() {
		if terminal {
			e.mu.Lock()
			delete(e.stepsSent, jobID)
			e.mu.Unlock()
		}
	}()
	j := e.cfg.Store.View().Job(jobID)
	if len(steps) == 0 || j == nil {
		return
	}
	var todo []state.Step
	e.mu.Lock()
	if e.stepsSent == nil {
		e.stepsSent = map[uint64]map[[2]int]bool{}
	}
	sent := e.stepsSent[jobID]
	if sent == nil {
		sent = map[[2]int]bool{}
		e.stepsSent[jobID] = sent
	}
	for _, id := range slices.Sorted(maps.Keys(steps)) {
		s, k := steps[id], [2]int{run, id}
		if ended, ok := sent[k]; ok && (ended || !s.Ended()) {
			continue
		}
		if old := j.StepOf(run, id); old != nil && (old.Ended() || !s.Ended()) {
			continue
		}
		sent[k] = s.Ended()
		todo = append(todo, s)
	}
	e.mu.Unlock()
	for len(todo) > 0 {
		n := min(len(todo), state.MaxStepsPerCommand)
		if err := e.cfg.Steps.RecordSteps(ctx, jobID, todo[:n]); err != nil {
			e.cfg.Logger.Warn("commit the job's steps", "job", jobID, "err", err)
			e.mu.Lock()
			for _, s := range todo {
				delete(e.stepsSent[jobID], [2]int{s.Run, s.ID}) // asked again with the next update
			}
			e.mu.Unlock()
			return
		}
		todo = todo[n:]
	}
}
