package slurm

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

// JobLister lists the live queue (squeue, scontrol show job, scancel -i).
type JobLister interface {
	JobsAll(ctx context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error)
}

// BriefLister lists the live queue in the brief view: all squeue prints,
// in a small part of JobsAll's time (api.Client.JobsBrief).
type BriefLister interface {
	JobsBrief(ctx context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error)
}

var _ BriefLister = (*api.Client)(nil)

// JobGetter reads one job (scontrol show job ID, sbatch --wait).
type JobGetter interface {
	Job(ctx context.Context, ref string, q *api.QueryOptions) (*state.Job, *api.QueryMeta, error)
}

// AccountingLister lists the job history (sacct).
type AccountingLister interface {
	AccountingAll(ctx context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error)
}

// JobCanceller cancels or signals jobs (scancel).
type JobCanceller interface {
	Cancel(ctx context.Context, req *api.CancelRequest) (*api.ActionResponse, error)
}

// JobHolder holds, releases and requeues jobs (scontrol).
type JobHolder interface {
	Hold(ctx context.Context, req *api.RefsRequest) (*api.ActionResponse, error)
	Release(ctx context.Context, req *api.RefsRequest) (*api.ActionResponse, error)
	Requeue(ctx context.Context, req *api.RefsRequest) (*api.ActionResponse, error)
}

// JobUpdater changes pending jobs (scontrol update).
type JobUpdater interface {
	Update(ctx context.Context, req *api.UpdateRequest) (*api.ActionResponse, error)
}

// PartitionLister lists the partitions (sinfo, scontrol show partition).
type PartitionLister interface {
	Partitions(ctx context.Context) ([]api.Partition, error)
}

// NodeLister lists the nodes (sinfo, scontrol show node).
type NodeLister interface {
	Nodes(ctx context.Context) (*api.NodeList, error)
	Node(ctx context.Context, name string) (*api.Node, error)
}

// JobSubmitter submits batch jobs (sbatch).
type JobSubmitter interface {
	Submit(ctx context.Context, req *api.SubmitRequest) (*api.SubmitResponse, error)
}

// Client is every method the Slurm commands use; *api.Client is one.
type Client interface {
	JobLister
	JobGetter
	AccountingLister
	JobCanceller
	JobHolder
	JobUpdater
	PartitionLister
	NodeLister
	JobSubmitter
}

var _ Client = (*api.Client)(nil)

// Deps is what the Slurm commands take from their surroundings besides
// arguments and streams: the coordinator, the clock, who and where the
// caller is. Tests replace each of them.
type Deps struct {
	// Connect returns the coordinator's client for the environment.
	Connect func(env []string) (Client, error)
	// Now is the clock.
	Now func() time.Time
	// Loc is the time zone timestamps are printed in.
	Loc *time.Location
	// CurrentUser is the caller's user name.
	CurrentUser func() (string, error)
	// LookupUser resolves a user name to uid, gid and group name; ok is
	// false for names the system does not know.
	LookupUser func(name string) (uid, gid int, group string, ok bool)
	// Getwd is the working directory sbatch submits from.
	Getwd func() (string, error)
	// Hostname is the host sbatch runs on.
	Hostname func() (string, error)
	// Sleep waits between polls (sbatch --wait, squeue -i); it returns
	// early with the context's error.
	Sleep func(ctx context.Context, d time.Duration) error
	// IsTerminal reports whether r is an interactive terminal.
	IsTerminal func(r io.Reader) bool
}

// DefaultDeps are the real surroundings of the process.
func DefaultDeps() Deps {
	return Deps{
		Connect: func(env []string) (Client, error) {
			return api.NewClient(api.ConfigFromEnv(env))
		},
		Now: time.Now,
		Loc: time.Local,
		CurrentUser: func() (string, error) {
			u, err := user.Current()
			if err != nil {
				return "", err
			}
			return u.Username, nil
		},
		LookupUser: lookupSystemUser,
		Getwd:      os.Getwd,
		Hostname:   os.Hostname,
		Sleep: func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		},
		IsTerminal: func(r io.Reader) bool {
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

// Context is the context every command runs in.
func Context() context.Context { return context.Background() }

// ConnectError renders a failure to reach the coordinator the way Slurm
// commands report an unreachable slurmctld.
func ConnectError(prog, what string, err error) string {
	if prog == "" {
		// squeue prints no prefix (slurm_load_jobs error: ...).
		return fmt.Sprintf("%s: Unable to contact slurm controller (connect failure): %v", what, err)
	}
	return fmt.Sprintf("%s: error: %s: Unable to contact slurm controller (connect failure): %v", prog, what, err)
}

// APIMessage turns an API error into the sentence Slurm prints for the
// same failure ("Invalid job id specified").
func APIMessage(err error) string {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return "Unable to contact slurm controller (connect failure): " + err.Error()
	}
	return CodeMessage(ae.Code, ae.Message)
}

// CodeMessage is Slurm's wording for an API error (slurmcli.ErrorMessage).
func CodeMessage(code, message string) string { return slurmcli.ErrorMessage(code, message) }

// IsTransport reports whether err is a failure to reach the API at all
// (as opposed to an error reply).
func IsTransport(err error) bool {
	var ae *api.Error
	return err != nil && !errors.As(err, &ae)
}
