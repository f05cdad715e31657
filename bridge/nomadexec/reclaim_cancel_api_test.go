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

// TestCancelReclaimRoute: DELETE /v1/node/{name}/reclaim (hpcbridge node
// reclaim --cancel) ends the reclaim hpcbridge node reclaim began and
// makes the node eligible again in a real Nomad (the leader's reclaimer
// had made it ineligible; nothing else would give it back).
func TestCancelReclaimRoute(t *testing.T) {
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
	defer cancel()
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
	nodes := &nomadexec.Nodes{Client: nc, Partitions: []string{"batch"}}
	srv := bridgetest.Start(t, bridgetest.Options{Nodes: nodes, Reclaim: nodes})
	admin := srv.Client(t, srv.ManagementToken)
	if _, err := admin.ReclaimNode(ctx, node.Name, "5m"); err != nil {
		t.Fatal(err)
	}
	// As the leader's reclaimer does.
	if _, err := nc.Nodes().ToggleEligibility(node.ID, false, (&nomad.WriteOptions{}).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	rc, err := admin.CancelReclaim(ctx, node.Name)
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := nc.Nodes().Info(node.ID, (&nomad.QueryOptions{}).WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if rc.NodeID != node.ID || srv.Store.View().Reclaim(node.ID) != nil || info.SchedulingEligibility != nomad.NodeSchedulingEligible {
		t.Fatalf("after the cancel: %+v, reclaims %v, node %s", rc, srv.Store.View().Reclaims(), info.SchedulingEligibility)
	}
	var ae *api.Error
	if _, err := admin.CancelReclaim(ctx, node.Name); !errors.As(err, &ae) || ae.Code != api.CodeNotFound {
		t.Fatalf("again: %v, want not found", err)
	}
}
