package fairshare

import (
	"math"
	"sync"
	"time"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Factors are one job's priority and what it is made of, as sprio shows
// them: each factor normalised (0 to 1) and weighted.
type Factors struct {
	JobID     uint64 `json:"job_id"`
	SlurmID   string `json:"slurm_id"`
	User      string `json:"user"`
	Account   string `json:"account"`
	Partition string `json:"partition"`
	// Priority is what the scheduler orders by (and squeue %Q shows).
	Priority int64 `json:"priority"`
	// Normalised factors.
	Age       float64 `json:"age"`
	FairShare float64 `json:"fairshare"`
	JobSize   float64 `json:"jobsize"`
	PartPrio  float64 `json:"partition_prio"`
	QOS       float64 `json:"qos"`
	Assoc     float64 `json:"assoc"`
	// Weighted factors (weight × factor, rounded) and the nice
	// adjustment subtracted.
	WAge       int64 `json:"weighted_age"`
	WFairShare int64 `json:"weighted_fairshare"`
	WJobSize   int64 `json:"weighted_jobsize"`
	WPartition int64 `json:"weighted_partition"`
	WQOS       int64 `json:"weighted_qos"`
	WAssoc     int64 `json:"weighted_assoc"`
	Site       int64 `json:"site"`
	Nice       int64 `json:"nice"`
}

// MaxPriority is the highest priority (Slurm's is a uint32).
const MaxPriority = 1<<32 - 2

// Job is j's factors at now with the shares of tab. A held job's priority
// is 0, as Slurm shows it; any other is at least 1.
func (c Config) Job(tab *Table, j *state.Job, now time.Time) Factors {
	f := Factors{JobID: j.ID, SlurmID: j.SlurmID(), User: j.User, Account: j.Account, Partition: j.Partition, Nice: int64(j.Nice)}
	f.Age = c.age(j, now)
	f.FairShare = tab.FairShare(j.Account)
	f.PartPrio = 1 // every partition has PriorityJobFactor 1
	w := c.Weights
	f.WAge = round(float64(w.Age) * f.Age)
	f.WFairShare = round(float64(w.FairShare) * f.FairShare)
	f.WPartition = round(float64(w.Partition) * f.PartPrio)
	f.Priority = c.sum(j, f.Age, f.FairShare)
	return f
}

// Priority is j's priority at now, as Job's Priority, without the rest.
func (c Config) Priority(tab *Table, j *state.Job, now time.Time) int64 {
	return c.sum(j, c.age(j, now), tab.FairShare(j.Account))
}

// sum is the priority of the factors: the weighted sum truncated (as
// Slurm does) less nice, from 1 to MaxPriority; 0 for a held job.
func (c Config) sum(j *state.Job, age, fs float64) int64 {
	if j.Hold != state.HoldNone {
		return 0
	}
	w := c.Weights
	s := float64(w.Age)*age + float64(w.FairShare)*fs + float64(w.Partition)
	return min(max(int64(s)-int64(j.Nice), 1), MaxPriority)
}

// age is min(time eligible, MaxAge)/MaxAge: eligible from the run's
// submit (a requeue's) or its --begin, whichever is later; a job that does
// not pend has the age it had when it started.
func (c Config) age(j *state.Job, now time.Time) float64 {
	from := j.RunSubmitTime()
	if j.Begin.After(from) {
		from = j.Begin
	}
	to := now
	if j.State != state.StatePending && !j.StartTime.IsZero() {
		to = j.StartTime
	}
	if !to.After(from) || c.MaxAge <= 0 {
		return 0
	}
	return min(to.Sub(from).Seconds()/c.MaxAge.Seconds(), 1)
}

func round(f float64) int64 { return int64(math.Round(f)) }

// Priorities orders jobs for the scheduler: the multifactor priority, or
// state.Job.Priority under priority/basic. Shares are computed once per
// calculation period (Slurm's PriorityCalcPeriod); age at every call. It
// is safe for concurrent use.
type Priorities struct {
	cfg Config
	mu  sync.Mutex
	tab *Table
}

// NewPriorities returns the orderer of cfg.
func NewPriorities(cfg Config) *Priorities { return &Priorities{cfg: cfg} }

// Config is the configuration it computes with.
func (p *Priorities) Config() Config { return p.cfg }

// Table is the share table at now's calculation time, computed from v
// when that time has moved on since the last one.
func (p *Priorities) Table(v *state.View, now time.Time) *Table {
	t := p.cfg.CalcTime(now)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tab == nil || !p.tab.Time.Equal(t) {
		p.tab = Compute(v, p.cfg, t)
	}
	return p.tab
}

// Func is the priority of each job at now, for one scheduling pass.
func (p *Priorities) Func(v *state.View, now time.Time) func(*state.Job) int64 {
	if p == nil || !p.cfg.Enabled() {
		return (*state.Job).Priority
	}
	tab := p.Table(v, now)
	return func(j *state.Job) int64 { return p.cfg.Priority(tab, j, now) }
}
