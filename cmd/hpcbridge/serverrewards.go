package main

import (
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge/rewards"
	"github.com/hpcbridge/hpcbridge/internal/chain"
)

// defaultRewardEpoch is how often hpcbridge server closes an epoch.
const defaultRewardEpoch = 24 * time.Hour

// rewardsFlags are hpcbridge server's reward chain flags (docs/rewards.md).
// The publisher key comes from a keystore file only, never a flag.
func rewardsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "chain", Usage: "the chain reward epochs are published on: simulated (an embedded chain kept in --chain-data, for one server) or a JSON-RPC URL; empty: rewards off (credit still accrues)"},
		&cli.StringFlag{Name: "chain-data", Usage: "the simulated chain's directory", DefaultText: "DATA_DIR/chain"},
		&cli.StringFlag{Name: "reward-contract", Usage: "the RewardDistributor contract's 0x address (required with a URL; with simulated, empty: deploy one on first start, its address kept in the chain's directory)"},
		&cli.StringFlag{Name: "publisher-keystore", Usage: "the publisher key's go-ethereum keystore file (the contract's publisher)"},
		&cli.StringFlag{Name: "publisher-password-file", Usage: "the file holding the keystore's password (its first line; an empty file is an empty password); neither file may be open to group or others"},
		&cli.DurationFlag{Name: "reward-epoch", Value: defaultRewardEpoch, Usage: "how often the leader closes an epoch when some wallet's credit changed (0: only hpcbridge rewards close)"},
		&cli.Uint64Flag{Name: "reward-confirmations", Usage: "blocks that must follow an epoch's publish before it is recorded published: 0 for chains that never reorganise (geth --dev); on a real chain a depth no reorg reaches (e.g. 64 on Ethereum mainnet); required with a URL whose chain id is not a dev chain's (1337, 31337)"},
		&cli.Uint64Flag{Name: "publisher-max-fee-gwei", Value: 500, Usage: "the most the publisher key pays per gas (base fee plus tip, gwei), whatever the chain's node suggests; a base fee above it makes publishing wait"},
	}
}

// rewardsConfigOf reads the reward flags: nil without --chain.
func rewardsConfigOf(c *cli.Context, dataDir string) (*rewards.Config, error) {
	ch := c.String("chain")
	if ch == "" {
		for _, f := range []string{"chain-data", "reward-contract", "publisher-keystore", "publisher-password-file", "publisher-max-fee-gwei", "reward-confirmations"} {
			if c.IsSet(f) {
				return nil, fmt.Errorf("--%s needs --chain", f)
			}
		}
		return nil, nil
	}
	cfg := &rewards.Config{Contract: c.String("reward-contract"), KeystoreFile: c.String("publisher-keystore"),
		PasswordFile: c.String("publisher-password-file"), Epoch: c.Duration("reward-epoch")}
	if cfg.KeystoreFile == "" || cfg.PasswordFile == "" {
		return nil, errors.New("--chain: give the publisher key's keystore file and its password file (--publisher-keystore, --publisher-password-file; keys are never taken from flags)")
	}
	if cfg.Epoch < 0 {
		return nil, fmt.Errorf("--reward-epoch %s: want 0 or more", cfg.Epoch)
	}
	gwei := c.Uint64("publisher-max-fee-gwei")
	if gwei == 0 || gwei > 1_000_000 {
		return nil, fmt.Errorf("--publisher-max-fee-gwei %d: want 1 to 1000000", gwei)
	}
	cfg.ConfirmationsGiven = c.IsSet("reward-confirmations")
	if cfg.Confirmations = c.Uint64("reward-confirmations"); cfg.Confirmations > 10_000 {
		return nil, fmt.Errorf("--reward-confirmations %d: want at most 10000", cfg.Confirmations)
	}
	cfg.MaxFeePerGas = new(big.Int).Mul(new(big.Int).SetUint64(gwei), big.NewInt(1e9))
	if ch == chain.KindSimulated {
		if c.String("join") != "" {
			return nil, errors.New("--chain simulated is this server's own chain: a cluster of several servers needs one chain they all reach (--chain URL)")
		}
		dir := c.String("chain-data")
		if dir == "" {
			dir = filepath.Join(dataDir, "chain")
		}
		cfg.Chain = chain.Config{Kind: chain.KindSimulated, DataDir: dir}
		if cfg.Contract == "" {
			cfg.ContractFile = filepath.Join(dir, "reward-contract")
		}
		return cfg, nil
	}
	if c.IsSet("chain-data") {
		return nil, errors.New("--chain-data is for --chain simulated only")
	}
	if cfg.Contract == "" {
		return nil, fmt.Errorf("--chain %s: give the contract's address (--reward-contract)", ch)
	}
	cfg.Chain = chain.Config{Kind: chain.KindRPC, URL: ch}
	return cfg, nil
}
