package sacct

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// srunJobs builds, through the coordinator's state machine, jobs with srun
// steps (submitted at 18:00:00 by root, like gpuJobs):
//
//	7101 -J mpi -n 2: on node1 18:00:05 to 18:01:05, COMPLETED; steps
//	     0 hostname (2 tasks) COMPLETED, 1 second (2 tasks) COMPLETED,
//	     2 false (1 task) FAILED 1:0
//	7102 -J sleeper -n 2: running on node1 since 18:40:55; step 0 sleep
//	     (2 tasks) running since 18:41:00
//	7103 -J requeued: on node1 from 18:00:05, node lost at 18:05:05 with
//	     step 0 running (its end never reported); running on node2 since
//	     18:40:55, its step 0 COMPLETED
func srunJobs(t *testing.T) []*state.Job {
	t.Helper()
	apply, jobs := stateLog(t)
	at := func(d time.Duration) time.Time { return gpuBase.Add(d) }
	apply(state.CmdSetMeta, state.SetMetaCmd{Key: state.MetaNextJobID, Value: "7101"})
	for _, args := range [][]string{{"-J", "mpi", "-n", "2"}, {"-J", "sleeper", "-n", "2"}, {"-J", "requeued", "--requeue"}} {
		sub := slurmtest.Submitted(t, "/tmp", "", "", append(args, "--wrap", "srun hostname"))
		apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: gpuBase, User: "root", Submission: sub, DefaultPartition: "debug", Job: fromspec.MustRecord(sub.Spec, "debug")})
	}
	run := func(id uint64, when time.Time, node string) {
		apply(state.CmdJobStart, state.JobStartCmd{Time: when, JobID: id, Task: state.NoTask})
		apply(state.CmdJobPlaced, state.JobPlacedCmd{Time: when, JobID: id, NodeList: node})
	}
	step := func(run, id int, name, node string, tasks int, start time.Time, end time.Duration, st state.JobState, code int) state.Step {
		s := state.Step{Run: run, ID: id, Name: name, NodeList: node, NNodes: 1, NTasks: tasks, Start: start, State: st, ExitCode: code}
		if st != state.StateRunning {
			s.End = start.Add(end)
		}
		return s
	}
	start := at(5 * time.Second)
	run(7101, start, "node1")
	apply(state.CmdJobSteps, state.JobStepsCmd{JobID: 7101, Steps: []state.Step{
		step(0, 0, "hostname", "node1", 2, at(6*time.Second), time.Second, state.StateCompleted, 0),
		step(0, 1, "second", "node1", 2, at(8*time.Second), 2*time.Second, state.StateCompleted, 0),
		step(0, 2, "false", "node1", 1, at(11*time.Second), 0, state.StateFailed, 1),
	}})
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: at(65 * time.Second), JobID: 7101, State: state.StateCompleted})
	run(7102, at(40*time.Minute+55*time.Second), "node1")
	apply(state.CmdJobSteps, state.JobStepsCmd{JobID: 7102, Steps: []state.Step{step(0, 0, "sleep", "node1", 2, at(41*time.Minute), 0, state.StateRunning, 0)}})
	run(7103, start, "node1")
	apply(state.CmdJobSteps, state.JobStepsCmd{JobID: 7103, Steps: []state.Step{step(0, 0, "hostname", "node1", 1, at(10*time.Second), 0, state.StateRunning, 0)}})
	apply(state.CmdJobFinish, state.JobFinishCmd{Time: at(5*time.Minute + 5*time.Second), JobID: 7103, State: state.StateNodeFail})
	run(7103, at(40*time.Minute+55*time.Second), "node2")
	apply(state.CmdJobSteps, state.JobStepsCmd{JobID: 7103, Steps: []state.Step{step(1, 0, "hostname", "node2", 1, at(41*time.Minute), time.Second, state.StateCompleted, 0)}})
	return jobs()
}

// TestSacctSrunSteps renders srun steps. The oracle has no accounting
// storage; the goldens follow Slurm 22.05's sacct: after the job and its
// .batch step, its numbered steps (JOBID.0, ...) with the step's name, node
// list, node and task counts, state, exit code and times; no .extern step
// (PrologFlags=Contain is not set); the steps of a requeued job's earlier
// run with that run's record (-D).
func TestSacctSrunSteps(t *testing.T) {
	jobs := "7101,7102,7103"
	cases := []struct {
		golden string
		args   []string
	}{
		{"srun-steps", []string{"-D", "-P", "-j", jobs, "-o", "jobid,jobname,nodelist,nnodes,ntasks,alloccpus,state,exitcode,start,end,elapsed"}},
		{"srun-steps-table", []string{"-j", jobs}},
		{"srun-steps-select", []string{"-P", "-j", "7101.1,7101.batch,7102.0,7103.7,7101.extern", "-o", "jobid,jobname,state,exitcode"}},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			f := &slurmtest.FakeClient{Jobs: srunJobs(t)}
			code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"sacct"}, c.args...)...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			slurmtest.Golden(t, "sacct/"+c.golden+".golden", out)
		})
	}
	// -X lists allocations only: no steps.
	f := &slurmtest.FakeClient{Jobs: srunJobs(t)}
	_, out, _ := runCmd(t, slurmtest.Deps(f), "", nil, "sacct", "-X", "-n", "-P", "-j", jobs, "-o", "jobid")
	if out != "7101\n7102\n7103\n" {
		t.Errorf("sacct -X: %q", out)
	}
}

// sacct --json lists the steps after the batch step.
func TestSacctSrunStepsJSON(t *testing.T) {
	f := &slurmtest.FakeClient{Jobs: srunJobs(t)}
	code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, "sacct", "--json", "-j", "7101")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Jobs []struct {
			Steps []struct {
				Step struct {
					ID, Name string
				}
				State string
				Tasks struct{ Count int }
				Nodes struct{ List []string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range doc.Jobs[0].Steps {
		got = append(got, s.Step.ID+" "+s.Step.Name+" "+s.State+" "+strings.Join(s.Nodes.List, ",")+" "+string(rune('0'+s.Tasks.Count)))
	}
	want := "batch batch COMPLETED node1 1|0 hostname COMPLETED node1 2|1 second COMPLETED node1 2|2 false FAILED node1 1"
	if strings.Join(got, "|") != want {
		t.Errorf("steps %q\nwant %q", strings.Join(got, "|"), want)
	}
}
