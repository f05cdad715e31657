package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/hpcbridge/hpcbridge/internal/chain"
)

// TestDevRewardsKey: dev makes its publisher key on first start (keystore
// and password file, neither open to others) and loads the same key after.
func TestDevRewardsKey(t *testing.T) {
	dir := t.TempDir()
	cfg, err := devRewards(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Chain.Kind != chain.KindSimulated || !cfg.Faucet || cfg.Contract != "" || cfg.ContractFile == "" || cfg.Epoch != time.Hour ||
		!strings.HasPrefix(cfg.Chain.DataDir, dir) || !strings.HasPrefix(cfg.ContractFile, dir) {
		t.Fatalf("dev rewards config %+v", cfg)
	}
	for _, f := range []string{cfg.KeystoreFile, cfg.PasswordFile} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	key, err := chain.LoadKeystore(cfg.KeystoreFile, cfg.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	again, err := devRewards(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key2, err := chain.LoadKeystore(again.KeystoreFile, again.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	if crypto.PubkeyToAddress(key.PublicKey) != crypto.PubkeyToAddress(key2.PublicKey) {
		t.Error("the second start made a new publisher key")
	}
	if err := os.Remove(cfg.PasswordFile); err != nil {
		t.Fatal(err)
	}
	if _, err := devRewards(dir, time.Hour); err == nil || !strings.Contains(err.Error(), "no password file") {
		t.Errorf("keystore without its password file: %v", err)
	}
}

// TestServerRewardFlags: the reward flags' refusals, before anything
// starts.
func TestServerRewardFlags(t *testing.T) {
	dir := t.TempDir()
	ks := filepath.Join(dir, "key.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--reward-contract", "0x00000000000000000000000000000000000000aa"}, "--reward-contract needs --chain"},
		{[]string{"--chain", "simulated"}, "--publisher-keystore"},
		{[]string{"--chain", "simulated", "--publisher-keystore", ks}, "--publisher-password-file"},
		{[]string{"--chain", "http://127.0.0.1:8545", "--publisher-keystore", ks, "--publisher-password-file", ks}, "--reward-contract"},
		{[]string{"--chain", "http://127.0.0.1:8545", "--chain-data", dir, "--publisher-keystore", ks, "--publisher-password-file", ks,
			"--reward-contract", "0x00000000000000000000000000000000000000aa"}, "--chain-data is for --chain simulated only"},
		{[]string{"--chain", "simulated", "--publisher-keystore", ks, "--publisher-password-file", ks, "--reward-epoch", "-1h"}, "--reward-epoch"},
		{[]string{"--chain", "simulated", "--publisher-keystore", ks, "--publisher-password-file", ks, "--join", "http://127.0.0.1:1"}, "several servers"},
	} {
		var out, errb bytes.Buffer
		args := append([]string{"hpcbridge", "server", "--data-dir", filepath.Join(dir, "data")}, c.args...)
		if code := run(args, strings.NewReader(""), &out, &errb, nil); code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, errb.String(), exitUsage, c.want)
		}
	}
}
