package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// NodeResolver finds the Nomad node a reclaim names (nomadexec.Nodes).
type NodeResolver interface {
	// NodeID is the Nomad node id of the node called name; an error
	// when there is none, or more than one.
	NodeID(ctx context.Context, name string) (string, error)
}

// NodeEligibility makes a Nomad node eligible again (nomadexec.Nodes): a
// cancelled reclaim gives the node back at once.
type NodeEligibility interface {
	SetEligible(ctx context.Context, nodeID string) error
}

// maxNodeName bounds a node name in a request.
const maxNodeName = 256

// reclaimDeadline is a reclaim's or leave's deadline: text (a Go
// duration, 0s to api.MaxReclaimDeadline), or when it is empty the
// configured default.
func (s *Server) reclaimDeadline(text string) (time.Duration, error) {
	if text == "" {
		if s.cfg.ReclaimDeadline > 0 {
			return s.cfg.ReclaimDeadline, nil
		}
		return api.DefaultReclaimDeadline, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil || d < 0 || d > api.MaxReclaimDeadline {
		return 0, badRequest("deadline %q: want a duration from 0s to %v, e.g. \"5m\"", text, api.MaxReclaimDeadline)
	}
	return d, nil
}

// handleReclaim is POST /v1/node/{name}/reclaim (hpcbridge node reclaim;
// management, or the admin of the node's donor: the donor whose join
// registered the key the Nomad node presents): it commits the node's reclaim, which the leader carries
// out (nomadexec's reclaim loop): the node takes no new job, each job
// there gets its --signal (or SIGTERM) at once, and is stopped and
// requeued at the deadline.
func (s *Server) handleReclaim(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	name := r.PathValue("name")
	if name == "" || len(name) > maxNodeName {
		return badRequest("node name: empty or over %d bytes", maxNodeName)
	}
	var req api.ReclaimRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	d, err := s.reclaimDeadline(req.Deadline)
	if err != nil {
		return err
	}
	if s.cfg.Reclaim == nil {
		return api.Errorf(api.CodeNotFound, "node %s not found (this coordinator has no execution backend)", name)
	}
	id, err := s.cfg.Reclaim.NodeID(r.Context(), name)
	if !isManagement(tok) {
		// A donor's admin: only its donor's nodes, by the key the Nomad
		// node presents and the join that registered it (never the node's
		// meta or name). A node that does not exist is refused alike, so
		// that the answers do not map the federation's nodes.
		v := s.cfg.Store.View()
		if err != nil && joinedAs(v, tok, name) {
			return api.Errorf(api.CodeNotFound, "node %s: %v", name, err)
		}
		if d := v.DonorOfNodeID(id); err != nil || tok.Type != state.TokenDonorAdmin || d == "" || d != tok.Donor {
			return denied("node %s is not one of donor %s's nodes: a donor's admin may reclaim only the nodes that joined under its donor", name, tok.Donor)
		}
	}
	if err != nil {
		return api.Errorf(api.CodeNotFound, "node %s: %v", name, err)
	}
	now := s.now().UTC()
	res, _, err := s.apply(r.Context(), state.CmdNodeReclaim, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: name, NodeID: id,
		Deadline: now.Add(d), Source: state.ReclaimCommand, By: actor(tok).User})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return api.Errorf(codeOf(res.Err), "reclaim %s: %v", name, res.Err)
	}
	rc, _ := res.Value.(state.Reclaim)
	writeJSON(w, http.StatusOK, wireReclaim(&rc))
	return nil
}

// handleReclaimCancel is DELETE /v1/node/{name}/reclaim (hpcbridge node
// reclaim --cancel; management, or the admin of the node's donor): the
// node's reclaim (one hpcbridge node reclaim began) ends and the node
// takes jobs again. Jobs already signalled carry on as they choose; none
// is stopped at the deadline any more. A drain's, a donation window's or
// a leave's reclaim is not cancelled here (nomad node drain -disable, the
// window, the node's rejoin end them).
func (s *Server) handleReclaimCancel(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	name := r.PathValue("name")
	if name == "" || len(name) > maxNodeName {
		return badRequest("node name: empty or over %d bytes", maxNodeName)
	}
	el, ok := s.cfg.Reclaim.(NodeEligibility)
	if s.cfg.Reclaim == nil || !ok {
		return api.Errorf(api.CodeNotFound, "node %s not found (this coordinator has no execution backend)", name)
	}
	id, err := s.cfg.Reclaim.NodeID(r.Context(), name)
	v := s.cfg.Store.View()
	if !isManagement(tok) {
		// As for a reclaim: a node that does not exist is refused like
		// another donor's.
		if err != nil && joinedAs(v, tok, name) {
			return api.Errorf(api.CodeNotFound, "node %s: %v", name, err)
		}
		if d := v.DonorOfNodeID(id); err != nil || tok.Type != state.TokenDonorAdmin || d == "" || d != tok.Donor {
			return denied("node %s is not one of donor %s's nodes: a donor's admin may give back only the nodes that joined under its donor", name, tok.Donor)
		}
	}
	if err != nil {
		return api.Errorf(api.CodeNotFound, "node %s: %v", name, err)
	}
	rc := v.Reclaim(id)
	switch {
	case rc == nil:
		return api.Errorf(api.CodeNotFound, "node %s is not being reclaimed", name)
	case state.IsLeaveReclaim(rc):
		return api.Errorf(api.CodeConflict, "node %s left its donor: it is given back when it rejoins (its agent started again)", name)
	case rc.Source != state.ReclaimCommand:
		return api.Errorf(api.CodeConflict, "node %s's reclaim comes from %s: end it there (nomad node drain -disable, or its donation window)", name, rc.Source)
	case !isManagement(tok) && rc.By != actor(tok).User:
		// The operator's reclaim (a node pulled for a reason) is the
		// operator's to end: a donor's admin ends its donor's own.
		return denied("node %s's reclaim was begun by %s: a donor's admin may end only the reclaims its donor began", name, rc.By)
	}
	res, _, err := s.apply(r.Context(), state.CmdNodeReclaim, state.NodeReclaimCmd{Time: s.now().UTC(), Op: state.ReclaimEnd, Node: rc.Node, NodeID: id, Begins: rc.Begins})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return api.Errorf(codeOf(res.Err), "cancel the reclaim of %s: %v", name, res.Err)
	}
	if s.cfg.Store.View().Reclaim(id) != nil {
		return api.Errorf(api.CodeConflict, "node %s was reclaimed again meanwhile: cancel again", name)
	}
	// Ended first, then eligible: the leader's reclaimer, seeing no
	// reclaim, leaves the node alone.
	if !rc.WasIneligible {
		if err := el.SetEligible(r.Context(), id); err != nil {
			return api.Errorf(api.CodeInternal, "the reclaim of %s ended, but: %v (nomad node eligibility -enable %s)", name, err, id)
		}
	}
	s.log.Info("reclaim cancelled", "node", name, "node_id", id, "by", actor(tok).User)
	writeJSON(w, http.StatusOK, wireReclaim(rc))
	return nil
}

// wireReclaim is rc as the API shows it.
func wireReclaim(rc *state.Reclaim) api.Reclaim {
	return api.Reclaim{Node: rc.Node, NodeID: rc.NodeID, Since: rc.Since, Deadline: rc.Deadline, Source: rc.Source, By: rc.By, Hits: len(rc.Hits)}
}

// joinedAs reports whether a node of tok's donor joined as name: the
// donor's admin knows its nodes' names, and is told why one cannot be
// found (its Nomad client is not up, or the name is ambiguous); of any
// other name it learns nothing.
func joinedAs(v *state.View, tok *state.ACLToken, name string) bool {
	if tok.Type != state.TokenDonorAdmin || tok.Donor == "" {
		return false
	}
	for _, n := range v.DonorNodesNamed(name) {
		if n.Donor == tok.Donor {
			return true
		}
	}
	return false
}

// withReclaims shows the reclaims on the nodes they concern (sinfo -R,
// scontrol show node): the reason says who took the node back and when
// its jobs are stopped. A drain keeps Nomad's own reason.
func withReclaims(v *state.View, nodes []api.Node) {
	rcs := v.Reclaims()
	if len(rcs) == 0 {
		return
	}
	byName := map[string]*state.Reclaim{}
	for i := range rcs {
		byName[rcs[i].Node] = &rcs[i]
	}
	for i := range nodes {
		rc := byName[nodes[i].Name]
		if rc == nil || rc.Source == state.ReclaimDrain || !nodes[i].HasFlag(api.FlagDrain) {
			continue
		}
		what := "reclaimed by its owner"
		if rc.Source == state.ReclaimWindow {
			what = "outside its donation windows"
		}
		nodes[i].Reason = fmt.Sprintf("%s: jobs requeued by %s", what, rc.Deadline.UTC().Format(time.RFC3339))
		nodes[i].ReasonTime, nodes[i].ReasonUser = rc.Since, "hpcbridge"
		if rc.By != "" {
			nodes[i].ReasonUser = rc.By
		}
	}
}
