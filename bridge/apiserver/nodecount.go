package apiserver

import (
	"context"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// checkNodes refuses a node count hpcbridge can never run: one Slurm
// refuses too ("Node count specification invalid": above
// nomadexec.MaxNodes, or disagreeing with --nodelist; see
// nomadexec.NodeCount), and more nodes than the job's partitions have
// ("Requested node configuration is not available"), counting every node
// Nomad knows, whatever its state (a donor that is down may come back).
// While no node of those partitions is registered, or one is still
// initializing, or Nomad cannot be asked, the job is accepted: it waits
// PENDING (Resources) until its nodes can be had.
func (s *Server) checkNodes(ctx context.Context, spec *jobspec.Spec) error {
	n, err := nomadexec.NodeCount(spec)
	if err != nil {
		return badRequest("%s", err.Error())
	}
	if n <= 1 || s.cfg.Nodes == nil {
		return nil
	}
	nodes, err := s.cfg.Nodes.Nodes(ctx)
	if err != nil {
		s.log.Warn("node count submit check: no node list; accepting the job", "err", err)
		return nil
	}
	parts := []string{s.defaultPar}
	if spec.Partition != nil && *spec.Partition != "" {
		parts = strings.Split(*spec.Partition, ",")
	}
	have := 0
	for _, nd := range nodes {
		if !inAnyPartition(nd, parts) {
			continue
		}
		if nd.State == api.NodeUnknown {
			return nil
		}
		have++
	}
	if have > 0 && have < n {
		return badRequest("Requested node configuration is not available: the job asks for %d nodes, partition %s has %d", n, strings.Join(parts, ","), have)
	}
	return nil
}

func inAnyPartition(n api.Node, parts []string) bool {
	for _, p := range parts {
		for _, q := range n.Partitions {
			if p == q {
				return true
			}
		}
	}
	return false
}
