package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"
)

// nodeReclaimCommand is hpcbridge node reclaim NODE [--deadline D].
func nodeReclaimCommand(s streams) *cli.Command {
	return &cli.Command{
		Name: "reclaim",
		Usage: "take a node back (management token): it takes no new job, each job there gets its --signal (or SIGTERM) at once " +
			"and has until the deadline to checkpoint and end; it is then stopped and requeued, to resume elsewhere",
		ArgsUsage: "NODE",
		Flags: []cli.Flag{&cli.StringFlag{Name: "deadline", Usage: "how long the node's jobs have, e.g. 5m or 90s (default: the server's --reclaim-deadline)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return &exitError{code: exitUsage, err: fmt.Errorf("node reclaim takes one NODE (its name)")}
			}
			node, deadline := c.Args().First(), c.String("deadline")
			if deadline != "" {
				if _, err := time.ParseDuration(deadline); err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("--deadline %q: want a duration such as 5m or 90s", deadline)}
				}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			rc, err := client.ReclaimNode(c.Context, node, deadline)
			if err != nil {
				return &exitError{code: exitRejected, err: fmt.Errorf("node reclaim: %w", err)}
			}
			if c.Bool("json") {
				return writeAdminJSON(s, rc)
			}
			fmt.Fprintf(s.out, "Reclaiming node %s: no new jobs; its jobs have until %s (%s) to checkpoint, then they are requeued\n",
				termSafe(rc.Node), rc.Deadline.Local().Format(time.DateTime), time.Until(rc.Deadline).Round(time.Second))
			return nil
		},
	}
}
