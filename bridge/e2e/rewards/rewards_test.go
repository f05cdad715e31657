package rewards

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/e2etest"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// trainEpochs is how many epochs each job of the tests trains
// examples/slurm/gpu-train-checkpoint.sh for (about a second each, one
// checkpoint, hence one receipt, each).
const trainEpochs = "3"

// The rates the admin sets, in tokens per GPU-hour by model (a prefix of
// the NVML name the node's GPUs report), and per CPU-hour; by the fake
// GPU model (hpcbridge agent --fake-gpu-model) of the donors' machines.
var rates = map[string]struct{ prefix, tokens string }{
	"h100": {"NVIDIA H100", "1"},
	"a100": {"NVIDIA A100", "0.6"},
}

const cpuRate = "0.01"

// TestRewardsOnGeth is issue 15's "what it must show" on three
// coordinator processes and `geth --dev` over JSON-RPC:
//
//  1. Two donors' machines (an H100 and an A100, rated 1 and 0.6 token
//     per GPU-hour) run checkpointing jobs. The chain is stopped, epoch 1
//     closes, and the publisher retries until the chain is back; then
//     epoch 1 is on chain with the root every coordinator computed (and
//     `rewards verify 1` rebuilds it from the export); each donor claims
//     with `hpcbridge rewards claim --keystore` and gets exactly its
//     credit, computed here from the receipts and the rates.
//  2. Uni-a's machine runs another job; epoch 2 closes with the
//     publisher holding after its transaction is sent
//     (HPCBRIDGE_TEST_PUBLISH_HOLD=2); once the transaction is on chain
//     the leader is killed before it recorded it: the new leader records
//     it without sending another (the publisher's nonce says so), every
//     epoch is published once, none skipped; uni-a tops up to exactly its
//     new credit and uni-b has nothing to claim.
func TestRewardsOnGeth(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadBin := nomadtest.Require(t)
	roottest.Require(t, "the donors' agents run jobs in sandboxes (uids of their own)")
	g := startGeth(t)
	tl := buildTools(t, nomadBin)
	ctx := context.Background()
	ec, err := ethclient.Dial(g.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()

	// The publisher's key in a keystore every coordinator reads; the
	// contract, its admin the dev account, its publisher that key.
	pubKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	publisher := crypto.PubkeyToAddress(pubKey.PublicKey)
	pubKeystore, pubPassword := writeKeystore(t, pubKey)
	send(t, ec, g.devKey(), publisher, ether, nil)
	contract := deploy(t, ec, g.devKey(), publisher)
	t.Logf("geth --dev at %s; contract %s, publisher %s", g.URL(), contract.Hex(), publisher.Hex())

	nomad := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	c := startCluster(t, tl, nomad, 3, []string{"HPCBRIDGE_TEST_PUBLISH_HOLD=2"},
		"--chain", g.URL(), "--reward-contract", contract.Hex(),
		"--publisher-keystore", pubKeystore, "--publisher-password-file", pubPassword)
	set := []string{"rewards", "rates", "set", "--cpu", cpuRate}
	for _, r := range rates {
		set = append(set, "--gpu", r.prefix+"="+r.tokens)
	}
	c.must("hpcbridge", set...)

	donors := []*donor{
		newDonor(t, c, 0, "uni-a", "uni-a-1", "h100"),
		newDonor(t, c, 0, "uni-b", "uni-b-1", "a100"),
	}
	for _, d := range donors {
		// The donors pay their claims' gas.
		send(t, ec, g.devKey(), d.wallet, ether, nil)
	}
	// The machines join through the first coordinator, which the test
	// never kills while jobs run.
	for _, d := range donors {
		d.join(t, tl, c.coords[0].url())
	}
	c.copyExample("gpu-train-checkpoint.sh")

	// 1. Jobs on both machines; epoch 1 closes while the chain is down.
	var ids []string
	for _, d := range donors {
		ids = append(ids, c.submit("-w", d.node, "gpu-train-checkpoint.sh", trainEpochs))
	}
	for i, d := range donors {
		c.waitJob(ids[i], d.node, 3*time.Minute)
	}
	want := c.expectCredit(donors)
	for _, d := range donors {
		if want[d.wallet].Sign() <= 0 {
			t.Fatalf("donor %s's wallet has no credit after its job: receipts %s", d.name, c.must("hpcbridge", "receipts", "--node", d.node))
		}
	}
	c.waitAccrued(want)

	g.stop()
	c.must("hpcbridge", "rewards", "close")
	// The publisher tries, fails, and says so (its retries back off)
	// while the epoch waits.
	c.waitLog("a failed publish attempt of epoch 1 while the chain is down", time.Minute, "publish epoch 1 failed")
	c.waitEpoch(1, "closed or sending while the chain is down", func(e *api.RewardEpoch) error {
		if e.State != "closed" && e.State != "sending" {
			return fmt.Errorf("state %s", e.State)
		}
		return nil
	})
	g.start()
	c.waitPublished(1, 2*time.Minute)
	c.checkRoots(ec, contract, 1)
	c.must("hpcbridge", "rewards", "verify", "1", "--rpc", g.URL())
	for _, d := range donors {
		c.wantProof(d, 1, want[d.wallet])
		c.claim(d, "")
		c.wantBalance(ec, contract, d, want[d.wallet])
	}

	// 2. More work on uni-a; epoch 2's publisher is held after sending,
	// and its leader killed once the transaction is on chain.
	id := c.submit("-w", donors[0].node, "gpu-train-checkpoint.sh", trainEpochs)
	c.waitJob(id, donors[0].node, 3*time.Minute)
	want2 := c.expectCredit(donors)
	if want2[donors[0].wallet].Cmp(want[donors[0].wallet]) <= 0 || want2[donors[1].wallet].Cmp(want[donors[1].wallet]) != 0 {
		t.Fatalf("credit after uni-a's second job: %v, before %v: want uni-a's up, uni-b's the same", want2, want)
	}
	c.waitAccrued(want2)
	nonce0, err := ec.NonceAt(ctx, publisher, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.must("hpcbridge", "rewards", "close")
	e2etest.Eventually(t, "epoch 2 on chain", time.Minute, func() error {
		n, _, err := chainEpoch(ctx, ec, contract)
		if err != nil || n != 2 {
			return fmt.Errorf("chain epoch %d, %v", n, err)
		}
		return nil
	})
	var lead int
	e2etest.Eventually(t, "the leader", 30*time.Second, func() (err error) {
		lead, err = c.leader(ctx)
		return err
	})
	if e := c.epoch(lead, 2); e.State == "published" {
		t.Fatalf("the leader (coordinator %d) recorded epoch 2 published although its publisher holds: %+v", lead, e)
	}
	c.coords[lead].kill(syscall.SIGKILL)
	t.Logf("killed the leader, coordinator %d, with epoch 2's transaction on chain and not recorded", lead)
	c.waitPublished(2, 2*time.Minute)
	if n, err := ec.NonceAt(ctx, publisher, nil); err != nil || n != nonce0+1 {
		t.Errorf("the publisher's nonce went from %d to %d (%v) over epoch 2: want one transaction", nonce0, n, err)
	}
	c.checkRoots(ec, contract, 2)
	c.must("hpcbridge", "rewards", "verify", "2", "--rpc", g.URL())
	// geth runs Osaka rules: a steady-state publish costs what `make bench`
	// measures on the simulated chain, within the goal.
	if rc, err := ec.TransactionReceipt(ctx, common.HexToHash(c.epoch(c.live(), 2).TxHash)); err != nil || rc.GasUsed > 35000 {
		t.Errorf("epoch 2's publish transaction on geth: %v, want at most 35,000 gas (Osaka rules)", gasOf(rc, err))
	} else {
		t.Logf("epoch 2's publish transaction on geth: %d gas", rc.GasUsed)
	}
	c.wantProof(donors[0], 2, want2[donors[0].wallet])
	c.claim(donors[0], "")
	c.wantBalance(ec, contract, donors[0], want2[donors[0].wallet])
	c.claim(donors[1], "NothingToClaim")
	c.wantBalance(ec, contract, donors[1], want2[donors[1].wallet])

	// The killed coordinator comes back and agrees.
	c.coords[lead].start(t, tl)
	c.waitPublished(2, 2*time.Minute)
	c.checkRoots(ec, contract, 2)
}

// copyExample copies examples/slurm/name into the submit directory.
func (c *cluster) copyExample(name string) {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "slurm", name))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.work, name), b, 0o755); err != nil {
		c.t.Fatal(err)
	}
}

// expectCredit computes each donor's cumulative credit in token base
// units from its machine's receipts and the rates, as the ledger must:
// the sum over receipts of GPU-seconds × the model's rate + CPU-seconds
// × the CPU rate (per hour), divided by 3600 once, rounded down.
func (c *cluster) expectCredit(donors []*donor) map[common.Address]*big.Int {
	c.t.Helper()
	out := map[common.Address]*big.Int{}
	for _, d := range donors {
		rs, err := c.api(c.live()).Receipts(context.Background(), &api.ReceiptsQuery{Node: d.node})
		if err != nil {
			c.t.Fatalf("receipts of %s: %v", d.node, err)
		}
		gpu, err := api.ParseTokens(rates[d.model].tokens)
		if err != nil {
			c.t.Fatal(err)
		}
		cpu, err := api.ParseTokens(cpuRate)
		if err != nil {
			c.t.Fatal(err)
		}
		sum := new(big.Int)
		for _, r := range rs.Receipts {
			if r.Credit.GPUSeconds > 0 && !strings.HasPrefix(r.Credit.GPUModel, rates[d.model].prefix) {
				c.t.Errorf("receipt %d.%d.%d of %s credits GPU model %q, want a %s", r.JobID, r.Run, r.Seq, d.node, r.Credit.GPUModel, rates[d.model].prefix)
			}
			sum.Add(sum, new(big.Int).Mul(big.NewInt(r.Credit.GPUSeconds), gpu))
			sum.Add(sum, new(big.Int).Mul(big.NewInt(r.Credit.CPUSeconds), cpu))
		}
		out[d.wallet] = sum.Div(sum, big.NewInt(3600))
	}
	return out
}

// claim runs `hpcbridge rewards claim --keystore` for d (the chain's RPC
// URL from the coordinator); with failure set, the claim must fail saying
// it.
func (c *cluster) claim(d *donor, failure string) {
	c.t.Helper()
	out, err := c.run(c.live(), nil, "hpcbridge", "rewards", "claim", "--keystore", d.keystore, "--password-file", d.password)
	switch {
	case failure == "" && err != nil:
		c.t.Fatalf("donor %s: hpcbridge rewards claim: %v\n%s", d.name, err, out)
	case failure != "" && (err == nil || !strings.Contains(out, failure)):
		c.t.Errorf("donor %s: hpcbridge rewards claim: %v, want a failure saying %s:\n%s", d.name, err, failure, out)
	}
	c.t.Logf("donor %s: hpcbridge rewards claim:\n%s", d.name, strings.TrimSpace(out))
}

// wantBalance fails unless d's wallet holds exactly want tokens.
func (c *cluster) wantBalance(ec *ethclient.Client, contract common.Address, d *donor, want *big.Int) {
	c.t.Helper()
	got, err := balanceOf(context.Background(), ec, contract, d.wallet)
	if err != nil {
		c.t.Fatal(err)
	}
	if got.Cmp(want) != 0 {
		c.t.Errorf("donor %s's balance: %s base units, want exactly its credit %s", d.name, got, want)
	}
}

// waitLog waits until some live coordinator's log says what.
func (c *cluster) waitLog(what string, within time.Duration, text string) {
	c.t.Helper()
	e2etest.Eventually(c.t, what, within, func() error {
		for _, s := range c.coords {
			if s.alive() && strings.Contains(s.proc.Log.String(), text) {
				return nil
			}
		}
		return fmt.Errorf("no coordinator's log says %q", text)
	})
}

// checkRoots checks epochs 1..n: every live coordinator has them
// published with the same root, which is the root of that epoch's
// EpochPublished event on chain; the contract holds epoch n's root; each
// epoch was published once.
func (c *cluster) checkRoots(ec *ethclient.Client, contract common.Address, n uint64) {
	c.t.Helper()
	ctx := context.Background()
	events, err := epochEvents(ctx, ec, contract)
	if err != nil {
		c.t.Fatal(err)
	}
	onceEach(c.t, events, n)
	cur, root, err := chainEpoch(ctx, ec, contract)
	if err != nil {
		c.t.Fatal(err)
	}
	if cur != n {
		c.t.Errorf("the contract's current epoch is %d, want %d", cur, n)
	}
	for _, ev := range events {
		if ev.Epoch == n && ev.Root != root {
			c.t.Errorf("the contract's root %s is not epoch %d's published %s", root.Hex(), n, ev.Root.Hex())
		}
		for i, s := range c.coords {
			if !s.alive() {
				continue
			}
			e := c.epoch(i, ev.Epoch)
			if !strings.EqualFold(e.Root, ev.Root.Hex()) || e.State != "published" || !strings.EqualFold(e.TxHash, ev.Tx.Hex()) {
				c.t.Errorf("coordinator %d's epoch %d: root %s, %s, tx %s; the chain's: root %s in tx %s", i, ev.Epoch, e.Root, e.State, e.TxHash, ev.Root.Hex(), ev.Tx.Hex())
			}
		}
	}
}

// waitPublished waits until every live coordinator has epoch n published.
func (c *cluster) waitPublished(n uint64, within time.Duration) {
	c.t.Helper()
	c.waitEpochWithin(n, "published", within, func(e *api.RewardEpoch) error {
		if e.State != "published" {
			return fmt.Errorf("%s %s", e.State, e.Halt)
		}
		return nil
	})
}

// waitEpoch waits up to a minute until every live coordinator has epoch n
// and cond holds of it there.
func (c *cluster) waitEpoch(n uint64, what string, cond func(*api.RewardEpoch) error) {
	c.t.Helper()
	c.waitEpochWithin(n, what, time.Minute, cond)
}

func (c *cluster) waitEpochWithin(n uint64, what string, within time.Duration, cond func(*api.RewardEpoch) error) {
	c.t.Helper()
	e2etest.Eventually(c.t, fmt.Sprintf("epoch %d %s on every live coordinator", n, what), within, func() error {
		for i, s := range c.coords {
			if !s.alive() {
				continue
			}
			e, err := c.readEpoch(i, n)
			if err != nil {
				return err
			}
			if err := cond(e); err != nil {
				return fmt.Errorf("coordinator %d: epoch %d: %w", i, n, err)
			}
		}
		return nil
	})
}

// waitAccrued waits until every live coordinator credits the wallets
// want's sum (GET /v1/rewards' accrued total; each wallet's own amount is
// checked in its proof once published).
func (c *cluster) waitAccrued(want map[common.Address]*big.Int) {
	c.t.Helper()
	sum := new(big.Int)
	for _, a := range want {
		sum.Add(sum, a)
	}
	e2etest.Eventually(c.t, "the wallets' credit on every coordinator", time.Minute, func() error {
		for i, s := range c.coords {
			if !s.alive() {
				continue
			}
			st, err := c.api(i).Rewards(context.Background())
			if err != nil {
				return fmt.Errorf("coordinator %d: %w", i, err)
			}
			if st.Accrued.Total != sum.String() || st.Accrued.Wallets != len(want) {
				return fmt.Errorf("coordinator %d: %d wallets credited %s in all, want %d wallets, %s", i, st.Accrued.Wallets, st.Accrued.Total, len(want), sum)
			}
		}
		return nil
	})
}

// wantProof fails unless the coordinator's proof for d is epoch n's with
// exactly d's credit want.
func (c *cluster) wantProof(d *donor, n uint64, want *big.Int) {
	c.t.Helper()
	p, err := c.api(c.live()).RewardProof(context.Background(), d.wallet.Hex())
	if err != nil {
		c.t.Fatalf("proof of %s's wallet: %v", d.name, err)
	}
	if p.Epoch != n || p.CumulativeAmount != want.String() || !strings.EqualFold(p.Wallet, d.wallet.Hex()) {
		c.t.Errorf("proof of %s's wallet: epoch %d, %s for %s; want epoch %d, %s for %s", d.name, p.Epoch, p.CumulativeAmount, p.Wallet, n, want, d.wallet.Hex())
	}
}

// readEpoch is epoch n as coordinator i has it.
func (c *cluster) readEpoch(i int, n uint64) (*api.RewardEpoch, error) {
	st, err := c.api(i).Rewards(context.Background())
	if err != nil {
		return nil, fmt.Errorf("coordinator %d: %w", i, err)
	}
	for _, e := range st.Epochs {
		if e.Number == n {
			return &e, nil
		}
	}
	return nil, fmt.Errorf("coordinator %d has no epoch %d (%d epochs)", i, n, st.EpochCount)
}

// epoch is readEpoch, failing the test on an error.
func (c *cluster) epoch(i int, n uint64) *api.RewardEpoch {
	c.t.Helper()
	e, err := c.readEpoch(i, n)
	if err != nil {
		c.t.Fatal(err)
	}
	return e
}

// TestRewardsDev is the embedded chain: `hpcbridge dev --staged` with
// rewards on by default (go-ethereum's simulated chain inside the
// coordinator, the contract deployed on first start), a donor's machine
// joined with `hpcbridge agent` runs a checkpointing job, `hpcbridge
// rewards close` publishes epoch 1, and the donor claims through the
// coordinator's JSON-RPC (the dev faucet paid its gas): its balance is
// exactly its credit, and `rewards verify 1` agrees with the chain.
// Restarted on its data dir, dev has the same contract, epoch and tokens.
func TestRewardsDev(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadBin := nomadtest.Require(t)
	roottest.Require(t, "the donor's agent runs jobs in sandboxes (uids of their own)")
	tl := buildTools(t, nomadBin)
	ctx := context.Background()

	dataDir := filepath.Join(e2etest.SearchableDir(t, "hpcbridge-rewards-dev-", 0o711), "dev")
	bind, raftBind, home := e2etest.FreePort(t), e2etest.FreePort(t), t.TempDir()
	startDev := func() *e2etest.Proc {
		cmd := exec.Command(tl.hpcbridge(), "dev", "--staged", "--gpu-backend", "none", "--log-level", "info",
			"--data-dir", dataDir, "--bind", bind, "--raft-bind", raftBind, "--plugin-dir", tl.plugins)
		cmd.Env = e2etest.Env("HOME="+home, nomadagent.EnvBinary+"="+nomadBin)
		// The banner comes in one write; its last line is "Try: ...".
		return e2etest.Start(t, "hpcbridge dev", cmd, "Try: ", 5*time.Minute)
	}
	dev := startDev()
	tok, err := os.ReadFile(filepath.Join(dataDir, "management-token"))
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, tl: tl, token: strings.TrimSpace(string(tok)), work: e2etest.SearchableDir(t, "hpcbridge-rewards-work-", 0o1777),
		coords: []*coord{{apiAddr: bind, proc: dev}}}
	st, err := c.api(0).Rewards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Chain == nil || st.Chain.Kind != "simulated" || !st.Chain.Embedded || !common.IsHexAddress(st.Chain.Contract) {
		t.Fatalf("hpcbridge dev's rewards chain: %+v, want the embedded simulated chain with a contract", st.Chain)
	}
	contract := common.HexToAddress(st.Chain.Contract)
	set := []string{"rewards", "rates", "set", "--cpu", cpuRate}
	for _, r := range rates {
		set = append(set, "--gpu", r.prefix+"="+r.tokens)
	}
	c.must("hpcbridge", set...)

	d := newDonor(t, c, 0, "uni-a", "uni-a-1", "h100")
	d.join(t, tl, c.coords[0].url())
	c.copyExample("gpu-train-checkpoint.sh")
	id := c.submit("-w", d.node, "gpu-train-checkpoint.sh", trainEpochs)
	c.waitJob(id, d.node, 3*time.Minute)
	want := c.expectCredit([]*donor{d})
	if want[d.wallet].Sign() <= 0 {
		t.Fatalf("donor %s's wallet has no credit after its job: receipts %s", d.name, c.must("hpcbridge", "receipts", "--node", d.node))
	}
	c.waitAccrued(want)
	c.must("hpcbridge", "rewards", "close")
	c.waitPublished(1, time.Minute)
	c.wantProof(d, 1, want[d.wallet])

	// The embedded chain through the coordinator's JSON-RPC route.
	rc, err := rpc.DialOptions(ctx, c.api(0).RewardsRPCURL(), rpc.WithHeader(api.HeaderToken, c.token))
	if err != nil {
		t.Fatal(err)
	}
	ec := ethclient.NewClient(rc)
	defer ec.Close()
	c.checkRoots(ec, contract, 1)
	c.must("hpcbridge", "rewards", "verify", "1")
	c.claim(d, "")
	c.wantBalance(ec, contract, d, want[d.wallet])
	c.claim(d, "NothingToClaim")

	// Restarted on its data dir, dev keeps its chain: the same contract,
	// epoch 1 published with its root, the donor's tokens.
	root := c.epoch(0, 1).Root
	if err := d.agent.Stop(syscall.SIGINT, 2*time.Minute); err != nil {
		t.Errorf("the donor's agent after SIGINT: %v", err)
	}
	if err := dev.Stop(syscall.SIGINT, 2*time.Minute); err != nil {
		t.Fatalf("hpcbridge dev after SIGINT: %v", err)
	}
	c.coords[0].proc = startDev()
	st, err = c.api(0).Rewards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Chain == nil || st.Chain.Contract != contract.Hex() {
		t.Errorf("the restarted dev's chain: %+v, want contract %s", st.Chain, contract.Hex())
	}
	if e := c.epoch(0, 1); e.State != "published" || e.Root != root {
		t.Errorf("the restarted dev's epoch 1: %+v, want published with root %s", e, root)
	}
	rc2, err := rpc.DialOptions(ctx, c.api(0).RewardsRPCURL(), rpc.WithHeader(api.HeaderToken, c.token))
	if err != nil {
		t.Fatal(err)
	}
	ec2 := ethclient.NewClient(rc2)
	defer ec2.Close()
	c.checkRoots(ec2, contract, 1)
	c.wantBalance(ec2, contract, d, want[d.wallet])
}

// gasOf says a receipt's gas, or why there is none.
func gasOf(rc *types.Receipt, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d gas", rc.GasUsed)
}
