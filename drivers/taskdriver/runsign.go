package taskdriver

import (
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// runSigner signs a task's run-token requests as this node (its Nomad
// node id and the task's allocation) with the node key: the coordinator
// refuses a run token's requests without it (bridge/api runsign.go), so
// that the token, which is in the Nomad job spec, is of no use to anyone
// who reads it there. Nil before SetConfig (no key).
func (d *Driver) runSigner(cfg *drivers.TaskConfig) *api.RunSigner {
	key := d.nodeKey()
	if key == nil || cfg == nil {
		return nil
	}
	return &api.RunSigner{NodeID: cfg.NodeID, AllocID: cfg.AllocID, Key: key}
}
