package apiserver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// scontrol update Partition= to a staged partition is refused, with the
// staged-input error, for a job submitted without its submit directory
// uploaded (a shared partition's job): its nodes could not restore it and
// the job would fail there. A staged job may move to a shared partition
// (its input is still restored) and back; in a request naming both kinds,
// only the job without input is refused.
func TestUpdateToStagedPartition(t *testing.T) {
	f := newFilesFixture(t)
	shared, err := f.alice.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), ScriptName: "job.sh", Cwd: "/home/u"})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := upload(t, f.ctx, f.alice, map[string]string{"in.txt": "input\n"})
	staged, err := f.submitStaged(f.alice, in)
	if err != nil {
		t.Fatal(err)
	}
	part := func(p string) *string { return &p }
	sharedRef, stagedRef := fmt.Sprint(shared.JobID), fmt.Sprint(staged)

	_, err = f.alice.Update(f.ctx, &api.UpdateRequest{Refs: []string{sharedRef}, Partition: part("remote")})
	if !api.IsCode(err, api.CodeStagedInput) || !strings.Contains(err.Error(), "remote is staged") {
		t.Fatalf("shared job to a staged partition: %v, want a %s error", err, api.CodeStagedInput)
	}
	if p := f.srv.Store.View().Job(shared.JobID).Partition; p == "remote" {
		t.Fatalf("the refused update moved the job to %s", p)
	}
	if _, err := f.alice.Update(f.ctx, &api.UpdateRequest{Refs: []string{stagedRef}, Partition: part("batch")}); err != nil {
		t.Fatalf("staged job to a shared partition: %v", err)
	}
	resp, err := f.alice.Update(f.ctx, &api.UpdateRequest{Refs: []string{sharedRef, stagedRef}, Partition: part("remote")})
	if err != nil {
		t.Fatalf("both jobs to the staged partition: %v", err)
	}
	if len(resp.Changed) != 1 || resp.Changed[0] != staged || len(resp.Errors) != 1 ||
		resp.Errors[0].Ref != sharedRef || resp.Errors[0].Code != api.CodeStagedInput {
		t.Errorf("both jobs to the staged partition: %+v, want %d changed and %s refused", resp, staged, sharedRef)
	}
	v := f.srv.Store.View()
	if p := v.Job(staged).Partition; p != "remote" {
		t.Errorf("staged job's partition %q, want remote", p)
	}
	if p := v.Job(shared.JobID).Partition; p == "remote" {
		t.Errorf("shared job moved to %s", p)
	}
}
