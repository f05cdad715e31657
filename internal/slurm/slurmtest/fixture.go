package slurmtest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// update rewrites golden files: go test ./internal/slurm/... -update. The
// goldens under testdata/*/oracle-* were printed by real Slurm 22.05 for
// the same queue (see testdata/README.md); rewrite them only to record a
// deliberate difference.
var update = flag.Bool("update", false, "rewrite golden files")

// testdata is this package's testdata directory, which holds the goldens
// and Slurm's own output for every command's tests.
func testdata() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("slurmtest: no caller information")
	}
	return filepath.Join(filepath.Dir(file), "testdata")
}

// Golden compares got with testdata/name, or rewrites it with -update.
func Golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdata(), name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (-want +got):\n%s", name, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines that differ between want and got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n-%q\n+%q\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// The scenario the oracle goldens were recorded with (Slurm 22.05.8, all
// submitted at 18:41:49 UTC and printed at 18:41:55):
//
//	6781 sbatch --hold --wrap 'sleep 100'
//	6782 sbatch --hold -J arrjob --array=5-999%10 --wrap 'sleep 100'
//	6783 sbatch --hold -J averyveryverylongjobname -t 90 -p gpu --wrap 'sleep 100'
//	6784 (in /tmp/sj) sbatch --hold --dependency=afterok:6781 --begin=2026-12-01T10:00:00 train.sh a b
//	6785 sbatch -J runner -t 5 --mem=100 --wrap 'sleep 300'             (running)
//	6786 sbatch -J arr2 --array=1-6%2 -t 3 --mem=100 --wrap 'sleep 300' (tasks 1, 2 running as 6791, 6792)
//	6787 sbatch -J quick --mem=100 --wrap 'exit 3'                       (failed)
//	6788 sbatch -J ok --mem=100 --wrap 'true'                            (completed)
//	6789 sbatch -J waiter --mem=100 -t 2-00:00:00 --dependency=afterany:6785 --wrap 'true'
//	6790 sbatch --hold -J gone --wrap 'true'; scancel 6790
var (
	ScenarioSubmit = time.Date(2026, 11, 21, 18, 41, 49, 0, time.UTC)
	ScenarioNow    = time.Date(2026, 11, 21, 18, 41, 55, 0, time.UTC)
)

// TrainScript is the batch script of the fixture's training job.
const TrainScript = `#!/bin/bash
#SBATCH -J train -N 1 -n 4 -c 2 --mem=8G --gres=gpu:2 -t 1-02:03:04
#SBATCH -o out-%j.txt -e err-%j.txt --nice=5 --comment="hello world" -A physics
echo hi
`

// Submitted builds a submission as the coordinator stores it.
func Submitted(t testing.TB, cwd, scriptName, script string, args []string, scriptArgs ...string) *state.Submission {
	t.Helper()
	in := jobspec.Input{File: scriptName, Args: args, ScriptArgs: scriptArgs, Now: ScenarioSubmit, MaxArraySize: 1 << 20}
	if script != "" {
		in.Script = []byte(script)
	}
	spec, diags := jobspec.Parse(in)
	if spec == nil {
		t.Fatalf("fixture: %s", diags.Render())
	}
	return &state.Submission{Script: in.Script, ScriptName: scriptName, Args: args, ScriptArgs: scriptArgs, Cwd: cwd, SubmitHost: "localhost", Spec: spec}
}

// NewJob fills a job from its submission as applySubmit does.
func NewJob(id uint64, sub *state.Submission) *state.Job {
	sp := sub.Spec
	j := &state.Job{
		ID: id, ArrayTaskID: state.NoTask, Name: slurm.SpecString(sp.JobName), User: "root",
		Account: slurm.SpecString(sp.Account), Partition: "debug", QOS: slurm.SpecString(sp.QOS),
		State: state.StatePending, Reason: state.ReasonPriority, Requeue: true,
		SubmitTime: ScenarioSubmit, Submission: sub,
	}
	if sp.Partition != nil {
		j.Partition = *sp.Partition
	}
	if sp.Nice != nil {
		j.Nice = *sp.Nice
	}
	if sp.TimeLimit != nil && !sp.TimeLimit.Unlimited {
		j.TimeLimitMin = sp.TimeLimit.Minutes
	}
	if sp.Dependency != nil {
		j.Dependency, j.Reason = sp.Dependency.Raw, state.ReasonDependency
	}
	if sp.Begin != nil {
		j.Begin = sp.Begin.At
	}
	if sp.Hold {
		j.Hold, j.Reason = state.HoldUser, state.ReasonHeldUser
	}
	if sp.Array != nil {
		arr, err := jobspec.ParseArray(sp.Array.Spec, 1<<20)
		if err != nil {
			panic(err)
		}
		j.ArrayJobID, j.Pending = id, state.NewIndexSet(fromspec.Ranges(arr.Ranges))
	}
	return j
}

// running marks j as started on node oracle at the scenario's submit time.
func running(j *state.Job) *state.Job {
	j.State, j.Reason, j.StartTime, j.NodeList = state.StateRunning, state.ReasonNone, ScenarioSubmit, "oracle"
	return j
}

// ended marks j as finished with st and code.
func ended(j *state.Job, st state.JobState, code int) *state.Job {
	running(j)
	j.State, j.EndTime, j.ExitCode = st, ScenarioSubmit, code
	return j
}

// ScenarioJobs returns the oracle scenario's queue as the coordinator
// would hold it.
func ScenarioJobs(t testing.TB) []*state.Job {
	wrap := func(args ...string) *state.Submission {
		return Submitted(t, "/tmp", "", "", args)
	}
	j81 := NewJob(6781, wrap("--hold", "--wrap", "sleep 100"))
	j82 := NewJob(6782, wrap("--hold", "-J", "arrjob", "--array=5-999%10", "--wrap", "sleep 100"))
	j83 := NewJob(6783, wrap("--hold", "-J", "averyveryverylongjobname", "-t", "90", "-p", "gpu", "--wrap", "sleep 100"))
	j84 := NewJob(6784, Submitted(t, "/tmp/sj", "train.sh", TrainScript,
		[]string{"--hold", "--dependency=afterok:6781", "--begin=2026-12-01T10:00:00"}, "a", "b"))
	j84.Reason = state.ReasonHeldUser
	j85 := running(NewJob(6785, wrap("-J", "runner", "-t", "5", "--mem=100", "--wrap", "sleep 300")))
	arr2 := wrap("-J", "arr2", "--array=1-6%2", "-t", "3", "--mem=100", "--wrap", "sleep 300")
	j86 := NewJob(6786, arr2)
	j86.Pending.Remove(1)
	j86.Pending.Remove(2)
	j86.Reason = state.ReasonArrayTaskLimit
	task := func(id uint64, idx int) *state.Job {
		tj := *j86
		tj.ID, tj.ArrayTaskID, tj.Pending = id, idx, nil
		return running(&tj)
	}
	j87 := ended(NewJob(6787, wrap("-J", "quick", "--mem=100", "--wrap", "exit 3")), state.StateFailed, 3)
	j88 := ended(NewJob(6788, wrap("-J", "ok", "--mem=100", "--wrap", "true")), state.StateCompleted, 0)
	j89 := NewJob(6789, wrap("-J", "waiter", "--mem=100", "-t", "2-00:00:00", "--dependency=afterany:6785", "--wrap", "true"))
	j90 := ended(NewJob(6790, wrap("--hold", "-J", "gone", "--wrap", "true")), state.StateCancelled, 0)
	j90.NodeList = ""
	return []*state.Job{j81, j82, j83, j84, j85, j86, j87, j88, j89, j90, task(6791, 1), task(6792, 2)}
}

// FakeClient is an in-memory coordinator for the command tests: it keeps
// jobs and answers the API's queries with the API's filtering rules (the
// end-to-end tests check the real server).
type FakeClient struct {
	Jobs          []*state.Job
	PartitionList []api.Partition
	NodeList      []api.Node
	// calls records the requests, for assertions.
	Cancels  []*api.CancelRequest
	Holds    []string // "hold 123", "release 123", "requeue 123"
	Updates  []*api.UpdateRequest
	Submits  []*api.SubmitRequest
	Queries  []*api.JobsQuery
	FailWith error // every call fails with it when set
	// ActionErr answers actions: per ref text, the RefError code.
	ActionErr map[string]string
	nextID    uint64
}

var _ slurm.Client = (*FakeClient)(nil)

func (f *FakeClient) selected(q *api.JobsQuery, history bool) []*state.Job {
	var out []*state.Job
	refs := map[string]bool{}
	for _, r := range q.Jobs {
		refs[r] = true
	}
	statesAll := slices.ContainsFunc(q.States, func(s string) bool { return strings.EqualFold(s, "all") })
	for _, j := range f.Jobs {
		if len(refs) > 0 && !refs[selStr(j.ID, state.AllTasks)] && !refMatchesArray(refs, j) {
			continue
		}
		if len(q.Users) > 0 && !slices.Contains(q.Users, j.User) ||
			len(q.Partitions) > 0 && !slices.Contains(q.Partitions, j.Partition) ||
			len(q.Names) > 0 && !slices.Contains(q.Names, j.Name) ||
			len(q.Accounts) > 0 && !slices.Contains(q.Accounts, j.Account) {
			continue
		}
		switch {
		case statesAll:
		case len(q.States) > 0:
			if !slices.Contains(q.States, string(j.State)) {
				continue
			}
		case !history && !q.History && j.State.Terminal():
			continue
		}
		if j.IsArrayBase() && len(refs) > 0 && !refs[selStr(j.ID, state.AllTasks)] {
			// Only some pending tasks are named: each is its own record.
			j.Pending.Each(func(x int) bool {
				if refs[selStr(j.ID, x)] {
					cp := *j
					cp.ArrayTaskID, cp.Pending = x, nil
					out = append(out, &cp)
				}
				return true
			})
			continue
		}
		if q.ExpandArrays && j.IsArrayBase() {
			j.Pending.Each(func(x int) bool {
				cp := *j
				cp.ArrayTaskID, cp.Pending = x, nil
				out = append(out, &cp)
				return true
			})
			continue
		}
		if j.IsArrayBase() && j.Pending.Empty() {
			continue
		}
		out = append(out, j)
	}
	return out
}

// JobsAll answers as the coordinator would, from the fixture.
func (f *FakeClient) JobsAll(_ context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error) {
	f.Queries = append(f.Queries, q)
	if f.FailWith != nil {
		return nil, nil, f.FailWith
	}
	return f.selected(q, false), &api.QueryMeta{LastIndex: uint64(len(f.Queries))}, nil
}

// AccountingAll answers as the coordinator would, from the fixture.
func (f *FakeClient) AccountingAll(_ context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error) {
	f.Queries = append(f.Queries, q)
	if f.FailWith != nil {
		return nil, nil, f.FailWith
	}
	return f.selected(q, true), &api.QueryMeta{}, nil
}

// Job answers as the coordinator would, from the fixture.
func (f *FakeClient) Job(_ context.Context, ref string, _ *api.QueryOptions) (*state.Job, *api.QueryMeta, error) {
	if f.FailWith != nil {
		return nil, nil, f.FailWith
	}
	for _, j := range f.Jobs {
		if selStr(j.ID, state.AllTasks) == ref ||
			j.ArrayJobID != 0 && selStr(j.ArrayJobID, j.ArrayTaskID) == ref {
			return j, &api.QueryMeta{}, nil
		}
	}
	return nil, nil, &api.Error{Code: api.CodeNotFound, Message: "job " + ref + ": invalid job id specified"}
}

// act answers an action for refs, failing those listed in actionErr.
func (f *FakeClient) act(refs []string) (*api.ActionResponse, error) {
	if f.FailWith != nil {
		return nil, f.FailWith
	}
	resp := &api.ActionResponse{}
	for _, r := range refs {
		if code, ok := f.ActionErr[r]; ok {
			resp.Errors = append(resp.Errors, api.RefError{Ref: r, Code: code, Message: r + ": failed"})
			continue
		}
		resp.Changed = append(resp.Changed, 1)
	}
	if len(resp.Changed) == 0 && len(resp.Errors) > 0 {
		return nil, &api.Error{Code: resp.Errors[0].Code, Message: resp.Errors[0].Message, Refs: resp.Errors}
	}
	return resp, nil
}

// Cancel answers as the coordinator would, from the fixture.
func (f *FakeClient) Cancel(_ context.Context, req *api.CancelRequest) (*api.ActionResponse, error) {
	f.Cancels = append(f.Cancels, req)
	if len(req.Refs) == 0 {
		return f.act([]string{"filters"})
	}
	return f.act(req.Refs)
}

func (f *FakeClient) record(what string, req *api.RefsRequest) (*api.ActionResponse, error) {
	for _, r := range req.Refs {
		f.Holds = append(f.Holds, what+" "+r)
	}
	return f.act(req.Refs)
}

// Hold answers as the coordinator would, from the fixture.
func (f *FakeClient) Hold(_ context.Context, req *api.RefsRequest) (*api.ActionResponse, error) {
	return f.record("hold", req)
}

// Release answers as the coordinator would, from the fixture.
func (f *FakeClient) Release(_ context.Context, req *api.RefsRequest) (*api.ActionResponse, error) {
	return f.record("release", req)
}

// Requeue answers as the coordinator would, from the fixture.
func (f *FakeClient) Requeue(_ context.Context, req *api.RefsRequest) (*api.ActionResponse, error) {
	return f.record("requeue", req)
}

// Update answers as the coordinator would, from the fixture.
func (f *FakeClient) Update(_ context.Context, req *api.UpdateRequest) (*api.ActionResponse, error) {
	f.Updates = append(f.Updates, req)
	return f.act(req.Refs)
}

// Partitions answers as the coordinator would, from the fixture.
func (f *FakeClient) Partitions(context.Context) ([]api.Partition, error) {
	if f.FailWith != nil {
		return nil, f.FailWith
	}
	return f.PartitionList, nil
}

// Nodes answers as the coordinator would, from the fixture.
func (f *FakeClient) Nodes(context.Context) (*api.NodeList, error) {
	if f.FailWith != nil {
		return nil, f.FailWith
	}
	return &api.NodeList{Nodes: slices.Clone(f.NodeList), Total: len(f.NodeList)}, nil
}

// Node answers as the coordinator would, from the fixture.
func (f *FakeClient) Node(_ context.Context, name string) (*api.Node, error) {
	if f.FailWith != nil {
		return nil, f.FailWith
	}
	for _, n := range f.NodeList {
		if n.Name == name {
			return &n, nil
		}
	}
	return nil, api.Errorf(api.CodeNotFound, "node %s not found", name)
}

// Submit answers as the coordinator would, from the fixture.
func (f *FakeClient) Submit(_ context.Context, req *api.SubmitRequest) (*api.SubmitResponse, error) {
	f.Submits = append(f.Submits, req)
	if f.FailWith != nil {
		return nil, f.FailWith
	}
	if f.nextID == 0 {
		f.nextID = 100
	}
	f.nextID++
	return &api.SubmitResponse{JobID: f.nextID}, nil
}

// Deps are surroundings for command tests: the fake coordinator, a
// fixed clock in UTC, user root (uid 0) and alice (uid 1000).
func Deps(c slurm.Client) slurm.Deps {
	return slurm.Deps{
		Connect:     func([]string) (slurm.Client, error) { return c, nil },
		Now:         func() time.Time { return ScenarioNow },
		Loc:         time.UTC,
		CurrentUser: func() (string, error) { return "root", nil },
		LookupUser: func(name string) (int, int, string, bool) {
			switch name {
			case "root", "0":
				return 0, 0, "root", true
			case "alice", "1000":
				return 1000, 1000, "alice", true
			}
			return 0, 0, "", false
		},
		Getwd:      func() (string, error) { return "/home/alice", nil },
		Hostname:   func() (string, error) { return "login1", nil },
		Sleep:      func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		IsTerminal: func(io.Reader) bool { return false },
	}
}

func selStr(id uint64, task int) string { return slurm.JobSel{JobID: id, Task: task}.String() }

// refMatchesArray reports whether refs name j's array or one of its tasks.
func refMatchesArray(refs map[string]bool, j *state.Job) bool {
	if j.ArrayJobID == 0 {
		return false
	}
	if refs[selStr(j.ArrayJobID, state.AllTasks)] {
		return true
	}
	if !j.IsArrayBase() {
		return refs[selStr(j.ArrayJobID, j.ArrayTaskID)]
	}
	found := false
	j.Pending.Each(func(x int) bool {
		found = refs[selStr(j.ID, x)]
		return !found
	})
	return found
}

// ReadTestdata returns a file under testdata.
func ReadTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata(), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// NodeFixture is a cluster of Nomad nodes in every state sinfo shows.
func NodeFixture() ([]api.Partition, []api.Node) {
	parts := []api.Partition{{Name: "debug", Default: true, State: "up"}, {Name: "gpu", State: "up"}}
	drained := time.Date(2026, 11, 21, 17, 2, 3, 0, time.UTC)
	both := []string{"debug", "gpu"}
	debug := []string{"debug"}
	base := func(name string, cpus int, parts []string) api.Node {
		return api.Node{Name: name, Addr: "10.0.0." + name[len(name)-1:], CPUs: cpus, MemMiB: 7820, Partitions: parts,
			Arch: "x86_64", OS: "Linux 6.1.0-13-amd64", Version: "0.4.0", RunAs: "pool", Datacenter: "dc1", Pool: "default"}
	}
	n01 := base("n01", 4, both)
	n01.State = api.NodeIdle
	n01.Features = []string{"avx2", "ib"}
	n01.RunAs = "submitter"
	n02 := base("n02", 4, debug)
	n02.State, n02.AllocCPUs, n02.AllocMemMiB, n02.Jobs = api.NodeMixed, 2, 1024, 1
	n03 := base("n03", 4, debug)
	n03.State, n03.AllocCPUs, n03.AllocMemMiB, n03.Jobs = api.NodeAllocated, 4, 2048, 2
	n04 := base("n04", 8, debug)
	n04.State, n04.AllocCPUs, n04.AllocMemMiB, n04.Jobs = api.NodeMixed, 1, 512, 1
	n04.Flags, n04.Reason, n04.ReasonUser, n04.ReasonTime = []string{api.FlagDrain}, "Nomad drain", "nomad", drained
	n05 := base("n05", 4, debug)
	n05.State = api.NodeIdle
	n05.Flags, n05.Reason, n05.ReasonUser, n05.ReasonTime = []string{api.FlagDrain}, "disk swap", "nomad", drained
	g1 := base("gpu1", 16, both)
	g1.State, g1.Flags, g1.Reason, g1.ReasonUser = api.NodeDown, []string{api.FlagNotResponding}, "Not responding", "nomad"
	a100 := api.NodeGPU{Model: "NVIDIA A100-SXM4-40GB", Type: "a100", Count: 8, Healthy: 8}
	g1.Gres, g1.GresUsed, g1.GPUs = []string{"gpu:a100:8"}, []string{"gpu:a100:0(IDX:N/A)"}, []api.NodeGPU{a100}
	g2 := base("gpu2", 16, both)
	g2.State, g2.AllocCPUs, g2.AllocMemMiB, g2.Jobs = api.NodeMixed, 2, 4096, 1
	fake := a100
	fake.Fake, fake.Used, fake.UsedIndexes = true, 2, []int{0, 1}
	g2.Gres, g2.GresUsed, g2.GPUs = []string{"gpu:a100:8(fake)"}, []string{"gpu:a100:2(IDX:0-1)"}, []api.NodeGPU{fake}
	g3 := base("gpu3", 16, both)
	g3.State, g3.Reason, g3.ReasonUser, g3.ReasonTime = api.NodeDown, "hpcbridge driver unhealthy: cgroups are not mounted", "nomad", drained
	return parts, []api.Node{n01, n02, n03, n04, n05, g1, g2, g3}
}

// OracleNode is the oracle's node as hpcbridge would show it: the same
// name, partition, CPUs, memory and state.
func OracleNode() []api.Node {
	return []api.Node{{Name: "oracle", Addr: "127.0.0.1", State: api.NodeIdle, CPUs: 3840, MemMiB: 62914560,
		Partitions: []string{"debug"}, Features: []string{"gpu", "cpu", "a100"}, Arch: "x86_64", Version: slurm.Version}}
}

// CheckRun compares a command's exit status, stdout (must contain wantOut)
// and stderr (must contain wantErr; must be empty when wantErr is "").
func CheckRun(t *testing.T, code int, out, errs string, wantCode int, wantOut, wantErr string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit %d, want %d (stderr %q)", code, wantCode, errs)
	}
	if !strings.Contains(out, wantOut) {
		t.Errorf("stdout %q lacks %q", out, wantOut)
	}
	if wantErr == "" && errs != "" || !strings.Contains(errs, wantErr) {
		t.Errorf("stderr %q, want %q", errs, wantErr)
	}
}

// WriteScript writes body to a script file in a temporary directory and
// returns its path.
func WriteScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "job.sh")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
