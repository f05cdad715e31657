package apiserver_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// Another user sees that a job committed checkpoints (count, time, size,
// as squeue shows any job), never the checkpoint's digest, which would
// tell them whether they hold the same content.
func TestCheckpointDigestIsTheOwners(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{})
	ctx := context.Background()
	apply := func(ct state.CommandType, p any) *state.Result {
		t.Helper()
		return srv.Apply(t, ct, p)
	}
	now := time.Now()
	spec, _ := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte("#!/bin/sh\ntrue\n")})
	id := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: now, User: "alice", DefaultPartition: "batch",
		Submission: &state.Submission{Script: []byte("#!/bin/sh\ntrue\n"), Spec: spec}, Job: fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
	apply(state.CmdJobStart, state.JobStartCmd{Time: now, JobID: id, Task: state.NoTask})
	key := receipt.EncodeKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)).Public().(ed25519.PublicKey))
	apply(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: now, NodeID: "node-1", Node: "n1", Key: key})
	digest := "sha256:" + strings.Repeat("b", 64)
	apply(state.CmdCheckpoint, state.CheckpointCmd{Time: now, JobID: id, Run: 0, Seq: 1, NodeID: "node-1", Node: "n1", AllocID: "a1", Key: key,
		Signed: receipt.Signed{Body: []byte("{}"), Sig: make([]byte, 64)}, Digest: digest, Size: 10, Trigger: receipt.TriggerCommand,
		ClaimStart: now, ClaimEnd: now, Credit: state.Credit{Start: now, End: now}})
	for _, c := range []struct {
		user string
		want string
	}{{"alice", digest}, {"bob", ""}} {
		jobs, _, err := srv.Client(t, srv.UserToken(t, c.user)).JobsAll(ctx, &api.JobsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var got *state.Checkpoints
		for _, j := range jobs {
			if j.ID == id {
				got = j.Checkpoints
			}
		}
		if got == nil || got.Count != 1 || got.Size != 10 || got.Digest != c.want {
			t.Errorf("%s sees %+v, want digest %q", c.user, got, c.want)
		}
	}
}
