package api

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Reclaim defaults and bounds.
const (
	// DefaultReclaimDeadline is how long a reclaimed node's jobs have to
	// checkpoint and end when the reclaim names no deadline (hpcbridge
	// server --reclaim-deadline changes it).
	DefaultReclaimDeadline = 5 * time.Minute
	// MaxReclaimDeadline bounds a reclaim's deadline.
	MaxReclaimDeadline = 7 * 24 * time.Hour
)

// ReclaimRequest is POST /v1/node/{name}/reclaim's body: the deadline as
// a Go duration ("5m", "90s", "0s" to stop the jobs at once); empty: the
// server's default.
type ReclaimRequest struct {
	Deadline string `json:"deadline,omitempty"`
}

// Reclaim is a node being taken back by its owner: since when, until when
// its jobs may checkpoint, who asked (Source: "reclaim" for hpcbridge node
// reclaim, "drain" for nomad node drain, "window" for a closed donation
// window), and how many runs it hit so far.
type Reclaim struct {
	Node     string    `json:"node"`
	NodeID   string    `json:"node_id"`
	Since    time.Time `json:"since"`
	Deadline time.Time `json:"deadline"`
	Source   string    `json:"source"`
	By       string    `json:"by,omitempty"`
	Hits     int       `json:"hits"`
}

// ReclaimNode reclaims a node (hpcbridge node reclaim; management): it
// takes no new job, each job there gets its --signal (or SIGTERM) at once,
// and is stopped and requeued at the deadline (deadline "" : the
// server's default).
func (c *Client) ReclaimNode(ctx context.Context, name, deadline string) (*Reclaim, error) {
	var out Reclaim
	if _, err := c.do(ctx, http.MethodPost, "/v1/node/"+url.PathEscape(name)+"/reclaim", nil, &ReclaimRequest{Deadline: deadline}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelReclaim ends a node's reclaim that ReclaimNode began (hpcbridge
// node reclaim --cancel; management, or the admin of the node's donor):
// the node takes jobs again; jobs already signalled carry on, none is
// stopped at the deadline. It answers the reclaim that ended.
func (c *Client) CancelReclaim(ctx context.Context, name string) (*Reclaim, error) {
	var out Reclaim
	if _, err := c.do(ctx, http.MethodDelete, "/v1/node/"+url.PathEscape(name)+"/reclaim", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
