package raft_test

import (
	"context"
	"fmt"
	"os"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// A single-server cluster: bootstrap, wait for the election, commit a
// submission and read it back from the store.
func ExampleNode_Apply() {
	dir, err := os.MkdirTemp("", "hpcbridge-raft-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	store := state.New()
	node, err := raft.New(raft.Config{
		ID:                 "coord1",
		DataDir:            dir,
		Bind:               "127.0.0.1:0",
		Bootstrap:          true,
		Logger:             hclog.NewNullLogger(),
		HeartbeatTimeout:   200 * time.Millisecond,
		ElectionTimeout:    200 * time.Millisecond,
		LeaderLeaseTimeout: 200 * time.Millisecond,
	}, store)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := node.WaitForLeader(ctx); err != nil {
		fmt.Println(err)
		return
	}

	script := []byte("#!/bin/sh\n#SBATCH --job-name=hello\necho hello\n")
	spec, diags := jobspec.Parse(jobspec.Input{File: "hello.sh", Script: script})
	if spec == nil {
		fmt.Println(diags.Render())
		return
	}
	cmd, err := state.Encode(state.CmdJobSubmit, state.JobSubmitCmd{
		User:             "alice",
		DefaultPartition: "debug",
		Submission:       &state.Submission{Script: script, ScriptName: "hello.sh", Cwd: "/home/alice", Spec: spec},
		Job:              fromspec.MustRecord(spec, "debug"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, _, err := node.Apply(ctx, cmd)
	if err != nil {
		fmt.Println(err)
		return
	}
	id := res.Value.(state.JobSubmitResult).JobID
	job := store.View().Job(id)
	fmt.Println(job.SlurmID(), job.Name, job.State)
	// Output: 1 hello PENDING
}
