package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/rewards"
	"github.com/hpcbridge/hpcbridge/internal/chain"
)

// defaultDevRewardEpoch is how often hpcbridge dev closes an epoch.
const defaultDevRewardEpoch = time.Hour

// devRewardsLayout names the files of dev's reward chain under its data
// dir: rewards/chain (the simulated chain), rewards/publisher.json (the
// publisher key's keystore), rewards/publisher.password (its password,
// 0600) and rewards/contract (the contract's address).
func devRewardsLayout(dataDir string) (dir, chainDir, keystore, password, contract string) {
	dir = filepath.Join(dataDir, "rewards")
	return dir, filepath.Join(dir, "chain"), filepath.Join(dir, "publisher.json"), filepath.Join(dir, "publisher.password"), filepath.Join(dir, "contract")
}

// devRewards is dev's reward configuration: the embedded simulated chain
// in the data dir, a publisher key made on first start (the contract's
// admin too, in dev: production's admin is a Safe), the contract deployed
// on first start (rewards.Open, its address kept in the data dir) and the
// dev faucet.
func devRewards(dataDir string, epoch time.Duration) (*rewards.Config, error) {
	if epoch < 0 {
		return nil, fmt.Errorf("--reward-epoch %s: want 0 or more", epoch)
	}
	dir, chainDir, keystore, password, contract := devRewardsLayout(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := devPublisherKey(keystore, password); err != nil {
		return nil, err
	}
	return &rewards.Config{Chain: chain.Config{Kind: chain.KindSimulated, DataDir: chainDir}, ContractFile: contract,
		KeystoreFile: keystore, PasswordFile: password, Epoch: epoch, Faucet: true}, nil
}

// devPublisherKey makes the publisher key's keystore and password file
// when the keystore does not exist yet: the password first (0600), so a
// keystore never exists without it.
func devPublisherKey(keystore, password string) error {
	if _, err := os.Stat(keystore); err == nil {
		if _, err := os.Stat(password); err != nil {
			return fmt.Errorf("the publisher keystore %s has no password file: %w", keystore, err)
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var pw [24]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return err
	}
	if err := os.WriteFile(password, []byte(hex.EncodeToString(pw[:])+"\n"), 0o600); err != nil {
		return err
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		return err
	}
	pass, err := os.ReadFile(password)
	if err != nil {
		return err
	}
	return chain.WriteKeystore(keystore, key, strings.TrimRight(string(pass), "\r\n"))
}

// devRewardsBanner adds the reward chain's lines to dev's banner.
func devRewardsBanner(ctx context.Context, w io.Writer, o devOptions) {
	if !o.rewards {
		fmt.Fprintf(w, "  Rewards:         off (--rewards=false); credit still accrues\n")
		return
	}
	st, err := devRewardsStatus(ctx, o)
	if err != nil || st.Chain == nil {
		fmt.Fprintf(w, "  Rewards:         the chain's status is not available (%v)\n", err)
		return
	}
	_, _, keystore, _, _ := devRewardsLayout(o.dataDir)
	fmt.Fprintf(w, "  Rewards:         embedded simulated chain (id %s, kept in %s), contract %s\n", st.Chain.ChainID, filepath.Join(o.dataDir, "rewards"), st.Chain.Contract)
	fmt.Fprintf(w, "                   JSON-RPC http://%s/v1/rewards/rpc; publisher key %s; dev faucet: 1 ETH for gas to each wallet of a published epoch\n", o.bind, keystore)
	fmt.Fprintf(w, "                   hpcbridge rewards status | close | proof WALLET | claim --keystore FILE\n")
}

// devRewardsStatus reads GET /v1/rewards with the management token kept in
// the data dir, trying again for up to 30 s: a restarted coordinator's API
// may not listen yet, or not know the token until it replayed its log.
func devRewardsStatus(ctx context.Context, o devOptions) (*api.RewardsStatus, error) {
	secret, err := os.ReadFile(filepath.Join(o.dataDir, "management-token"))
	if err != nil {
		return nil, err
	}
	c, err := api.NewClient(&api.Config{Address: "http://" + o.bind, Token: strings.TrimSpace(string(secret))})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		st, err := c.Rewards(ctx)
		if err == nil {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(delay):
		}
	}
}
