package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// maxNice bounds nice values, as Slurm does.
const maxNice = 2147483645

// handleCancel is scancel: by refs, by filters, or both; with a signal it
// signals running jobs instead.
func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	var req api.CancelRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	refs, err := parseRefList(req.Refs)
	if err != nil {
		return err
	}
	// history: a named job that has finished is reported, not skipped.
	f := &jobFilter{
		users:      setOf(req.Users),
		accounts:   setOf(req.Accounts),
		partitions: setOf(req.Partitions),
		names:      setOf(req.Names),
		history:    true,
	}
	if f.states, _, err = parseStates(req.States); err != nil {
		return err
	}
	if len(refs) == 0 && !f.hasFields() {
		return badRequest("no job identification provided: name jobs or filters")
	}
	v := s.cfg.Store.View()
	switch {
	case len(refs) > 0 && f.hasFields():
		refs = filterRefs(v, refs, f)
	case len(refs) == 0:
		if !isManagement(tok) {
			for u := range f.users {
				if u != tok.User {
					return denied("user %s may select only their own jobs, not %s's", tok.User, u)
				}
			}
			f.users = map[string]bool{tok.User: true}
		}
		if refs, err = selectRefs(v, f); err != nil {
			return err
		}
	}
	if len(refs) == 0 {
		writeJSON(w, http.StatusOK, api.ActionResponse{Changed: []uint64{}})
		return nil
	}
	if req.Signal != "" {
		return s.signal(w, r, tok, v, refs, req.Signal, req.SignalScope)
	}
	return s.act(w, r, refs, state.CmdJobCancel, func(refs []state.JobRef) any {
		return state.JobCancelCmd{Time: s.now().UTC(), By: actor(tok), Refs: refs}
	})
}

// filterRefs keeps the refs whose job matches the filter's fields (refs
// to jobs that do not exist are kept, to be reported).
func filterRefs(v *state.View, refs []state.JobRef, f *jobFilter) []state.JobRef {
	var out []state.JobRef
	for _, r := range refs {
		if j, _ := lookup(v, r); j == nil || f.matchFields(j) {
			out = append(out, r)
		}
	}
	return out
}

// selectRefs names the unfinished jobs the filter selects. An array whose
// pending remainder matches is named whole, unless a state filter is set:
// then only its pending tasks are named, one by one.
func selectRefs(v *state.View, f *jobFilter) ([]state.JobRef, error) {
	var refs []state.JobRef
	whole := map[uint64]bool{}
	tooMany := false
	add := func(r state.JobRef) bool {
		refs = append(refs, r)
		tooMany = len(refs) > api.MaxRefs
		return !tooMany
	}
	v.EachJob(func(j *state.Job) bool {
		switch {
		case j.State.Terminal(), !f.matchFields(j):
			return true
		case j.IsArrayBase() && j.Pending.Empty():
			return true // every task has its own record
		case j.IsArrayBase() && f.states == nil:
			whole[j.ID] = true
			return add(state.JobRef{JobID: j.ID, Task: state.AllTasks})
		case j.IsArrayBase():
			more := true
			j.Pending.Each(func(x int) bool {
				more = add(state.JobRef{JobID: j.ID, Task: x})
				return more
			})
			return more
		case j.ArrayJobID != 0 && whole[j.ArrayJobID]:
			return true
		case j.ArrayTaskID != state.NoTask:
			return add(state.JobRef{JobID: j.ArrayJobID, Task: j.ArrayTaskID})
		}
		return add(state.JobRef{JobID: j.ID, Task: state.AllTasks})
	})
	if tooMany {
		return nil, badRequest("the filters select more than %d jobs; narrow them", api.MaxRefs)
	}
	return refs, nil
}

// signal delivers a signal to the running jobs the refs name.
func (s *Server) signal(w http.ResponseWriter, r *http.Request, tok *state.ACLToken, v *state.View, refs []state.JobRef, name, scope string) error {
	sig, err := signalName(name)
	if err != nil {
		return err
	}
	sc := sched.SignalScope(scope)
	if sc != sched.ScopeSteps && sc != sched.ScopeBatch && sc != sched.ScopeFull {
		return badRequest("signal_scope %q: want \"\", \"batch\" or \"full\"", scope)
	}
	if s.cfg.Signaller == nil {
		e := api.Errorf(api.CodeInternal, "this coordinator has no executor to deliver signals")
		e.Status = http.StatusNotImplemented
		return e
	}
	resp := api.ActionResponse{Changed: []uint64{}}
	for _, ref := range refs {
		jobs, err := runningJobs(v, tok, ref)
		if err != nil {
			resp.Errors = append(resp.Errors, api.RefError{Ref: ref.String(), Code: codeOf(err), Message: errors.Unwrap(err).Error()})
			continue
		}
		for _, j := range jobs {
			if err := s.cfg.Signaller.Signal(r.Context(), j.ID, sig, sc); err != nil {
				s.log.Warn("signal failed", "job", j.ID, "signal", sig, "err", err)
				resp.Errors = append(resp.Errors, api.RefError{Ref: ref.String(), Code: api.CodeInternal, Message: err.Error()})
				continue
			}
			resp.Changed = append(resp.Changed, j.ID)
		}
	}
	return finish(w, resp)
}

// signalName reads a scancel --signal value: a name, with or without SIG,
// or a number.
func signalName(s string) (string, error) {
	sig, err := jobspec.ParseSignal(s)
	if err != nil || sig.BatchOnly || sig.Reservation || strings.Contains(s, "@") {
		return "", badRequest("invalid signal %q: want a name such as USR1 or a number", s)
	}
	return sig.Signal, nil
}

// runningJobs resolves a ref to its running jobs. Errors wrap state's
// sentinels (one level, so the cause reads on its own).
func runningJobs(v *state.View, tok *state.ACLToken, ref state.JobRef) ([]*state.Job, error) {
	j, k := lookup(v, ref)
	if j == nil {
		return nil, fmt.Errorf("%s: %w", ref, state.ErrNotFound)
	}
	if !mayTouch(tok, j) {
		return nil, fmt.Errorf("%s: %w", ref, state.ErrPermission)
	}
	cands := []*state.Job{j}
	switch {
	case k.task != state.NoTask:
		cands = nil // a pending task
	case j.IsArrayBase():
		cands = v.ArrayTasks(j.ID)
	}
	var out []*state.Job
	for _, c := range cands {
		if c.State == state.StateRunning {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", ref, fmt.Errorf("job is not running: %w", state.ErrState))
	}
	return out, nil
}

// handleHold holds (state.CmdJobHold) or releases (state.CmdJobRelease).
func (s *Server) handleHold(ct state.CommandType) authed {
	return func(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
		var req api.RefsRequest
		refs, err := decodeRefs(r, &req)
		if err != nil {
			return err
		}
		if req.UserHold && ct != state.CmdJobHold {
			return badRequest("user_hold is for hold (scontrol uhold), not release")
		}
		return s.act(w, r, refs, ct, func(refs []state.JobRef) any {
			return state.JobHoldCmd{By: actor(tok), Refs: refs, UserHold: req.UserHold}
		})
	}
}

func (s *Server) handleRequeue(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	var req api.RefsRequest
	refs, err := decodeRefs(r, &req)
	if err != nil {
		return err
	}
	if req.UserHold {
		return badRequest("user_hold is for hold (scontrol uhold), not requeue")
	}
	return s.act(w, r, refs, state.CmdJobRequeue, func(refs []state.JobRef) any {
		return state.JobRequeueCmd{Time: s.now().UTC(), By: actor(tok), Refs: refs}
	})
}

func decodeRefs(r *http.Request, req *api.RefsRequest) ([]state.JobRef, error) {
	if err := decodeBody(r, req, false); err != nil {
		return nil, err
	}
	refs, err := parseRefList(req.Refs)
	if err == nil && len(refs) == 0 {
		err = badRequest("no job identification provided")
	}
	return refs, err
}

// handleUpdate is scontrol update for pending jobs.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	var req api.UpdateRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	refs, err := parseRefList(req.Refs)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return badRequest("no job identification provided")
	}
	cmd := state.JobUpdateCmd{By: actor(tok), Refs: refs, Partition: req.Partition, Nice: req.Nice, Name: req.Name}
	if req.TimeLimit == nil && req.Partition == nil && req.Dependency == nil && req.Nice == nil && req.Name == nil {
		return badRequest("nothing to update: set time_limit, partition, dependency, nice or name")
	}
	if req.TimeLimit != nil {
		tl, err := jobspec.ParseTime(*req.TimeLimit)
		if err != nil {
			return badRequest("%v", err)
		}
		min := tl.Minutes
		if tl.Unlimited {
			min = 0
		}
		cmd.TimeLimitMin = &min
	}
	if req.Partition != nil {
		if err := s.checkPartition(*req.Partition); err != nil {
			return err
		}
	}
	if req.Dependency != nil {
		d, err := jobspec.ParseDependency(*req.Dependency)
		if err != nil {
			return badRequest("%v", err)
		}
		if err := checkDependency(s.cfg.Store.View(), d); err != nil {
			return err
		}
		raw := ""
		if d != nil {
			raw = d.Raw
		}
		cmd.Dependency, cmd.DependsOn = &raw, fromspec.Dependency(d)
	}
	if req.Nice != nil && (*req.Nice > maxNice || *req.Nice < -maxNice) {
		return badRequest("nice %d: want -%d to %d", *req.Nice, maxNice, maxNice)
	}
	if req.Name != nil {
		// The check sbatch's --job-name gets (jobspec), so that submit and
		// update agree.
		if err := jobspec.CheckText("job name", *req.Name, jobspec.MaxTextLen); err != nil {
			return badRequest("%v", err)
		}
	}
	var check func(j *state.Job) *api.Error
	if req.Partition != nil && s.stagedPartition(*req.Partition) {
		// A staged partition's nodes do not see the submit directory: a
		// job submitted to a shared one has no upload of it to restore
		// there, and would fail on the node. (A staged job moved to a
		// shared partition still has its input restored: it may go.)
		part := *req.Partition
		check = func(j *state.Job) *api.Error {
			if j.Files != nil && j.Files.Input != "" {
				return nil
			}
			return api.Errorf(api.CodeStagedInput, "job %s: partition %s is staged (its nodes do not see the submit directory) and the job was submitted without its submit directory uploaded; submit it again to %s with hpcbridge's sbatch, which uploads it",
				j.SlurmID(), part, part)
		}
	}
	return s.actChecked(w, r, refs, state.CmdJobUpdate, func(refs []state.JobRef) any {
		cmd.Refs = refs
		return cmd
	}, check)
}

// act commits a job action and replies with what changed and what failed,
// the failures in the order of the refs. Refs to jobs that do not exist
// are answered here and kept out of the log: a request naming many of
// them costs no commit.
func (s *Server) act(w http.ResponseWriter, r *http.Request, refs []state.JobRef, ct state.CommandType, cmd func(refs []state.JobRef) any) error {
	return s.actChecked(w, r, refs, ct, cmd, nil)
}

// actChecked is act with a check of each job the refs name: a ref whose
// job check refuses is answered with that error and kept out of the
// command.
func (s *Server) actChecked(w http.ResponseWriter, r *http.Request, refs []state.JobRef, ct state.CommandType,
	cmd func(refs []state.JobRef) any, check func(j *state.Job) *api.Error) error {
	v := s.cfg.Store.View()
	var present []state.JobRef
	missing := map[state.JobRef]bool{}
	refused := map[state.JobRef]*api.Error{}
	for _, ref := range refs {
		j, _ := lookup(v, ref)
		if j == nil {
			missing[ref] = true
			continue
		}
		if check != nil {
			if e := check(j); e != nil {
				refused[ref] = e
				continue
			}
		}
		present = append(present, ref)
	}
	resp := api.ActionResponse{Changed: []uint64{}}
	var failed []api.RefError
	if len(present) > 0 {
		res, idx, err := s.apply(r.Context(), ct, cmd(present))
		if err != nil {
			return err
		}
		if res.Changed != nil {
			resp.Changed = res.Changed
		}
		resp.Index = idx
		failed = refErrors(res.Err, present)
		setIndex(w, idx)
	}
	byRef := map[string][]api.RefError{}
	var unattributed []api.RefError
	for _, e := range failed {
		if e.Ref == "" {
			unattributed = append(unattributed, e)
		} else {
			byRef[e.Ref] = append(byRef[e.Ref], e)
		}
	}
	for _, ref := range refs {
		if missing[ref] {
			resp.Errors = append(resp.Errors, api.RefError{Ref: ref.String(), Code: api.CodeNotFound, Message: state.ErrNotFound.Error()})
			continue
		}
		if e := refused[ref]; e != nil {
			resp.Errors = append(resp.Errors, api.RefError{Ref: ref.String(), Code: e.Code, Message: e.Message})
			continue
		}
		resp.Errors = append(resp.Errors, byRef[ref.String()]...)
	}
	resp.Errors = append(resp.Errors, unattributed...)
	return finish(w, resp)
}

// finish replies to an action: an error when every ref failed. The
// failures are summarised (summarise), so that a short request naming
// many jobs cannot ask for a huge reply.
func finish(w http.ResponseWriter, resp api.ActionResponse) error {
	failed := len(resp.Errors)
	resp.Errors = summarise(resp.Errors)
	if len(resp.Changed) == 0 && failed > 0 {
		w.Header().Del(api.HeaderIndex)
		return allFailed(resp.Errors, failed)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
