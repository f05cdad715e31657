package main

import (
	"fmt"
	"slices"

	nomadapi "github.com/hashicorp/nomad/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
)

// newNodeSource is where sinfo's nodes come from: the Nomad clients of
// --nomad-addr with the hpcbridge driver, or none without a backend.
func newNodeSource(o serverOptions) (apiserver.NodeSource, error) {
	n := o.nomad
	if n.addr == "" {
		return nil, nil
	}
	cfg := nomadapi.DefaultConfig()
	cfg.Address, cfg.SecretID, cfg.Region, cfg.Namespace = n.addr, n.token, n.region, n.namespace
	client, err := nomadapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("--nomad-addr: %w", err)
	}
	placement, err := parsePartitionMap(n.partitionMap)
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, p := range o.partitions {
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		parts = []string{apiserver.DefaultPartitionName}
	}
	return &nomadexec.Nodes{Client: client, Partitions: parts, Placement: placement, MHzPerCPU: n.cpuMHz}, nil
}
