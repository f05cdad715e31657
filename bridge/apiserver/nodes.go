package apiserver

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// NodeSource lists the nodes that run jobs (nomadexec.Nodes asks Nomad).
// Any server can answer: nodes are not replicated state.
type NodeSource interface {
	// Nodes returns every node, in any order.
	Nodes(ctx context.Context) ([]api.Node, error)
}

// handleNodes lists the nodes (sinfo). Any valid token may: Slurm shows
// nodes to everyone, and a node holds no secret.
func (s *Server) handleNodes(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	out := api.NodeList{Nodes: []api.Node{}}
	if s.cfg.Nodes != nil {
		nodes, err := s.nodes(r.Context())
		if err != nil {
			return err
		}
		slices.SortFunc(nodes, func(a, b api.Node) int { return strings.Compare(a.Name, b.Name) })
		withReclaims(s.cfg.Store.View(), nodes)
		withDonors(s.cfg.Store.View(), nodes) // donors.go
		out.Total = len(nodes)
		out.Nodes = nodes[:min(len(nodes), api.MaxNodes)]
		out.Source = "nomad"
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleNode reads one node by name (scontrol show node NAME).
func (s *Server) handleNode(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	name := r.PathValue("name")
	if s.cfg.Nodes != nil {
		nodes, err := s.nodes(r.Context())
		if err != nil {
			return err
		}
		for _, n := range nodes {
			if n.Name == name {
				one := []api.Node{n}
				withReclaims(s.cfg.Store.View(), one)
				withDonors(s.cfg.Store.View(), one)
				writeJSON(w, http.StatusOK, one[0])
				return nil
			}
		}
	}
	return api.Errorf(api.CodeNotFound, "node %s not found", name)
}

// nodes asks the node source (set) for every node, as an API error.
func (s *Server) nodes(ctx context.Context) ([]api.Node, error) {
	nodes, err := s.cfg.Nodes.Nodes(ctx)
	if err != nil {
		return nil, api.Errorf(api.CodeInternal, "cannot list nodes from Nomad: %v", err)
	}
	return nodes, nil
}
