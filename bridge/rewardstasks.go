package bridge

import "context"

// rewardsTask runs one of bridge/rewards' leader tasks (the epoch closer,
// the publisher) in each term.
type rewardsTask struct {
	t interface {
		Name() string
		RunTerm(ctx context.Context) error
	}
}

func (r rewardsTask) Name() string { return r.t.Name() }

func (r rewardsTask) RunTerm(ctx context.Context, _ Term) error { return r.t.RunTerm(ctx) }
