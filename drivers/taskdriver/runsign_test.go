package taskdriver

import (
	"crypto/ed25519"
	"testing"

	"github.com/hashicorp/nomad/helper/uuid"

	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
)

// placeOnNode puts job j (job jobID's run 0) on a node of its own whose
// key is the driver's, registered with srv, as the Nomad servers and the
// coordinator's key watcher would have it: the driver signs the run
// token's requests as that node (runsign.go), and the coordinator takes
// them only so.
func placeOnNode(t *testing.T, srv *bridgetest.Server, td *testDriver, j *job, jobID uint64) {
	t.Helper()
	j.cfg.NodeID, j.cfg.NodeName = uuid.Generate(), "staged-node"
	srv.RegisterNodeKey(t, j.cfg.NodeID, j.cfg.NodeName, td.d.nodeKey().Public().(ed25519.PublicKey))
	srv.PlaceAlloc(jobID, 0, j.cfg.AllocID, j.cfg.NodeID)
}
