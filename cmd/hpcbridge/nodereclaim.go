package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// nodeReclaimCommand is hpcbridge node reclaim NODE [--deadline D].
func nodeReclaimCommand(s streams) *cli.Command {
	return &cli.Command{
		Name: "reclaim",
		Usage: "take a node back (management token, or the admin token of the node's donor): it takes no new job, each job there gets its --signal (or SIGTERM) at once " +
			"and has until the deadline to checkpoint and end; it is then stopped and requeued, to resume elsewhere; --cancel gives it back",
		ArgsUsage: "NODE",
		Flags: []cli.Flag{&cli.StringFlag{Name: "deadline", Usage: "how long the node's jobs have, e.g. 5m or 90s (default: the server's --reclaim-deadline)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
			&cli.BoolFlag{Name: "cancel", Usage: "end the node's reclaim (one hpcbridge node reclaim began): it takes jobs again; jobs already signalled carry on"}},
		Action: func(c *cli.Context) error {
			cancelIt, args := c.Bool("cancel"), []string{}
			for _, a := range c.Args().Slice() {
				if a == "--cancel" || a == "-cancel" {
					cancelIt = true
					continue
				}
				args = append(args, a)
			}
			node, deadline, asJSON, err := reclaimArgs(args, c.String("deadline"), c.Bool("json"))
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if cancelIt {
				if deadline != "" {
					return &exitError{code: exitUsage, err: fmt.Errorf("node reclaim --cancel takes no --deadline")}
				}
				client, err := adminClient(s)
				if err != nil {
					return &exitError{code: exitUsage, err: err}
				}
				rc, err := client.CancelReclaim(c.Context, node)
				if err != nil {
					return &exitError{code: exitRejected, err: fmt.Errorf("node reclaim --cancel: %w", err)}
				}
				if asJSON {
					return writeAdminJSON(s, rc)
				}
				fmt.Fprintf(s.out, "Node %s is given back: it takes jobs again\n", termSafe(rc.Node))
				return nil
			}
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
			if asJSON {
				return writeAdminJSON(s, rc)
			}
			fmt.Fprintf(s.out, "Reclaiming node %s: no new jobs; its jobs have until %s (%s) to checkpoint, then they are requeued\n",
				termSafe(rc.Node), rc.Deadline.Local().Format(time.DateTime), time.Until(rc.Deadline).Round(time.Second))
			return nil
		},
	}
}

// reclaimArgs reads NODE and the flags that follow it (urfave/cli stops
// at the first argument: "node reclaim NODE --deadline 30s" is the usage).
func reclaimArgs(args []string, deadline string, asJSON bool) (node, d string, j bool, err error) {
	d, j = deadline, asJSON
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--json" || a == "-json":
			j = true
		case a == "--deadline" || a == "-deadline":
			if i+1 == len(args) {
				return "", "", false, fmt.Errorf("--deadline needs a value, e.g. 5m")
			}
			i++
			d = args[i]
		case strings.HasPrefix(a, "--deadline=") || strings.HasPrefix(a, "-deadline="):
			_, d, _ = strings.Cut(a, "=")
		case strings.HasPrefix(a, "-"):
			return "", "", false, fmt.Errorf("node reclaim: unknown flag %s", a)
		case node != "":
			return "", "", false, fmt.Errorf("node reclaim takes one NODE (its name), not %q and %q", node, a)
		default:
			node = a
		}
	}
	if node == "" {
		return "", "", false, fmt.Errorf("node reclaim takes one NODE (its name)")
	}
	return node, d, j, nil
}
