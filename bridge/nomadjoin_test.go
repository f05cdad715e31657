package bridge

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
)

// TestNomadJoin: a joining donor node is told the Nomad servers' RPC
// address, datacenter and region as the Nomad agent at --nomad-addr
// reports them (a real agent), and the --join-* flags where given.
func TestNomadJoin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Nomad agent: skipped with -short")
	}
	nomadtest.Require(t)
	agent := nomadtest.StartDev(t, nomadagent.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	j := nomadJoin{client: agent.API()}
	got, err := j.NomadJoin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Servers, []string{agent.RPCAddr()}) || got.Datacenter != "dc1" || got.Region != "global" {
		t.Fatalf("from Nomad: %+v, want servers [%s], dc1, global", got, agent.RPCAddr())
	}
	j.n = Nomad{JoinServers: []string{"10.1.2.3:4647"}, JoinDatacenter: "donors", JoinRegion: "eu"}
	if got, err := j.NomadJoin(ctx); err != nil || !slices.Equal(got.Servers, []string{"10.1.2.3:4647"}) || got.Datacenter != "donors" || got.Region != "eu" {
		t.Fatalf("from the flags: %+v %v", got, err)
	}
}
