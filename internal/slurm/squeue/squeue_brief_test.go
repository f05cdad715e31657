package squeue

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/api/brief"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// briefClient is fakeClient answering JobsBrief as a coordinator does:
// the jobs JobsAll selects, through the brief view's encoding.
type briefClient struct {
	*slurmtest.FakeClient
	t     testing.TB
	calls int
}

func (b *briefClient) JobsBrief(ctx context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error) {
	b.calls++
	jobs, meta, err := b.JobsAll(ctx, q)
	if err != nil {
		return nil, meta, err
	}
	return throughBrief(b.t, jobs), meta, nil
}

// throughBrief returns jobs as the brief view delivers them.
func throughBrief(t testing.TB, jobs []*state.Job) []*state.Job {
	t.Helper()
	var b bytes.Buffer
	e := brief.NewEncoder(&b)
	for _, j := range jobs {
		e.Encode(j, j.Submission)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := brief.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSqueueUsesBriefView(t *testing.T) {
	b := &briefClient{FakeClient: &slurmtest.FakeClient{Jobs: slurmtest.ScenarioJobs(t)}, t: t}
	if code, _, errs := runCmd(t, slurmtest.Deps(b), "", nil, "squeue"); code != 0 || b.calls != 1 {
		t.Errorf("exit %d (%s), %d brief lists", code, errs, b.calls)
	}
	if code, _, errs := runCmd(t, slurmtest.Deps(b), "", nil, "squeue", "--json"); code != 0 || b.calls != 1 {
		t.Errorf("squeue --json prints whole records: exit %d (%s), %d brief lists", code, errs, b.calls)
	}
}

// everySpec is a job whose spec sets every option squeue can print, with
// values squeue's fields can read.
func everySpec(t *testing.T) *state.Job {
	sub := slurmtest.Submitted(t, "/home/alice", "train.sh", slurmtest.TrainScript, []string{
		"-N", "2-4", "--ntasks-per-node=2", "--cpus-per-gpu=3", "--gpus-per-node=a100:2", "--gpus=4", "--gpus-per-task=1",
		"--constraint=fast", "--nodelist=n[1-2]", "--exclude=n9",
		"--exclusive=user", "--chdir=work", "-i", "in.txt", "--time-min=30", "--array=1-9%3", "--tmp=10G",
		"--mincpus=6", "--licenses=matlab:2", "--reservation=resv", "--wckey=wk", "--oversubscribe", "--qos=high",
	}, "x", "y")
	// Options sbatch refuses together (--mem with these), set directly:
	// each field must survive the brief view.
	perCPU, perGPU := int64(1024), int64(2048)
	sub.Spec.MemPerCPUMiB, sub.Spec.MemPerGPUMiB = &perCPU, &perGPU
	j := slurmtest.NewJob(7001, sub)
	j.NodeList, j.StartTime, j.State = "n[1-2]", slurmtest.ScenarioSubmit, state.StateRunning
	return j
}

// TestSqueueBriefMatchesFull prints every squeue field, and sorts by
// each, from full records and from the brief view: a field that reads
// what the brief view leaves out fails here.
func TestSqueueBriefMatchesFull(t *testing.T) {
	jobs := append(slurmtest.ScenarioJobs(t), everySpec(t))
	for _, sp := range []*jobspec.Spec{jobs[len(jobs)-1].Submission.Spec} {
		for name, v := range map[string]bool{"memory": sp.MemPerCPUMiB != nil, "tmp": sp.Other["tmp"] != "",
			"exclusive": sp.Exclusive != nil, "array": sp.Array != nil, "time-min": sp.TimeMin != nil} {
			if !v {
				t.Fatalf("fixture lacks %s", name)
			}
		}
	}
	brief := throughBrief(t, jobs)
	var names []string
	for n := range squeueNames {
		names = append(names, n+":40")
	}
	var sorts []string
	for c := range squeueLetters {
		sorts = append(sorts, string(c))
	}
	optsList := []squeueOptions{{Format: "%all"}, {FormatO: strings.Join(names, ",")}}
	for _, c := range sorts {
		optsList = append(optsList, squeueOptions{Format: "%i", Sort: "-" + c}, squeueOptions{Format: "%i", Sort: c + ",i"})
	}
	for _, o := range optsList {
		o.Now, o.Loc = slurmtest.ScenarioNow, time.UTC
		want, _ := formatSqueue(jobs, o, slurmtest.ScenarioNow)
		got, _ := formatSqueue(brief, o, slurmtest.ScenarioNow)
		if got != want {
			t.Errorf("format %q -O %.40q sort %q: the brief view prints\n%s\nfull records print\n%s", o.Format, o.FormatO, o.Sort, got, want)
		}
	}
}

// TestSqueueFastFields checks the fields squeue prints without fmt
// against the general helpers.
func TestSqueueFastFields(t *testing.T) {
	vc := &slurm.ViewCtx{Now: slurmtest.ScenarioNow}
	for _, j := range append(slurmtest.ScenarioJobs(t), everySpec(t)) {
		v := vc.View(j)
		if got, want := squeueID(v), v.ID(); got != want {
			t.Errorf("%%i of %d: %q, want %q", j.ID, got, want)
		}
		if got, want := squeueUsed(v), slurm.DurationShort(v.Used()); got != want {
			t.Errorf("%%M of %d: %q, want %q", j.ID, got, want)
		}
	}
	for _, c := range []slurm.Cell{slurm.Str("abc"), slurm.Str("abcdefghij"), slurm.Str("héllo"), slurm.OrNull(""), {Text: "12:00", Keep: true}} {
		for _, width := range []int{0, 3, 5, 6, 12} {
			for _, right := range []bool{false, true} {
				if got, want := string(appendCell(nil, c, width, right)), c.Render(width, right); got != want {
					t.Errorf("appendCell(%+v, %d, %v) = %q, want %q", c, width, right, got, want)
				}
			}
		}
	}
	if !reflect.DeepEqual(sortValue(&slurm.JobView{Job: &state.Job{Partition: "gpu"}}, 'P'), sortVal{s: "gpu"}) {
		t.Error("sort by partition")
	}
}
