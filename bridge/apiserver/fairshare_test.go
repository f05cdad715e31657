package apiserver_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare/fairsharetest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// GET /v1/priorities and /v1/shares: filters, bounds, a donor-admin
// token refused, priority/basic answering with no jobs.
func TestFairShareRoutes(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	now := t0.Add(3 * time.Hour)
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return now }, Priority: fairshare.NewPriorities(fairshare.DefaultConfig())})
	ctx := context.Background()
	apply := srv.Apply
	end := fairsharetest.Donate(t, apply, t0, fairsharetest.Donation{Donor: "uni-a", Accounts: []string{"phys-a"},
		Node: "uni-a-gpu1", User: "carol", Account: "bio-c", GPUs: 1, Hours: 2, Partition: "batch"})
	a := fairsharetest.Submit(t, apply, end, "batch", "alice", "phys-a")
	b := fairsharetest.Submit(t, apply, end, "gpu", "bob", "chem-b")
	alice := srv.Client(t, srv.UserToken(t, "alice", "phys-a"))

	all, err := alice.Priorities(ctx, nil)
	if err != nil || all.Type != fairshare.Multifactor || len(all.Jobs) != 2 || all.Jobs[0].JobID != a || all.Jobs[1].JobID != b ||
		all.Weights.FairShare != fairshare.DefaultWeightFairShare || !all.CalcTime.Equal(now.Truncate(5*time.Minute)) {
		t.Fatalf("all: %+v %v", all, err)
	}
	for _, q := range []*api.PrioritiesQuery{{Users: []string{"bob"}}, {Partitions: []string{"gpu"}}, {Jobs: []string{"99", strconv.FormatUint(b, 10)}}} {
		if l, err := alice.Priorities(ctx, q); err != nil || len(l.Jobs) != 1 || l.Jobs[0].JobID != b {
			t.Errorf("query %+v: %+v %v", q, l, err)
		}
	}
	// Running jobs only with running=true.
	apply(t, state.CmdJobStart, state.JobStartCmd{Time: now, JobID: a, Task: state.NoTask})
	if l, _ := alice.Priorities(ctx, nil); len(l.Jobs) != 1 {
		t.Errorf("a running job in sprio's list: %+v", l.Jobs)
	}
	if l, _ := alice.Priorities(ctx, &api.PrioritiesQuery{Running: true}); len(l.Jobs) != 2 {
		t.Errorf("running=true: %+v", l.Jobs)
	}

	shares, err := alice.Shares(ctx, nil)
	// bob's account waits: a row with no usage.
	if err != nil || len(shares.Accounts) != 3 || shares.Accounts[0].Name != "bio-c" || shares.Accounts[1].Name != "chem-b" ||
		shares.Accounts[1].RawUsage != 0 || shares.Accounts[2].Name != "phys-a" ||
		shares.Accounts[2].RawShares != 3 || shares.Accounts[2].Donor != "uni-a" || shares.HalfLife != "7-00:00:00" {
		t.Fatalf("shares: %+v %v", shares, err)
	}
	if l, err := alice.Shares(ctx, &api.SharesQuery{Users: []string{"carol"}}); err != nil || len(l.Accounts) != 1 || l.Accounts[0].Name != "bio-c" {
		t.Errorf("shares of carol: %+v %v", l, err)
	}
	if l, err := alice.Shares(ctx, &api.SharesQuery{Accounts: []string{"phys-a"}}); err != nil || len(l.Accounts) != 1 {
		t.Errorf("shares of phys-a: %+v %v", l, err)
	}

	// Bounds.
	many := strings.Split(strings.Repeat("x,", 1001), ",")
	var ae *api.Error
	if _, err := alice.Priorities(ctx, &api.PrioritiesQuery{Users: many}); !errors.As(err, &ae) || ae.Status != 400 {
		t.Errorf("1001 users: %v", err)
	}
	if _, err := alice.Shares(ctx, &api.SharesQuery{Accounts: []string{strings.Repeat("a", 257)}}); !errors.As(err, &ae) || ae.Status != 400 {
		t.Errorf("a 257-byte account: %v", err)
	}
	// A donor-admin token reads its donor's view only.
	mgmt := srv.Client(t, srv.ManagementToken)
	tok, err := mgmt.ACLCreateToken(ctx, &api.ACLTokenRequest{Name: "uni-a admin", Type: state.TokenDonorAdmin, Donor: "uni-a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client(t, tok.SecretID).Shares(ctx, nil); !errors.As(err, &ae) || ae.Status != 403 {
		t.Errorf("donor-admin read the shares: %v", err)
	}

	// priority/basic: the type, no jobs, no accounts.
	basic := bridgetest.Start(t, bridgetest.Options{})
	c := basic.Client(t, basic.ManagementToken)
	if l, err := c.Priorities(ctx, nil); err != nil || l.Type != fairshare.Basic || len(l.Jobs) != 0 {
		t.Errorf("basic priorities: %+v %v", l, err)
	}
	if l, err := c.Shares(ctx, nil); err != nil || l.Type != fairshare.Basic || len(l.Accounts) != 0 {
		t.Errorf("basic shares: %+v %v", l, err)
	}
}
