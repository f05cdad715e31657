package apiserver

import (
	"net/http"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// servers lists the Raft configuration with each server's API URL.
func (s *Server) servers() ([]api.RaftServer, error) {
	var list []api.RaftServer
	if s.cfg.Servers == nil {
		id, addr := s.cfg.Raft.Leader()
		if id != s.cfg.NodeID {
			addr = ""
		}
		list = []api.RaftServer{{ID: s.cfg.NodeID, Address: addr, Voter: true, Leader: id == s.cfg.NodeID}}
	} else {
		var err error
		if list, err = s.cfg.Servers(); err != nil {
			return nil, err
		}
	}
	v := s.cfg.Store.View()
	for i := range list {
		if list[i].APIAddress == "" {
			list[i].APIAddress = v.Meta(APIAddrKey(list[i].ID))
		}
	}
	return list, nil
}

// handleStatusLeader answers the leader's Raft address, as Nomad does.
func (s *Server) handleStatusLeader(w http.ResponseWriter, _ *http.Request) error {
	_, addr := s.cfg.Raft.Leader()
	writeJSON(w, http.StatusOK, addr)
	return nil
}

// handleStatusPeers answers the voters' Raft addresses, as Nomad does.
func (s *Server) handleStatusPeers(w http.ResponseWriter, _ *http.Request) error {
	list, err := s.servers()
	if err != nil {
		return err
	}
	out := []string{}
	for _, sv := range list {
		if sv.Voter && sv.Address != "" {
			out = append(out, sv.Address)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleRaftPeers(w http.ResponseWriter, _ *http.Request, _ *state.ACLToken) error {
	list, err := s.servers()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// handleRaftJoin adds a voter and publishes its API URL.
func (s *Server) handleRaftJoin(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	var req api.RaftJoinRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if !printable(req.ID) || !printable(req.RaftAddr) {
		return badRequest("join needs the server's id and raft_addr")
	}
	apiAddr := ""
	if req.APIAddr != "" {
		var err error
		if apiAddr, err = normaliseURL(req.APIAddr, false); err != nil {
			return badRequest("api_addr: %v", err)
		}
	}
	if err := s.cfg.Raft.AddVoter(r.Context(), req.ID, req.RaftAddr); err != nil {
		if !s.cfg.Raft.IsLeader() {
			return notLeader("add voter: %v", err)
		}
		return err
	}
	var idx uint64
	if apiAddr != "" {
		_, i, err := s.apply(r.Context(), state.CmdSetMeta, state.SetMetaCmd{Key: APIAddrKey(req.ID), Value: apiAddr})
		if err != nil {
			return err
		}
		idx = i
		setIndex(w, idx)
	}
	writeJSON(w, http.StatusOK, api.WriteResponse{Index: idx})
	return nil
}

// handleRaftRemove removes a server: DELETE /v1/operator/raft/peers?id=ID.
func (s *Server) handleRaftRemove(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	id := r.URL.Query().Get("id")
	if !printable(id) {
		return badRequest("name the server to remove: ?id=ID")
	}
	list, err := s.servers()
	if err != nil {
		return err
	}
	found := false
	for _, sv := range list {
		found = found || sv.ID == id
	}
	if !found {
		return api.Errorf(api.CodeNotFound, "no server %q in the cluster", id)
	}
	if err := s.cfg.Raft.RemoveServer(r.Context(), id); err != nil {
		if !s.cfg.Raft.IsLeader() {
			return notLeader("remove server: %v", err)
		}
		return err
	}
	writeJSON(w, http.StatusOK, api.WriteResponse{})
	return nil
}

// printable reports whether s is a non-empty single-line name.
func printable(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, c := range s {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
