package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/rewards"
	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/internal/gethtest"
	"github.com/hpcbridge/hpcbridge/internal/merkle"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

var rewardsNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// runCLI runs hpcbridge with env and checks its exit status and that want is
// in its output (stdout and stderr together).
func runCLI(t *testing.T, env []string, wantCode int, want string, args ...string) string {
	t.Helper()
	code, out, errs := invoke(t, "hpcbridge", env, "", args...)
	if code != wantCode || !strings.Contains(out+errs, want) {
		t.Fatalf("hpcbridge %q: exit %d (want %d), want %q in\n%s%s", args, code, wantCode, want, out, errs)
	}
	return out
}

// The admin's and a user's rewards commands against a real coordinator
// state: rates shown and set exactly in tokens (floats and bad models
// refused before anything is sent), status, close (management only,
// nothing to close refused with its code), export to a file, proof once
// published, resume of a halted epoch.
func TestRewardsCommands(t *testing.T) {
	info := api.RewardsChain{Kind: "rpc", ChainID: "31337", Contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3", RPCURL: "http://127.0.0.1:8545"}
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return rewardsNow }, Rewards: &bridgetest.Rewards{ChainInfo: info}})
	env := func(token string) []string {
		return []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + token}
	}
	admin, user := env(srv.ManagementToken), env(srv.UserToken(t, "alice"))

	runCLI(t, user, 0, "GPU (any other model)  1", "rewards", "rates")
	runCLI(t, user, 0, "(the defaults: never set)", "rewards", "rates")
	runCLI(t, user, exitRejected, "(permission_denied)", "rewards", "rates", "set", "--gpu", "NVIDIA H100=1")
	for _, bad := range [][]string{
		{"--gpu", "H100=1e0"}, {"--gpu", "H100=0.0000000000000000001"}, {"--gpu", "H100=-1"}, {"--gpu", "=1"}, {"--gpu", "H100"},
		{"--cpu", "0,5"}, {"--default-gpu", "1.5.0"}, {},
	} {
		runCLI(t, admin, exitUsage, "rewards rates set", append([]string{"rewards", "rates", "set"}, bad...)...)
	}
	out := runCLI(t, admin, 0, "GPU NVIDIA A100        0.6", "rewards", "rates", "set", "--gpu", "NVIDIA H100=1", "--gpu", "NVIDIA A100=0.6",
		"--cpu", "0.015", "--default-gpu", "0.333333333333333333")
	for _, want := range []string{"GPU NVIDIA H100        1\n", "GPU (any other model)  0.333333333333333333\n", "CPU                    0.015\n", "by root"} {
		if !strings.Contains(out, want) {
			t.Errorf("rates set lacks %q:\n%s", want, out)
		}
	}
	// Exactly: 0.6 tokens is 6*10^17 base units, whatever floats say.
	if r := srv.Store.View().RewardRates(); r.GPU["NVIDIA A100"] != "600000000000000000" || r.DefaultGPU != "333333333333333333" || r.CPU != "15000000000000000" {
		t.Fatalf("rates in state: %+v", r)
	}
	// A model differing only in case replaces its twin; MODEL= drops one.
	runCLI(t, admin, 0, "GPU nvidia a100        0.7", "rewards", "rates", "set", "--gpu", "nvidia a100=0.7", "--gpu", "NVIDIA H100=")
	if r := srv.Store.View().RewardRates(); len(r.GPU) != 1 || r.GPU["nvidia a100"] != "700000000000000000" {
		t.Fatalf("rates after the change: %+v", r)
	}

	walletA := "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B"
	srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: walletA, Node: "a1", GPUModel: "NVIDIA A100-SXM4-40GB", GPUs: 2, Seconds: 3600})
	runCLI(t, user, 0, "Accrued:  1.4 HPCB to 1 wallet; 1.4 HPCB not in a closed epoch yet", "rewards", "status")
	runCLI(t, user, 0, "Epochs:   none closed yet", "rewards", "status")
	runCLI(t, user, exitRejected, "(permission_denied)", "rewards", "close")
	out = runCLI(t, admin, 0, "Closed epoch 1: 1 wallet, 1.4 HPCB in all, root 0x", "rewards", "close")
	runCLI(t, admin, exitRejected, "(nothing_to_close)", "rewards", "close")
	ep := srv.Store.View().Epoch(1)
	if !strings.Contains(out, ep.Root) {
		t.Fatalf("close printed %q, the epoch is %+v", out, ep)
	}
	out = runCLI(t, user, 0, "1      "+rewardsNow.Format(time.RFC3339)+"  1        1.4 HPCB  closed  "+ep.Root, "rewards", "status")
	if !strings.Contains(out, "Chain:    rpc http://127.0.0.1:8545, chain id 31337, contract "+info.Contract) {
		t.Fatalf("status:\n%s", out)
	}
	var st api.RewardsStatus
	if err := json.Unmarshal([]byte(runCLI(t, user, 0, `"epoch_count": 1`, "rewards", "status", "--json")), &st); err != nil || st.Epochs[0].Root != ep.Root {
		t.Fatalf("status --json: %v %+v", err, st)
	}

	// The export: to a file or stdout, the same tree.
	file := filepath.Join(t.TempDir(), "epoch1.json")
	runCLI(t, user, 0, "Wrote epoch 1's tree to "+file, "rewards", "export", "1", "-o", file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if stdout := runCLI(t, user, 0, `"format":"standard-v1"`, "rewards", "export", "1"); stdout != string(b) {
		t.Fatalf("stdout and file differ:\n%s\n%s", stdout, b)
	}
	tree, err := merkle.Load(b)
	if err != nil || rootHex(tree.Root()) != ep.Root {
		t.Fatalf("export: %v", err)
	}
	runCLI(t, user, exitRejected, "(not_found)", "rewards", "export", "2")
	runCLI(t, user, exitUsage, "want an epoch number", "rewards", "export", "one")

	// Proofs once the publisher recorded the epoch.
	runCLI(t, user, exitRejected, "(not_in_epoch)", "rewards", "proof", walletA)
	srv.Apply(t, state.CmdLedger, state.LedgerCmd{Op: state.LedgerPublished, Time: rewardsNow, Epoch: 1, Root: ep.Root})
	var p api.RewardProof
	if err := json.Unmarshal([]byte(runCLI(t, user, 0, `"cumulative_amount": "1400000000000000000"`, "rewards", "proof", walletA)), &p); err != nil ||
		p.Root != ep.Root || p.Contract != info.Contract || p.ChainID != "31337" || len(p.Proof) != 0 {
		t.Fatalf("proof: %v %+v", err, p)
	}
	runCLI(t, user, exitRejected, "(invalid_request)", "rewards", "proof", "0x12")

	// A halted epoch and its resume.
	srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: walletA, Node: "a1", CPUs: 4, Seconds: 3600})
	runCLI(t, admin, 0, "Closed epoch 2", "rewards", "close")
	srv.Apply(t, state.CmdLedger, state.LedgerCmd{Op: state.LedgerHalt, Time: rewardsNow, Epoch: 2, Reason: "the chain holds root 0x01 for epoch 2"})
	runCLI(t, user, 0, "Epoch 2 HALTED: the chain holds root 0x01 for epoch 2", "rewards", "status")
	runCLI(t, user, exitRejected, "(permission_denied)", "rewards", "resume")
	runCLI(t, admin, exitRejected, "(conflict)", "rewards", "resume", "1")
	runCLI(t, admin, 0, "Resumed epoch 2: 1 wallet, 1.46 HPCB in all", "rewards", "resume")
}

// A donor claims with its keystore against the coordinator's embedded
// chain (go-ethereum's simulated chain behind POST /v1/rewards/rpc): the
// contract deployed, epoch 1's root published from the coordinator's
// tree; the claim pays the credit, a second is refused with the
// contract's NothingToClaim; a top-up in epoch 2 pays the difference.
// verify rebuilds each root from the export and finds it on chain, and
// fails on a tampered export or an epoch not published. With --export,
// --contract and --rpc (the chain served on its own) it needs no
// coordinator at all.
func TestRewardsClaimAndVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	donor, _ := crypto.GenerateKey()
	sim := startSimRewards(ctx, t, donor)
	ch, contract, srv := sim.ch, sim.contract, sim.srv
	env := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.UserToken(t, "donor")}
	admin := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.ManagementToken}

	// The donor's keystore and password files.
	dir := t.TempDir()
	keystore, password := writeKeystore(t, dir, "key", donor, "s3cret", "s3cret\n")
	wallet := chain.KeyAddress(donor)
	other, _ := crypto.GenerateKey()
	publish := func(n uint64) uint64 { t.Helper(); return publishEpoch(ctx, t, srv, ch, sim.publisher, contract, n) }
	srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: wallet.Hex(), Node: "a1", GPUs: 2, Seconds: 3600})
	srv.Donate(t, bridgetest.Donation{Donor: "uni-b", Wallet: chain.KeyAddress(other).Hex(), Node: "b1", GPUs: 1, Seconds: 1800})
	runCLI(t, admin, 0, "Closed epoch 1: 2 wallets, 2.5 HPCB in all", "rewards", "close")
	runCLI(t, env, exitRejected, "epoch 1 is not published on chain", "rewards", "verify", "1")
	publish(1)

	runCLI(t, env, exitUsage, "--keystore FILE is required", "rewards", "claim")
	runCLI(t, env, exitUsage, "password", "rewards", "claim", "--keystore", keystore) // the empty password is not this key's
	out := runCLI(t, env, 0, "Claimed 2 HPCB for "+wallet.Hex()+" (epoch 1: 2 HPCB claimed in all)", "rewards", "claim", "--keystore", keystore, "--password-file", password)
	if !strings.Contains(out, "Balance of "+wallet.Hex()+": 2 HPCB") {
		t.Fatalf("claim:\n%s", out)
	}
	if strings.Contains(out, "s3cret") {
		t.Fatal("the password is in the output")
	}
	if bal, err := contracts.BalanceOf(ctx, ch, contract, wallet); err != nil || bal.String() != "2000000000000000000" {
		t.Fatalf("balance on chain: %v %v", bal, err)
	}
	runCLI(t, env, exitRejected, "NothingToClaim(2000000000000000000, 2000000000000000000)", "rewards", "claim", "--keystore", keystore, "--password-file", password)
	runCLI(t, env, 0, "OK: the export of epoch 1 rebuilds the root the chain holds", "rewards", "verify", "1")
	// Anyone may send a wallet's claim: the donor's key pays the gas of
	// uni-b's, the tokens go to uni-b's wallet.
	otherWallet := chain.KeyAddress(other).Hex()
	runCLI(t, env, 0, "Balance of "+otherWallet+": 0.5 HPCB", "rewards", "claim", "--keystore", keystore, "--password-file", password, "--wallet", otherWallet)
	runCLI(t, env, exitUsage, "--wallet", "rewards", "claim", "--keystore", keystore, "--password-file", password, "--wallet", "0xnope")

	// Epoch 2 tops up: the claim pays the difference.
	srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: wallet.Hex(), Node: "a1", GPUs: 1, Seconds: 1800})
	runCLI(t, admin, 0, "Closed epoch 2: 2 wallets, 3 HPCB in all", "rewards", "close")
	runCLI(t, env, exitRejected, "NothingToClaim", "rewards", "claim", "--keystore", keystore, "--password-file", password) // epoch 2 is not published yet
	block2 := publish(2)
	out = runCLI(t, env, 0, `"amount": "500000000000000000"`, "rewards", "claim", "--keystore", keystore, "--password-file", password, "--json")
	var res claimResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Balance != "2500000000000000000" || res.CumulativeAmount != "2500000000000000000" ||
		res.Epoch != 2 || res.Wallet != wallet.Hex() || res.GasUsed == 0 {
		t.Fatalf("claim --json: %v %+v", err, res)
	}
	out = runCLI(t, env, 0, "Current root:", "rewards", "verify", "2")
	if !strings.Contains(out, "OK: the export of epoch 2") {
		t.Fatalf("verify 2:\n%s", out)
	}
	runCLI(t, env, 0, "OK: the export of epoch 1", "rewards", "verify", "1")
	// The events are read from the block the coordinator recorded the
	// publish in, or from --from-block: past an epoch's publish it is not
	// found (never another root), past the head refused.
	if !strings.Contains(out, fmt.Sprintf("events from block %d)", block2)) {
		t.Errorf("verify 2 did not read from epoch 2's block %d:\n%s", block2, out)
	}
	runCLI(t, env, exitRejected, fmt.Sprintf("epoch 1 is not published on chain from block %d", block2), "rewards", "verify", "1", "--from-block", fmt.Sprint(block2))
	runCLI(t, env, 0, "events from block 0)", "rewards", "verify", "2", "--from-block", "0")
	runCLI(t, env, exitRejected, "block 1000000 is past the chain's head", "rewards", "verify", "2", "--from-block", "1000000")

	// Without the coordinator: the chain served on its own, the export
	// from a file. A tampered export (another amount: a valid tree of
	// its own) does not match.
	rpcSrv := httptest.NewServer(ch.ServeRPC())
	t.Cleanup(rpcSrv.Close)
	exp := filepath.Join(dir, "epoch2.json")
	runCLI(t, env, 0, "Wrote epoch 2", "rewards", "export", "2", "-o", exp)
	alone := []string{"HOME=" + t.TempDir()}
	runCLI(t, alone, 0, "OK: the export of epoch 2", "rewards", "verify", "2", "--export", exp, "--contract", contract.Hex(), "--rpc", rpcSrv.URL)
	runCLI(t, alone, 0, "OK: the export of epoch 2", "rewards", "verify", "2", "--export", exp, "--contract", contract.Hex(), "--rpc", rpcSrv.URL, "--from-block", fmt.Sprint(block2))
	b, _ := os.ReadFile(exp)
	tree, err := merkle.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	leaves := tree.Leaves()
	leaves[0].Amount.Add(leaves[0].Amount, big.NewInt(1))
	forged, err := merkle.Build(leaves)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := forged.Dump()
	forgedFile := filepath.Join(dir, "forged.json")
	if err := os.WriteFile(forgedFile, fb, 0o644); err != nil {
		t.Fatal(err)
	}
	runCLI(t, alone, exitRejected, "MISMATCH", "rewards", "verify", "2", "--export", forgedFile, "--contract", contract.Hex(), "--rpc", rpcSrv.URL)
	runCLI(t, alone, exitRejected, "MISMATCH", "rewards", "verify", "1", "--export", exp, "--contract", contract.Hex(), "--rpc", rpcSrv.URL)
	runCLI(t, alone, exitRejected, "not published on chain", "rewards", "verify", "3", "--export", exp, "--contract", contract.Hex(), "--rpc", rpcSrv.URL)
	if err := os.WriteFile(forgedFile, []byte(`{"format":"standard-v1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	runCLI(t, alone, exitRejected, "does not make a valid tree", "rewards", "verify", "2", "--export", forgedFile, "--contract", contract.Hex(), "--rpc", rpcSrv.URL)
}

// simRewards is a coordinator whose rewards are on an embedded simulated
// chain, the contract deployed there by publisher.
type simRewards struct {
	ch        *chain.Chain
	publisher *ecdsa.PrivateKey
	contract  common.Address
	srv       *bridgetest.Server
}

// startSimRewards opens a simulated chain on which a new publisher key
// and funded hold 10 ether each, deploys the contract from publisher and
// starts a coordinator whose rewards are on that chain (embedded).
func startSimRewards(ctx context.Context, t *testing.T, funded ...*ecdsa.PrivateKey) *simRewards {
	t.Helper()
	publisher, _ := crypto.GenerateKey()
	addrs := []common.Address{chain.KeyAddress(publisher)}
	for _, k := range funded {
		addrs = append(addrs, chain.KeyAddress(k))
	}
	ch, err := chain.Open(ctx, chain.Config{Kind: chain.KindSimulated}, chain.FundAlloc(new(big.Int).Exp(big.NewInt(10), big.NewInt(19), nil), addrs...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ch.Close() })
	contract, _, err := contracts.Deploy(ctx, ch, publisher, chain.KeyAddress(publisher), chain.KeyAddress(publisher))
	if err != nil {
		t.Fatal(err)
	}
	id, err := ch.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info := api.RewardsChain{Kind: chain.KindSimulated, ChainID: id.String(), Contract: contract.Hex(), Embedded: true}
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return rewardsNow }, Rewards: &bridgetest.Rewards{ChainInfo: info, Handler: ch.ServeRPC()}})
	return &simRewards{ch: ch, publisher: publisher, contract: contract, srv: srv}
}

// publishEpoch publishes epoch n's root from key, as the coordinator's
// publisher does, and records it.
func publishEpoch(ctx context.Context, t *testing.T, srv *bridgetest.Server, backend contracts.Backend, key *ecdsa.PrivateKey, contract common.Address, n uint64) (block uint64) {
	t.Helper()
	e := srv.Store.View().Epoch(n)
	rc, err := contracts.Publish(ctx, backend, key, contract, n, common.HexToHash(e.Root))
	if err != nil {
		t.Fatal(err)
	}
	block = rc.BlockNumber.Uint64()
	srv.Apply(t, state.CmdLedger, state.LedgerCmd{Op: state.LedgerPublished, Time: rewardsNow, Epoch: n, Root: e.Root, TxHash: rc.TxHash.Hex(), Block: block})
	return block
}

// writeKeystore writes key's keystore, encrypted with password, to
// dir/name.json and passwordFile to dir/name.password (mode 0600).
func writeKeystore(t *testing.T, dir, name string, key *ecdsa.PrivateKey, password, passwordFile string) (keystore, pwFile string) {
	t.Helper()
	keystore, pwFile = filepath.Join(dir, name+".json"), filepath.Join(dir, name+".password")
	if err := chain.WriteKeystore(keystore, key, password); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pwFile, []byte(passwordFile), 0o600); err != nil {
		t.Fatal(err)
	}
	return keystore, pwFile
}

// lateRewards is a RewardsBackend given to the test server before the
// service it forwards to can be opened (the service needs the server's
// Raft).
type lateRewards struct{ apiserver.RewardsBackend }

// waitState waits until cond holds on the server's state (every applied
// entry wakes it) or fails the test after a minute.
func waitState(t *testing.T, srv *bridgetest.Server, what string, cond func(*state.View) bool) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		changed := srv.Store.WatchJobs()
		if cond(srv.Store.View()) {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// The dev story with the coordinator's real rewards service
// (bridge/rewards) on an embedded simulated chain: it deploys the
// contract; a close from the CLI is published by the leader's publisher;
// the dev faucet gives the donor's wallet (no ether in genesis) the gas
// its claim needs; verify finds the root on chain.
func TestRewardsClaimWithPublisher(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	late := &lateRewards{}
	srv := bridgetest.Start(t, bridgetest.Options{Now: time.Now, Rewards: late})
	publisherKey, _ := crypto.GenerateKey()
	keystore, password := writeKeystore(t, dir, "publisher", publisherKey, "", "")
	svc, err := rewards.Open(ctx, rewards.Config{Chain: chain.Config{Kind: chain.KindSimulated, DataDir: filepath.Join(dir, "chain")},
		ContractFile: filepath.Join(dir, "contract"), KeystoreFile: keystore, PasswordFile: password, Faucet: true},
		rewards.Deps{Store: srv.Store, Raft: srv.Raft})
	if err != nil {
		t.Fatal(err)
	}
	late.RewardsBackend = svc
	termCtx, endTerm := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Publisher().RunTerm(termCtx) }()
	t.Cleanup(func() {
		endTerm()
		if err := <-done; err != nil {
			t.Errorf("publisher: %v", err)
		}
		_ = svc.Shutdown()
	})

	donor, _ := crypto.GenerateKey()
	wallet := chain.KeyAddress(donor).Hex()
	dk, dp := writeKeystore(t, dir, "donor", donor, "pw", "pw")
	env := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.ManagementToken}
	srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: wallet, Node: "a1", GPUModel: "NVIDIA H100 80GB HBM3", GPUs: 4, Seconds: 900, Time: time.Now()})
	runCLI(t, env, 0, "Closed epoch 1: 1 wallet, 1 HPCB in all", "rewards", "close")
	waitState(t, srv, "epoch 1 published", func(v *state.View) bool { e := v.Epoch(1); return e != nil && e.State == state.EpochPublished })
	out := runCLI(t, env, 0, "published", "rewards", "status")
	if !strings.Contains(out, "simulated (embedded in the coordinator), chain id 1337, contract "+svc.Contract().Hex()) {
		t.Fatalf("status:\n%s", out)
	}
	// The faucet funds the wallet after the publish; the claim needs it.
	waitBalance := time.After(time.Minute)
	for {
		bal, err := svc.Backend().BalanceAt(ctx, chain.KeyAddress(donor), nil)
		if err != nil {
			t.Fatal(err)
		}
		if bal.Sign() > 0 {
			break
		}
		select {
		case <-waitBalance:
			t.Fatal("the dev faucet never funded the donor's wallet")
		case <-time.After(50 * time.Millisecond): // the faucet's transfer is on the chain, not in Raft: poll it
		}
	}
	runCLI(t, env, 0, "Balance of "+wallet+": 1 HPCB", "rewards", "claim", "--keystore", dk, "--password-file", dp)
	runCLI(t, env, 0, "OK: the export of epoch 1 rebuilds the root the chain holds", "rewards", "verify", "1")
}

// A claim whose key has no ether for gas says so, and what to do.
func TestRewardsClaimWithoutGas(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	poor, _ := crypto.GenerateKey()
	sim := startSimRewards(ctx, t) // poor holds no ether
	srv := sim.srv
	env := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.ManagementToken}
	srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: chain.KeyAddress(poor).Hex(), Node: "a1", GPUs: 1, Seconds: 3600})
	runCLI(t, env, 0, "Closed epoch 1", "rewards", "close")
	publishEpoch(ctx, t, srv, sim.ch, sim.publisher, sim.contract, 1)
	ks, pw := writeKeystore(t, t.TempDir(), "key", poor, "", "")
	runCLI(t, env, exitRejected, "the key pays the claim's gas", "rewards", "claim", "--keystore", ks, "--password-file", pw)
	runCLI(t, env, exitRejected, "the key pays the claim's gas", "rewards", "claim", "--keystore", ks) // no password file: the empty password
}

// The same claim and verify on a real JSON-RPC chain (geth --dev): the
// coordinator names the chain's URL, which the CLI uses by default; the
// key is geth's own dev key, its keystore with an empty password (no
// --password-file).
func TestRewardsClaimOnGeth(t *testing.T) {
	g := gethtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ec, err := ethclient.DialContext(ctx, g.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	contract, _, err := contracts.Deploy(ctx, ec, g.Key(), g.Address(), g.Address())
	if err != nil {
		t.Fatal(err)
	}
	id, err := ec.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return rewardsNow }, Rewards: &bridgetest.Rewards{
		ChainInfo: api.RewardsChain{Kind: chain.KindRPC, ChainID: id.String(), Contract: contract.Hex(), RPCURL: g.URL()}}})
	env := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.ManagementToken}
	wallet := g.Address().Hex()
	srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: wallet, Node: "a1", GPUs: 3, Seconds: 1200})
	runCLI(t, env, 0, "Closed epoch 1: 1 wallet, 1 HPCB in all", "rewards", "close")
	publishEpoch(ctx, t, srv, ec, g.Key(), contract, 1)
	runCLI(t, env, 0, "Balance of "+wallet+": 1 HPCB", "rewards", "claim", "--keystore", g.KeystoreFile())
	runCLI(t, env, exitRejected, "NothingToClaim", "rewards", "claim", "--keystore", g.KeystoreFile())
	runCLI(t, env, 0, "OK: the export of epoch 1 rebuilds the root the chain holds", "rewards", "verify", "1")
	// An RPC URL of another chain than the proof's is refused before
	// anything is sent.
	cc, err := dialChain(ctx, nil, nil, g.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if err := cc.checkChainID(ctx, "1"); err == nil || !strings.Contains(err.Error(), "is chain "+id.String()+", but the rewards are on chain 1") {
		t.Fatalf("another chain: %v", err)
	}
}
