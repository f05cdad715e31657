package fromspec_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// A submission committed as JobSubmit 2 (the record Record makes) makes the
// same job as the same submission committed as JobSubmit 1 (the spec,
// read and parsed again by Apply): the record carries everything version
// 1 read. The only difference is Job.DependsOn, which version 2 keeps and
// which means what the text means.
func TestRecordMatchesSubmitV1(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"plain", nil},
		{"fields", []string{"-J", "x", "-A", "phys", "-p", "batch", "--qos=high", "--nice=7", "-t", "90"}},
		{"unlimited", []string{"--time=UNLIMITED"}},
		{"no requeue, hold", []string{"--no-requeue", "-H"}},
		{"array list", []string{"--array=1,2,3,7"}},
		{"array steps throttle", []string{"--array=0-15:4,3,20-22%2"}},
		{"array brackets", []string{"--array=[1-5]"}},
		{"dependency", []string{"-d", "afterok:1:2?afterany:3_4", "--kill-on-invalid-dep=yes"}},
		{"dependency old form", []string{"-d", "1,2"}},
		{"dependency after+min, singleton", []string{"-d", "after:1+5,singleton"}},
		{"dependency 0", []string{"-d", "0"}},
		{"begin later", []string{"--begin=2026-11-22T08:00:00"}},
		{"begin earlier", []string{"--begin=2026-11-20T08:00:00"}},
		{"begin relative", []string{"--begin=now+1hour"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			script := []byte("#!/bin/sh\ntrue\n")
			spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: script, Args: c.args, Now: t0})
			if spec == nil {
				t.Fatal(diags.Render())
			}
			cmd := state.JobSubmitCmd{Time: t0, User: "alice", DefaultPartition: "debug",
				Submission: &state.Submission{Script: script, ScriptName: "job.sh", Cwd: "/home/alice", Spec: spec}}
			old, err := json.Marshal(cmd)
			if err != nil {
				t.Fatal(err)
			}
			v1 := apply(t, append([]byte{byte(state.CmdJobSubmit), 1}, old...))
			rec, err := fromspec.Record(spec, "debug")
			if err != nil {
				t.Fatal(err)
			}
			cmd.Job = rec
			entry, err := state.Encode(state.CmdJobSubmit, cmd)
			if err != nil {
				t.Fatal(err)
			}
			// Version 3 added the staged input to version 2's record.
			if entry[1] < 2 {
				t.Fatalf("Encode wrote JobSubmit version %d, want the record's (2 or later)", entry[1])
			}
			v2 := apply(t, entry)
			if (v2.Dependency != "") != (v2.DependsOn != nil) {
				t.Errorf("dependency %q, DependsOn %+v", v2.Dependency, v2.DependsOn)
			}
			if want := fromspec.Dependency(spec.Dependency); !equalJSON(t, v2.DependsOn, want) {
				t.Errorf("DependsOn %+v, want %+v", v2.DependsOn, want)
			}
			v2.DependsOn = nil
			if a, b := marshal(t, v1), marshal(t, v2); a != b {
				t.Errorf("JobSubmit 2 makes another job than 1:\n v1 %s\n v2 %s", a, b)
			}
		})
	}
}

func apply(t *testing.T, entry []byte) *state.Job {
	t.Helper()
	s := state.New()
	res := s.Apply(1, entry)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	j := s.View().Job(res.Value.(state.JobSubmitResult).JobID)
	cp := *j
	return &cp
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func equalJSON(t *testing.T, a, b any) bool { return marshal(t, a) == marshal(t, b) }

// The current versions carry what Apply reads: Encode refuses a submission
// without its record and a dependency update without the dependency's
// meaning, which a build that forgot to make them would otherwise commit.
func TestEncodeRefusesUnparsedCommands(t *testing.T) {
	spec := &jobspec.Spec{}
	sub := &state.Submission{Spec: spec}
	dep := "afterok:1"
	none := ""
	for _, c := range []struct {
		name string
		ct   state.CommandType
		p    any
		ok   bool
	}{
		{"submit without record", state.CmdJobSubmit, state.JobSubmitCmd{Submission: sub}, false},
		{"submit pointer without record", state.CmdJobSubmit, &state.JobSubmitCmd{Submission: sub}, false},
		{"submit with record", state.CmdJobSubmit, state.JobSubmitCmd{Submission: sub, Job: fromspec.MustRecord(spec, "debug")}, true},
		{"update with text only", state.CmdJobUpdate, state.JobUpdateCmd{Dependency: &dep}, false},
		{"update with meaning", state.CmdJobUpdate, state.JobUpdateCmd{Dependency: &dep, DependsOn: &state.Dependency{Conditions: []state.DepCondition{{Type: "afterok", Jobs: []state.DepJob{{JobID: 1, Task: -1}}}}}}, true},
		{"update clearing", state.CmdJobUpdate, state.JobUpdateCmd{Dependency: &none}, true},
		{"wrong payload type", state.CmdJobHold, state.JobUpdateCmd{}, false},
	} {
		_, err := state.Encode(c.ct, c.p)
		if (err == nil) != c.ok {
			t.Errorf("%s: Encode error %v", c.name, err)
		}
	}
	if _, err := fromspec.Record(nil, "debug"); err == nil {
		t.Error("Record(nil): no error")
	}
	bad := &jobspec.Spec{Array: &jobspec.Array{Spec: "x-y"}}
	if _, err := fromspec.Record(bad, "debug"); !errors.Is(err, jobspec.ErrInvalidValue) {
		t.Errorf("Record with a bad array: %v", err)
	}
}
