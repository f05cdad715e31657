package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
)

// donorCommand is hpcbridge donor: the donor organisations (docs/donors.md).
func donorCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "donor",
		Usage: "manage donor organisations: register one with its wallet, affiliate accounts, see what it gave",
		Description: "A donor is an organisation (a university) whose machines join the federation with join tokens\n" +
			"(hpcbridge node join-token --donor NAME). Registering it proves it holds its Ethereum wallet:\n" +
			"sign the text 'donor challenge' prints with the wallet (MetaMask's personal_sign, cast wallet sign,\n" +
			"geth), then 'donor register' with the signature; or give 'donor register' the wallet's key file.",
		Subcommands: []*cli.Command{
			donorChallengeCommand(s),
			donorProveCommand(s, "register"),
			donorProveCommand(s, "wallet"),
			donorAccountsCommand(s),
			donorListCommand(s),
			donorShowCommand(s),
			donorDeleteCommand(s),
		},
	}
}

// donorChallengeCommand is hpcbridge donor challenge NAME --wallet 0x..:
// the text to sign, alone on stdout (so that it can be handed to a
// signer as it is); how to go on, on stderr.
func donorChallengeCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "challenge",
		Usage:     "print the text the donor's wallet must sign (EIP-191 personal_sign) to register the donor or re-prove its wallet",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "wallet", Usage: "the donor's wallet address (0x...)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON (the text, its cluster, donor, wallet and issued time)"},
		},
		Action: func(c *cli.Context) error {
			name, err := oneName(c, "donor challenge")
			if err != nil {
				return err
			}
			if c.String("wallet") == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("donor challenge %s: --wallet 0x... is required (the address that signs)", name)}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			ch, err := client.DonorChallenge(c.Context, name, c.String("wallet"))
			if err != nil {
				return apiFailure("donor challenge "+name, err)
			}
			if _, err := checkChallenge(ch, name, c.String("wallet")); err != nil {
				return fmt.Errorf("donor challenge %s: %w", name, err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, ch)
			}
			fmt.Fprintln(s.out, ch.Message)
			fmt.Fprintf(s.err, "\nSign the text above (without the final newline) with wallet %s within %s, e.g.\n"+
				"  cast wallet sign --interactive \"$(hpcbridge donor challenge ...)\"   or MetaMask's personal_sign,\n"+
				"then run:\n  hpcbridge donor register %s --wallet %s --issued %s --signature 0x...\n"+
				"(or 'hpcbridge donor wallet %s ...' to re-prove the wallet of a registered donor)\n",
				ch.Wallet, wallet.MaxSkew, name, ch.Wallet, ch.Issued.UTC().Format(time.RFC3339), name)
			return nil
		},
	}
}

// donorProveCommand is hpcbridge donor register (management) or donor
// wallet (management or the donor's admin): NAME with its wallet proved,
// by a signature over the challenge, or by the wallet's key file (the
// challenge is then asked for and signed here).
func donorProveCommand(s streams, op string) *cli.Command {
	usage := "register a donor organisation (management token), proving it holds its wallet"
	if op == "wallet" {
		usage = "prove a donor's wallet again, or change it (management token or the donor's donor-admin token)"
	}
	flags := []cli.Flag{
		&cli.StringFlag{Name: "wallet", Usage: "the donor's wallet address (0x...; with --wallet-key: the key's, when not given)"},
		&cli.StringFlag{Name: "signature", Usage: "the wallet's personal_sign signature (0x + 130 hex) of the text 'donor challenge' printed"},
		&cli.StringFlag{Name: "issued", Usage: "the challenge's issued time, as 'donor challenge' printed it (RFC 3339)"},
		&cli.StringFlag{Name: "wallet-key", Usage: "sign here with this file's secp256k1 key (64 hex digits) instead of --signature"},
		&cli.BoolFlag{Name: "json", Usage: "print JSON"},
	}
	if op == "register" {
		flags = append(flags, &cli.StringSliceFlag{Name: "account", Usage: "a Slurm account affiliated with the donor (repeat; see 'donor accounts')"})
	}
	return &cli.Command{
		Name:      op,
		Usage:     usage,
		ArgsUsage: "NAME --wallet 0x... (--signature 0x... --issued TIME | --wallet-key FILE)",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			what := "donor " + op
			name, err := oneName(c, what)
			if err != nil {
				return err
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			proof, err := walletProof(c, client, what, name)
			if err != nil {
				return err
			}
			var d *api.Donor
			if op == "register" {
				d, err = client.DonorRegister(c.Context, &api.DonorRegisterRequest{Name: name, Wallet: proof.Wallet, Signature: proof.Signature,
					Issued: proof.Issued, Accounts: c.StringSlice("account")})
			} else {
				d, err = client.DonorWallet(c.Context, name, proof)
			}
			if err != nil {
				return apiFailure(what+" "+name, err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, d)
			}
			if op == "register" {
				fmt.Fprintf(s.out, "Registered donor %s with wallet %s (accounts: %s)\n", d.Name, d.Wallet, dash(strings.Join(d.Accounts, ",")))
				fmt.Fprintf(s.out, "Its admin's token: hpcbridge acl token create --type donor-admin --donor %s\n", d.Name)
				fmt.Fprintf(s.out, "A machine of it joins with:  hpcbridge node join-token --donor %s\n", d.Name)
				return nil
			}
			fmt.Fprintf(s.out, "Donor %s's wallet is %s (proved with a signature issued %s)\n", d.Name, d.Wallet, d.WalletIssued.UTC().Format(time.RFC3339))
			return nil
		},
	}
}

// walletProof is the wallet proof a register or wallet command gives:
// --signature and --issued as a wallet made them, or a signature made
// here with --wallet-key over the coordinator's challenge.
func walletProof(c *cli.Context, client *api.Client, what, name string) (*api.DonorWalletRequest, error) {
	addr, sig, issued, keyFile := c.String("wallet"), c.String("signature"), c.String("issued"), c.String("wallet-key")
	usage := func(format string, args ...any) error {
		return &exitError{code: exitUsage, err: fmt.Errorf("%s %s: %s", what, name, fmt.Sprintf(format, args...))}
	}
	switch {
	case keyFile != "" && (sig != "" || issued != ""):
		return nil, usage("give --wallet-key, or --signature and --issued, not both")
	case keyFile == "" && (sig == "" || issued == ""):
		return nil, usage("give --signature and --issued (from 'hpcbridge donor challenge %s --wallet 0x...'), or --wallet-key FILE", name)
	case keyFile == "" && addr == "":
		return nil, usage("--wallet 0x... is required (the address that signed)")
	}
	if keyFile == "" {
		t, err := time.Parse(time.RFC3339, issued)
		if err != nil {
			return nil, usage("--issued %q: want the RFC 3339 time 'donor challenge' printed, e.g. 2026-12-06T10:00:00Z", issued)
		}
		return &api.DonorWalletRequest{Wallet: addr, Signature: sig, Issued: t}, nil
	}
	text, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, usage("--wallet-key: %v", err)
	}
	key, err := wallet.LoadKey(string(text))
	if err != nil {
		return nil, usage("--wallet-key %s: %v", keyFile, err)
	}
	own := wallet.Address(key)
	if addr == "" {
		addr = own
	} else if a, err := wallet.ParseAddress(addr); err != nil {
		return nil, usage("--wallet %q: %v", addr, err)
	} else if a != own {
		return nil, usage("--wallet-key %s is the key of %s, not of --wallet %s", keyFile, own, a)
	}
	ch, err := client.DonorChallenge(c.Context, name, addr)
	if err != nil {
		return nil, apiFailure(what+" "+name+": the challenge to sign", err)
	}
	msg, err := checkChallenge(ch, name, addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, name, err)
	}
	return &api.DonorWalletRequest{Wallet: addr, Signature: wallet.EncodeSignature(wallet.Sign(msg, key)), Issued: ch.Issued}, nil
}

// maxClusterName bounds the cluster name a challenge may carry.
const maxClusterName = 128

// checkChallenge returns the text to sign for donor name's wallet addr:
// hpcbridge's challenge (wallet.Message), built here from the cluster name
// and time the coordinator sent. A wallet key signs whatever it is given,
// and personal_sign text also logs in elsewhere ("Sign-In with
// Ethereum"): a coordinator (or anyone between, over plain HTTP) that
// sends other text, or a cluster name that adds lines to it, is refused
// rather than obeyed.
func checkChallenge(ch *api.DonorChallenge, name, addr string) (string, error) {
	want, err := wallet.ParseAddress(addr)
	if err != nil {
		return "", err
	}
	switch {
	case ch.Donor != name || ch.Wallet != want:
		return "", fmt.Errorf("the coordinator's challenge is for donor %.70q and wallet %.50q, not %s and %s: not signed", ch.Donor, ch.Wallet, name, want)
	case ch.Cluster == "" || len(ch.Cluster) > maxClusterName || strings.ContainsFunc(ch.Cluster, unicode.IsControl) || ch.Issued.IsZero():
		return "", fmt.Errorf("the coordinator's challenge names cluster %.140q (want 1 to %d characters, no control characters) issued %s: not signed",
			ch.Cluster, maxClusterName, ch.Issued.UTC().Format(time.RFC3339))
	}
	msg := wallet.Message(ch.Cluster, name, want, ch.Issued)
	if ch.Message != msg {
		return "", fmt.Errorf("the coordinator's challenge text is not hpcbridge's donor registration text for cluster %s, donor %s, wallet %s (%.200q): not signed",
			ch.Cluster, name, want, ch.Message)
	}
	return msg, nil
}

// donorAccountsCommand is hpcbridge donor accounts NAME ACCT... (or
// --none): the Slurm accounts affiliated with the donor, for fair share.
func donorAccountsCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "accounts",
		Usage:     "set the Slurm accounts (sbatch -A) affiliated with a donor, replacing the old list (management token): their jobs get the donor's fair share",
		ArgsUsage: "NAME ACCOUNT... | NAME --none",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "none", Usage: "affiliate no account"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: func(c *cli.Context) error {
			args, err := positional(c)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			switch {
			case len(args) == 0:
				return &exitError{code: exitUsage, err: fmt.Errorf("donor accounts takes the donor's NAME and its accounts (or --none)")}
			case len(args) == 1 && !c.Bool("none"):
				return &exitError{code: exitUsage, err: fmt.Errorf("donor accounts %s: name the accounts, or say --none to affiliate none", args[0])}
			case len(args) > 1 && c.Bool("none"):
				return &exitError{code: exitUsage, err: fmt.Errorf("donor accounts %s: accounts and --none", args[0])}
			}
			var accts []string
			for _, a := range args[1:] {
				for _, one := range strings.Split(a, ",") { // "physics,chem" as Slurm lists them
					if one = strings.TrimSpace(one); one != "" {
						accts = append(accts, one)
					}
				}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			d, err := client.DonorAccounts(c.Context, args[0], accts)
			if err != nil {
				return apiFailure("donor accounts "+args[0], err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, d)
			}
			fmt.Fprintf(s.out, "Donor %s's accounts: %s\n", d.Name, dash(strings.Join(d.Accounts, ",")))
			return nil
		},
	}
}

// donorListCommand is hpcbridge donor list.
func donorListCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list the donor organisations (a donor-admin token: its own)",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("donor list takes no arguments (got %q): see donor show NAME", c.Args().First())}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			list, err := client.Donors(c.Context)
			if err != nil {
				return apiFailure("donor list", err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, list)
			}
			w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tWALLET\tACCOUNTS\tNODES\tLEFT\tREGISTERED")
			for _, d := range list.Donors {
				joined, left := 0, 0
				for _, n := range d.Nodes {
					if n.Left.IsZero() {
						joined++
					} else {
						left++
					}
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\n", d.Name, d.Wallet, dash(strings.Join(d.Accounts, ",")), joined, left, receiptTime(d.CreateTime))
			}
			return w.Flush()
		},
	}
}

// donorDeleteCommand is hpcbridge donor delete NAME.
func donorDeleteCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete a donor organisation (management token): refused while any of its nodes is joined",
		ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			name, err := oneName(c, "donor delete")
			if err != nil {
				return err
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if err := client.DonorDelete(c.Context, name); err != nil {
				return apiFailure("donor delete "+name, err)
			}
			fmt.Fprintf(s.out, "Donor %s deleted\n", name)
			return nil
		},
	}
}

// nodeJoinTokenCommand is hpcbridge node join-token --donor NAME [--ttl D]:
// a single-use join token, its secret printed this once (alone on
// stdout), and how to run the agent with it (on stderr).
func nodeJoinTokenCommand(s streams) *cli.Command {
	return &cli.Command{
		Name: "join-token",
		Usage: "issue a single-use, short-lived token a donor's machine joins with (hpcbridge agent) " +
			"(management token, or the donor's donor-admin token)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "donor", Usage: "the donor organisation the machine joins under"},
			&cli.StringFlag{Name: "ttl", Usage: fmt.Sprintf("how long the token may be used, e.g. 30m (at most %s)", api.MaxJoinTokenTTL), DefaultText: api.DefaultJoinTokenTTL.String()},
			&cli.BoolFlag{Name: "json", Usage: "print JSON (with the secret)"},
		},
		Action: func(c *cli.Context) error {
			args, err := positional(c)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if len(args) > 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("node join-token takes no arguments (got %q): name the donor with --donor", args[0])}
			}
			donor, ttl := c.String("donor"), c.String("ttl")
			if donor == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("node join-token: --donor NAME is required")}
			}
			if ttl != "" {
				d, err := time.ParseDuration(ttl)
				if err != nil || d <= 0 || d > api.MaxJoinTokenTTL {
					return &exitError{code: exitUsage, err: fmt.Errorf("node join-token: --ttl %q: want a duration such as 30m or 2h, at most %s", ttl, api.MaxJoinTokenTTL)}
				}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			jt, err := client.JoinTokenCreate(c.Context, donor, ttl)
			if err != nil {
				return apiFailure("node join-token --donor "+donor, err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, jt)
			}
			// The secret alone on stdout (once), so that it can go
			// straight to a file ('> join-token', a pilot job's
			// HPCBRIDGE_JOIN_TOKEN_FILE); what to do with it on stderr.
			fmt.Fprintln(s.out, jt.Secret)
			fmt.Fprintf(s.err, "Join token for donor %s (accessor %s): one machine may join with it, until %s.\n"+
				"Its secret, above, is not shown again. On the donor's machine, as root:\n\n"+
				"    read -rs HPCBRIDGE_JOIN_TOKEN && export HPCBRIDGE_JOIN_TOKEN    # paste the secret\n"+
				"    hpcbridge agent --coordinator %s\n\n"+
				"(the secret in the environment: a command line is readable by every user of the machine;\n"+
				"--coordinator must be an address the machine reaches. A pilot job on the donor's own Slurm\n"+
				"cluster: HPCBRIDGE_JOIN_TOKEN_FILE=FILE sbatch examples/slurm/donate-node.sh. See docs/donors.md)\n",
				jt.Donor, jt.Accessor, jt.Expires.Local().Format("2006-01-02 15:04:05 MST"),
				api.ConfigFromEnv(s.env).Address)
			return nil
		},
	}
}

// oneName reads the one NAME argument of command what (flags may follow it).
func oneName(c *cli.Context, what string) (string, error) {
	args, err := positional(c)
	if err != nil {
		return "", &exitError{code: exitUsage, err: err}
	}
	if len(args) != 1 {
		return "", &exitError{code: exitUsage, err: fmt.Errorf("%s takes one NAME (the donor's), got %d arguments", what, len(args))}
	}
	return args[0], nil
}
