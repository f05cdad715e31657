package slurmcli

import (
	"fmt"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api/wire"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// Submission is one sbatch call as both sbatch programs submit it (the
// sbatch command of internal/slurm/sbatch and the lean cmd/sbatch): they
// parse it with Parse and send Request's body to POST /v1/jobs.
type Submission struct {
	Args       []string // sbatch's options, as typed
	Script     []byte   // nil with --wrap
	ScriptName string   // "" for a script read from standard input
	ScriptArgs []string
	Env        []string // the caller's environment
	Cwd        string
	Host       string
	// User is the local caller, who owns the job (see docs/slurm-commands.md,
	// "Who owns a job"); empty: the token's user.
	User string
	Now  time.Time
	Loc  *time.Location // the submitter's time zone; nil: time.Local
}

// Location is the submitter's time zone.
func (s *Submission) Location() *time.Location {
	if s.Loc == nil {
		return time.Local
	}
	return s.Loc
}

// Parse parses the submission as sbatch does, with hpcbridge's array
// size limit.
func (s *Submission) Parse() (*jobspec.Spec, jobspec.Diagnostics) {
	return jobspec.Parse(jobspec.Input{
		File:         s.ScriptName,
		Script:       s.Script,
		Args:         s.Args,
		ScriptArgs:   s.ScriptArgs,
		Env:          s.Env,
		Now:          s.Now.In(s.Location()),
		MaxArraySize: MaxArraySize,
	})
}

// Request is the API request that submits the parsed submission: the
// environment spec exports (ExportEnv) with the submitter's umask
// (WithUmask), and the submitter's time zone.
func (s *Submission) Request(spec *jobspec.Spec) *wire.SubmitRequest {
	return &wire.SubmitRequest{
		Script:     s.Script,
		ScriptName: s.ScriptName,
		Args:       s.Args,
		ScriptArgs: s.ScriptArgs,
		Env:        WithUmask(ExportEnv(s.Env, spec.Export)),
		Cwd:        s.Cwd,
		SubmitHost: s.Host,
		TimeZone:   ZoneName(s.Env, s.Location(), s.Now),
		User:       s.User,
	}
}

// WithUmask adds SLURM_UMASK, this process's umask as sbatch writes it
// ("0022"), unless env has one: the job runs, and creates its output
// files, with the submitter's umask (the node takes the variable out of
// the job's environment, as slurmd does).
func WithUmask(env []string) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "SLURM_UMASK=") {
			return env
		}
	}
	m, ok := processUmask()
	if !ok {
		return env
	}
	return append(env, fmt.Sprintf("SLURM_UMASK=%04o", m))
}
