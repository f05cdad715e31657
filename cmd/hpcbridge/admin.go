package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/urfave/cli/v2"
)

// adminClient is the client the admin commands use.
func adminClient(s streams) (*api.Client, error) {
	return api.NewClient(api.ConfigFromEnv(s.env))
}

func aclCommand(s streams) *cli.Command {
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print JSON"}
	return &cli.Command{
		Name:  "acl",
		Usage: "manage access tokens",
		Subcommands: []*cli.Command{
			{
				Name:  "bootstrap",
				Usage: "create the first management token (works once per cluster)",
				Flags: []cli.Flag{jsonFlag, &cli.BoolFlag{Name: "save", Usage: "also write the secret to the CLI's token file (" + api.EnvTokenFile + " or ~/.config/hpcbridge/token)"}},
				Action: func(c *cli.Context) error {
					client, err := adminClient(s)
					if err != nil {
						return &exitError{code: exitUsage, err: err}
					}
					tok, err := client.ACLBootstrap(c.Context, &api.ACLBootstrapRequest{})
					if err != nil {
						return &exitError{code: exitRejected, err: fmt.Errorf("acl bootstrap: %w", err)}
					}
					if c.Bool("save") {
						if err := saveToken(s.env, tok.SecretID); err != nil {
							return &exitError{code: exitRejected, err: err}
						}
					}
					return printToken(s, tok, c.Bool("json"))
				},
			},
			{
				Name:  "token",
				Usage: "create, list, inspect and delete tokens",
				Subcommands: []*cli.Command{
					{
						Name:  "create",
						Usage: "create a token (client tokens act as one user)",
						Flags: []cli.Flag{
							&cli.StringFlag{Name: "name"},
							&cli.StringFlag{Name: "type", Value: "client", Usage: "client, management or donor-admin (a donor organisation's admin: its nodes, join tokens, wallet, view and receipts only)"},
							&cli.StringFlag{Name: "donor", Usage: "the donor a donor-admin token administers"},
							&cli.StringFlag{Name: "user", Usage: "the user a client token acts as"},
							&cli.StringSliceFlag{Name: "account", Usage: "accounts the user may charge (repeat)"},
							jsonFlag,
						},
						Action: func(c *cli.Context) error {
							client, err := adminClient(s)
							if err != nil {
								return &exitError{code: exitUsage, err: err}
							}
							tok, err := client.ACLCreateToken(c.Context, &api.ACLTokenRequest{Name: c.String("name"), Type: c.String("type"),
								User: c.String("user"), Accounts: c.StringSlice("account"), Donor: c.String("donor")})
							if err != nil {
								return &exitError{code: exitRejected, err: fmt.Errorf("acl token create: %w", err)}
							}
							return printToken(s, tok, c.Bool("json"))
						},
					},
					{
						Name:  "list",
						Usage: "list tokens (secrets are never shown)",
						Flags: []cli.Flag{jsonFlag},
						Action: func(c *cli.Context) error {
							client, err := adminClient(s)
							if err != nil {
								return &exitError{code: exitUsage, err: err}
							}
							toks, err := client.ACLListTokens(c.Context)
							if err != nil {
								return &exitError{code: exitRejected, err: fmt.Errorf("acl token list: %w", err)}
							}
							if c.Bool("json") {
								return writeAdminJSON(s, toks)
							}
							w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
							fmt.Fprintln(w, "Accessor ID\tName\tType\tUser\tAccounts\tDonor")
							for _, t := range toks {
								fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\t%s\n", t.AccessorID, termSafe(t.Name), t.Type, t.User, t.Accounts, t.Donor)
							}
							return w.Flush()
						},
					},
					{
						Name:  "self",
						Usage: "show the token in use",
						Flags: []cli.Flag{jsonFlag},
						Action: func(c *cli.Context) error {
							client, err := adminClient(s)
							if err != nil {
								return &exitError{code: exitUsage, err: err}
							}
							tok, err := client.ACLSelf(c.Context)
							if err != nil {
								return &exitError{code: exitRejected, err: fmt.Errorf("acl token self: %w", err)}
							}
							return printToken(s, tok, c.Bool("json"))
						},
					},
					{
						Name:      "delete",
						Usage:     "delete a token by accessor id",
						ArgsUsage: "ACCESSOR_ID",
						Action: func(c *cli.Context) error {
							if c.NArg() != 1 {
								return &exitError{code: exitUsage, err: fmt.Errorf("usage: hpcbridge acl token delete ACCESSOR_ID")}
							}
							client, err := adminClient(s)
							if err != nil {
								return &exitError{code: exitUsage, err: err}
							}
							if err := client.ACLDeleteToken(c.Context, c.Args().First()); err != nil {
								return &exitError{code: exitRejected, err: fmt.Errorf("acl token delete: %w", err)}
							}
							fmt.Fprintf(s.out, "Token %s deleted\n", c.Args().First())
							return nil
						},
					},
				},
			},
		},
	}
}

// printToken prints a token as `nomad acl bootstrap` does, or as JSON.
func printToken(s streams, t *api.ACLToken, asJSON bool) error {
	if asJSON {
		return writeAdminJSON(s, t)
	}
	w := tabwriter.NewWriter(s.out, 0, 4, 1, ' ', 0)
	fmt.Fprintf(w, "Accessor ID\t= %s\n", t.AccessorID)
	if t.SecretID != "" {
		fmt.Fprintf(w, "Secret ID\t= %s\n", t.SecretID)
	}
	fmt.Fprintf(w, "Name\t= %s\n", t.Name)
	fmt.Fprintf(w, "Type\t= %s\n", t.Type)
	if t.User != "" {
		fmt.Fprintf(w, "User\t= %s\n", t.User)
	}
	if t.Donor != "" {
		fmt.Fprintf(w, "Donor\t= %s\n", t.Donor)
	}
	fmt.Fprintf(w, "Accounts\t= %v\n", t.Accounts)
	fmt.Fprintf(w, "Create Time\t= %s\n", t.CreateTime.UTC().Format("2006-01-02 15:04:05 -0700 MST"))
	fmt.Fprintf(w, "Create Index\t= %d\n", t.CreateIndex)
	return w.Flush()
}

func writeAdminJSON(s streams, v any) error {
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "    ")
	return enc.Encode(v)
}

// saveToken writes a secret where the CLI looks for it.
func saveToken(env []string, secret string) error {
	path := api.TokenFile(env)
	if path == "" {
		return fmt.Errorf("no token file location: set %s", api.EnvTokenFile)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(secret+"\n"), 0o600)
}

func operatorCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "operator",
		Usage: "cluster administration",
		Subcommands: []*cli.Command{{
			Name:  "raft",
			Usage: "inspect and change the coordinator's Raft configuration",
			Subcommands: []*cli.Command{
				{
					Name:  "list-peers",
					Usage: "list the servers and which one leads",
					Action: func(c *cli.Context) error {
						return runListPeers(c.Context, s)
					},
				},
				{
					Name:      "remove-peer",
					Usage:     "remove a server from the cluster (by id)",
					ArgsUsage: "-peer-id ID",
					Flags:     []cli.Flag{&cli.StringFlag{Name: "peer-id", Required: true}},
					Action: func(c *cli.Context) error {
						client, err := adminClient(s)
						if err != nil {
							return &exitError{code: exitUsage, err: err}
						}
						if err := client.RaftRemovePeer(c.Context, c.String("peer-id")); err != nil {
							return &exitError{code: exitRejected, err: fmt.Errorf("remove-peer: %w", err)}
						}
						fmt.Fprintf(s.out, "Removed peer with id %q\n", c.String("peer-id"))
						return nil
					},
				},
			},
		}},
	}
}

// runListPeers prints the Raft configuration as `nomad operator raft
// list-peers` does.
func runListPeers(ctx context.Context, s streams) error {
	client, err := adminClient(s)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	peers, err := client.RaftPeers(ctx)
	if err != nil {
		return &exitError{code: exitRejected, err: fmt.Errorf("list-peers: %w", err)}
	}
	w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "Node\tID\tAddress\tState\tVoter\tAPI")
	for _, p := range peers {
		st := "follower"
		if p.Leader {
			st = "leader"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\t%s\n", p.ID, p.ID, p.Address, st, p.Voter, p.APIAddress)
	}
	return w.Flush()
}
