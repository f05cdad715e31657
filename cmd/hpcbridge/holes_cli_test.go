package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

// What scancel and scontrol print for the coordinator's answers to the
// issue 9 holes, against a real API server: one line for a whole range of
// missing tasks, the admin hold the owner cannot release, uhold, and the
// refused dependency cycle.
func TestCommandsOnIssue9Answers(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{})
	mgmt := srv.Client(t, srv.ManagementToken)
	alice := srv.Client(t, srv.UserToken(t, "alice"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := alice.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "job.sh", Cwd: "/home/alice"})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(resp.JobID)
	run := func(c *api.Client, argv ...string) (int, string) {
		t.Helper()
		code, out, errs := runCmd(t, slurmtest.Deps(c), "", nil, argv...)
		return code, out + errs
	}
	for _, c := range []struct {
		client *api.Client
		argv   []string
		code   int
		out    string
	}{
		{alice, []string{"scancel", "-v", "999999_[0-99999]"}, 0,
			"scancel: Terminating job 999999_[0-99999]\nscancel: error: Kill job error on job id 999999_[0-99999]: Invalid job id specified\n"},
		{mgmt, []string{"scontrol", "hold", id}, 0, ""},
		{alice, []string{"scontrol", "hold", id}, 0, ""},
		{alice, []string{"scontrol", "release", id}, 1,
			"Access/permission denied for job " + id + "\nslurm_suspend error: Access/permission denied\n"},
		{mgmt, []string{"scontrol", "uhold", id}, 0, ""},
		{alice, []string{"scontrol", "release", id}, 0, ""},
		{alice, []string{"scontrol", "update", "JobId=" + id, "Dependency=afterok:" + id}, 1,
			"Job dependency problem for job " + id + "\n"},
		{alice, []string{"scontrol", "update", "JobId=" + id, "JobName=a\tb"}, 1, "control character"},
	} {
		code, out := run(c.client, c.argv...)
		// Whole lines are compared exactly; a fragment must be contained.
		same := out == c.out || !strings.HasSuffix(c.out, "\n") && c.out != "" && strings.Contains(out, c.out)
		if code != c.code || !same {
			t.Errorf("%s: exit %d, output %q; want %d, %q", strings.Join(c.argv, " "), code, out, c.code, c.out)
		}
	}
}
