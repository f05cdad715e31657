package nomadexec

import (
	"context"
	"testing"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// mintFixed mints the same secret for every run (the executor's
// rendering is what is tested here, not the token's commit).
type mintFixed struct{}

func (mintFixed) MintRunToken(context.Context, *state.Job) (string, error) { return "secret", nil }

// A run of a job with a committed checkpoint gets restore = the job's last
// checkpoint's digest in its task config; a job without one gets none.
func TestRunConfigRestore(t *testing.T) {
	e := New(Config{RunTokens: mintFixed{}, Coordinator: func() string { return "http://127.0.0.1:1" }})
	sub := parse(t, "#!/bin/sh\ntrue\n")
	for _, tc := range []struct {
		name string
		cp   *state.Checkpoints
		want string
	}{
		{"first run", nil, ""},
		{"requeued after a checkpoint", &state.Checkpoints{Count: 3, Digest: "sha256:ab", Run: 0, Seq: 3}, "sha256:ab"},
	} {
		j := &state.Job{ID: 7, ArrayTaskID: state.NoTask, User: "alice", Partition: "debug", RestartCount: 1, Checkpoints: tc.cp}
		job, err := e.cfg.Translation.Translate(j, sub)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.runConfig(context.Background(), j, job); err != nil {
			t.Fatal(err)
		}
		cfg := job.TaskGroups[0].Tasks[0].Config
		if got, _ := cfg["restore"].(string); got != tc.want {
			t.Errorf("%s: restore %q, want %q", tc.name, got, tc.want)
		}
	}
}
