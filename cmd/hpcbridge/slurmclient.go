package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurmcli"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The coordinator as each Slurm command sees it: the consumer-side slices
// of *api.Client, so that tests give the commands a fake.

// jobLister lists the live queue (squeue, scontrol show job, scancel -i).
type jobLister interface {
	JobsAll(ctx context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error)
}

// briefLister lists the live queue in the brief view: all squeue prints,
// in a small part of JobsAll's time (api.Client.JobsBrief).
type briefLister interface {
	JobsBrief(ctx context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error)
}

var _ briefLister = (*api.Client)(nil)

// jobGetter reads one job (scontrol show job ID, sbatch --wait).
type jobGetter interface {
	Job(ctx context.Context, ref string, q *api.QueryOptions) (*state.Job, *api.QueryMeta, error)
}

// accountingLister lists the job history (sacct).
type accountingLister interface {
	AccountingAll(ctx context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error)
}

// jobCanceller cancels or signals jobs (scancel).
type jobCanceller interface {
	Cancel(ctx context.Context, req *api.CancelRequest) (*api.ActionResponse, error)
}

// jobHolder holds, releases and requeues jobs (scontrol).
type jobHolder interface {
	Hold(ctx context.Context, req *api.RefsRequest) (*api.ActionResponse, error)
	Release(ctx context.Context, req *api.RefsRequest) (*api.ActionResponse, error)
	Requeue(ctx context.Context, req *api.RefsRequest) (*api.ActionResponse, error)
}

// jobUpdater changes pending jobs (scontrol update).
type jobUpdater interface {
	Update(ctx context.Context, req *api.UpdateRequest) (*api.ActionResponse, error)
}

// partitionLister lists the partitions (sinfo, scontrol show partition).
type partitionLister interface {
	Partitions(ctx context.Context) ([]api.Partition, error)
}

// nodeLister lists the nodes (sinfo, scontrol show node).
type nodeLister interface {
	Nodes(ctx context.Context) (*api.NodeList, error)
	Node(ctx context.Context, name string) (*api.Node, error)
}

// jobSubmitter submits batch jobs (sbatch).
type jobSubmitter interface {
	Submit(ctx context.Context, req *api.SubmitRequest) (*api.SubmitResponse, error)
}

// slurmClient is every method the Slurm commands use; *api.Client is one.
type slurmClient interface {
	jobLister
	jobGetter
	accountingLister
	jobCanceller
	jobHolder
	jobUpdater
	partitionLister
	nodeLister
	jobSubmitter
}

var _ slurmClient = (*api.Client)(nil)

// slurmDeps is what the Slurm commands take from their surroundings besides
// arguments and streams: the coordinator, the clock, who and where the
// caller is. Tests replace each of them.
type slurmDeps struct {
	// connect returns the coordinator's client for the environment.
	connect func(env []string) (slurmClient, error)
	// now is the clock.
	now func() time.Time
	// loc is the time zone timestamps are printed in.
	loc *time.Location
	// currentUser is the caller's user name.
	currentUser func() (string, error)
	// lookupUser resolves a user name to uid, gid and group name; ok is
	// false for names the system does not know.
	lookupUser func(name string) (uid, gid int, group string, ok bool)
	// getwd is the working directory sbatch submits from.
	getwd func() (string, error)
	// hostname is the host sbatch runs on.
	hostname func() (string, error)
	// sleep waits between polls (sbatch --wait, squeue -i); it returns
	// early with the context's error.
	sleep func(ctx context.Context, d time.Duration) error
	// isTerminal reports whether r is an interactive terminal.
	isTerminal func(r io.Reader) bool
}

// defaultDeps are the real surroundings of the process.
func defaultDeps() slurmDeps {
	return slurmDeps{
		connect: func(env []string) (slurmClient, error) {
			return api.NewClient(api.ConfigFromEnv(env))
		},
		now: time.Now,
		loc: time.Local,
		currentUser: func() (string, error) {
			u, err := user.Current()
			if err != nil {
				return "", err
			}
			return u.Username, nil
		},
		lookupUser: lookupSystemUser,
		getwd:      os.Getwd,
		hostname:   os.Hostname,
		sleep: func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		},
		isTerminal: func(r io.Reader) bool {
			f, ok := r.(*os.File)
			if !ok {
				return false
			}
			fi, err := f.Stat()
			return err == nil && fi.Mode()&os.ModeCharDevice != 0
		},
	}
}

// lookupSystemUser resolves a user through the system's user database.
func lookupSystemUser(name string) (uid, gid int, group string, ok bool) {
	u, err := user.Lookup(name)
	if err != nil {
		if _, numErr := strconv.Atoi(name); numErr == nil {
			if u, err = user.LookupId(name); err != nil {
				return 0, 0, "", false
			}
		} else {
			return 0, 0, "", false
		}
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	group = u.Gid
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		group = g.Name
	}
	return uid, gid, group, true
}

// cliContext is the context every command runs in.
func cliContext() context.Context { return context.Background() }

// connectError renders a failure to reach the coordinator the way Slurm
// commands report an unreachable slurmctld.
func connectError(prog, what string, err error) string {
	return fmt.Sprintf("%s: error: %s: Unable to contact slurm controller (connect failure): %v", prog, what, err)
}

// apiMessage turns an API error into the sentence Slurm prints for the
// same failure ("Invalid job id specified").
func apiMessage(err error) string {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return "Unable to contact slurm controller (connect failure): " + err.Error()
	}
	return codeMessage(ae.Code, ae.Message)
}

// codeMessage is Slurm's wording for an API error (slurmcli.ErrorMessage).
func codeMessage(code, message string) string { return slurmcli.ErrorMessage(code, message) }

// isTransport reports whether err is a failure to reach the API at all
// (as opposed to an error reply).
func isTransport(err error) bool {
	var ae *api.Error
	return err != nil && !errors.As(err, &ae)
}
