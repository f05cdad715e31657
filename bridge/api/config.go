package api

import (
	"context"
	"net/http"
)

// ConfigReply is the coordinator's configuration (GET /v1/config).
type ConfigReply struct {
	// Settings are keyed by Slurm's names (ClusterName, MaxArraySize,
	// KillWait, ...), with values as scontrol show config prints them.
	Settings map[string]string `json:"settings"`
	// Controllers are the coordinator's servers, in Raft order.
	Controllers []Controller `json:"controllers"`
}

// Controller is one coordinator server.
type Controller struct {
	ID     string `json:"id"`
	Leader bool   `json:"leader"`
}

// Config reads the coordinator's configuration (scontrol show config).
func (c *Client) Config(ctx context.Context) (*ConfigReply, error) {
	var out ConfigReply
	if _, err := c.do(ctx, http.MethodGet, "/v1/config", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
