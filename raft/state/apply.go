package state

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// applier is one command's write transaction.
type applier struct {
	txn   *memdb.Txn
	index uint64
}

func (a *applier) put(j *Job) {
	if j.CreateIndex == 0 {
		j.CreateIndex = a.index
	}
	j.ModifyIndex = a.index
	if err := a.txn.Insert(tableJobs, j); err != nil {
		panic(fmt.Sprintf("state: insert job %d: %v", j.ID, err))
	}
}

func (a *applier) meta(key string) string {
	raw, err := a.txn.First(tableMeta, "id", key)
	if err != nil || raw == nil {
		return ""
	}
	return raw.(*metaRow).Value
}

func (a *applier) setMeta(key, value string) {
	if err := a.txn.Insert(tableMeta, &metaRow{Key: key, Value: value}); err != nil {
		panic(fmt.Sprintf("state: set %s: %v", key, err))
	}
}

// nextJobID hands out job ids: positive, increasing, never reused.
func (a *applier) nextJobID() uint64 {
	id := uint64(1)
	if v := a.meta(MetaNextJobID); v != "" {
		id, _ = strconv.ParseUint(v, 10, 64)
	}
	a.setMeta(MetaNextJobID, strconv.FormatUint(id+1, 10))
	return id
}

func (a *applier) job(id uint64) *Job {
	raw, err := a.txn.First(tableJobs, "id", id)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Job)
}

// applySubmit adds a job. Version 2 reads the job record the leader made;
// version 1 read the embedded spec (applySubmitV1).
func applySubmit(a *applier, version uint8, c *JobSubmitCmd) *Result {
	if version == 1 {
		return applySubmitV1(a, c)
	}
	r := c.Job
	if r == nil {
		return &Result{Err: errors.New("submission without a job record")}
	}
	j := &Job{
		ID:               a.nextJobID(),
		ArrayTaskID:      NoTask,
		Name:             r.Name,
		User:             c.User,
		Account:          r.Account,
		Partition:        r.Partition,
		QOS:              r.QOS,
		State:            StatePending,
		Reason:           ReasonPriority,
		Requeue:          r.Requeue,
		Nice:             r.Nice,
		TimeLimitMin:     r.TimeLimitMin,
		KillOnInvalidDep: r.KillOnInvalidDep,
		SubmitTime:       c.Time,
		Submission:       c.Submission,
	}
	if r.DependsOn != nil {
		j.Dependency, j.DependsOn = r.Dependency, r.DependsOn
		j.Reason = ReasonDependency
	}
	if !r.Begin.IsZero() {
		j.Begin = r.Begin
		if j.Begin.After(c.Time) {
			j.Reason = ReasonBeginTime
		}
	}
	if r.Hold {
		j.Hold, j.Reason = HoldUser, ReasonHeldUser
	}
	if len(r.Array) > 0 {
		j.ArrayJobID = j.ID
		j.Pending = NewIndexSet(r.Array)
	}
	if version >= 3 && r.StagedInput != "" {
		j.Files = &JobFiles{Input: r.StagedInput}
	}
	a.sweepRunTokens(c.Time)
	a.put(j)
	return &Result{Changed: []uint64{j.ID}, Value: JobSubmitResult{JobID: j.ID}}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// target is one job a ref resolves to; task >= 0 names a task still
// pending in base (not materialised).
type target struct {
	job  *Job
	base *Job
	task int
}

// resolve finds the jobs a ref names.
func (a *applier) resolve(r JobRef) ([]target, error) {
	if r.Task != AllTasks {
		raw, err := a.txn.First(tableJobs, "array", r.JobID, r.Task)
		if err == nil && raw != nil {
			return []target{{job: raw.(*Job), task: NoTask}}, nil
		}
		base := a.job(r.JobID)
		if base != nil && base.IsArrayBase() && base.Pending.Contains(r.Task) {
			return []target{{base: base, task: r.Task}}, nil
		}
		return nil, fmt.Errorf("%s: %w", r, ErrNotFound)
	}
	j := a.job(r.JobID)
	if j == nil {
		return nil, fmt.Errorf("%s: %w", r, ErrNotFound)
	}
	if !j.IsArrayBase() {
		return []target{{job: j, task: NoTask}}, nil
	}
	out := []target{{job: j, task: NoTask}}
	it, err := a.txn.Get(tableJobs, "array_prefix", j.ID)
	if err != nil {
		panic(err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if t := raw.(*Job); t.ID != j.ID {
			out = append(out, target{job: t, task: NoTask})
		}
	}
	return out, nil
}

func allowed(by Actor, j *Job) bool { return by.Management || by.User == j.User }

// each resolves refs, checks permission and calls f per target, collecting
// per-ref errors; f returns the changed job (or nil) and an error.
func (a *applier) each(refs []JobRef, by Actor, f func(t target) (*Job, error)) *Result {
	res := &Result{}
	var errs []error
	for _, r := range refs {
		ts, err := a.resolve(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		owner := ts[0].job
		if owner == nil {
			owner = ts[0].base
		}
		if !allowed(by, owner) {
			errs = append(errs, fmt.Errorf("%s: %w", r, ErrPermission))
			continue
		}
		changedAny := false
		var firstErr error
		for _, t := range ts {
			j, err := f(t)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if j != nil {
				a.put(j)
				res.Changed = append(res.Changed, j.ID)
				changedAny = true
			}
		}
		if !changedAny && firstErr != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r, firstErr))
		}
	}
	res.Err = errors.Join(errs...)
	return res
}

// materialise creates the record of a task still pending in base, with a
// new job id, and removes it from base.Pending. Both are returned as
// copies; the caller stores them.
func (a *applier) materialise(base *Job, task int) (newBase, t *Job) {
	nb := *base
	nb.Pending = base.Pending.Clone()
	nb.Pending.Remove(task)
	tj := nb
	tj.ID = a.nextJobID()
	tj.ArrayTaskID = task
	tj.Pending = nil
	tj.Submission = nil
	tj.CreateIndex = 0
	return &nb, &tj
}

func applyCancel(a *applier, _ uint8, c *JobCancelCmd) *Result {
	st := c.State
	if st == "" {
		st = StateCancelled
	}
	end := func(j *Job) *Job {
		cp := *j
		if cp.StartTime.IsZero() {
			cp.StartTime = c.Time
		}
		cp.State, cp.Reason, cp.EndTime = st, ReasonNone, c.Time
		closeGPU(&cp, c.Time)
		a.endRunTokens(cp.ID, c.Time)
		return &cp
	}
	return a.each(c.Refs, c.By, func(t target) (*Job, error) {
		if t.task != NoTask {
			if t.base.State.Terminal() {
				return nil, fmt.Errorf("job has already finished: %w", ErrState)
			}
			nb, tj := a.materialise(t.base, t.task)
			a.put(nb)
			return end(tj), nil
		}
		j := t.job
		if j.State.Terminal() {
			return nil, fmt.Errorf("job has already finished: %w", ErrState)
		}
		if j.IsArrayBase() && j.Pending.Empty() {
			return nil, nil
		}
		return end(j), nil
	})
}

// applyHold holds or releases. Version 1 let a user's hold replace an
// administrator's (which the user could then release); from version 2, as
// in Slurm, a user's hold leaves an admin hold as it is, and an
// administrator's uhold (UserHold) makes any hold a user hold.
func applyHold(hold bool) func(a *applier, version uint8, c *JobHoldCmd) *Result {
	return func(a *applier, version uint8, c *JobHoldCmd) *Result {
		return a.each(c.Refs, c.By, func(t target) (*Job, error) {
			j := t.job
			if t.task != NoTask {
				j = t.base // holds apply to the pending remainder as a whole
			}
			if j.State != StatePending {
				return nil, fmt.Errorf("job is not pending: %w", ErrState)
			}
			cp := *j
			switch {
			case hold && c.By.Management && !(version >= 2 && c.UserHold):
				cp.Hold, cp.Reason = HoldAdmin, ReasonHeldAdmin
			case hold && version >= 2 && j.Hold == HoldAdmin && !c.By.Management:
				return nil, nil // Slurm: the job is held already; nothing changes
			case hold:
				cp.Hold, cp.Reason = HoldUser, ReasonHeldUser
			case j.Hold == HoldNone:
				return nil, nil
			case j.Hold == HoldAdmin && !c.By.Management:
				return nil, fmt.Errorf("job is held by an administrator: %w", ErrPermission)
			default:
				cp.Hold, cp.Reason = HoldNone, ReasonPriority
			}
			return &cp, nil
		})
	}
}

func applyRequeue(a *applier, _ uint8, c *JobRequeueCmd) *Result {
	return a.each(c.Refs, c.By, func(t target) (*Job, error) {
		j := t.job
		if t.task != NoTask || j.IsArrayBase() {
			return nil, nil // pending tasks are already queued
		}
		if j.State == StatePending {
			return nil, fmt.Errorf("job is pending: %w", ErrState)
		}
		if !j.Requeue {
			return nil, fmt.Errorf("job was submitted with --no-requeue: %w", ErrDisabled)
		}
		st := c.Reason
		if st == "" {
			st = StateRequeued
		}
		a.endRunTokens(j.ID, c.Time)
		return requeued(j, j.endRun(c.Time, st)), nil
	})
}

// requeued is j back in the queue after run, as Slurm does it: the run is
// kept in Runs and the fields of the current run start afresh.
func requeued(j *Job, run Run) *Job {
	cp := *j
	cp.Runs = withRun(j.Runs, run)
	cp.State, cp.Reason = StatePending, ReasonBeginTime
	cp.RestartCount++
	cp.ExitCode, cp.ExitSignal = 0, 0
	cp.NodeList, cp.GPU = "", nil
	cp.StartTime, cp.EndTime = time.Time{}, time.Time{}
	return &cp
}

// applyUpdate is scontrol update. From version 2 a dependency that would
// make a job wait for itself (on itself, or A on B on A) is refused; the
// check runs here, on the state the update is applied to, so that two
// updates committed at once cannot close a cycle between them. From
// version 3 the dependency comes parsed (DependsOn); versions 1 and 2
// carry only its text (legacyUpdateDependency).
func applyUpdate(a *applier, version uint8, c *JobUpdateCmd) *Result {
	deps := c.DependsOn
	var depErr error // version 1 answers it per job, version 2 at once
	if version < 3 && c.Dependency != nil {
		if deps, depErr = legacyUpdateDependency(*c.Dependency); depErr != nil && version >= 2 {
			return &Result{Err: depErr}
		}
	}
	var reach map[uint64]bool
	if version >= 2 && deps != nil {
		var err error
		if reach, err = a.depReach(deps); err != nil {
			return &Result{Err: err}
		}
	}
	return a.each(c.Refs, c.By, func(t target) (*Job, error) {
		j := t.job
		if t.task != NoTask {
			j = t.base
		}
		if j.State != StatePending {
			return nil, fmt.Errorf("job is not pending: %w", ErrState)
		}
		cp := *j
		if c.TimeLimitMin != nil {
			if !c.By.Management && j.TimeLimitMin != 0 && (*c.TimeLimitMin == 0 || *c.TimeLimitMin > j.TimeLimitMin) {
				return nil, fmt.Errorf("only an administrator can raise a time limit: %w", ErrPermission)
			}
			cp.TimeLimitMin = *c.TimeLimitMin
		}
		if c.Partition != nil {
			cp.Partition = *c.Partition
		}
		if c.Dependency != nil {
			if depErr != nil {
				return nil, depErr
			}
			if reach[j.ID] {
				return nil, fmt.Errorf("circular dependency: the job would wait for itself: %w", ErrDependency)
			}
			cp.Dependency, cp.DependsOn = *c.Dependency, nil
			if version >= 3 {
				cp.DependsOn = deps
			}
		}
		if c.Nice != nil {
			if *c.Nice < 0 && !c.By.Management {
				return nil, fmt.Errorf("only an administrator can set a negative nice: %w", ErrPermission)
			}
			cp.Nice = *c.Nice
		}
		if c.Name != nil {
			cp.Name = *c.Name
		}
		return &cp, nil
	})
}

func applyStart(a *applier, _ uint8, c *JobStartCmd) *Result {
	j := a.job(c.JobID)
	if j == nil {
		return &Result{Err: fmt.Errorf("%d: %w", c.JobID, ErrNotFound)}
	}
	if j.State != StatePending || j.Hold != HoldNone {
		return &Result{Err: fmt.Errorf("%d is %s: %w", c.JobID, j.State, ErrState)}
	}
	run := j
	if c.Task != NoTask {
		if !j.IsArrayBase() || !j.Pending.Contains(c.Task) {
			return &Result{Err: fmt.Errorf("%d_%d: %w", c.JobID, c.Task, ErrNotFound)}
		}
		nb, tj := a.materialise(j, c.Task)
		a.put(nb)
		run = tj
	} else if j.IsArrayBase() {
		return &Result{Err: fmt.Errorf("%d is an array: start one task: %w", c.JobID, ErrState)}
	} else {
		cp := *j
		run = &cp
	}
	run.State, run.Reason, run.StartTime, run.EndTime = StateRunning, ReasonNone, c.Time, time.Time{}
	run.NodeList = c.NodeList
	a.dropRunTokens(run.ID, run.RestartCount, false)
	a.sweepRunTokens(c.Time)
	a.put(run)
	return &Result{Changed: []uint64{run.ID}, Value: JobStartResult{JobID: run.ID}}
}

// applyFinish ends a running job. From version 2 the command's Reason, if
// any, becomes the job's reason. From version 3 the command's GPU
// allocation (when placement did not record one) and NVML figures are
// kept, from version 4 with a multi-node run's other nodes; the run's
// GPU-seconds are fixed at its end whatever the version.
func applyFinish(a *applier, version uint8, c *JobFinishCmd) *Result {
	if !c.State.Terminal() {
		return &Result{Err: fmt.Errorf("finish with %s, which is not a final state: %w", c.State, ErrState)}
	}
	j := a.job(c.JobID)
	if j == nil {
		return &Result{Err: fmt.Errorf("%d: %w", c.JobID, ErrNotFound)}
	}
	if c.State == StateTimeout && (j.State == StateRunning || j.State == StateCompleting) {
		// The scheduler's time limit: Nomad has not ended the run yet. Its
		// node commits the last checkpoint and sends the outputs during the
		// stop's grace, with the run's token: ended, usable for
		// RunTokenGrace (as a cancel leaves it).
		a.endRunTokens(j.ID, c.Time)
	} else {
		// The run's Nomad end is seen: its tokens go (those of an earlier
		// run, when the job was requeued and runs again or waits).
		a.dropRunTokens(j.ID, j.RestartCount, j.State != StatePending)
	}
	if j.State != StateRunning && j.State != StateCompleting {
		// Cancelled or requeued meanwhile: the earlier decision stands.
		return &Result{}
	}
	cp := *j
	if version >= 3 {
		withGPUAlloc(&cp, c.GPU, version >= 4)
		measured(&cp, c.Measured)
	}
	running := cp // the run as it was, with what the command adds
	cp.EndTime, cp.ExitCode, cp.ExitSignal = c.Time, c.ExitCode, c.ExitSignal
	cp.State, cp.Reason = c.State, ReasonNone
	if version >= 2 && c.Reason != "" {
		cp.Reason = c.Reason
	}
	closeGPU(&cp, c.Time)
	if c.State == StateNodeFail && j.Requeue {
		// The run's record ends NODE_FAIL; the job runs again.
		run := running.endRun(c.Time, StateNodeFail)
		run.ExitCode, run.ExitSignal = c.ExitCode, c.ExitSignal
		cp = *requeued(j, run)
	}
	a.put(&cp)
	return &Result{Changed: []uint64{cp.ID}}
}

// applyPlaced records where and when a started job runs. From version 2
// the command's GPU allocation becomes the run's, unless it has one; from
// version 3 with a multi-node run's other nodes.
func applyPlaced(a *applier, version uint8, c *JobPlacedCmd) *Result {
	j := a.job(c.JobID)
	if j == nil {
		return &Result{Err: fmt.Errorf("%d: %w", c.JobID, ErrNotFound)}
	}
	if j.State != StateRunning {
		return &Result{} // ended or requeued: nothing to do
	}
	cp := *j
	gpu := version >= 2 && withGPUAlloc(&cp, c.GPU, version >= 3)
	if !gpu && j.NodeList == c.NodeList && j.StartTime.Equal(c.Time) {
		return &Result{} // already recorded
	}
	cp.NodeList = c.NodeList
	if !c.Time.IsZero() && c.Time.After(cp.StartTime) {
		cp.StartTime = c.Time
	}
	a.put(&cp)
	return &Result{Changed: []uint64{cp.ID}}
}

// applyGiveBack returns a CONFIGURING job to the queue (JobGiveBackCmd).
func applyGiveBack(a *applier, _ uint8, c *JobGiveBackCmd) *Result {
	j := a.job(c.JobID)
	if j == nil {
		return &Result{Err: fmt.Errorf("%d: %w", c.JobID, ErrNotFound)}
	}
	if j.State != StateRunning || j.NodeList != "" {
		return &Result{} // placed, ended or requeued meanwhile
	}
	cp := *j
	a.endRunTokens(j.ID, c.Time)
	cp.State, cp.Reason = StatePending, c.Reason
	if cp.Reason == "" {
		cp.Reason = ReasonResources
	}
	cp.RestartCount++
	cp.StartTime, cp.EndTime, cp.GPU = time.Time{}, time.Time{}, nil
	a.put(&cp)
	return &Result{Changed: []uint64{cp.ID}}
}

func applyReasons(a *applier, _ uint8, c *JobReasonsCmd) *Result {
	res := &Result{}
	for _, id := range slices.Sorted(maps.Keys(c.Reasons)) {
		reason := c.Reasons[id]
		j := a.job(id)
		if j == nil || j.State != StatePending || j.Hold != HoldNone || j.Reason == reason {
			continue
		}
		cp := *j
		cp.Reason = reason
		a.put(&cp)
		res.Changed = append(res.Changed, id)
	}
	return res
}

func applyACLBootstrap(a *applier, _ uint8, c *ACLTokenCmd) *Result {
	if a.meta(MetaACLBootstrapped) != "" {
		return &Result{Err: ErrBootstrapped}
	}
	a.setMeta(MetaACLBootstrapped, strconv.FormatUint(a.index, 10))
	return a.insertToken(c.Token)
}

func applyACLTokenCreate(a *applier, _ uint8, c *ACLTokenCmd) *Result {
	if c.Token.Type == TokenDonorAdmin && a.donor(c.Token.Donor) == nil {
		// Its donor was deleted since the leader looked (donors.go).
		return &Result{Err: fmt.Errorf("donor-admin token: donor %q: %w", c.Token.Donor, ErrNotFound)}
	}
	return a.insertToken(c.Token)
}

func (a *applier) insertToken(t ACLToken) *Result {
	for _, idx := range []struct{ name, value string }{{"id", t.AccessorID}, {"secret", t.SecretHash}} {
		if raw, err := a.txn.First(tableTokens, idx.name, idx.value); err == nil && raw != nil {
			return &Result{Err: fmt.Errorf("a token with this %s exists: %w", idx.name, ErrState)}
		}
	}
	t.CreateIdx = a.index
	if err := a.txn.Insert(tableTokens, &t); err != nil {
		return &Result{Err: fmt.Errorf("store token: %w", err)}
	}
	return &Result{Value: t.AccessorID}
}

func applyACLTokenDelete(a *applier, _ uint8, c *ACLTokenDeleteCmd) *Result {
	raw, err := a.txn.First(tableTokens, "id", c.AccessorID)
	if err != nil || raw == nil {
		return &Result{Err: fmt.Errorf("token %s: %w", c.AccessorID, ErrNotFound)}
	}
	if err := a.txn.Delete(tableTokens, raw); err != nil {
		panic(err)
	}
	return &Result{}
}

func applySetMeta(a *applier, _ uint8, c *SetMetaCmd) *Result {
	a.setMeta(c.Key, c.Value)
	return &Result{}
}
