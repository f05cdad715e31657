package apiserver

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// handleSubmit parses a submission as sbatch would, checks what needs the
// cluster (partition, account, dependencies), commits it and replies with
// the job id once committed.
func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	var req api.SubmitRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if len(req.Script) > api.MaxScriptBytes {
		return api.Errorf(api.CodeTooLarge, "batch script is %d bytes; the limit is %d", len(req.Script), api.MaxScriptBytes)
	}
	user := tok.User
	if req.User != "" && req.User != tok.User {
		if !isManagement(tok) {
			return denied("only a management token may submit jobs as another user: this token is user %s's, the job would be user %s's (the local user who submits owns the job)", tok.User, req.User)
		}
		if err := checkName("user", req.User); err != nil {
			return err
		}
		user = req.User
	}
	if user == "" {
		return badRequest("token %q has no user to run jobs as", tok.Name)
	}
	if err := checkSubmitText(&req); err != nil {
		return err
	}
	if !path.IsAbs(req.Cwd) {
		return badRequest("cwd %q: want the absolute directory sbatch ran in", req.Cwd)
	}
	loc, err := zone(req.TimeZone)
	if err != nil {
		return err
	}
	now := s.now()
	spec, diags := jobspec.Parse(jobspec.Input{
		File:         req.ScriptName,
		Script:       req.Script,
		Args:         req.Args,
		ScriptArgs:   req.ScriptArgs,
		Env:          req.Env,
		Now:          now.In(loc),
		MaxArraySize: s.cfg.MaxArraySize,
	})
	if spec == nil {
		return scriptError(diags)
	}
	if spec.Partition != nil {
		if err := s.checkPartition(*spec.Partition); err != nil {
			return err
		}
	}
	if err := checkAccount(s.cfg.Store.View(), tok, spec); err != nil {
		return err
	}
	if spec.Nice != nil && *spec.Nice < 0 && !isManagement(tok) {
		return denied("--nice=%d: only an administrator can set a negative nice (a job's priority above others')", *spec.Nice)
	}
	if err := checkDependency(s.cfg.Store.View(), spec.Dependency); err != nil {
		return err
	}
	if spec.Begin != nil {
		// A Begin travels in JSON as wall-clock time without a zone and is
		// read back in the local zone (jobspec.Begin.UnmarshalJSON): write
		// it in the local zone so that the instant survives.
		b := *spec.Begin
		b.At = b.At.In(time.Local)
		spec.Begin = &b
		if !jobspec.BeginInRange(b.At) {
			return badRequest("--begin=%s: the begin time must be in the years 1 to 9999", b.Raw)
		}
	}
	// Both checks read Nomad's node list: ask for it once, when needed.
	nodes := sync.OnceValue(func() []api.Node { return s.submitNodes(r.Context()) })
	if err := s.checkNodes(spec, nodes); err != nil {
		return err
	}
	if err := s.checkGPUs(spec, nodes); err != nil {
		return err
	}
	script := req.Script
	if spec.Wrap != nil && len(script) == 0 {
		// The script sbatch generates for --wrap, as slurmctld stores it.
		script = jobspec.WrapScript(*spec.Wrap)
	}
	resp := api.SubmitResponse{}
	for _, d := range diags.Warnings() {
		resp.Warnings = append(resp.Warnings, d.Error())
	}
	if spec.TestOnly {
		resp.TestOnly = true
		writeJSON(w, http.StatusOK, resp)
		return nil
	}
	// What Apply reads: the spec's answer in raft/state's types, so that
	// the log never needs the parser again.
	rec, err := fromspec.Record(spec, s.defaultPar)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	if rec.StagedInput, err = s.checkStagedInput(r.Context(), user, rec.Partition, req.StagedInput); err != nil {
		return err
	}
	res, idx, err := s.apply(r.Context(), state.CmdJobSubmit, state.JobSubmitCmd{
		Time: now.UTC(),
		User: user,
		Submission: &state.Submission{
			Script:     script,
			ScriptName: req.ScriptName,
			Args:       req.Args,
			ScriptArgs: req.ScriptArgs,
			Env:        req.Env,
			Cwd:        req.Cwd,
			SubmitHost: req.SubmitHost,
			Spec:       spec,
		},
		DefaultPartition: s.defaultPar,
		Job:              rec,
	})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return resultError(res.Err)
	}
	sr, ok := res.Value.(state.JobSubmitResult)
	if !ok {
		return fmt.Errorf("submit committed at %d answered %T", idx, res.Value)
	}
	resp.JobID, resp.Index = sr.JobID, idx
	setIndex(w, idx)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// checkSubmitText checks the free text of a submission that jobspec does
// not read (the script's name and the submit directory and host) as the
// options' text is checked (jobspec.CheckText): squeue, sacct and scontrol
// print it.
func checkSubmitText(req *api.SubmitRequest) error {
	for _, f := range []struct {
		what, value string
		max         int
	}{
		{"script_name", req.ScriptName, jobspec.MaxPathLen},
		{"cwd", req.Cwd, jobspec.MaxPathLen},
		{"submit_host", req.SubmitHost, jobspec.MaxTextLen},
	} {
		if err := jobspec.CheckText(f.what, f.value, f.max); err != nil {
			return badRequest("%v", err)
		}
	}
	return nil
}

// zone reads SubmitRequest.TimeZone: an IANA name or a UTC offset.
func zone(tz string) (*time.Location, error) {
	if tz == "" {
		return time.Local, nil
	}
	if t, err := time.Parse("-07:00", tz); err == nil {
		_, off := t.Zone()
		return time.FixedZone(tz, off), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		return nil, badRequest("time zone %q: want an IANA name (Europe/Berlin) or an offset (+02:00)", tz)
	}
	return loc, nil
}

// maxScriptDiagnostics is the most diagnostics a rejected script's reply
// renders; one more line says how many were left out.
const maxScriptDiagnostics = 100

// scriptError is the reply to a script the parser rejected.
func scriptError(diags jobspec.Diagnostics) error {
	msg := "batch job submission failed"
	if errs := diags.Errors(); len(errs) > 0 {
		msg += ": " + errs[0].Error()
	}
	e := api.Errorf(api.CodeInvalidScript, "%s", msg)
	for i, d := range diags {
		if i == maxScriptDiagnostics {
			e.Diagnostics = append(e.Diagnostics, fmt.Sprintf("... and %d more diagnostics (not listed)", len(diags)-i))
			break
		}
		e.Diagnostics = append(e.Diagnostics, d.Render())
	}
	return e
}

// checkPartition checks a partition list against the configuration.
func (s *Server) checkPartition(list string) error {
	for _, p := range strings.Split(list, ",") {
		if !s.partitions[p] {
			return badRequest("invalid partition name specified: %q (partitions: %s)", p, strings.Join(s.cfg.Partitions, ", "))
		}
	}
	return nil
}

// checkAccount holds a client token to its accounts, the first being the
// default. A token held to none may use any account but one affiliated
// with a donor (its jobs get the donor's fair share): only a token that
// lists that account may.
func checkAccount(v *state.View, tok *state.ACLToken, spec *jobspec.Spec) error {
	if isManagement(tok) {
		return nil
	}
	if len(tok.Accounts) == 0 {
		if spec.Account != nil && v.DonorOfAccount(*spec.Account) != "" {
			return denied("account %q is affiliated with a donor organisation (its jobs get the donor's fair share): only a token that lists it may use it (hpcbridge acl token create --user %s --account %s)",
				*spec.Account, tok.User, *spec.Account)
		}
		return nil
	}
	if spec.Account == nil {
		a := tok.Accounts[0]
		spec.Account = &a
		return nil
	}
	if !slices.Contains(tok.Accounts, *spec.Account) {
		return denied("invalid account %q for user %s (accounts: %s)", *spec.Account, tok.User, strings.Join(tok.Accounts, ", "))
	}
	return nil
}

// checkDependency checks that every job a dependency names exists, as
// slurmctld does ("Job dependency problem").
func checkDependency(v *state.View, d *jobspec.Dependency) error {
	if d == nil {
		return nil
	}
	var missing []string
	for _, c := range d.Conditions {
		for _, dj := range c.Jobs {
			ref := state.JobRef{JobID: uint64(dj.JobID), Task: dj.Task}
			if dj.Task < 0 {
				ref.Task = state.AllTasks
			}
			if j, _ := lookup(v, ref); dj.JobID <= 0 || j == nil {
				missing = append(missing, ref.String())
			}
		}
	}
	if len(missing) > 0 {
		return badRequest("job dependency problem: no job %s", strings.Join(missing, ", "))
	}
	return nil
}

// handleJobs lists jobs (squeue) or, with history, accounting (sacct).
func (s *Server) handleJobs(history bool) authed {
	return func(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
		f, o, err := parseJobsQuery(r.URL.Query(), history)
		if err != nil {
			return err
		}
		return s.blockingRead(w, r, func(v *state.View) (any, string, error) {
			jobs, next := page(v, f, o, newPresenter(v, tok, o.script))
			return jobs, next, nil
		})
	}
}

// handleJob shows one job (scontrol show job).
func (s *Server) handleJob(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	ref, err := api.ParseJobRef(r.PathValue("ref"))
	if err != nil {
		return badRequest("%v", err)
	}
	script, err := boolParam(r.URL.Query(), "script")
	if err != nil {
		return err
	}
	return s.blockingRead(w, r, func(v *state.View) (any, string, error) {
		j, k := lookup(v, ref)
		if j == nil {
			return nil, "", api.Errorf(api.CodeNotFound, "job %s: %v", ref, state.ErrNotFound)
		}
		return newPresenter(v, tok, script).job(k, j), "", nil
	})
}

// handlePartitions lists the partitions with job counts (sinfo).
func (s *Server) handlePartitions(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	return s.blockingRead(w, r, func(v *state.View) (any, string, error) {
		pending, running := map[string]int{}, map[string]int{}
		count := func(st state.JobState, into map[string]int) {
			v.EachJobInState(st, func(j *state.Job) bool {
				n := 1
				if j.IsArrayBase() {
					n = j.Pending.Len()
				}
				for _, p := range strings.Split(j.Partition, ",") {
					into[p] += n
				}
				return true
			})
		}
		count(state.StatePending, pending)
		count(state.StateRunning, running)
		count(state.StateCompleting, running)
		out := make([]api.Partition, 0, len(s.cfg.Partitions))
		for _, p := range s.cfg.Partitions {
			out = append(out, api.Partition{Name: p, Default: p == s.defaultPar, State: "up", PendingJobs: pending[p], RunningJobs: running[p], Files: s.filesOf(p)})
		}
		return out, "", nil
	})
}
