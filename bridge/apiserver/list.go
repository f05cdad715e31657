package apiserver

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/api/brief"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// jobFilter selects jobs: by refs, by fields, by state, by time window.
// Nil maps do not filter.
type jobFilter struct {
	byRef    bool
	refIDs   map[uint64]bool         // whole jobs and arrays (Task == AllTasks)
	refTasks map[uint64]map[int]bool // array id -> task indexes

	users, accounts, partitions, names map[string]bool
	states                             map[state.JobState]bool
	// history includes finished jobs when states is nil.
	history    bool
	start, end time.Time
}

func setOf(vals []string) map[string]bool {
	if len(vals) == 0 {
		return nil
	}
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// setRefs makes the filter select the named jobs only.
func (f *jobFilter) setRefs(refs []state.JobRef) {
	if len(refs) == 0 {
		return
	}
	f.byRef, f.refIDs, f.refTasks = true, map[uint64]bool{}, map[uint64]map[int]bool{}
	for _, r := range refs {
		if r.Task == state.AllTasks {
			f.refIDs[r.JobID] = true
			continue
		}
		if f.refTasks[r.JobID] == nil {
			f.refTasks[r.JobID] = map[int]bool{}
		}
		f.refTasks[r.JobID][r.Task] = true
	}
}

// hasFields reports whether any filter other than refs is set.
func (f *jobFilter) hasFields() bool {
	return f.users != nil || f.accounts != nil || f.partitions != nil || f.names != nil || f.states != nil
}

// parseStates reads state names; "all" selects every state.
func parseStates(vals []string) (states map[state.JobState]bool, all bool, err error) {
	for _, v := range vals {
		if strings.EqualFold(v, "all") {
			all = true
			continue
		}
		st, err := api.ParseJobState(v)
		if err != nil {
			return nil, false, badRequest("%v", err)
		}
		if states == nil {
			states = map[state.JobState]bool{}
		}
		states[st] = true
	}
	if all {
		states = nil
	}
	return states, all, nil
}

// matchFields applies every filter but the refs.
func (f *jobFilter) matchFields(j *state.Job) bool {
	switch {
	case f.users != nil && !f.users[j.User],
		f.accounts != nil && !f.accounts[j.Account],
		f.names != nil && !f.names[j.Name],
		f.partitions != nil && !slices.ContainsFunc(strings.Split(j.Partition, ","), func(p string) bool { return f.partitions[p] }),
		f.states != nil && !f.states[j.State],
		f.states == nil && !f.history && j.State.Terminal(),
		!f.end.IsZero() && j.SubmitTime.After(f.end),
		!f.start.IsZero() && !j.EndTime.IsZero() && j.EndTime.Before(f.start):
		return false
	}
	return true
}

// matchRef applies the refs to a record that is not an array base.
func (f *jobFilter) matchRef(j *state.Job) bool {
	if !f.byRef || f.refIDs[j.ID] {
		return true
	}
	if j.ArrayJobID == 0 {
		return false
	}
	return f.refIDs[j.ArrayJobID] || (j.ArrayTaskID != state.NoTask && f.refTasks[j.ArrayJobID][j.ArrayTaskID])
}

// listKey orders list entries: a record by its id, a pending array task not
// yet materialised by its array's id and index.
type listKey struct {
	id   uint64
	task int // state.NoTask for records
}

func (k listKey) less(o listKey) bool {
	return k.id < o.id || (k.id == o.id && k.task < o.task)
}

// token renders the key as a page token: "123" or "123.7".
func (k listKey) token() string {
	if k.task == state.NoTask {
		return strconv.FormatUint(k.id, 10)
	}
	return fmt.Sprintf("%d.%d", k.id, k.task)
}

func parseToken(s string) (listKey, error) {
	idPart, taskPart, hasTask := strings.Cut(s, ".")
	id, err := strconv.ParseUint(idPart, 10, 64)
	k := listKey{id: id, task: state.NoTask}
	if err == nil && hasTask {
		k.task, err = strconv.Atoi(taskPart)
		if k.task < 0 {
			err = strconv.ErrRange
		}
	}
	if err != nil {
		return listKey{}, badRequest("next_token=%q is not a page token", s)
	}
	return k, nil
}

// walk calls emit for each entry the filter selects, in key order, until
// emit returns false. For a pending array task not yet materialised, emit
// gets the array's base record and a key with the task index.
func (f *jobFilter) walk(v *state.View, expand bool, emit func(listKey, *state.Job) bool) {
	v.EachJob(func(j *state.Job) bool {
		if !j.IsArrayBase() {
			if !f.matchRef(j) || !f.matchFields(j) {
				return true
			}
			return emit(listKey{j.ID, state.NoTask}, j)
		}
		if j.Pending.Empty() || !f.matchFields(j) {
			return true
		}
		whole := !f.byRef || f.refIDs[j.ID]
		if whole && !expand {
			return emit(listKey{j.ID, state.NoTask}, j)
		}
		more := true
		if whole {
			j.Pending.Each(func(x int) bool {
				more = emit(listKey{j.ID, x}, j)
				return more
			})
			return more
		}
		tasks := make([]int, 0, len(f.refTasks[j.ID]))
		for x := range f.refTasks[j.ID] {
			if j.Pending.Contains(x) {
				tasks = append(tasks, x)
			}
		}
		slices.Sort(tasks)
		for _, x := range tasks {
			if !emit(listKey{j.ID, x}, j) {
				return false
			}
		}
		return true
	})
}

// What other users see. A token that may not touch a job (mayTouch: not
// its owner's, not a management token) sees the job as squeue and scontrol
// show it to anyone: never its script, environment, the options as typed
// (which hold --wrap and --export values), the script's arguments, the wrap
// command or the --export list. presenter.submission is the one place
// every reply that carries a job (GET /v1/job, /v1/jobs and /v1/accounting
// in every view and encoding) takes its submission from.

// publicSubmission is what anyone may see of sub: a copy that keeps, of
// the submission, only the script's name, the directory and the host, and
// of the spec what squeue and scontrol show (a --wrap job keeps an empty
// Wrap, so that it still reads as one). Fields added to Submission later
// stay private until named here.
func publicSubmission(sub *state.Submission) *state.Submission {
	if sub == nil {
		return nil
	}
	pub := &state.Submission{ScriptName: sub.ScriptName, Cwd: sub.Cwd, SubmitHost: sub.SubmitHost}
	if sub.Spec != nil {
		s := *sub.Spec
		s.Export, s.ScriptArgs, s.Ignored, s.Warnings = nil, nil, nil, nil
		if s.Wrap != nil {
			s.Wrap = new(string)
		}
		if _, ok := s.Other["export-file"]; ok {
			s.Other = maps.Clone(s.Other)
			delete(s.Other, "export-file")
		}
		pub.Spec = &s
	}
	return pub
}

// subCache maps submissions to their shaped copies, so that the records
// of one array share one copy (the packed brief form sends it once).
type subCache struct {
	from, to *state.Submission // the last lookup
	m        map[*state.Submission]*state.Submission
}

func (c *subCache) get(sub *state.Submission, shape func(*state.Submission) *state.Submission) *state.Submission {
	if sub == c.from && c.to != nil {
		return c.to
	}
	out, ok := c.m[sub]
	if !ok {
		if c.m == nil {
			c.m = map[*state.Submission]*state.Submission{}
		}
		out = shape(sub)
		c.m[sub] = out
	}
	c.from, c.to = sub, out
	return out
}

// withoutScript is sub without its script and environment.
func withoutScript(sub *state.Submission) *state.Submission {
	c := *sub
	c.Script, c.Env = nil, nil
	return &c
}

// presenter shapes records for replies: pending tasks get their own
// record; submissions lose the script and environment unless asked for,
// and everything private unless the caller may touch the job.
type presenter struct {
	v      *state.View
	tok    *state.ACLToken
	script bool
	// own: the caller's jobs without scripts; public: other users' jobs.
	own, public subCache
}

func newPresenter(v *state.View, tok *state.ACLToken, script bool) *presenter {
	return &presenter{v: v, tok: tok, script: script}
}

// submission is the part of j's submission (sub, an array task's being
// its array's) that the caller sees: in the brief view, of which the
// encoders keep only the brief fields, or in full.
func (p *presenter) submission(j *state.Job, sub *state.Submission, briefView bool) *state.Submission {
	switch {
	case sub == nil:
		return nil
	case !mayTouch(p.tok, j):
		return p.public.get(sub, publicSubmission)
	case briefView || p.script:
		return sub
	}
	return p.own.get(sub, withoutScript)
}

func (p *presenter) job(k listKey, j *state.Job) *state.Job {
	cp := *j
	if k.task != state.NoTask && j.IsArrayBase() {
		cp.ArrayTaskID, cp.Pending = k.task, nil
	}
	cp.Submission = p.submission(j, p.v.Submission(j), false)
	cp.DependsOn = nil // the log's parsed form of Dependency; clients read the text
	if c := j.Checkpoints; c != nil && !mayTouch(p.tok, j) {
		// A checkpoint's digest would tell another user whether they hold
		// the same content: only the owner sees it.
		hidden := *c
		hidden.Digest = ""
		cp.Checkpoints = &hidden
	}
	if !mayTouch(p.tok, j) {
		cp.Files = nil // staged files' digests are the owner's (files.go)
	}
	// GPU accounting (the run's GPU ids and node, its GPU-seconds, NVML's
	// figures) is shown to every caller, as NodeList is: sacct -a shows
	// any user's AllocTRES in Slurm, and none of it is the job's data.
	return &cp
}

// listOptions are the paging and shaping options of a list.
type listOptions struct {
	expand, script bool
	// brief selects the brief view (api.ViewBrief).
	brief   bool
	perPage int
	from    *listKey
}

// parseJobsQuery reads the query of /v1/jobs and /v1/accounting.
func parseJobsQuery(q url.Values, history bool) (*jobFilter, listOptions, error) {
	var o listOptions
	allowed := []string{"jobs", "user", "account", "partition", "name", "state", "history", "array", "script",
		"start", "end", "per_page", "next_token", "index", "wait", "consistent", "view"}
	for k := range q {
		if !slices.Contains(allowed, k) {
			return nil, o, badRequest("unknown query parameter %q (known: %s)", k, strings.Join(allowed, ", "))
		}
	}
	refs, err := parseRefList(q["jobs"])
	if err != nil {
		return nil, o, err
	}
	f := &jobFilter{
		users:      setOf(listParam(q, "user")),
		accounts:   setOf(listParam(q, "account")),
		partitions: setOf(listParam(q, "partition")),
		names:      setOf(listParam(q, "name")),
	}
	f.setRefs(refs)
	var all bool
	if f.states, all, err = parseStates(listParam(q, "state")); err != nil {
		return nil, o, err
	}
	h, err := boolParam(q, "history")
	if err != nil {
		return nil, o, err
	}
	f.history = history || h || all
	if f.start, err = timeParam(q, "start"); err != nil {
		return nil, o, err
	}
	if f.end, err = timeParam(q, "end"); err != nil {
		return nil, o, err
	}
	if o.expand, err = boolParam(q, "array"); err != nil {
		return nil, o, err
	}
	if o.script, err = boolParam(q, "script"); err != nil {
		return nil, o, err
	}
	switch view := q.Get("view"); view {
	case "", "full":
	case api.ViewBrief:
		o.brief = true
	default:
		return nil, o, badRequest("view=%q: want full or %s", view, api.ViewBrief)
	}
	if o.brief && o.script {
		return nil, o, badRequest("the brief view has no scripts: leave out script=true")
	}
	if o.perPage, err = intParam(q, "per_page"); err != nil {
		return nil, o, err
	}
	maxPage := api.MaxPerPage
	if o.brief {
		maxPage = api.MaxBriefPerPage
	}
	if o.perPage == 0 || o.perPage > maxPage {
		o.perPage = maxPage
	}
	if t := q.Get("next_token"); t != "" {
		k, err := parseToken(t)
		if err != nil {
			return nil, o, err
		}
		o.from = &k
	}
	return f, o, nil
}

// page lists one page and the token of the next ("" on the last), as a
// *listPage that respond encodes row by row.
func page(v *state.View, f *jobFilter, o listOptions, p *presenter) (any, string) {
	entries := make([]listEntry, 0, min(o.perPage, 1024))
	next := ""
	f.walk(v, o.expand, func(k listKey, j *state.Job) bool {
		if o.from != nil && k.less(*o.from) {
			return true
		}
		if len(entries) == o.perPage {
			next = k.token()
			return false
		}
		entries = append(entries, listEntry{k, j})
		return true
	})
	return &listPage{p: p, brief: o.brief, entries: entries}, next
}

// listEntry is one entry of a list: a record, or an array's base record
// with the key of one of its pending tasks.
type listEntry struct {
	key listKey
	job *state.Job
}

// listPage is a page of a list, encoded as the client accepts: JSON, gob
// (full view) or packed (brief view, brief.ContentType). JSON and
// packed pages are written row by row as they are encoded, so a request
// holds the page's entries (api.MaxBriefPerPage at most) and a frame, not
// the whole reply.
type listPage struct {
	p       *presenter
	brief   bool
	entries []listEntry
}

// each calls f with every entry's record and the submission the caller
// sees; a pending task's record is valid only during its call.
func (lp *listPage) each(f func(j *state.Job, sub *state.Submission) bool) {
	var task state.Job
	for _, e := range lp.entries {
		j := e.job
		if e.key.task != state.NoTask && j.IsArrayBase() {
			task = *j
			task.ArrayTaskID, task.Pending = e.key.task, nil
			j = &task
		}
		if !f(j, lp.p.submission(e.job, lp.p.v.Submission(e.job), lp.brief)) {
			return
		}
	}
}

func (lp *listPage) write(w http.ResponseWriter, r *http.Request) error {
	switch {
	case lp.brief && brief.Accepts(r.Header):
		// Frames go out as they fill, and the client decodes one while
		// the next is encoded.
		w.Header().Set("Content-Type", brief.ContentType)
		w.WriteHeader(http.StatusOK)
		enc := brief.NewEncoder(w)
		lp.each(func(j *state.Job, sub *state.Submission) bool {
			enc.Encode(j, sub)
			return true
		})
		return enc.Close()
	case !lp.brief && api.AcceptsGob(r.Header):
		// Job lists are the API's largest replies; gob decodes several
		// times faster than JSON for the Go clients that ask for it. Gob
		// writes a value whole: a page of full records (api.MaxPerPage at
		// most).
		out := make([]*state.Job, len(lp.entries))
		for i, e := range lp.entries {
			out[i] = lp.p.job(e.key, e.job)
		}
		w.Header().Set("Content-Type", api.ContentTypeGob)
		w.WriteHeader(http.StatusOK)
		return gob.NewEncoder(w).Encode(out)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	var row bytes.Buffer
	enc := json.NewEncoder(&row)
	var briefs subCache
	var err error
	_ = bw.WriteByte('[')
	first := true
	lp.each(func(j *state.Job, sub *state.Submission) bool {
		cp := *j
		cp.DependsOn = nil
		if lp.brief {
			cp.Runs, cp.GPU = nil, nil // as in the packed form: earlier runs and GPU accounting are for sacct
			cp.Steps, cp.StepsDropped = nil, 0
			cp.Submission = briefs.get(sub, brief.Submission)
		} else {
			cp.Submission = sub
		}
		row.Reset()
		if err = enc.Encode(&cp); err != nil {
			return false
		}
		if !first {
			_ = bw.WriteByte(',')
		}
		first = false
		_, err = bw.Write(row.Bytes()[:row.Len()-1]) // without Encode's newline
		return err == nil
	})
	if err != nil {
		return err
	}
	if _, err := bw.WriteString("]\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// parseRefList parses several ref lists into one, without duplicates.
func parseRefList(lists []string) ([]state.JobRef, error) {
	var out []state.JobRef
	seen := map[state.JobRef]bool{}
	for _, l := range lists {
		refs, err := api.ParseJobRefs(l)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		for _, r := range refs {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
		if len(out) > api.MaxRefs {
			return nil, badRequest("the request names more than %d jobs; name a whole array by its job id", api.MaxRefs)
		}
	}
	return out, nil
}

// lookup finds the record a single ref names: a job, a materialised task,
// or, for a pending task, its array's base record with the task's key. The
// record is nil when there is none.
func lookup(v *state.View, r state.JobRef) (*state.Job, listKey) {
	if r.Task == state.AllTasks {
		j := v.Job(r.JobID)
		return j, listKey{r.JobID, state.NoTask}
	}
	if t := v.Task(r.JobID, r.Task); t != nil {
		return t, listKey{t.ID, state.NoTask}
	}
	if b := v.Job(r.JobID); b != nil && b.IsArrayBase() && b.Pending.Contains(r.Task) {
		return b, listKey{b.ID, r.Task}
	}
	return nil, listKey{}
}

// blockingRead answers a read, as a blocking query when ?index= is given:
// it replies when the state's index passes it, the wait ends, or the
// request ends. read returns the body and the next page token.
func (s *Server) blockingRead(w http.ResponseWriter, r *http.Request, read func(v *state.View) (any, string, error)) error {
	b, err := parseBlocking(r.URL.Query())
	if err != nil {
		return err
	}
	var expired <-chan time.Time
	if b.index > 0 {
		t := time.NewTimer(b.wait)
		defer t.Stop()
		expired = t.C
	}
	for {
		changed := s.cfg.Store.WatchJobs()
		v := s.cfg.Store.View()
		if b.index == 0 || v.LatestIndex() > b.index {
			return respond(w, r, v, read)
		}
		select {
		case <-changed:
		case <-expired:
			return respond(w, r, s.cfg.Store.View(), read)
		case <-r.Context().Done():
			// Client gone or server shutting down: answer with what there is.
			return respond(w, r, s.cfg.Store.View(), read)
		}
	}
}

func respond(w http.ResponseWriter, r *http.Request, v *state.View, read func(v *state.View) (any, string, error)) error {
	body, next, err := read(v)
	if err != nil {
		return err
	}
	setIndex(w, v.LatestIndex())
	if next != "" {
		w.Header().Set(api.HeaderNextToken, next)
	}
	if lp, ok := body.(*listPage); ok {
		// The status is out: an error here (most often the client gone)
		// can only end the reply early.
		_ = lp.write(w, r)
		return nil
	}
	if api.AcceptsGob(r.Header) {
		w.Header().Set("Content-Type", api.ContentTypeGob)
		w.WriteHeader(http.StatusOK)
		_ = gob.NewEncoder(w).Encode(body)
		return nil
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
