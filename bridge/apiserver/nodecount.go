package apiserver

import (
	"context"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/gpufit"
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
// PENDING (Resources) until its nodes can be had. nodes is Nomad's node
// list (nil: none to be had).
func (s *Server) checkNodes(spec *jobspec.Spec, nodes func() []api.Node) error {
	n, err := nomadexec.NodeCount(spec)
	if err != nil {
		return badRequest("%s", err.Error())
	}
	if n <= 1 {
		return nil
	}
	parts := s.jobPartitions(spec)
	have := 0
	for _, nd := range nodes() {
		if !gpufit.InPartitions(nd, parts) {
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

// submitNodes is Nomad's node list for the submit checks: nil when
// there is none to be had (no Nodes, or Nomad cannot be asked: the job
// is accepted and waits for its nodes).
func (s *Server) submitNodes(ctx context.Context) []api.Node {
	if s.cfg.Nodes == nil {
		return nil
	}
	nodes, err := s.cfg.Nodes.Nodes(ctx)
	if err != nil {
		s.log.Warn("submit check: no node list; accepting the job", "err", err)
		return nil
	}
	return nodes
}

// jobPartitions are the partitions spec asks for (the default one unless
// --partition names some).
func (s *Server) jobPartitions(spec *jobspec.Spec) []string {
	if spec.Partition != nil && *spec.Partition != "" {
		return strings.Split(*spec.Partition, ",")
	}
	return []string{s.defaultPar}
}
