package state_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// Property tests of the FSM: random command sequences from seeded
// generators, applied to several replicas. After every step the replicas'
// results agree and the invariants hold; every few steps (and at the end)
// their snapshots are byte-equal, and snapshot -> Restore -> snapshot gives
// the same bytes. One replica is replaced by a restore of another's
// snapshot now and then and must go on applying identically.

const (
	propSeeds      = 12
	propSteps      = 200
	propReplicas   = 3
	propCompare    = 100 // steps between snapshot comparisons
	propRestoreGap = 70  // steps between replacing a replica by a restore
)

var propT0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func TestFSMProperties(t *testing.T) {
	for seed := int64(1); seed <= propSeeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			runProperty(t, seed)
		})
	}
}

// propOutcomes runs run for seeds 1 to 8, each in a parallel sub-test of
// a "seeds" group, and returns the outcomes they saw summed over the seeds.
func propOutcomes(t *testing.T, run func(t *testing.T, seed int64) map[string]int) map[string]int {
	t.Helper()
	var mu sync.Mutex
	all := map[string]int{}
	t.Run("seeds", func(t *testing.T) {
		for seed := int64(1); seed <= 8; seed++ {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				t.Parallel()
				seen := run(t, seed)
				mu.Lock()
				defer mu.Unlock()
				for k, n := range seen {
					all[k] += n
				}
			})
		}
	})
	return all
}

// assertOutcomesReached: the generator reached every outcome in want
// over the seeds.
func assertOutcomesReached(t *testing.T, all map[string]int, want ...string) {
	t.Helper()
	for _, k := range want {
		if all[k] == 0 {
			t.Errorf("no %q in %v", k, all)
		}
	}
}

func runProperty(t *testing.T, seed int64) {
	g := newGen(t, seed)
	replicas := make([]*state.Store, propReplicas)
	for i := range replicas {
		replicas[i] = state.New()
	}
	inv := newInvariants()
	for step := 1; step <= propSteps; step++ {
		ct, payload := g.next(replicas[0].View())
		before := replicas[0].View()
		entry, res := applyReplicas(t, step, replicas, ct, payload)
		g.learn(res)
		if err := inv.check(before, replicas[0].View(), ct, res, uint64(step)); err != nil {
			t.Fatalf("seed %d step %d (%s): %v", seed, step, entry, err)
		}
		if step%propCompare == 0 || step == propSteps {
			assertReplicasEqual(t, step, replicas)
		}
		if step%propRestoreGap == 0 {
			replicas[len(replicas)-1] = restored(t, replicas[0])
		}
	}
}

// olderEntry is a command as an older release wrote it: JobSubmit 1
// (the spec only) or JobUpdate 2 (the dependency's text only). The
// generator mixes them in, as a log that spans an upgrade holds them.
type olderEntry struct {
	version uint8
	payload any
}

func encodeEntry(ct state.CommandType, payload any) ([]byte, error) {
	if o, ok := payload.(olderEntry); ok {
		body, err := json.Marshal(o.payload)
		return append([]byte{byte(ct), o.version}, body...), err
	}
	return state.Encode(ct, payload)
}

// applyReplicas encodes the command and applies it to every replica as
// the entry at index step; the replicas must agree on its result, which
// it returns with the entry.
func applyReplicas(t *testing.T, step int, replicas []*state.Store, ct state.CommandType, payload any) ([]byte, *state.Result) {
	t.Helper()
	entry, err := encodeEntry(ct, payload)
	if err != nil {
		t.Fatalf("step %d: encode %s: %v", step, ct, err)
	}
	results := make([]*state.Result, len(replicas))
	for i, s := range replicas {
		results[i] = s.Apply(uint64(step), entry)
	}
	for i := 1; i < len(results); i++ {
		if a, b := describe(results[0]), describe(results[i]); a != b {
			t.Fatalf("step %d (%s): replica %d result %s, replica 0 %s", step, entry, i, b, a)
		}
	}
	return entry, results[0]
}

// describe is a result in a comparable form: the order of Changed is not
// part of the contract.
func describe(r *state.Result) string {
	changed := slices.Clone(r.Changed)
	slices.Sort(changed)
	errs := ""
	if r.Err != nil {
		errs = r.Err.Error()
	}
	return fmt.Sprintf("err=%q changed=%v value=%#v", errs, changed, r.Value)
}

func snapshotBytes(t *testing.T, s *state.Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.Snapshot().Persist(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func restored(t *testing.T, s *state.Store) *state.Store {
	t.Helper()
	r := state.New()
	if err := r.Restore(bytes.NewReader(snapshotBytes(t, s))); err != nil {
		t.Fatal(err)
	}
	return r
}

func assertReplicasEqual(t *testing.T, step int, replicas []*state.Store) {
	t.Helper()
	want := snapshotBytes(t, replicas[0])
	for i, s := range replicas[1:] {
		if got := snapshotBytes(t, s); !bytes.Equal(got, want) {
			t.Fatalf("step %d: replica %d snapshot differs from replica 0", step, i+1)
		}
	}
	if got := snapshotBytes(t, restored(t, replicas[0])); !bytes.Equal(got, want) {
		t.Fatalf("step %d: snapshot -> restore -> snapshot differs", step)
	}
}

// invariants tracks what the checks need across steps.
type invariants struct {
	returned map[uint64]bool // every job id a submit or start returned
	lastID   uint64
}

func newInvariants() *invariants { return &invariants{returned: map[uint64]bool{}} }

func (inv *invariants) check(before, after *state.View, ct state.CommandType, res *state.Result, idx uint64) error {
	if got := after.LatestIndex(); got != idx {
		return fmt.Errorf("LatestIndex = %d, want %d", got, idx)
	}
	switch v := res.Value.(type) {
	case state.JobSubmitResult:
		if err := inv.fresh(v.JobID); err != nil {
			return err
		}
	case state.JobStartResult:
		if before.Job(v.JobID) == nil {
			if err := inv.fresh(v.JobID); err != nil {
				return err
			}
		}
		inv.returned[v.JobID] = true
	}
	for id := range inv.returned {
		if after.Job(id) == nil {
			return fmt.Errorf("job %d, returned earlier, is gone", id)
		}
	}
	seen := map[uint64]bool{}
	tasks := map[[2]uint64]bool{}
	var err error
	after.EachJob(func(j *state.Job) bool {
		if seen[j.ID] {
			err = fmt.Errorf("job id %d appears twice", j.ID)
			return false
		}
		seen[j.ID] = true
		if j.ArrayTaskID != state.NoTask {
			key := [2]uint64{j.ArrayJobID, uint64(j.ArrayTaskID)}
			if tasks[key] {
				err = fmt.Errorf("task %d_%d is materialised twice", j.ArrayJobID, j.ArrayTaskID)
				return false
			}
			tasks[key] = true
		}
		if j.IsArrayBase() {
			if err = checkArray(after, j); err != nil {
				return false
			}
		}
		if err = checkRuns(j); err != nil {
			return false
		}
		if err = checkGPU(j); err != nil {
			return false
		}
		if err = checkSteps(j); err != nil {
			return false
		}
		if old := before.Job(j.ID); old != nil && old.State.Terminal() && old.State != j.State {
			if ct != state.CmdJobRequeue || j.State != state.StatePending {
				err = fmt.Errorf("terminal job %d went %s -> %s by command %d", j.ID, old.State, j.State, ct)
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	if ct == state.CmdJobUpdate {
		for _, id := range res.Changed {
			if waitsForItself(after, after.Job(id)) {
				return fmt.Errorf("update made job %d wait for itself (%s)", id, after.Job(id).Dependency)
			}
		}
	}
	for _, tok := range after.Tokens() {
		if got := after.TokenBySecretHash(tok.SecretHash); got == nil || got.AccessorID != tok.AccessorID {
			return fmt.Errorf("token %s is not found by its secret", tok.AccessorID)
		}
	}
	return nil
}

// fresh records a newly created job id, which must exceed every earlier one.
func (inv *invariants) fresh(id uint64) error {
	if id <= inv.lastID || inv.returned[id] {
		return fmt.Errorf("new job id %d is not fresh (last %d)", id, inv.lastID)
	}
	inv.lastID = id
	inv.returned[id] = true
	return nil
}

// checkRuns: every restart kept its run, up to MaxRuns of them, in order.
func checkRuns(j *state.Job) error {
	if want := min(j.RestartCount, state.MaxRuns); len(j.Runs) != want {
		return fmt.Errorf("job %d: %d runs after %d restarts", j.ID, len(j.Runs), j.RestartCount)
	}
	for i, r := range j.Runs {
		if want := j.RestartCount - len(j.Runs) + i; r.RestartCount != want {
			return fmt.Errorf("job %d: run %d has restart count %d, want %d", j.ID, i, r.RestartCount, want)
		}
		if r.State != state.StateRequeued && r.State != state.StateNodeFail {
			return fmt.Errorf("job %d: run %d ended %s", j.ID, i, r.State)
		}
	}
	return nil
}

// checkGPU: a pending run has no GPU record, a running one no GPU-seconds
// yet, and an ended one (or an earlier run) its GPUs times its time, to
// the end sacct's Elapsed uses (a run requeued after it finished: to the
// finish).
func checkGPU(j *state.Job) error {
	want := func(u *state.GPUUse, start, end time.Time) int64 {
		n := len(u.UUIDs)
		for _, o := range u.OtherNodes {
			n += len(o.UUIDs)
		}
		return int64(n) * int64(end.Sub(start)/time.Second)
	}
	switch u := j.GPU; {
	case u == nil:
	case j.State == state.StatePending:
		return fmt.Errorf("job %d is pending with GPU record %+v", j.ID, u)
	case j.State == state.StateRunning && u.Seconds != 0:
		return fmt.Errorf("running job %d has %d GPU-seconds", j.ID, u.Seconds)
	case j.State.Terminal() && u.Seconds != want(u, j.StartTime, j.EndTime):
		return fmt.Errorf("job %d: %d GPU-seconds, want %d", j.ID, u.Seconds, want(u, j.StartTime, j.EndTime))
	}
	for i, r := range j.Runs {
		if r.GPU == nil {
			continue
		}
		end := r.EndTime
		if r.Finished != "" {
			end = r.FinishTime
		}
		if r.GPU.Seconds != want(r.GPU, r.StartTime, end) {
			return fmt.Errorf("job %d run %d: %d GPU-seconds, want %d", j.ID, i, r.GPU.Seconds, want(r.GPU, r.StartTime, end))
		}
	}
	return nil
}

// checkArray: the base's pending indexes and the materialised tasks
// partition the array's indexes.
func checkArray(v *state.View, base *state.Job) error {
	spec := base.Submission.Spec.Array
	tasks := v.ArrayTasks(base.ID)
	if got := base.Pending.Len() + len(tasks); got != spec.Count {
		return fmt.Errorf("array %d: %d pending + %d materialised != %d tasks", base.ID, base.Pending.Len(), len(tasks), spec.Count)
	}
	all, err := jobspec.ParseArray(spec.Spec, 1<<31-1)
	if err != nil {
		return err
	}
	valid := state.NewIndexSet(fromspec.Ranges(all.Ranges))
	for _, task := range tasks {
		if base.Pending.Contains(task.ArrayTaskID) {
			return fmt.Errorf("array %d: task %d is pending in the base and materialised as job %d", base.ID, task.ArrayTaskID, task.ID)
		}
		if !valid.Contains(task.ArrayTaskID) {
			return fmt.Errorf("array %d: task %d is not an index of %q", base.ID, task.ArrayTaskID, spec.Spec)
		}
	}
	return nil
}

// gen makes random but mostly meaningful commands: it looks at the state
// to pick jobs that exist, and sometimes picks ones that do not.
type gen struct {
	t      testing.TB
	r      *rand.Rand
	step   int
	ids    []uint64 // job ids seen in results
	tokens []string // accessor ids created
	specs  map[string]*jobspec.Spec
}

func newGen(t testing.TB, seed int64) *gen {
	return &gen{t: t, r: rand.New(rand.NewSource(seed)), specs: map[string]*jobspec.Spec{}}
}

var (
	propUsers   = []string{"alice", "bob"}
	propArrays  = []string{"0-9", "1-20:3%2", "0,4,7-9", "5", "0-3%1"}
	propReasons = []string{state.ReasonPriority, state.ReasonResources, state.ReasonDependency, state.ReasonBeginTime, state.ReasonArrayTaskLimit}
	propEnds    = []state.JobState{state.StateCompleted, state.StateFailed, state.StateTimeout, state.StateNodeFail, state.StateOutOfMemory, state.StateCancelled}
)

func (g *gen) now() time.Time { return propT0.Add(time.Duration(g.step) * time.Second) }

func (g *gen) user() string { return propUsers[g.r.Intn(len(propUsers))] }

func (g *gen) actor(owner string) state.Actor {
	switch g.r.Intn(6) {
	case 0:
		return state.Actor{User: "root", Management: true}
	case 1:
		return state.Actor{User: g.user()}
	}
	return state.Actor{User: owner}
}

// learn remembers the job ids a result names.
func (g *gen) learn(res *state.Result) {
	switch v := res.Value.(type) {
	case state.JobSubmitResult:
		g.ids = append(g.ids, v.JobID)
	case state.JobStartResult:
		if !slices.Contains(g.ids, v.JobID) {
			g.ids = append(g.ids, v.JobID)
		}
	}
}

// pickJob returns a known job (nil, with a made-up id, now and then).
func (g *gen) pickJob(v *state.View) (uint64, *state.Job) {
	if len(g.ids) == 0 || g.r.Intn(12) == 0 {
		id := uint64(g.r.Intn(len(g.ids)+3) + 1)
		return id, v.Job(id)
	}
	id := g.ids[g.r.Intn(len(g.ids))]
	return id, v.Job(id)
}

// pickInState prefers a job in one of the states.
func (g *gen) pickInState(v *state.View, states ...state.JobState) (uint64, *state.Job) {
	var cands []*state.Job
	for _, st := range states {
		v.EachJobInState(st, func(j *state.Job) bool { cands = append(cands, j); return true })
	}
	if len(cands) == 0 || g.r.Intn(5) == 0 {
		return g.pickJob(v)
	}
	j := cands[g.r.Intn(len(cands))]
	return j.ID, j
}

// pickTask returns an index of base: usually one still pending, else any
// small number (materialised, or not in the array at all).
func (g *gen) pickTask(base *state.Job) int {
	if base != nil && !base.Pending.Empty() && g.r.Intn(4) != 0 {
		var pending []int
		base.Pending.Each(func(x int) bool { pending = append(pending, x); return len(pending) < 32 })
		return pending[g.r.Intn(len(pending))]
	}
	return g.r.Intn(22)
}

// refs returns one or two job references.
func (g *gen) refs(v *state.View) ([]state.JobRef, string) {
	var out []state.JobRef
	owner := g.user()
	for range 1 + g.r.Intn(2) {
		id, j := g.pickJob(v)
		if j != nil {
			owner = j.User
		}
		ref := state.JobRef{JobID: id, Task: state.AllTasks}
		if j != nil && j.IsArrayBase() && g.r.Intn(2) == 0 {
			ref.Task = g.pickTask(j)
		}
		out = append(out, ref)
	}
	return out, owner
}

func (g *gen) next(v *state.View) (state.CommandType, any) {
	g.step++
	switch n := g.r.Intn(100); {
	case n < 22:
		c := g.submit()
		if g.r.Intn(5) == 0 {
			c.Job = nil
			return state.CmdJobSubmit, olderEntry{1, c}
		}
		return state.CmdJobSubmit, c
	case n < 44:
		return state.CmdJobStart, g.start(v)
	case n < 52:
		id, j := g.pickInState(v, state.StateRunning)
		if g.r.Intn(3) == 0 {
			return state.CmdJobSteps, g.steps(id, j)
		}
		c := state.JobPlacedCmd{Time: g.now(), JobID: id, NodeList: fmt.Sprintf("node%d", g.r.Intn(3))}
		switch g.r.Intn(4) {
		case 0:
			return state.CmdJobPlaced, olderEntry{1, c}
		case 1:
			c.GPU = g.gpus(c.NodeList)
		case 2:
			// Version 2 keeps the first node's GPUs only.
			c.GPU = g.gpus(c.NodeList)
			return state.CmdJobPlaced, olderEntry{2, c}
		}
		return state.CmdJobPlaced, c
	case n < 58:
		id, _ := g.pickInState(v, state.StateRunning)
		c := state.JobFinishCmd{Time: g.now(), JobID: id, State: propEnds[g.r.Intn(len(propEnds))], ExitCode: g.r.Intn(3)}
		switch g.r.Intn(4) {
		case 0:
			return state.CmdJobFinish, olderEntry{2, c}
		case 1:
			c.GPU = g.gpus("node9")
			fallthrough
		case 2:
			c.Measured = &state.GPUMeasure{UtilMaxPct: g.r.Intn(101), MemPeakMiB: int64(g.r.Intn(81920)), Samples: int64(1 + g.r.Intn(100))}
		}
		return state.CmdJobFinish, c
	case n < 66:
		refs, owner := g.refs(v)
		c := state.JobCancelCmd{Time: g.now(), By: g.actor(owner), Refs: refs}
		if g.r.Intn(5) == 0 {
			c.State = state.StateTimeout
		}
		return state.CmdJobCancel, c
	case n < 71:
		refs, owner := g.refs(v)
		return state.CmdJobHold, state.JobHoldCmd{By: g.actor(owner), Refs: refs}
	case n < 76:
		refs, owner := g.refs(v)
		return state.CmdJobRelease, state.JobHoldCmd{By: g.actor(owner), Refs: refs}
	case n < 82:
		id, j := g.pickInState(v, propEnds...)
		c := state.JobRequeueCmd{Time: g.now(), By: g.actor(ownerOf(j)), Refs: []state.JobRef{{JobID: id, Task: state.AllTasks}}}
		if g.r.Intn(3) == 0 {
			c.Reason = state.StateNodeFail
		}
		return state.CmdJobRequeue, c
	case n < 87:
		c := g.update(v)
		if c.Dependency == nil {
			return state.CmdJobUpdate, c
		}
		d, err := jobspec.ParseDependency(*c.Dependency)
		if err != nil || g.r.Intn(4) == 0 {
			// The leader refuses what does not parse; an older one wrote
			// the text and Apply parsed it.
			return state.CmdJobUpdate, olderEntry{2, c}
		}
		c.DependsOn = fromspec.Dependency(d)
		return state.CmdJobUpdate, c
	case n < 92:
		reasons := map[uint64]string{}
		for range 1 + g.r.Intn(4) {
			id, _ := g.pickInState(v, state.StatePending)
			reasons[id] = propReasons[g.r.Intn(len(propReasons))]
		}
		return state.CmdJobReasons, state.JobReasonsCmd{Reasons: reasons}
	case n < 97:
		return g.acl()
	}
	return state.CmdSetMeta, state.SetMetaCmd{Key: "nomad_event_index", Value: fmt.Sprint(g.step)}
}

// gpus is an allocation of 1 to 4 of a node's 8 GPUs.
// steps are a few step records of j's current run (a start or an end, ids
// that repeat), as a node reports them.
func (g *gen) steps(id uint64, j *state.Job) state.JobStepsCmd {
	run := 0
	if j != nil {
		run = j.RestartCount
	}
	c := state.JobStepsCmd{JobID: id}
	for range 1 + g.r.Intn(3) {
		s := state.Step{Run: run, ID: g.r.Intn(4), Name: "hostname", NodeList: "node1", NNodes: 1, NTasks: 1 + g.r.Intn(2),
			Start: propT0, State: state.StateRunning}
		if g.r.Intn(2) == 0 {
			s.State, s.End, s.ExitCode = state.StateCompleted, g.now(), g.r.Intn(2)
		}
		c.Steps = append(c.Steps, s)
	}
	return c
}

// checkSteps: a job's steps are within the cap, ordered by run and id,
// each once and each a valid record.
func checkSteps(j *state.Job) error {
	if len(j.Steps) > state.MaxStepsPerJob {
		return fmt.Errorf("job %d keeps %d steps", j.ID, len(j.Steps))
	}
	for i := range j.Steps {
		s := &j.Steps[i]
		if err := s.Check(); err != nil {
			return fmt.Errorf("job %d: %w", j.ID, err)
		}
		if i > 0 && (j.Steps[i-1].Run > s.Run || j.Steps[i-1].Run == s.Run && j.Steps[i-1].ID >= s.ID) {
			return fmt.Errorf("job %d: steps out of order at %d", j.ID, i)
		}
	}
	return nil
}

func (g *gen) gpus(node string) *state.GPUAlloc {
	a := &state.GPUAlloc{Node: node}
	for _, i := range g.r.Perm(8)[:1+g.r.Intn(4)] {
		a.UUIDs = append(a.UUIDs, fmt.Sprintf("GPU-%s-%d", node, i))
	}
	slices.Sort(a.UUIDs)
	if g.r.Intn(3) == 0 {
		// A multi-node run's other node (JobPlaced 3, JobFinish 4).
		o := state.GPUNode{Node: node + "b"}
		for _, i := range g.r.Perm(8)[:1+g.r.Intn(4)] {
			o.UUIDs = append(o.UUIDs, fmt.Sprintf("GPU-%sb-%d", node, i))
		}
		slices.Sort(o.UUIDs)
		a.OtherNodes = []state.GPUNode{o}
	}
	return a
}

func ownerOf(j *state.Job) string {
	if j == nil {
		return "alice"
	}
	return j.User
}

func (g *gen) submit() state.JobSubmitCmd {
	var lines []string
	if g.r.Intn(3) == 0 {
		lines = append(lines, "--array="+propArrays[g.r.Intn(len(propArrays))])
	}
	if g.r.Intn(6) == 0 {
		lines = append(lines, "--hold")
	}
	if len(g.ids) > 0 && g.r.Intn(5) == 0 {
		lines = append(lines, fmt.Sprintf("--dependency=afterok:%d", g.ids[g.r.Intn(len(g.ids))]))
	}
	if g.r.Intn(6) == 0 {
		lines = append(lines, "--no-requeue")
	}
	if g.r.Intn(4) == 0 {
		lines = append(lines, fmt.Sprintf("--time=%d", 1+g.r.Intn(120)), fmt.Sprintf("--nice=%d", g.r.Intn(10)))
	}
	if g.r.Intn(8) == 0 {
		lines = append(lines, "--begin=now+1hour")
	}
	script := "#!/bin/sh\n"
	for _, l := range lines {
		script += "#SBATCH " + l + "\n"
	}
	script += "srun hostname\n"
	spec := g.spec(script)
	return state.JobSubmitCmd{
		Time:             g.now(),
		User:             g.user(),
		DefaultPartition: "debug",
		Submission:       &state.Submission{Script: []byte(script), ScriptName: "job.sh", Cwd: "/home/alice", Spec: spec},
		Job:              fromspec.MustRecord(spec, "debug"),
	}
}

// spec parses a script once; the FSM sees it through JSON like a log entry.
func (g *gen) spec(script string) *jobspec.Spec {
	if s, ok := g.specs[script]; ok {
		return s
	}
	s, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script), Now: propT0})
	if s == nil {
		g.t.Fatalf("generated script does not parse:\n%s\n%s", script, diags.Render())
	}
	g.specs[script] = s
	return s
}

func (g *gen) start(v *state.View) state.JobStartCmd {
	id, j := g.pickInState(v, state.StatePending)
	c := state.JobStartCmd{Time: g.now(), JobID: id, Task: state.NoTask, NodeList: fmt.Sprintf("node%d", g.r.Intn(4))}
	if (j != nil && j.IsArrayBase()) != (g.r.Intn(10) == 0) {
		c.Task = g.pickTask(j)
	}
	return c
}

func (g *gen) update(v *state.View) state.JobUpdateCmd {
	refs, owner := g.refs(v)
	c := state.JobUpdateCmd{By: g.actor(owner), Refs: refs}
	switch g.r.Intn(5) {
	case 0:
		n := g.r.Intn(200)
		c.TimeLimitMin = &n
	case 1:
		n := g.r.Intn(20) - 5
		c.Nice = &n
	case 2:
		p := []string{"debug", "gpu"}[g.r.Intn(2)]
		c.Partition = &p
	case 3:
		d := []string{"", "afterok:1", "afterany:2_3", "not-a-dependency"}[g.r.Intn(4)]
		if len(g.ids) > 0 && g.r.Intn(2) == 0 {
			// On a known job, often one that waits for the updated one.
			a, b := g.ids[g.r.Intn(len(g.ids))], g.ids[g.r.Intn(len(g.ids))]
			if len(refs) > 0 && g.r.Intn(3) == 0 {
				a = refs[0].JobID // on itself
			} else if dep := v.Job(a); dep == nil || dep.State.Terminal() {
				// On a job that waits for another: often a cycle.
				v.EachJob(func(j *state.Job) bool {
					if j.Dependency != "" && !j.State.Terminal() {
						a = j.ID
					}
					return g.r.Intn(4) != 0
				})
			}
			d = []string{fmt.Sprintf("afterok:%d", a), fmt.Sprintf("afterany:%d?after:%d", b, a), fmt.Sprintf("afterok:%d_1", a)}[g.r.Intn(3)]
		}
		c.Dependency = &d
	default:
		name := fmt.Sprintf("renamed%d", g.step)
		c.Name = &name
	}
	return c
}

func (g *gen) acl() (state.CommandType, any) {
	if len(g.tokens) > 0 && g.r.Intn(3) == 0 {
		acc := g.tokens[g.r.Intn(len(g.tokens))]
		if g.r.Intn(4) == 0 {
			acc = "no-such-accessor"
		}
		return state.CmdACLTokenDelete, state.ACLTokenDeleteCmd{AccessorID: acc}
	}
	tok := state.ACLToken{
		AccessorID: fmt.Sprintf("acc-%d-%d", g.step, g.r.Int63()),
		SecretHash: fmt.Sprintf("%016x%016x", g.r.Uint64(), g.r.Uint64()),
		Name:       "token",
		Type:       state.TokenClient,
		User:       g.user(),
		CreateTime: g.now(),
	}
	g.tokens = append(g.tokens, tok.AccessorID)
	if g.r.Intn(3) == 0 {
		tok.Type, tok.User = state.TokenManagement, ""
		return state.CmdACLBootstrap, state.ACLTokenCmd{Token: tok}
	}
	return state.CmdACLTokenCreate, state.ACLTokenCmd{Token: tok}
}

// waitsForItself reports whether j's dependency reaches j through the
// dependencies of unfinished jobs (a pending array task stands for its
// array's base record).
func waitsForItself(v *state.View, j *state.Job) bool {
	seen := map[uint64]bool{}
	var walk func(expr string) bool
	visit := func(o *state.Job) bool {
		if o == nil || o.State.Terminal() || seen[o.ID] {
			return false
		}
		seen[o.ID] = true
		return o.ID == j.ID || walk(o.Dependency)
	}
	walk = func(expr string) bool {
		d, _ := jobspec.ParseDependency(expr)
		if d == nil {
			return false
		}
		for _, c := range d.Conditions {
			for _, r := range c.Jobs {
				id := uint64(r.JobID)
				if r.Task >= 0 {
					t := v.Task(id, r.Task)
					if base := v.Job(id); t == nil && base != nil && base.IsArrayBase() && base.Pending.Contains(r.Task) {
						t = base
					}
					if visit(t) {
						return true
					}
					continue
				}
				o := v.Job(id)
				if visit(o) {
					return true
				}
				if o != nil && o.IsArrayBase() {
					for _, t := range v.ArrayTasks(id) {
						if visit(t) {
							return true
						}
					}
				}
			}
		}
		return false
	}
	return walk(j.Dependency)
}
