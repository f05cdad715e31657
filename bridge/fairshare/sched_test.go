package fairshare_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"

	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare/fairsharetest"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// oneSlot is an executor with room for one job at a time: it records the
// starts; the test ends each job.
type oneSlot struct {
	mu       sync.Mutex
	running  map[uint64]bool
	started  []uint64
	outcomes chan sched.Outcome
}

func newOneSlot() *oneSlot {
	return &oneSlot{running: map[uint64]bool{}, outcomes: make(chan sched.Outcome)}
}

func (e *oneSlot) Start(_ context.Context, j *state.Job, _ *state.Submission) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.running[j.ID] {
		e.running[j.ID] = true
		e.started = append(e.started, j.ID)
	}
	return nil
}

func (e *oneSlot) Stop(_ context.Context, id uint64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.running, id)
	return nil
}

func (e *oneSlot) Signal(context.Context, uint64, string, sched.SignalScope) error { return nil }

func (e *oneSlot) Running(context.Context) ([]uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []uint64
	for id := range e.running {
		ids = append(ids, id)
	}
	return ids, nil
}

func (e *oneSlot) Capacity(context.Context) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return max(1-len(e.running), 0), nil
}

func (e *oneSlot) Outcomes() <-chan sched.Outcome { return e.outcomes }

// cluster is a real single-server Raft node over a state store, the
// scheduler with reciprocal fair share, a one-slot executor and a clock
// the test moves.
type cluster struct {
	t     *testing.T
	node  *raft.Node
	store *state.Store
	exec  *oneSlot
	s     *sched.Scheduler
	now   time.Time
}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newCluster(t *testing.T, cfg fairshare.Config) *cluster {
	t.Helper()
	c := &cluster{t: t, store: state.New(), exec: newOneSlot(), now: t0}
	node, err := raft.New(raft.Config{
		ID: "coord1", DataDir: t.TempDir(), Bind: "127.0.0.1:0", Bootstrap: true, Logger: hclog.NewNullLogger(),
		HeartbeatTimeout: 200 * time.Millisecond, ElectionTimeout: 200 * time.Millisecond, LeaderLeaseTimeout: 200 * time.Millisecond,
	}, c.store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Shutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := node.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	c.node = node
	c.s = sched.New(sched.Config{Store: c.store, Raft: node, Executor: c.exec, Now: func() time.Time { return c.now },
		Priority: fairshare.NewPriorities(cfg)})
	return c
}

func (c *cluster) apply(typ state.CommandType, payload any) *state.Result {
	c.t.Helper()
	b, err := state.Encode(typ, payload)
	if err != nil {
		c.t.Fatal(err)
	}
	res, _, err := c.node.Apply(context.Background(), b)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.Err != nil {
		c.t.Fatalf("command %d: %v", typ, res.Err)
	}
	return res
}

func (c *cluster) submit(user, account string) uint64 {
	c.t.Helper()
	apply := func(t testing.TB, typ state.CommandType, payload any) *state.Result {
		t.Helper()
		return c.apply(typ, payload)
	}
	return fairsharetest.Submit(c.t, apply, c.now, "debug", user, account)
}

func (c *cluster) pass() {
	c.t.Helper()
	if err := c.s.Pass(context.Background()); err != nil {
		c.t.Fatal(err)
	}
}

// runOne lets the scheduler start the next job, runs it for d and ends
// it; it returns the job.
func (c *cluster) runOne(d time.Duration) *state.Job {
	c.t.Helper()
	n := len(c.exec.started)
	c.pass()
	if len(c.exec.started) != n+1 {
		c.t.Fatalf("the scheduler started %d jobs, want 1", len(c.exec.started)-n)
	}
	id := c.exec.started[n]
	c.apply(state.CmdJobPlaced, state.JobPlacedCmd{Time: c.now, JobID: id, NodeList: "shared1"})
	c.now = c.now.Add(d)
	c.exec.Stop(context.Background(), id)
	c.apply(state.CmdJobFinish, state.JobFinishCmd{Time: c.now, JobID: id, State: state.StateCompleted})
	return c.store.View().Job(id)
}

// donate has donor "uni-a" (account phys-a affiliated) give an hour of
// a third party's 2-GPU job on its joined node, credited from the node's
// signed receipt: 7200 GPU-seconds, two shares at one GPU-hour a share.
func (c *cluster) donate() {
	c.t.Helper()
	apply := func(t testing.TB, typ state.CommandType, payload any) *state.Result {
		t.Helper()
		return c.apply(typ, payload)
	}
	c.now = fairsharetest.Donate(c.t, apply, c.now, fairsharetest.Donation{Donor: "uni-a", Accounts: []string{"phys-a"},
		Node: "uni-a-gpu1", User: "carol", Account: "bio-c", GPUs: 2, Hours: 1})
}

// backlog has bob (chem-b, unaffiliated) and then alice (phys-a, uni-a's)
// submit n one-CPU jobs each, bob's first, and runs them all one at a
// time, 10 minutes each; it returns the accounts in start order.
func (c *cluster) backlog(n int) []string {
	c.t.Helper()
	for range n {
		c.submit("bob", "chem-b")
	}
	for range n {
		c.submit("alice", "phys-a")
	}
	var order []string
	for range 2 * n {
		order = append(order, c.runOne(10*time.Minute).Account)
	}
	return order
}

func count(l []string, acct string) int {
	n := 0
	for _, a := range l {
		if a == acct {
			n++
		}
	}
	return n
}

func short(order []string) string {
	var b strings.Builder
	for _, a := range order {
		b.WriteByte(a[0])
	}
	return b.String()
}

// The issue's test: two accounts submit the same backlog on a cluster
// with room for one job at a time. The account whose organisation donated
// two GPU-hours (3 shares to 1) runs first, in proportion: 3 of its jobs
// to 1 of the other's while both wait. A half-life later the donation
// counts half (2 shares to 1); ten half-lives later the advantage has
// faded and the accounts take turns.
func TestDonorsAccountRunsFirstInProportion(t *testing.T) {
	const n = 12
	for _, tc := range []struct {
		name   string
		age    time.Duration // from the donation to the backlog
		shares uint32
		want   int // phys-a's jobs among the first n
	}{
		{"fresh donation", 0, 3, 9},
		{"one half-life old", fairshare.DefaultHalfLife, 2, 8},
		{"ten half-lives old", 10 * fairshare.DefaultHalfLife, 1, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, fairshare.DefaultConfig())
			c.donate()
			c.now = c.now.Add(tc.age)
			tab := fairshare.Compute(c.store.View(), fairshare.DefaultConfig(), c.now)
			if a := tab.Accounts["phys-a"]; a == nil || a.RawShares != tc.shares || a.Donor != "uni-a" {
				t.Fatalf("phys-a: %+v, want %d shares", a, tc.shares)
			}
			if b := tab.Accounts["chem-b"]; b != nil {
				t.Fatalf("chem-b has a row before it ran anything: %+v", b)
			}
			order := c.backlog(n)
			got := count(order[:n], "phys-a")
			t.Logf("start order (p: phys-a, c: chem-b): %s; phys-a %d of the first %d", short(order), got, n)
			if got < tc.want-1 || got > tc.want+1 {
				t.Errorf("phys-a ran %d of the first %d jobs, want %d (shares %d:1)", got, n, tc.want, tc.shares)
			}
			// Every prefix keeps the proportion within a job.
			s := float64(tc.shares)
			for i := 2; i <= n; i++ {
				if a := float64(count(order[:i], "phys-a")); a < s/(s+1)*float64(i)-1.01 || a > s/(s+1)*float64(i)+1.01 {
					t.Errorf("after %d starts phys-a ran %v (%s)", i, a, short(order[:i]))
				}
			}
		})
	}
}

func ExampleCompute() {
	fmt.Println(fairshare.FormatTime(fairshare.DefaultHalfLife))
	// Output: 7-00:00:00
}
