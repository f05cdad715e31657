package apiserver

import (
	"net/http"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// handleReceipts answers GET /v1/receipts?job=&node=: the checkpoint
// receipts the caller may see (a user their own jobs', a management token
// all, with every node's credited totals, a donor-admin token those signed
// by its donor's nodes, with their totals), by job, run and seq, at most
// api.MaxReceipts. A donor's nodes are those whose key a join of the
// donor registered (state.View.DonorOfKey), never what a node claims.
func (s *Server) handleReceipts(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	q := r.URL.Query()
	v := s.cfg.Store.View()
	// A donor-admin token sees its donor's nodes' receipts, of any job
	// (the filter below), and nothing else.
	donorAdmin := tok.Type == state.TokenDonorAdmin
	var jobID uint64
	if ref := q.Get("job"); ref != "" {
		jr, err := api.ParseJobRef(ref)
		if err != nil {
			return badRequest("job %q: %v", ref, err)
		}
		j, _ := lookup(v, jr)
		if j == nil || j.IsArrayBase() {
			return api.Errorf(api.CodeNotFound, "job %s: %v", ref, state.ErrNotFound)
		}
		if !mayTouch(tok, j) && !donorAdmin {
			return denied("job %s belongs to %s", j.SlurmID(), j.User)
		}
		jobID = j.ID
	}
	node := q.Get("node")
	if len(node) > state.MaxNodeNameLen {
		return badRequest("node name over %d bytes", state.MaxNodeNameLen)
	}
	out := api.ReceiptList{Receipts: []*state.ReceiptRecord{}}
	keep := func(rec *state.ReceiptRecord) bool {
		switch {
		case donorAdmin:
			if tok.Donor == "" || v.DonorOfKey(rec.Key) != tok.Donor {
				return true
			}
		case !isManagement(tok) && rec.User != tok.User:
			return true
		}
		if node != "" && rec.Node != node && rec.NodeID != node {
			return true
		}
		if len(out.Receipts) == api.MaxReceipts {
			out.Truncated = true
			return false
		}
		out.Receipts = append(out.Receipts, rec)
		return true
	}
	switch {
	case jobID != 0:
		v.ReceiptsOfJob(jobID, keep)
	case isManagement(tok), donorAdmin:
		v.EachReceipt(keep)
	default:
		v.ReceiptsOfUser(tok.User, keep) // in (job, run, seq) order within the user
	}
	switch {
	case isManagement(tok):
		out.Credits = v.Credits()
	case donorAdmin:
		for _, c := range v.Credits() {
			if tok.Donor != "" && v.DonorOfNodeID(c.NodeID) == tok.Donor {
				out.Credits = append(out.Credits, c)
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleNodeKeys answers GET /v1/nodes/keys: every registered node key.
// Keys are public; any token may list them, as sinfo lists the nodes.
func (s *Server) handleNodeKeys(w http.ResponseWriter, _ *http.Request, _ *state.ACLToken) error {
	out := api.NodeKeyList{Keys: s.cfg.Store.View().NodeKeys()}
	if out.Keys == nil {
		out.Keys = []*state.NodeKey{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleNodeKeyRevoke takes POST /v1/node/{name}/key/revoke (management):
// the node's current key (or the one named) is revoked.
func (s *Server) handleNodeKeyRevoke(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	var req api.NodeKeyRevokeRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	node := strings.TrimSpace(r.PathValue("name"))
	if node == "" || len(node) > state.MaxNodeNameLen {
		return badRequest("node %.40q: want a node name or Nomad node id", node)
	}
	res, idx, err := s.apply(r.Context(), state.CmdNodeKey, state.NodeKeyCmd{
		Op: state.NodeKeyRevoke, Time: s.now().UTC(), Node: node, Key: req.Key, By: actor(tok),
	})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return resultError(res.Err)
	}
	key, _ := res.Value.(string)
	s.log.Info("node key revoked", "node", node, "key", key, "by", tok.User)
	setIndex(w, idx)
	writeJSON(w, http.StatusOK, api.NodeKeyRevokeReply{Key: key, Index: idx})
	return nil
}
