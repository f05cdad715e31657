package api

import (
	"context"
	"net/http"
	"net/url"
)

// Leader returns the Raft address of the cluster's leader ("" when there is
// none). It needs no token.
func (c *Client) Leader(ctx context.Context) (string, error) {
	var addr string
	_, err := c.do(ctx, http.MethodGet, "/v1/status/leader", nil, nil, &addr)
	return addr, err
}

// Peers returns the Raft addresses of the cluster's voters. It needs no token.
func (c *Client) Peers(ctx context.Context) ([]string, error) {
	var peers []string
	_, err := c.do(ctx, http.MethodGet, "/v1/status/peers", nil, nil, &peers)
	return peers, err
}

// RaftPeers lists the cluster's servers (management token).
func (c *Client) RaftPeers(ctx context.Context) ([]RaftServer, error) {
	var out []RaftServer
	_, err := c.do(ctx, http.MethodGet, "/v1/operator/raft/peers", nil, nil, &out)
	return out, err
}

// RaftJoin adds a server to the cluster as a voter (management token).
func (c *Client) RaftJoin(ctx context.Context, req *RaftJoinRequest) error {
	if req == nil {
		return errNilRequest
	}
	_, err := c.do(ctx, http.MethodPost, "/v1/operator/raft/peers", nil, req, &WriteResponse{})
	return err
}

// RaftRemovePeer removes a server from the cluster by id (management token).
func (c *Client) RaftRemovePeer(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/operator/raft/peers", url.Values{"id": {id}}, nil, &WriteResponse{})
	return err
}
