package nomadexec

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// raftTokens mints run tokens through a directRaft, as the coordinator's
// (bridge) does through its Raft node.
type raftTokens struct{ r *directRaft }

func (m raftTokens) MintRunToken(ctx context.Context, j *state.Job) (string, error) {
	tok, secret := state.NewRunToken(j, time.Now())
	b, err := state.Encode(state.CmdRunToken, state.RunTokenCmd{Token: tok})
	if err != nil {
		return "", err
	}
	res, _, err := m.r.Apply(ctx, b)
	if err == nil && res.Err != nil {
		err = res.Err
	}
	return secret, err
}

// A rendered run carries the coordinator's URLs, its own token (in the
// state only as a hash, of type run, for this job and run), the job id, the
// run and a staged job's input; a run that is not running gets no token.
func TestRunConfig(t *testing.T) {
	ctx := context.Background()
	r := &directRaft{store: state.New()}
	apply := r.applier(ctx, t)
	sub := parse(t, "#!/bin/sh\ntrue\n")
	input := "sha256:" + strings.Repeat("ab", 32)
	res := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: time.Now(), User: "ada", Submission: sub, DefaultPartition: "debug",
		Job: &state.JobRecord{Partition: "debug", Requeue: true, StagedInput: input}})
	id := res.Value.(state.JobSubmitResult).JobID
	e := New(Config{Store: r.store, RunTokens: raftTokens{r}, Coordinator: func() string { return JoinURLs("http://a:1", []string{"http://b:2", "http://a:1", ""}) }})

	j := r.store.View().Job(id)
	job, err := e.cfg.Translation.Translate(j, sub)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.runConfig(ctx, j, job); !errors.Is(err, state.ErrState) {
		t.Fatalf("token for a pending job: %v", err)
	}
	apply(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: id, Task: state.NoTask})
	j = r.store.View().Job(id)
	if err := e.runConfig(ctx, j, job); err != nil {
		t.Fatal(err)
	}
	cfg := job.TaskGroups[0].Tasks[0].Config
	if cfg["coordinator"] != "http://a:1,http://b:2" || cfg["job_id"] != int(id) || cfg["run"] != 0 || cfg["staged_input"] != input {
		t.Fatalf("task config: coordinator %v job_id %v run %v staged_input %v", cfg["coordinator"], cfg["job_id"], cfg["run"], cfg["staged_input"])
	}
	secret, _ := cfg["run_token"].(string)
	tok := r.store.View().TokenBySecretHash(state.HashSecret(secret))
	if secret == "" || tok == nil || tok.Type != state.TokenRun || tok.JobID != id || tok.Run != 0 || tok.User != "ada" {
		t.Fatalf("run token %q: %+v", secret, tok)
	}
	if tok.SecretHash == secret {
		t.Fatal("the state holds the secret itself")
	}
}
