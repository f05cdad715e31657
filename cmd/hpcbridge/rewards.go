package main

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// rewardsCommand is hpcbridge rewards: the ledger's epochs, the proofs
// and claims of the reward tokens, and the rates (docs/rewards.md).
func rewardsCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "rewards",
		Usage: "reward tokens for donated work: epochs, proofs, claims, verification, rates",
		Description: "Credited GPU- and CPU-seconds accrue to each donor's wallet at the rates an admin sets. An epoch\n" +
			"closes the wallets' cumulative amounts into a Merkle root, which the coordinator publishes on chain\n" +
			"once; a wallet claims what it has not claimed yet with the proof of the latest published epoch.\n" +
			"Anyone can rebuild an epoch's root from its export and compare it with the chain (rewards verify).",
		Subcommands: []*cli.Command{
			rewardsStatusCommand(s),
			rewardsCloseCommand(s),
			rewardsExportCommand(s),
			rewardsProofCommand(s),
			rewardsClaimCommand(s),
			rewardsVerifyCommand(s),
			rewardsRatesCommand(s),
			rewardsResumeCommand(s),
		},
	}
}

// rewardsArgs returns the n positional arguments of a rewards command.
func rewardsArgs(c *cli.Context, what, usage string, n int) ([]string, error) {
	args, err := positional(c)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	if len(args) != n {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("%s takes %s, got %d arguments", what, usage, len(args))}
	}
	return args, nil
}

// rewardsClient returns the n positional arguments of a rewards command
// and the admin client.
func rewardsClient(c *cli.Context, s streams, what, usage string, n int) ([]string, *api.Client, error) {
	args, err := rewardsArgs(c, what, usage, n)
	if err != nil {
		return nil, nil, err
	}
	client, err := adminClient(s)
	if err != nil {
		return nil, nil, &exitError{code: exitUsage, err: err}
	}
	return args, client, nil
}

// epochArg parses an EPOCH argument.
func epochArg(what, arg string) (uint64, error) {
	n, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || n == 0 {
		return 0, &exitError{code: exitUsage, err: fmt.Errorf("%s: epoch %.30q: want an epoch number (1, 2, ...; rewards status lists them)", what, arg)}
	}
	return n, nil
}

// tokens writes an amount of base units as tokens.
func tokens(units string) string { return api.FormatTokenString(units) + " HPCB" }

func rewardsStatusCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the chain, the rates, the epochs (roots, transactions) and the credit accrued",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			_, client, err := rewardsClient(c, s, "rewards status", "no arguments", 0)
			if err != nil {
				return err
			}
			st, err := client.Rewards(c.Context)
			if err != nil {
				return apiFailure("rewards status", err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, st)
			}
			printRewardsStatus(s, st)
			return nil
		},
	}
}

func printRewardsStatus(s streams, st *api.RewardsStatus) {
	switch ch := st.Chain; {
	case ch == nil:
		fmt.Fprintln(s.out, "Chain:    none: rewards are off (the ledger accrues; no epoch is closed or published)")
	case ch.Embedded:
		fmt.Fprintf(s.out, "Chain:    %s (embedded in the coordinator), chain id %s, contract %s\n", ch.Kind, ch.ChainID, ch.Contract)
	default:
		fmt.Fprintf(s.out, "Chain:    %s %s, chain id %s, contract %s\n", ch.Kind, ch.RPCURL, ch.ChainID, ch.Contract)
	}
	fmt.Fprintf(s.out, "Rates:    %s\n", ratesLine(st.Rates))
	fmt.Fprintf(s.out, "Accrued:  %s to %s; %s not in a closed epoch yet\n", tokens(st.Accrued.Total), walletCount(st.Accrued.Wallets), tokens(st.Accrued.Unclosed))
	if len(st.Epochs) == 0 {
		fmt.Fprintln(s.out, "Epochs:   none closed yet")
		return
	}
	fmt.Fprintf(s.out, "Epochs:   %d", st.EpochCount)
	if st.EpochCount > len(st.Epochs) {
		fmt.Fprintf(s.out, " (the newest %d below)", len(st.Epochs))
	}
	fmt.Fprintln(s.out)
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EPOCH\tCLOSED\tWALLETS\tTOTAL\tSTATE\tROOT\tTX\tBLOCK")
	for _, e := range st.Epochs {
		block := "-"
		if e.Block != 0 {
			block = strconv.FormatUint(e.Block, 10)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", e.Number, e.Closed.UTC().Format(time.RFC3339), e.Wallets, tokens(e.Total), e.State,
			e.Root, dash(e.TxHash), block)
	}
	_ = tw.Flush()
	for _, e := range st.Epochs {
		if e.Halt != "" {
			fmt.Fprintf(s.out, "Epoch %d HALTED: %s\n  Publishing stopped. Once the cause is dealt with: hpcbridge rewards resume %d\n", e.Number, e.Halt, e.Number)
		}
	}
}

// ratesLine is the rates table in one line, in tokens per hour.
func ratesLine(r api.RewardRates) string {
	var b strings.Builder
	fmt.Fprintf(&b, "GPU %s/GPU-hour (any model not listed), CPU %s/CPU-hour", tokens(r.DefaultGPU), tokens(r.CPU))
	for _, m := range slices.Sorted(maps.Keys(r.GPU)) {
		fmt.Fprintf(&b, "; %s %s", m, tokens(r.GPU[m]))
	}
	if !r.Set.IsZero() {
		fmt.Fprintf(&b, " (set %s by %s)", r.Set.UTC().Format(time.RFC3339), dash(r.By))
	} else {
		b.WriteString(" (the defaults)")
	}
	return b.String()
}

func printEpoch(s streams, what string, e *api.RewardEpoch) {
	fmt.Fprintf(s.out, "%s epoch %d: %s, %s in all, root %s (%s)\n", what, e.Number, walletCount(e.Wallets), tokens(e.Total), e.Root, e.State)
}

func rewardsCloseCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "close",
		Usage: "close the next epoch now (management token): the wallets' cumulative credit into a root the coordinator publishes",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			_, client, err := rewardsClient(c, s, "rewards close", "no arguments", 0)
			if err != nil {
				return err
			}
			e, err := client.RewardsClose(c.Context)
			if err != nil {
				return apiFailure("rewards close", err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, e)
			}
			printEpoch(s, "Closed", e)
			fmt.Fprintln(s.out, "The coordinator publishes it on chain next: hpcbridge rewards status shows when.")
			return nil
		},
	}
}

func rewardsResumeCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "resume",
		Usage:     "publish a halted epoch again (management token), once the disagreement with the chain is dealt with",
		ArgsUsage: "[EPOCH]",
		Action: func(c *cli.Context) error {
			args, err := positional(c)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			var n uint64
			switch len(args) {
			case 0:
			case 1:
				if n, err = epochArg("rewards resume", args[0]); err != nil {
					return err
				}
			default:
				return &exitError{code: exitUsage, err: fmt.Errorf("rewards resume takes at most one EPOCH, got %d arguments", len(args))}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			e, err := client.RewardsResume(c.Context, n)
			if err != nil {
				return apiFailure("rewards resume", err)
			}
			printEpoch(s, "Resumed", e)
			return nil
		},
	}
}

func rewardsExportCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write an epoch's tree as OpenZeppelin's StandardMerkleTree dump (JSON), from which anyone can rebuild its root",
		ArgsUsage: "EPOCH",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write it to `FILE` (default: standard output)"}},
		Action: func(c *cli.Context) error {
			args, err := rewardsArgs(c, "rewards export", "one EPOCH", 1)
			if err != nil {
				return err
			}
			n, err := epochArg("rewards export", args[0])
			if err != nil {
				return err
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			b, err := client.RewardsExport(c.Context, n)
			if err != nil {
				return apiFailure(fmt.Sprintf("rewards export %d", n), err)
			}
			out := c.String("output")
			if out == "" {
				out = c.String("o") // set by positional, which sets the alias's own value
			}
			if out == "" || out == "-" {
				_, err := s.out.Write(b)
				return err
			}
			if err := writeFileAtomic(out, b); err != nil {
				return fmt.Errorf("rewards export %d: %w", n, err)
			}
			fmt.Fprintf(s.err, "Wrote epoch %d's tree to %s (%d bytes)\n", n, out, len(b))
			return nil
		},
	}
}

// writeFileAtomic writes b to path through a temporary file in its
// directory, so a reader never sees half of it.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func rewardsProofCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "proof",
		Usage:     "print a wallet's proof in the latest published epoch (JSON: what claim(account, cumulativeAmount, proof) takes)",
		ArgsUsage: "WALLET",
		Action: func(c *cli.Context) error {
			args, client, err := rewardsClient(c, s, "rewards proof", "one WALLET (0x...)", 1)
			if err != nil {
				return err
			}
			p, err := client.RewardProof(c.Context, args[0])
			if err != nil {
				return apiFailure("rewards proof "+args[0], err)
			}
			return writeAdminJSON(s, p)
		},
	}
}

func rewardsRatesCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "rates",
		Usage: "show the reward rates (tokens per GPU-hour by GPU model, per CPU-hour)",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON (rates in base units, 10^-18 token, per hour)"}},
		Subcommands: []*cli.Command{
			rewardsRatesSetCommand(s),
		},
		Action: func(c *cli.Context) error {
			_, client, err := rewardsClient(c, s, "rewards rates", "no arguments (or: set ...)", 0)
			if err != nil {
				return err
			}
			st, err := client.Rewards(c.Context)
			if err != nil {
				return apiFailure("rewards rates", err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, st.Rates)
			}
			printRates(s, st.Rates)
			return nil
		},
	}
}

func printRates(s streams, r api.RewardRates) {
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORK\tTOKENS PER HOUR")
	for _, m := range slices.Sorted(maps.Keys(r.GPU)) {
		fmt.Fprintf(tw, "GPU %s\t%s\n", m, api.FormatTokenString(r.GPU[m]))
	}
	fmt.Fprintf(tw, "GPU (any other model)\t%s\n", api.FormatTokenString(r.DefaultGPU))
	fmt.Fprintf(tw, "CPU\t%s\n", api.FormatTokenString(r.CPU))
	_ = tw.Flush()
	if r.Set.IsZero() {
		fmt.Fprintln(s.out, "(the defaults: never set)")
	} else {
		fmt.Fprintf(s.out, "(set %s by %s)\n", r.Set.UTC().Format(time.RFC3339), dash(r.By))
	}
}

// ratesOptions is what rewards rates set changes.
type ratesOptions struct {
	gpu        []string // MODEL=TOKENS; MODEL= removes the model
	defaultGPU string   // tokens per GPU-hour; "" keeps it
	cpu        string   // tokens per CPU-hour; "" keeps it
	replace    bool     // start from no GPU models instead of the current table
}

// applyRates returns the table cur becomes with o's changes, in base
// units, parsed exactly (no floating point).
func applyRates(cur api.RewardRates, o ratesOptions) (*api.RewardRatesRequest, error) {
	req := &api.RewardRatesRequest{GPU: map[string]string{}, DefaultGPU: cur.DefaultGPU, CPU: cur.CPU}
	if !o.replace {
		maps.Copy(req.GPU, cur.GPU)
	}
	units := func(flag, v string) (string, error) {
		n, err := api.ParseTokens(v)
		if err != nil {
			return "", fmt.Errorf("%s: %w (tokens per hour, e.g. 0.6)", flag, err)
		}
		return n.String(), nil
	}
	var err error
	if o.defaultGPU != "" {
		if req.DefaultGPU, err = units("--default-gpu", o.defaultGPU); err != nil {
			return nil, err
		}
	}
	if o.cpu != "" {
		if req.CPU, err = units("--cpu", o.cpu); err != nil {
			return nil, err
		}
	}
	for _, g := range o.gpu {
		model, v, ok := strings.Cut(g, "=")
		model = strings.TrimSpace(model)
		if !ok || model == "" {
			return nil, fmt.Errorf("--gpu %.80q: want MODEL=TOKENS_PER_HOUR, e.g. --gpu H100=1 (MODEL= removes the model)", g)
		}
		// A model differing only in case is the same model.
		for k := range req.GPU {
			if strings.EqualFold(k, model) {
				delete(req.GPU, k)
			}
		}
		if v == "" {
			continue
		}
		if req.GPU[model], err = units("--gpu "+model, v); err != nil {
			return nil, err
		}
	}
	if o.defaultGPU == "" && o.cpu == "" && len(o.gpu) == 0 && !o.replace {
		return nil, errors.New("nothing to set: give --gpu MODEL=TOKENS, --default-gpu TOKENS or --cpu TOKENS")
	}
	return req, nil
}

func rewardsRatesSetCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "set",
		Usage: "change the reward rates (management token), in tokens per hour with up to 18 decimals",
		Description: "Rates are tokens per GPU-hour of a GPU model (matched case-insensitively, else by the longest\n" +
			"listed name that begins the model's name: --gpu 'NVIDIA A100=0.6' covers NVIDIA A100-SXM4-40GB), per\n" +
			"GPU-hour of any other model (--default-gpu), and per CPU-hour (--cpu). The others stay as they are.\n" +
			"New rates apply to work credited from now on.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "gpu", Usage: "`MODEL=TOKENS` per GPU-hour of that model (repeat; MODEL= removes it)"},
			&cli.StringFlag{Name: "default-gpu", Usage: "`TOKENS` per GPU-hour of any model not listed"},
			&cli.StringFlag{Name: "cpu", Usage: "`TOKENS` per CPU-hour"},
			&cli.BoolFlag{Name: "replace", Usage: "drop the GPU models not given with --gpu"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: func(c *cli.Context) error {
			_, client, err := rewardsClient(c, s, "rewards rates set", "no arguments", 0)
			if err != nil {
				return err
			}
			st, err := client.Rewards(c.Context)
			if err != nil {
				return apiFailure("rewards rates set: the current rates", err)
			}
			req, err := applyRates(st.Rates, ratesOptions{gpu: c.StringSlice("gpu"), defaultGPU: c.String("default-gpu"), cpu: c.String("cpu"),
				replace: c.Bool("replace")})
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("rewards rates set: %w", err)}
			}
			r, err := client.RewardRatesSet(c.Context, req)
			if err != nil {
				return apiFailure("rewards rates set", err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, r)
			}
			printRates(s, *r)
			return nil
		},
	}
}

// bigOf parses a decimal integer the API sent ("" is 0).
func bigOf(what, v string) (*big.Int, error) {
	if v == "" {
		return new(big.Int), nil
	}
	n, ok := new(big.Int).SetString(v, 10)
	if !ok || n.Sign() < 0 {
		return nil, fmt.Errorf("%s %.80q is not a non-negative decimal integer", what, v)
	}
	return n, nil
}

// walletCount is "1 wallet" or "N wallets".
func walletCount(n int) string {
	if n == 1 {
		return "1 wallet"
	}
	return fmt.Sprintf("%d wallets", n)
}
