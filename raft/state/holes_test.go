package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

// applyVersion applies a command written with an older payload version, as
// an old leader wrote it to the log.
func applyVersion(t *testing.T, s *Store, idx *uint64, ct CommandType, v uint8, payload any) *Result {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	*idx++
	return s.Apply(*idx, append([]byte{byte(ct), v}, body...))
}

func submitAs(t *testing.T, s *Store, idx *uint64, user, script string) uint64 {
	t.Helper()
	res := mustApply(t, s, idx, CmdJobSubmit, JobSubmitCmd{Time: t0, User: user, DefaultPartition: "debug", Submission: submission(t, script)})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return res.Value.(JobSubmitResult).JobID
}

// An administrator's hold stays until an administrator releases it: the
// owner holding the job again changes nothing, and the owner's release is
// refused. scontrol uhold (UserHold) by an administrator turns it into a
// user hold, which the owner may release.
func TestAdminHoldStays(t *testing.T) {
	s := New()
	var idx uint64
	id := submitAs(t, s, &idx, "alice", "#!/bin/sh\ntrue\n")
	arr := submitAs(t, s, &idx, "alice", "#!/bin/sh\n#SBATCH --array=0-9\ntrue\n")
	admin, alice := Actor{User: "root", Management: true}, Actor{User: "alice"}
	for _, ref := range []JobRef{{JobID: id, Task: AllTasks}, {JobID: arr, Task: 3}} {
		refs := []JobRef{ref}
		job := func() *Job { return s.View().Job(ref.JobID) }
		if res := mustApply(t, s, &idx, CmdJobHold, JobHoldCmd{By: admin, Refs: refs}); res.Err != nil {
			t.Fatal(res.Err)
		}
		if res := mustApply(t, s, &idx, CmdJobHold, JobHoldCmd{By: alice, Refs: refs}); res.Err != nil {
			t.Fatalf("%s: owner's hold of an admin-held job: %v (Slurm: no change, no error)", ref, res.Err)
		}
		if j := job(); j.Hold != HoldAdmin || j.Reason != ReasonHeldAdmin {
			t.Fatalf("%s: after the owner's hold: hold %q reason %s, want the admin hold kept", ref, j.Hold, j.Reason)
		}
		res := mustApply(t, s, &idx, CmdJobRelease, JobHoldCmd{By: alice, Refs: refs})
		if !errors.Is(res.Err, ErrPermission) {
			t.Fatalf("%s: owner's release of an admin hold: %v, want ErrPermission", ref, res.Err)
		}
		if j := job(); j.Hold != HoldAdmin {
			t.Fatalf("%s: the owner released an admin hold: hold %q", ref, j.Hold)
		}
		// uhold by an administrator: a user hold, which the owner releases.
		if res := mustApply(t, s, &idx, CmdJobHold, JobHoldCmd{By: admin, Refs: refs, UserHold: true}); res.Err != nil {
			t.Fatal(res.Err)
		}
		if j := job(); j.Hold != HoldUser || j.Reason != ReasonHeldUser {
			t.Fatalf("%s: after uhold: hold %q reason %s", ref, j.Hold, j.Reason)
		}
		if res := mustApply(t, s, &idx, CmdJobRelease, JobHoldCmd{By: alice, Refs: refs}); res.Err != nil {
			t.Fatal(res.Err)
		}
		if j := job(); j.Hold != HoldNone {
			t.Fatalf("%s: after the owner's release of a user hold: hold %q", ref, j.Hold)
		}
		// An administrator's hold over a user hold makes it an admin hold.
		mustApply(t, s, &idx, CmdJobHold, JobHoldCmd{By: alice, Refs: refs})
		mustApply(t, s, &idx, CmdJobHold, JobHoldCmd{By: admin, Refs: refs})
		if j := job(); j.Hold != HoldAdmin {
			t.Fatalf("%s: admin hold over a user hold: hold %q", ref, j.Hold)
		}
		if res := mustApply(t, s, &idx, CmdJobRelease, JobHoldCmd{By: admin, Refs: refs}); res.Err != nil || job().Hold != HoldNone {
			t.Fatalf("%s: admin release: %v, hold %q", ref, res.Err, job().Hold)
		}
	}
}

// Version 1 hold commands, in logs written before the fix, replay as they
// were applied then: the owner's hold replaced an admin hold.
func TestHoldV1Replay(t *testing.T) {
	s := New()
	var idx uint64
	id := submitAs(t, s, &idx, "alice", "#!/bin/sh\ntrue\n")
	refs := []JobRef{{JobID: id, Task: AllTasks}}
	applyVersion(t, s, &idx, CmdJobHold, 1, JobHoldCmd{By: Actor{User: "root", Management: true}, Refs: refs})
	applyVersion(t, s, &idx, CmdJobHold, 1, JobHoldCmd{By: Actor{User: "alice"}, Refs: refs})
	if h := s.View().Job(id).Hold; h != HoldUser {
		t.Fatalf("v1 replay: hold %q, want %q as before", h, HoldUser)
	}
}

// A dependency that would make a job wait for itself, directly or through
// other jobs, is refused by the update that would close the cycle.
func TestUpdateRefusesCycles(t *testing.T) {
	s := New()
	var idx uint64
	alice := Actor{User: "alice"}
	a := submitAs(t, s, &idx, "alice", "#!/bin/sh\n#SBATCH --kill-on-invalid-dep=yes\ntrue\n")
	b := submitAs(t, s, &idx, "alice", fmt.Sprintf("#!/bin/sh\n#SBATCH -d afterok:%d\ntrue\n", a))
	c := submitAs(t, s, &idx, "alice", fmt.Sprintf("#!/bin/sh\n#SBATCH -d afterany:%d\ntrue\n", b))
	arr := submitAs(t, s, &idx, "alice", "#!/bin/sh\n#SBATCH --array=0-9\ntrue\n")
	other := submitAs(t, s, &idx, "alice", fmt.Sprintf("#!/bin/sh\n#SBATCH -d afterok:%d_4\ntrue\n", arr))
	update := func(id uint64, task int, dep string) *Result {
		return mustApply(t, s, &idx, CmdJobUpdate, JobUpdateCmd{By: alice, Refs: []JobRef{{JobID: id, Task: task}}, Dependency: &dep})
	}
	for _, c := range []struct {
		name string
		id   uint64
		task int
		dep  string
	}{
		{"self", a, AllTasks, fmt.Sprintf("afterok:%d", a)},
		{"self among others", a, AllTasks, fmt.Sprintf("afterany:%d?afterok:%d", arr, a)},
		{"two jobs", a, AllTasks, fmt.Sprintf("afterok:%d", b)},
		{"three jobs", a, AllTasks, fmt.Sprintf("after:%d", c)},
		{"array on its own task", arr, AllTasks, fmt.Sprintf("afterok:%d_3", arr)},
		{"array task on its array", arr, 5, fmt.Sprintf("afterok:%d", arr)},
		{"array through another job", arr, AllTasks, fmt.Sprintf("afterok:%d", other)},
		{"aftercorr on itself", arr, AllTasks, fmt.Sprintf("aftercorr:%d", arr)},
	} {
		before := s.View().Job(c.id).Dependency
		res := update(c.id, c.task, c.dep)
		if !errors.Is(res.Err, ErrDependency) {
			t.Errorf("%s: update %d to %s: %v, want ErrDependency", c.name, c.id, c.dep, res.Err)
		}
		if got := s.View().Job(c.id).Dependency; got != before {
			t.Errorf("%s: dependency changed to %q", c.name, got)
		}
	}
	// Not cycles: a dependency on a job that depends on nothing, on a
	// finished job, and clearing one.
	if res := update(c, AllTasks, fmt.Sprintf("afterok:%d", arr)); res.Err != nil {
		t.Errorf("acyclic update: %v", res.Err)
	}
	d := submitAs(t, s, &idx, "alice", "#!/bin/sh\ntrue\n")
	if res := update(a, AllTasks, fmt.Sprintf("afterok:%d", d)); res.Err != nil {
		t.Errorf("a on a job that waits for nothing: %v", res.Err)
	}
	mustApply(t, s, &idx, CmdJobStart, JobStartCmd{Time: t0, JobID: a, Task: NoTask})
	mustApply(t, s, &idx, CmdJobFinish, JobFinishCmd{Time: t0, JobID: a, State: StateCompleted})
	// d on b on a (finished) on d: a finished job ends the path.
	if res := update(d, AllTasks, fmt.Sprintf("afterok:%d", b)); res.Err != nil {
		t.Errorf("through a finished job: %v", res.Err)
	}
	if res := update(other, AllTasks, ""); res.Err != nil {
		t.Errorf("clearing: %v", res.Err)
	}
}

// Two updates that each look fine alone but close a cycle together: the
// one applied second is refused, whatever the leader saw before commit.
func TestUpdateCycleRace(t *testing.T) {
	s := New()
	var idx uint64
	alice := Actor{User: "alice"}
	a := submitAs(t, s, &idx, "alice", "#!/bin/sh\ntrue\n")
	b := submitAs(t, s, &idx, "alice", "#!/bin/sh\ntrue\n")
	ab, ba := fmt.Sprintf("afterok:%d", b), fmt.Sprintf("afterok:%d", a)
	first := mustApply(t, s, &idx, CmdJobUpdate, JobUpdateCmd{By: alice, Refs: []JobRef{{JobID: a, Task: AllTasks}}, Dependency: &ab})
	second := mustApply(t, s, &idx, CmdJobUpdate, JobUpdateCmd{By: alice, Refs: []JobRef{{JobID: b, Task: AllTasks}}, Dependency: &ba})
	if first.Err != nil || !errors.Is(second.Err, ErrDependency) {
		t.Fatalf("first %v, second %v: want the second refused", first.Err, second.Err)
	}
	// Version 1 updates replay as before: the cycle is accepted.
	applyVersion(t, s, &idx, CmdJobUpdate, 1, JobUpdateCmd{By: alice, Refs: []JobRef{{JobID: b, Task: AllTasks}}, Dependency: &ba})
	if got := s.View().Job(b).Dependency; got != ba {
		t.Fatalf("v1 replay: dependency %q, want %q", got, ba)
	}
}

// chain submits n jobs, each waiting for the one before, and returns the
// last one's id.
func chain(t testing.TB, s *Store, idx *uint64, n int) uint64 {
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte("#!/bin/sh\ntrue\n"), Now: t0})
	if spec == nil {
		t.Fatal(diags.Render())
	}
	sub := &Submission{ScriptName: "job.sh", Cwd: "/home/alice", Spec: spec}
	var last uint64
	for i := range n {
		cp := *sub
		if i > 0 {
			spec := *sub.Spec
			d, err := jobspec.ParseDependency(fmt.Sprintf("afterok:%d", last))
			if err != nil {
				t.Fatal(err)
			}
			spec.Dependency = d
			cp.Spec = &spec
		}
		b, err := Encode(CmdJobSubmit, JobSubmitCmd{Time: t0, User: "alice", Submission: &cp, Job: record(t, cp.Spec, "")})
		if err != nil {
			t.Fatal(err)
		}
		*idx++
		last = s.Apply(*idx, b).Value.(JobSubmitResult).JobID
	}
	return last
}

// The cycle check visits each unfinished job once, and at most
// depScanLimit of them: a longer chain is refused, not walked.
func TestCycleCheckBounded(t *testing.T) {
	defer func(n int) { depScanLimit = n }(depScanLimit)
	depScanLimit = 50
	s := New()
	var idx uint64
	last := chain(t, s, &idx, 40)
	free := submitAs(t, s, &idx, "alice", "#!/bin/sh\ntrue\n")
	dep := fmt.Sprintf("afterok:%d", last)
	if res := mustApply(t, s, &idx, CmdJobUpdate, JobUpdateCmd{By: Actor{User: "alice"}, Refs: []JobRef{{JobID: free, Task: AllTasks}}, Dependency: &dep}); res.Err != nil {
		t.Fatalf("40 jobs deep: %v", res.Err)
	}
	first := uint64(1)
	if res := mustApply(t, s, &idx, CmdJobUpdate, JobUpdateCmd{By: Actor{User: "alice"}, Refs: []JobRef{{JobID: first, Task: AllTasks}}, Dependency: &dep}); !errors.Is(res.Err, ErrDependency) {
		t.Fatalf("closing a 40-job cycle: %v", res.Err)
	}
	last = chain(t, s, &idx, 60)
	dep = fmt.Sprintf("afterok:%d", last)
	res := mustApply(t, s, &idx, CmdJobUpdate, JobUpdateCmd{By: Actor{User: "alice"}, Refs: []JobRef{{JobID: free, Task: AllTasks}}, Dependency: &dep})
	if !errors.Is(res.Err, ErrDependency) || !strings.Contains(res.Err.Error(), "more than 50 unfinished jobs") {
		t.Fatalf("60 jobs deep with a limit of 50: %v", res.Err)
	}
}

// BenchmarkCycleCheck measures an update's cycle check over a chain of
// MaxDependencyScan-1 pending jobs, the longest walk one update makes.
func BenchmarkCycleCheck(b *testing.B) {
	s := New()
	var idx uint64
	last := chain(b, s, &idx, MaxDependencyScan-1)
	dep := fmt.Sprintf("afterok:%d", last)
	body, err := Encode(CmdJobUpdate, JobUpdateCmd{By: Actor{User: "alice"}, Refs: []JobRef{{JobID: last, Task: AllTasks}}, Dependency: &dep, DependsOn: parsedDependency(b, dep)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		idx++
		if res := s.Apply(idx, body); !errors.Is(res.Err, ErrDependency) {
			b.Fatal(res.Err)
		}
	}
}
