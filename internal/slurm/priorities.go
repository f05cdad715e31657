package slurm

import (
	"context"
	"strconv"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// PriorityLister reads the priorities the coordinator's scheduler orders
// jobs by (GET /v1/priorities; *api.Client is one).
type PriorityLister interface {
	Priorities(ctx context.Context, q *api.PrioritiesQuery) (*api.PriorityList, error)
}

var _ PriorityLister = (*api.Client)(nil)

// MaxPriorityJobs bounds the jobs whose priorities a command asks for by
// id; past it, it asks for every pending and running job's.
const MaxPriorityJobs = 500

// SchedulerPriorities is the priority the scheduler gives each pending or
// running job of jobs, by job id, so that squeue's %Q and sort and scontrol's
// Priority= show what sprio shows and the scheduler orders by (bridge/
// fairshare). It is nil when the client cannot tell, the coordinator runs
// priority/basic or the question fails: the commands then show
// state.Job.Priority, priority/basic's.
func SchedulerPriorities(ctx context.Context, client any, jobs []*state.Job) map[uint64]int64 {
	pl, ok := client.(PriorityLister)
	if !ok {
		return nil
	}
	var ids []string
	for _, j := range jobs {
		if j.State == state.StatePending || j.State == state.StateRunning {
			ids = append(ids, strconv.FormatUint(j.ID, 10))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	q := &api.PrioritiesQuery{Running: true}
	if len(ids) <= MaxPriorityJobs {
		q.Jobs = ids
	}
	list, err := pl.Priorities(ctx, q)
	if err != nil || list == nil || len(list.Jobs) == 0 {
		return nil
	}
	out := make(map[uint64]int64, len(list.Jobs))
	for _, f := range list.Jobs {
		out[f.JobID] = f.Priority
	}
	return out
}
