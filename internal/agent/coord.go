package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"strings"
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
// key) and returns the deadline its jobs have. The coordinator's deadline
// is bounded: never later than the one asked for (deadline; "" asks for
// the coordinator's default, bounded by MaxLeaveDeadline), so that a
// coordinator (or anyone between) answering a far deadline cannot keep
// the agent, which ignores further signals while it leaves, waiting for
// ever.
func leaveNode(ctx context.Context, c *api.Client, name string, key ed25519.PrivateKey, deadline string, clock func() time.Time) (time.Time, error) {
	now := time.Now
	if clock != nil {
		now = clock
	}
	asked := MaxLeaveDeadline
	if deadline != "" {
		asked, _ = time.ParseDuration(deadline) // checked by Options.check
	}
	start := now()
	rc, err := c.NodeLeave(ctx, &api.NodeSigner{NodeName: name, Key: key, Now: clock}, deadline)
	if err != nil {
		return time.Time{}, err
	}
	latest := start.Add(asked)
	switch {
	case rc.Deadline.IsZero():
		if deadline == "" {
			return start.Add(api.DefaultReclaimDeadline), nil
		}
		return latest, nil
	case rc.Deadline.After(latest):
		return latest, nil
	}
	return rc.Deadline, nil
}

// Bounds of a join's answer (what the agent writes into Nomad's
// configuration).
const (
	maxNomadServers = 64
	maxJoinMeta     = 64
	maxJoinString   = 256
)

// checkJoinResponse refuses an answer the agent would not write into
// Nomad's configuration: no servers, too many, one that is not host:port,
// or oversized names and meta.
func checkJoinResponse(r *api.NodeJoinResponse) error {
	if len(r.NomadServers) == 0 {
		return errors.New("the coordinator names no Nomad servers to join")
	}
	if len(r.NomadServers) > maxNomadServers || len(r.Meta) > maxJoinMeta {
		return fmt.Errorf("the coordinator's answer names %d Nomad servers and %d meta entries, more than %d and %d", len(r.NomadServers), len(r.Meta), maxNomadServers, maxJoinMeta)
	}
	for _, s := range r.NomadServers {
		if _, _, err := net.SplitHostPort(s); err != nil || len(s) > maxJoinString {
			return fmt.Errorf("the coordinator names Nomad server %.80q: want host:port", s)
		}
	}
	long := func(s string) bool { return len(s) > maxJoinString || strings.ContainsAny(s, "\x00\n") }
	if long(r.Donor) || long(r.NodeName) || long(r.Datacenter) || long(r.Region) {
		return fmt.Errorf("the coordinator's answer has an oversized or multi-line name (donor %.40q, node %.40q)", r.Donor, r.NodeName)
	}
	for k, v := range r.Meta {
		if long(k) || long(v) {
			return fmt.Errorf("the coordinator's answer has an oversized or multi-line meta entry %.40q", k)
		}
	}
	return nil
}
