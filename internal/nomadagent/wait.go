package nomadagent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// maxWait bounds one blocking query; Nomad caps them at 10 minutes.
const maxWait = 5 * time.Minute

// waitReady waits until p has bound its listeners, then until the agent is
// ready for its role. It gives up when p exits or ctx ends.
func (a *Agent) waitReady(ctx context.Context, p *process) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-p.done:
			cancel(p.exitError())
		case <-ctx.Done():
		}
	}()
	select {
	case <-p.started:
	case <-ctx.Done():
		err := context.Cause(ctx)
		if errors.Is(err, ErrExited) {
			p.flushLog()
		}
		if errors.Is(err, ErrExited) && strings.Contains(a.LogTail(40), "address already in use") {
			err = fmt.Errorf("%w (%w)", err, errPortInUse)
		}
		return fmt.Errorf("waiting for the HTTP listener: %w", err)
	}
	if p.role.server() {
		if err := a.WaitLeader(ctx); err != nil {
			return cause(ctx, err)
		}
	}
	if p.role.client() {
		if err := a.waitNode(ctx); err != nil {
			return cause(ctx, err)
		}
	}
	return nil
}

// cause prefers why ctx ended (the agent exited) over the error it caused.
func cause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(err, c) {
		return fmt.Errorf("%w (%v)", c, err)
	}
	return err
}

// keyringWait bounds each of WaitLeader's blocking queries.
const keyringWait = time.Second

// WaitLeader blocks until the agent's region has a leader that serves
// consistent reads and the keyring has an active root key (workload
// identities, and so job registration, need it). It uses blocking queries
// of at most keyringWait each, which the server holds while nothing changes.
func (a *Agent) WaitLeader(ctx context.Context) error {
	_, err := follow(ctx, func(q *api.QueryOptions) ([]*api.RootKeyMeta, *api.QueryMeta, error) {
		// A fresh server answers the empty keyring with an index its
		// first key may then be written at: a query blocked after that
		// index would miss the key and wait out its whole time (seen as a
		// 2-minute start-up failure under load). Each query waits at most
		// keyringWait, so the key is seen within that.
		q.WaitTime = min(q.WaitTime, keyringWait)
		return a.api.Keyring().List(q)
	}, func(keys []*api.RootKeyMeta) bool {
		return slices.ContainsFunc(keys, func(k *api.RootKeyMeta) bool { return k.State == api.RootKeyStateActive })
	})
	return err
}

// WaitNodes blocks until cond holds for the region's nodes and returns
// them. It follows the node table with blocking queries, so cond is called
// once per change; it never polls.
func (a *Agent) WaitNodes(ctx context.Context, cond func([]*api.NodeListStub) bool) ([]*api.NodeListStub, error) {
	return follow(ctx, func(q *api.QueryOptions) ([]*api.NodeListStub, *api.QueryMeta, error) {
		return a.api.Nodes().List(q)
	}, cond)
}

// WaitAllocs blocks until cond holds for the allocations of job jobID (in
// the default namespace) and returns them, following them with blocking
// queries.
func (a *Agent) WaitAllocs(ctx context.Context, jobID string, cond func([]*api.AllocationListStub) bool) ([]*api.AllocationListStub, error) {
	return follow(ctx, func(q *api.QueryOptions) ([]*api.AllocationListStub, *api.QueryMeta, error) {
		return a.api.Jobs().Allocations(jobID, true, q)
	}, cond)
}

// follow calls list as a blocking query, each time after the index the
// previous answer had, until cond holds for an answer.
func follow[T any](ctx context.Context, list func(*api.QueryOptions) (T, *api.QueryMeta, error), cond func(T) bool) (T, error) {
	var idx uint64
	var v T
	var last error
	err := retry(ctx, func() (bool, error) {
		got, meta, err := list(query(ctx, idx))
		if err != nil {
			last = err
			return false, err
		}
		idx, v, last = meta.LastIndex, got, nil
		return cond(got), nil
	}, func() error { return last })
	return v, err
}

// waitNode waits until this agent's node is registered (again, after a
// restart), ready, and has Config.Drivers detected and healthy. a.mu is held.
func (a *Agent) waitNode(ctx context.Context) error {
	why := "node not registered"
	_, err := a.WaitNodes(ctx, func(nodes []*api.NodeListStub) bool {
		var n *api.NodeListStub
		for _, c := range nodes {
			if c.ID == a.nodeID || a.nodeID == "" && c.Name == a.cfg.Name && (n == nil || c.CreateIndex > n.CreateIndex) {
				n = c
			}
		}
		why = a.nodeNotReady(n)
		if why != "" {
			return false
		}
		a.nodeID, a.nodeIndex = n.ID, n.ModifyIndex
		return true
	})
	if err != nil {
		return fmt.Errorf("%w; last seen: %s", err, why)
	}
	return nil
}

// nodeNotReady says why n is not yet this agent's ready node, or "".
func (a *Agent) nodeNotReady(n *api.NodeListStub) string {
	switch {
	case n == nil:
		return fmt.Sprintf("no node named %q", a.cfg.Name)
	case n.ModifyIndex <= a.nodeIndex:
		return fmt.Sprintf("node %s not re-registered since index %d", n.ID, a.nodeIndex)
	case n.Status != api.NodeStatusReady:
		return fmt.Sprintf("node %s is %s", n.ID, n.Status)
	}
	var bad []string
	for _, d := range a.cfg.Drivers {
		switch info := n.Drivers[d]; {
		case info == nil || !info.Detected:
			bad = append(bad, d+" not detected")
		case !info.Healthy:
			bad = append(bad, fmt.Sprintf("%s unhealthy (%s)", d, info.HealthDescription))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Sprintf("node %s: %s", n.ID, strings.Join(bad, ", "))
	}
	return ""
}

// currentNodeIndex is the node's ModifyIndex as the servers see it now, or
// 0 when they cannot be asked. a.mu is held.
func (a *Agent) currentNodeIndex(ctx context.Context) uint64 {
	c := a.serverAPI
	if c == nil {
		if a.proc == nil {
			return 0
		}
		c = a.api
	}
	if a.nodeID == "" {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, _, err := c.Nodes().Info(a.nodeID, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return 0
	}
	return n.ModifyIndex
}

// query is a blocking query after index idx that ends with ctx.
func query(ctx context.Context, idx uint64) *api.QueryOptions {
	wait := maxWait
	if d, ok := ctx.Deadline(); ok {
		wait = min(wait, max(time.Until(d), time.Millisecond))
	}
	return (&api.QueryOptions{WaitIndex: idx, WaitTime: wait}).WithContext(ctx)
}

// retry calls f until it reports done or ctx ends. Blocking queries pace
// the calls that succeed; after an error (no leader yet, a client that has
// not found its server) it backs off, from 50 ms up to 1 s. The error on
// giving up wraps ctx's and says what was last seen.
func retry(ctx context.Context, f func() (bool, error), last func() error) error {
	backoff := 50 * time.Millisecond
	for {
		done, err := f()
		if done {
			return nil
		}
		if ctx.Err() != nil {
			if l := last(); l != nil {
				return fmt.Errorf("%w (last: %v)", ctx.Err(), l)
			}
			return ctx.Err()
		}
		if err == nil {
			backoff = 50 * time.Millisecond
			continue
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		backoff = min(2*backoff, time.Second)
	}
}

// WaitNodeIdle blocks until this client's node runs no allocation (none
// pending or running on the client) of a job whose ID starts with
// jobPrefix, following the node's allocations with blocking queries. On
// giving up (ctx ended) it returns the allocations still live, as
// "JOB/ALLOC-ID-PREFIX", with the error. `hpcbridge agent` waits so for
// its node's jobs to checkpoint and move away before it stops Nomad.
func (a *Agent) WaitNodeIdle(ctx context.Context, jobPrefix string) ([]string, error) {
	id := a.NodeID()
	if id == "" {
		return nil, errors.New("nomadagent: WaitNodeIdle on an agent without a node")
	}
	var live []string
	_, err := follow(ctx, func(q *api.QueryOptions) ([]*api.Allocation, *api.QueryMeta, error) {
		return a.api.Nodes().Allocations(id, q)
	}, func(allocs []*api.Allocation) bool {
		live = live[:0]
		for _, al := range allocs {
			if !strings.HasPrefix(al.JobID, jobPrefix) {
				continue
			}
			if al.ClientStatus == api.AllocClientStatusPending || al.ClientStatus == api.AllocClientStatusRunning {
				live = append(live, al.JobID+"/"+al.ID[:min(8, len(al.ID))])
			}
		}
		return len(live) == 0
	})
	if err != nil {
		return live, err
	}
	return nil, nil
}
