package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// MaxReceipts bounds the receipts one GET /v1/receipts reply lists; a
// longer answer is cut and says so (Truncated).
const MaxReceipts = 10000

// ReceiptsQuery selects receipts (GET /v1/receipts): of one job (its id,
// or an array task as 123_4), of one node (its name or Nomad node id), or
// both; empty: all the caller may see (a user their own jobs', a
// management token everyone's).
type ReceiptsQuery struct {
	Job  string
	Node string
}

// ReceiptList is GET /v1/receipts's reply: the receipts by job, run and
// seq, and, for a management token, every node's credited totals.
type ReceiptList struct {
	Receipts  []*state.ReceiptRecord `json:"receipts"`
	Truncated bool                   `json:"truncated,omitempty"`
	Credits   []*state.NodeCredit    `json:"credits,omitempty"`
}

// Receipts lists checkpoint receipts (hpcbridge receipts).
func (c *Client) Receipts(ctx context.Context, q *ReceiptsQuery) (*ReceiptList, error) {
	v := url.Values{}
	if q != nil && q.Job != "" {
		v.Set("job", q.Job)
	}
	if q != nil && q.Node != "" {
		v.Set("node", q.Node)
	}
	var out ReceiptList
	if _, err := c.do(ctx, http.MethodGet, "/v1/receipts", v, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NodeKeyList is GET /v1/nodes/keys's reply: every registered node key,
// by node id and age (revoked and superseded ones too).
type NodeKeyList struct {
	Keys []*state.NodeKey `json:"keys"`
}

// NodeKeys lists the registered node keys (hpcbridge node keys).
func (c *Client) NodeKeys(ctx context.Context) (*NodeKeyList, error) {
	var out NodeKeyList
	if _, err := c.do(ctx, http.MethodGet, "/v1/nodes/keys", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NodeKeyRevokeRequest revokes a node's key (POST
// /v1/node/{name}/key/revoke, management): Key, when set, the key to
// revoke; else the node's current one.
type NodeKeyRevokeRequest struct {
	Key string `json:"key,omitempty"`
}

// NodeKeyRevokeReply names the key revoked.
type NodeKeyRevokeReply struct {
	Key   string `json:"key"`
	Index uint64 `json:"index"`
}

// RevokeNodeKey revokes node's key (its name or Nomad node id): receipts
// it signs are no longer credited, and the leader never registers it again.
func (c *Client) RevokeNodeKey(ctx context.Context, node, key string) (*NodeKeyRevokeReply, error) {
	var out NodeKeyRevokeReply
	if _, err := c.do(ctx, http.MethodPost, "/v1/node/"+url.PathEscape(node)+"/key/revoke", nil, &NodeKeyRevokeRequest{Key: key}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
