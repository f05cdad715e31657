package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/sched"
	hbraft "github.com/hpcbridge/hpcbridge/raft"
)

// event is one thing a recorded term did on one server.
type event struct {
	server int
	term   uint64
	task   string
	kind   string // "start", "cancelled", "stop", or a test's mark
}

// journal records events in the order they happen, across servers.
type journal struct {
	mu     sync.Mutex
	events []event
}

func (j *journal) add(e event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.events = append(j.events, e)
}

func (j *journal) snapshot() []event {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.events)
}

// has reports whether an event matching all of e's set fields happened.
func (j *journal) count(server int, term uint64, kind string) int {
	n := 0
	for _, e := range j.snapshot() {
		if e.server == server && e.term == term && e.kind == kind {
			n++
		}
	}
	return n
}

// recorded wraps a task and records when each of its terms starts and
// returns; with a gate, a cancelled term waits for the gate to close
// before it returns (a task slow to stop).
type recorded struct {
	LeaderTask
	server int
	j      *journal
	gate   <-chan struct{}
}

func (r recorded) RunTerm(ctx context.Context, t Term) error {
	r.j.add(event{r.server, t.Seq, r.Name(), "start"})
	defer func() { r.j.add(event{r.server, t.Seq, r.Name(), "stop"}) }()
	if r.gate == nil {
		return r.LeaderTask.RunTerm(ctx, t)
	}
	<-ctx.Done()
	r.j.add(event{r.server, t.Seq, r.Name(), "cancelled"})
	<-r.gate
	return nil
}

// idle is a task that only waits for its term to end.
type idle string

func (i idle) Name() string { return string(i) }

func (idle) RunTerm(ctx context.Context, _ Term) error {
	<-ctx.Done()
	return nil
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not waiting for state
	}
}

// TestTermsDoNotOverlap moves leadership from A to B and back to A while a
// task of A's first term is slow to stop: A's second term starts only
// after every task of its first has returned, and after the slow task was
// let go (the coordinator waited for it).
func TestTermsDoNotOverlap(t *testing.T) {
	c := hbraft.NewTestCluster(t, 3, hbraft.TestClusterOptions{})
	j := &journal{}
	gate := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	const tasks = 3
	for i := 0; i < c.Len(); i++ {
		ts := []LeaderTask{
			recorded{LeaderTask: schedulerTask{store: c.Store(i), raft: c.Node(i), exec: sched.NoBackend{}, logger: slog.New(slog.DiscardHandler)}, server: i, j: j},
			recorded{LeaderTask: idle("follower"), server: i, j: j},
			recorded{LeaderTask: idle("slow"), server: i, j: j, gate: gate},
		}
		wg.Go(func() { lead(ctx, c.Node(i), ts, slog.New(slog.DiscardHandler)) })
	}
	a := c.Leader()
	eventually(t, "A's first term", func() bool { return j.count(a, 1, "start") == tasks })

	b := (a + 1) % c.Len()
	transfer(t, c.Node(a), c.Config(b).ID)
	eventually(t, "A's slow task to be cancelled", func() bool { return j.count(a, 1, "cancelled") == 1 })
	eventually(t, "B's first term", func() bool { return j.count(b, 1, "start") == tasks })

	transfer(t, c.Node(b), c.Config(a).ID)
	eventually(t, "A to lead again", c.Node(a).IsLeader)
	if n := j.count(a, 2, "start"); n != 0 {
		t.Errorf("A's second term started %d tasks while its first term's slow task still ran", n)
	}
	j.add(event{a, 0, "test", "release"})
	close(gate)
	eventually(t, "A's second term", func() bool { return j.count(a, 2, "start") == tasks })

	events := j.snapshot()
	pos := func(match func(event) bool, last bool) int {
		at := -1
		for i, e := range events {
			if match(e) {
				at = i
				if !last {
					break
				}
			}
		}
		return at
	}
	for s := 0; s < c.Len(); s++ {
		for term := uint64(1); ; term++ {
			next := pos(func(e event) bool { return e.server == s && e.term == term+1 && e.kind == "start" }, false)
			if next < 0 {
				break
			}
			lastStop := pos(func(e event) bool { return e.server == s && e.term == term && e.kind == "stop" }, true)
			if stops := j.count(s, term, "stop"); stops != tasks || lastStop > next {
				t.Errorf("server %d: term %d started before term %d's %d tasks had all returned (%d returned)\n%s", s, term+1, term, tasks, stops, dump(events))
			}
		}
	}
	release := pos(func(e event) bool { return e.kind == "release" }, false)
	if start := pos(func(e event) bool { return e.server == a && e.term == 2 && e.kind == "start" }, false); start < release {
		t.Errorf("A's second term started before the slow task was released\n%s", dump(events))
	}
}

// transfer moves leadership from node to the server id, retrying while a
// transfer cannot start yet (the target still catching up).
func transfer(t *testing.T, node *hbraft.Node, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		err := node.TransferLeadership(ctx, id)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("transfer leadership to %s: %v", id, err)
		case <-time.After(10 * time.Millisecond): // then try again
		}
	}
}

func dump(events []event) string {
	s := ""
	for _, e := range events {
		s += fmt.Sprintf("  server %d term %d %s %s\n", e.server, e.term, e.task, e.kind)
	}
	return s
}
