package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// Shapes of what a join's answer may hold: it is written into Nomad's
// configuration (HCL, where "${" or "%{" opens a template that swallows the
// closing quote and the lines after it, and Nomad refuses to start).
var (
	donorNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	nomadNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	metaKeyRE   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	hostRE      = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$`)
)

// plainValue reports whether s is a value the agent writes into Nomad's
// configuration as is: bounded, valid UTF-8, printable, no template.
func plainValue(s string) bool {
	if len(s) > maxJoinString || !utf8.ValidString(s) || strings.Contains(s, "${") || strings.Contains(s, "%{") {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// checkJoinResponse refuses an answer the agent would not write into
// Nomad's configuration: no servers, too many, one that is not host:port,
// a node name other than the one asked for (the coordinator records the
// name the node gives; its key is bound to the Nomad node of that name),
// names that are not names, or meta that is not plain.
func checkJoinResponse(r *api.NodeJoinResponse, asked string) error {
	if len(r.NomadServers) == 0 {
		return errors.New("the coordinator names no Nomad servers to join")
	}
	if len(r.NomadServers) > maxNomadServers || len(r.Meta) > maxJoinMeta {
		return fmt.Errorf("the coordinator's answer names %d Nomad servers and %d meta entries, more than %d and %d", len(r.NomadServers), len(r.Meta), maxNomadServers, maxJoinMeta)
	}
	for _, s := range r.NomadServers {
		host, port, err := net.SplitHostPort(s)
		n, perr := strconv.Atoi(port)
		if err != nil || len(s) > maxJoinString || perr != nil || n < 1 || n > 65535 || (net.ParseIP(host) == nil && !hostRE.MatchString(host)) {
			return fmt.Errorf("the coordinator names Nomad server %.80q: want host:port", s)
		}
	}
	if r.NodeName != "" && r.NodeName != asked {
		return fmt.Errorf("the coordinator's answer names the node %.70q, not %s as asked", r.NodeName, asked)
	}
	if !donorNameRE.MatchString(r.Donor) {
		return fmt.Errorf("the coordinator's answer names the donor %.70q: not a donor name", r.Donor)
	}
	for what, v := range map[string]string{"datacenter": r.Datacenter, "region": r.Region} {
		if v != "" && !nomadNameRE.MatchString(v) {
			return fmt.Errorf("the coordinator's answer names the %s %.70q: want letters, digits, '.', '_' and '-'", what, v)
		}
	}
	for k, v := range r.Meta {
		if !metaKeyRE.MatchString(k) || !plainValue(v) {
			return fmt.Errorf("the coordinator's answer has a meta entry %.70q = %.70q: want a key of letters, digits, '.', '_' and '-', and a printable value without ${ or %%{", k, v)
		}
	}
	return nil
}
