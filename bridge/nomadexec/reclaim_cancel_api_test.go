package nomadexec_test

import (
	"errors"
	"testing"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
)

// TestCancelReclaimRoute: DELETE /v1/node/{name}/reclaim (hpcbridge node
// reclaim --cancel) ends the reclaim hpcbridge node reclaim began and
// makes the node eligible again in a real Nomad (the leader's reclaimer
// had made it ineligible; nothing else would give it back).
func TestCancelReclaimRoute(t *testing.T) {
	ctx, nc, node := startDriverNode(t)
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
