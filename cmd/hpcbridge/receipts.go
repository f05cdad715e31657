package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// receiptsCommand is hpcbridge receipts: the checkpoint receipts a user's
// jobs earned (a management token: everyone's, and every node's credit).
func receiptsCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "receipts",
		Usage: "list checkpoint receipts: the credited work of your jobs (a management token: all, and each node's total)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "job", Aliases: []string{"j"}, Usage: "only this job's (JOBID or ARRAYID_TASK)"},
			&cli.StringFlag{Name: "node", Aliases: []string{"N"}, Usage: "only those this node signed (its name or Nomad node id)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("receipts takes no arguments (got %q): use --job or --node", c.Args().First())}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			list, err := client.Receipts(c.Context, &api.ReceiptsQuery{Job: c.String("job"), Node: c.String("node")})
			if err != nil {
				return &exitError{code: exitRejected, err: fmt.Errorf("receipts: %w", err)}
			}
			if c.Bool("json") {
				return writeAdminJSON(s, list)
			}
			return printReceipts(s, list)
		},
	}
}

// printReceipts writes receipts as a table: one line per receipt, what it
// claimed cut to what was credited, "clamped: ..." when it was.
func printReceipts(s streams, list *api.ReceiptList) error {
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "JOBID\tRUN\tSEQ\tNODE\tSTART\tEND\tGPUS\tCPUS\tGPU-SEC\tCPU-SEC\tSIZE\tTRIGGER\tCHECKPOINT\tNOTE")
	for _, r := range list.Receipts {
		note := r.Credit.Note
		if note == "" {
			note = "-"
		}
		fmt.Fprintf(w, "%d\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n",
			r.JobID, r.Run, r.Seq, termSafe(r.Node), receiptTime(r.Credit.Start), receiptTime(r.Credit.End),
			r.Credit.GPUs, r.Credit.CPUs, r.Credit.GPUSeconds, r.Credit.CPUSeconds, cas.HumanBytes(r.Size),
			termSafe(r.Trigger), receiptDigest(r.Digest), termSafe(note))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if list.Truncated {
		fmt.Fprintf(s.out, "(only the first %d receipts: narrow with --job or --node)\n", len(list.Receipts))
	}
	if len(list.Credits) > 0 {
		fmt.Fprintln(s.out)
		w = tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NODE\tNODE ID\tRECEIPTS\tGPU-SEC\tCPU-SEC")
		for _, c := range list.Credits {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\n", termSafe(c.Node), termSafe(c.NodeID), c.Receipts, c.GPUSeconds, c.CPUSeconds)
		}
		return w.Flush()
	}
	return nil
}

// nodeKeyCommands are the node key subcommands of hpcbridge node: keys
// (list) and key revoke NODE.
func nodeKeyCommands(s streams) []*cli.Command {
	return []*cli.Command{
		{
			Name:  "keys",
			Usage: "list the nodes' receipt keys (registered when a node first joins; revoked and replaced ones too)",
			Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
			Action: func(c *cli.Context) error {
				client, err := adminClient(s)
				if err != nil {
					return &exitError{code: exitUsage, err: err}
				}
				list, err := client.NodeKeys(c.Context)
				if err != nil {
					return &exitError{code: exitRejected, err: fmt.Errorf("node keys: %w", err)}
				}
				if c.Bool("json") {
					return writeAdminJSON(s, list)
				}
				return printNodeKeys(s, list.Keys)
			},
		},
		{
			Name:  "key",
			Usage: "manage a node's receipt key",
			Subcommands: []*cli.Command{{
				Name:      "revoke",
				Usage:     "revoke a node's key (management token): its receipts are no longer credited, and it is never registered again",
				ArgsUsage: "NODE",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "key", Usage: "the key to revoke (default: the node's current key)"}},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return &exitError{code: exitUsage, err: fmt.Errorf("node key revoke takes one NODE (its name or Nomad node id)")}
					}
					client, err := adminClient(s)
					if err != nil {
						return &exitError{code: exitUsage, err: err}
					}
					rep, err := client.RevokeNodeKey(c.Context, c.Args().First(), c.String("key"))
					if err != nil {
						return &exitError{code: exitRejected, err: fmt.Errorf("node key revoke: %w", err)}
					}
					fmt.Fprintf(s.out, "Revoked node %s's key %s\n", c.Args().First(), rep.Key)
					return nil
				},
			}},
		},
	}
}

func printNodeKeys(s streams, keys []*state.NodeKey) error {
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tNODE ID\tSTATUS\tFIRST SEEN\tKEY")
	for _, k := range keys {
		status := "current"
		switch {
		case !k.Revoked.IsZero():
			status = "revoked " + receiptTime(k.Revoked) + " by " + termSafe(k.RevokedBy)
		case !k.Superseded.IsZero():
			status = "replaced " + receiptTime(k.Superseded)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", termSafe(k.Node), termSafe(k.NodeID), status, receiptTime(k.FirstSeen), termSafe(k.Key))
	}
	return w.Flush()
}

func receiptTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02T15:04:05")
}

func receiptDigest(d string) string {
	if h, ok := strings.CutPrefix(d, "sha256:"); ok && len(h) > 12 {
		return "sha256:" + h[:12]
	}
	return d
}

// termSafe is s with every character that is not printable replaced, so
// that nothing a node sent (a Nomad node names itself, with any bytes)
// moves the terminal's cursor or reorders what is shown: C0 and C1
// controls (U+009B is a CSI to some terminals), bidirectional overrides
// and other format characters, invalid UTF-8.
func termSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}
