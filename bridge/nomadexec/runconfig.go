package nomadexec

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// RunTokens mints the token of a run (state.NewRunToken committed as
// state.CmdRunToken) and returns its secret, which only the run's task
// config carries. Committing fails for a run that is no longer running.
type RunTokens interface {
	MintRunToken(ctx context.Context, j *state.Job) (string, error)
}

// runConfig gives each task of a run's Nomad job what the driver needs to
// talk to the coordinator for this run (the task config's coordinator,
// run_token, job_id, run), and a staged job's input manifest
// (staged_input). Without Config.RunTokens or a coordinator URL it adds
// nothing, and the driver runs the job as a shared partition's.
func (e *Executor) runConfig(ctx context.Context, j *state.Job, job *api.Job) error {
	if e.cfg.RunTokens == nil || e.cfg.Coordinator == nil {
		return nil
	}
	urls := e.cfg.Coordinator()
	if urls == "" {
		return nil
	}
	secret, err := e.cfg.RunTokens.MintRunToken(ctx, j)
	if err != nil {
		return fmt.Errorf("run token of job %s: %w", j.SlurmID(), err)
	}
	input := ""
	if j.Files != nil {
		input = j.Files.Input
	}
	for _, g := range job.TaskGroups {
		for _, t := range g.Tasks {
			if t.Driver != DriverName {
				continue
			}
			if t.Config == nil {
				t.Config = map[string]any{}
			}
			t.Config["coordinator"] = urls
			t.Config["run_token"] = secret
			t.Config["job_id"] = int(j.ID)
			t.Config["run"] = j.RestartCount
			t.Config["staged_input"] = input
			t.Config["restore"] = restoreOf(j)
		}
	}
	return nil
}

// JoinURLs is the coordinator value of a task config: the leader's API
// URL first, then the other servers', without repeats or empties.
func JoinURLs(first string, others []string) string {
	seen := map[string]bool{}
	var out []string
	for _, u := range append([]string{first}, others...) {
		if u = strings.TrimSpace(u); u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return strings.Join(out, ",")
}

// restoreOf is the checkpoint a run restores before its script starts:
// the job's last committed checkpoint (a requeued run resumes from it),
// or none.
func restoreOf(j *state.Job) string {
	if cp := j.Checkpoints; cp != nil {
		return cp.Digest
	}
	return ""
}
