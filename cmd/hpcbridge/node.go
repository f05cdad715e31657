package main

import "github.com/urfave/cli/v2"

// nodeCommand is hpcbridge node: the donors' nodes as the coordinator
// sees them (their receipt keys; reclaim).
func nodeCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:        "node",
		Usage:       "manage the nodes that run jobs",
		Subcommands: append(nodeKeyCommands(s), nodeReclaimCommand(s), nodeJoinTokenCommand(s)),
	}
}
