package api

import (
	"context"
	"net/http"
	"net/url"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// CheckpointRequest commits a checkpoint of a job's run
// (POST /v1/job/{ref}/checkpoints, with the run's token): the receipt the
// node signed for it. The checkpoint's manifest and chunks are already in
// the store (see the blob routes).
type CheckpointRequest struct {
	Receipt receipt.Signed `json:"receipt"`
}

// CheckpointReply answers a checkpoint once it is committed.
type CheckpointReply struct {
	// Seq is the checkpoint's number within the run (the receipt's).
	Seq int `json:"seq"`
	// GPUSeconds and CPUSeconds are the work credited for the receipt's
	// interval, after the clamp to what the Nomad servers observed.
	GPUSeconds int64 `json:"gpu_seconds"`
	CPUSeconds int64 `json:"cpu_seconds"`
	// Clamped says the receipt claimed more than was observed; Note says
	// what was clamped and why (empty when nothing was).
	Clamped bool   `json:"clamped"`
	Note    string `json:"note"`
}

// Checkpoint commits a checkpoint for job ref with the node's signed
// receipt; the client's token must be the run's token. It returns once the
// coordinator has committed the checkpoint.
func (c *Client) Checkpoint(ctx context.Context, ref string, s *receipt.Signed) (*CheckpointReply, error) {
	var out CheckpointReply
	req := &CheckpointRequest{Receipt: *s}
	if _, err := c.do(ctx, http.MethodPost, "/v1/job/"+url.PathEscape(ref)+"/checkpoints", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
