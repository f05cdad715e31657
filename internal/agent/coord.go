package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// redeem redeems the join token secret as node name with the node's key,
// proving the key (api.SignJoin). The coordinator's refusals keep their
// codes (api.CodeJoinTokenUsed, ...) and get a hint.
func redeem(ctx context.Context, c *api.Client, secret, name, pub string, key ed25519.PrivateKey, now time.Time) (*api.NodeJoinResponse, error) {
	req := &api.NodeJoinRequest{Secret: secret, NodeName: name, Key: pub}
	api.SignJoin(req, key, now)
	resp, err := c.NodeJoin(ctx, req)
	if err != nil {
		return nil, withHint(err)
	}
	return resp, nil
}

// withHint adds what to do to a refused join.
func withHint(err error) error {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return fmt.Errorf("%w (is the coordinator's address right, and does it run?)", err)
	}
	hint := ""
	switch ae.Code {
	case api.CodeJoinTokenUsed:
		hint = ": a join token joins one node once; ask the donor's admin for a new one (hpcbridge node join-token --donor NAME)"
	case api.CodeJoinTokenExpired:
		hint = ": ask the donor's admin for a new one (hpcbridge node join-token --donor NAME)"
	case api.CodeJoinTokenInvalid:
		hint = ": check that the token was copied whole and is this coordinator's"
	}
	return fmt.Errorf("%w (HTTP %d, %s)%s", err, ae.Status, ae.Code, hint)
}

// leaveNode asks the coordinator to reclaim node name (signed with its
// key) and returns the deadline its jobs have.
func leaveNode(ctx context.Context, c *api.Client, name string, key ed25519.PrivateKey, deadline string, clock func() time.Time) (time.Time, error) {
	rc, err := c.NodeLeave(ctx, &api.NodeSigner{NodeName: name, Key: key, Now: clock}, deadline)
	if err != nil {
		return time.Time{}, err
	}
	if rc.Deadline.IsZero() {
		now := time.Now
		if clock != nil {
			now = clock
		}
		d, _ := time.ParseDuration(deadline) // checked by Options.check
		if deadline == "" {
			d = api.DefaultReclaimDeadline
		}
		return now().Add(d), nil
	}
	return rc.Deadline, nil
}
