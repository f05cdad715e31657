package nomadexec_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// TestReclaimRoute: POST /v1/node/{name}/reclaim (hpcbridge node reclaim)
// takes a management token, finds the node in Nomad by name, bounds the
// deadline, and commits the reclaim with the server's clock.
func TestReclaimRoute(t *testing.T) {
	ctx, nc, node := startDriverNode(t)
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	nodes := &nomadexec.Nodes{Client: nc, Partitions: []string{"batch"}}
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return now }, Nodes: nodes, Reclaim: nodes})
	admin := srv.Client(t, srv.ManagementToken)
	user := srv.Client(t, srv.UserToken(t, "ada"))

	code := func(err error) string {
		var ae *api.Error
		if errors.As(err, &ae) {
			return ae.Code
		}
		return ""
	}
	if _, err := user.ReclaimNode(ctx, node.Name, ""); code(err) != api.CodePermissionDenied {
		t.Fatalf("a user's reclaim: %v, want permission denied", err)
	}
	for _, d := range []string{"soon", "-1m", "8760h"} {
		if _, err := admin.ReclaimNode(ctx, node.Name, d); code(err) != api.CodeInvalidRequest {
			t.Errorf("deadline %q: %v, want an invalid request", d, err)
		}
	}
	if _, err := admin.ReclaimNode(ctx, "no-such-node", ""); code(err) != api.CodeNotFound {
		t.Fatalf("an unknown node: %v, want not found", err)
	}
	if len(srv.Store.View().Reclaims()) != 0 {
		t.Fatalf("refused reclaims were committed: %+v", srv.Store.View().Reclaims())
	}
	rc, err := admin.ReclaimNode(ctx, node.Name, "90s")
	if err != nil {
		t.Fatal(err)
	}
	if rc.Node != node.Name || rc.NodeID != node.ID || !rc.Since.Equal(now) || !rc.Deadline.Equal(now.Add(90*time.Second)) || rc.Source != "reclaim" {
		t.Fatalf("reply %+v", rc)
	}
	if got := srv.Store.View().Reclaim(node.ID); got == nil || !got.Deadline.Equal(rc.Deadline) {
		t.Fatalf("committed reclaim %+v", got)
	}
	// Asked again without a deadline: the default is later, the first
	// deadline stands.
	if rc, err = admin.ReclaimNode(ctx, node.Name, ""); err != nil || !rc.Deadline.Equal(now.Add(90*time.Second)) {
		t.Fatalf("again: %+v, %v", rc, err)
	}
	// Once the node is ineligible (the leader's doing), sinfo says why.
	if _, err := nc.Nodes().ToggleEligibility(node.ID, false, (&nomad.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	n, err := user.Node(ctx, node.Name)
	if err != nil {
		t.Fatal(err)
	}
	if want := "reclaimed by its owner: jobs requeued by 2026-12-06T09:01:30Z"; n.Reason != want || !n.HasFlag(api.FlagDrain) || !n.ReasonTime.Equal(now) {
		t.Fatalf("node %s: flags %v reason %q at %v, want DRAIN %q at %v", n.Name, n.Flags, n.Reason, n.ReasonTime, want, now)
	}
}

// startDriverNode starts a Nomad dev agent with the hpcbridge driver
// (built from cmd/hpcbridge-driver, running jobs as their submitter) and
// waits for its node to detect the driver: a context that ends with the
// test (within a minute), the agent's client and the node.
func startDriverNode(t *testing.T) (context.Context, *nomad.Client, *nomad.NodeListStub) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Nomad agent: skipped with -short")
	}
	roottest.Require(t, "the task driver's fingerprint needs root")
	nomadtest.Require(t)
	plugins := filepath.Join(t.TempDir(), "plugins")
	if b, err := exec.Command("go", "build", "-o", filepath.Join(plugins, "hpcbridge-driver"), "../../cmd/hpcbridge-driver").CombinedOutput(); err != nil {
		t.Fatalf("go build hpcbridge-driver: %v\n%s", err, b)
	}
	agent := nomadtest.StartDev(t, nomadagent.Config{PluginDir: plugins, Drivers: []string{nomadexec.DriverName},
		Plugins: []nomadagent.Plugin{{Name: "hpcbridge-driver", Config: map[string]any{"run_as": "submitter", "allow_root": true}}}})
	nc := agent.API()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	var node *nomad.NodeListStub
	for node == nil {
		stubs, _, err := nc.Nodes().List((&nomad.QueryOptions{}).WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stubs {
			if d := s.Drivers[nomadexec.DriverName]; d != nil && d.Detected {
				node = s
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("a node with the hpcbridge driver: %v", ctx.Err())
		case <-time.After(100 * time.Millisecond): // Nomad has no watch for a driver's detection
		}
	}
	return ctx, nc, node
}
