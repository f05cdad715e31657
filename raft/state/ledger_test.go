package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/hpcbridge/hpcbridge/internal/merkle"
)

var (
	walletA = testWallet
	walletB = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
)

// ledgerFixture is a running job (requeueFixture) on node n1 (node-1,
// key 1) that joined donor uni-a, whose wallet is walletA.
type ledgerFixture struct {
	*requeueFixture
	start time.Time
	seq   int
	end   time.Time
}

func newLedgerFixture(t *testing.T) *ledgerFixture {
	f := &ledgerFixture{requeueFixture: newRequeueFixture(t, "#!/bin/sh\ntrue\n"), start: t0.Add(time.Second)}
	f.donor("uni-a", walletA)
	f.join("uni-a", "n1", testKey(1), 1)
	registerKey(f.requeueFixture, "node-1", "n1", testKey(1), t0)
	f.run(f.start, "n1")
	f.end = f.start
	return f
}

func (f *ledgerFixture) donor(name, wallet string) {
	f.t.Helper()
	f.apply(CmdDonor, DonorCmd{Op: DonorRegister, Time: t0, Name: name, Wallet: wallet, WalletProof: testProof,
		WalletIssued: t0, By: mgmt})
}

func (f *ledgerFixture) setWallet(name, wallet string, at time.Time) {
	f.t.Helper()
	f.apply(CmdDonor, DonorCmd{Op: DonorWallet, Time: at, Name: name, Wallet: wallet, WalletProof: "0x" + strings.Repeat("cd", 65),
		WalletIssued: at, By: mgmt})
}

// join redeems a join token of donor for node name with key.
func (f *ledgerFixture) join(donor, name, key string, n int) {
	f.t.Helper()
	h := fmt.Sprintf("%064x", n)
	f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinIssue, Time: t0, By: mgmt, Token: &JoinToken{Accessor: fmt.Sprintf("acc-%d", n), SecretHash: h,
		Donor: donor, CreateTime: t0, Expires: t0.Add(time.Hour)}})
	f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, Time: t0, SecretHash: h, NodeName: name, Key: key})
}

// checkpoint commits the job's next receipt: one minute of 2 GPUs of
// model and 4 CPUs, signed with key.
func (f *ledgerFixture) checkpoint(key, model string) *ReceiptRecord {
	f.t.Helper()
	f.seq++
	c := ckpt(f.id, 0, f.seq, f.end, f.end.Add(time.Minute))
	f.end = c.ClaimEnd
	c.Key, c.Credit.GPUModel = key, model
	res := applyCkpt(f.requeueFixture, c)
	if res.Err != nil {
		f.t.Fatal(res.Err)
	}
	return res.Value.(CheckpointResult).Record
}

func (f *ledgerFixture) ledger(c LedgerCmd) *Result {
	f.t.Helper()
	if c.Time.IsZero() {
		c.Time = f.end
	}
	return mustApply(f.t, f.s, &f.idx, CmdLedger, c)
}

func (f *ledgerFixture) rates(gpu map[string]string, def, cpu string) {
	f.t.Helper()
	if res := f.ledger(LedgerCmd{Op: LedgerRates, By: mgmt, Rates: &RewardRates{GPU: gpu, DefaultGPU: def, CPU: cpu}}); res.Err != nil {
		f.t.Fatal(res.Err)
	}
}

func (f *ledgerFixture) cumulative(wallet string) string {
	return f.s.View().WalletCumulative(wallet).String()
}

func TestRewardRatesGPURate(t *testing.T) {
	r := RewardRates{GPU: map[string]string{"NVIDIA H100": "10", "nvidia h100 80gb hbm3": "11", "NVIDIA A100": "6", "NVIDIA": "1"}, DefaultGPU: "3", CPU: "2"}
	for model, want := range map[string]string{
		"NVIDIA H100 80GB HBM3": "11", // exact, case-insensitive
		"NVIDIA H100 PCIe":      "10", // the longest prefix
		"nvidia a100-sxm4-40gb": "6",
		"NVIDIA L4":             "1",
		"Tesla T4":              "3", // the default
		"":                      "3",
		"NVIDIA H10":            "1", // a key longer than the model is no prefix of it
	} {
		if got := r.GPURate(model); got != want {
			t.Errorf("GPURate(%q) = %s, want %s", model, got, want)
		}
	}
	if d := DefaultRewardRates(); d.GPURate("NVIDIA H100") != DefaultGPURate || d.CPU != DefaultCPURate || d.Check() != nil {
		t.Errorf("defaults %+v", d)
	}
}

// A receipt of a key that joined a donor with a wallet earns its weighted
// work; the wallet's cumulative amount loses no rounding across receipts;
// the receipt and the job record it.
func TestLedgerAccrualFromCheckpoints(t *testing.T) {
	f := newLedgerFixture(t)
	// Never set: the defaults. 2 GPUs x 60 s at 1e18/h and 4 CPUs x 60 s
	// at 1e16/h: (120e18 + 240e16) / 3600 = 34e15.
	rec := f.checkpoint(testKey(1), "NVIDIA H100 80GB HBM3")
	if rec.Reward != "34000000000000000" || rec.Wallet != walletA {
		t.Fatalf("receipt reward %q to %q", rec.Reward, rec.Wallet)
	}
	if got := f.cumulative(walletA); got != "34000000000000000" {
		t.Fatalf("cumulative %s", got)
	}
	// 100 base units per H100-hour, no CPU rate: 120 GPU-s are 12000/3600
	// = 3.33 units per receipt: the receipts record 3 each, the wallet
	// keeps the fractions.
	f.rates(map[string]string{"NVIDIA H100": "100"}, "5", "0")
	base := decimal("34000000000000000")
	var sum int64
	for range 3 {
		rec := f.checkpoint(testKey(1), "nvidia h100 80GB HBM3")
		if rec.Reward != "3" {
			t.Fatalf("receipt reward %q, want 3", rec.Reward)
		}
		sum += 3
	}
	if got, want := f.s.View().WalletCumulative(walletA), new(big.Int).Add(base, big.NewInt(10)); got.Cmp(want) != 0 {
		t.Fatalf("cumulative %s, want %s (3 x 3.33 without rounding loss)", got, want)
	}
	if cp := f.job().Checkpoints; cp.Reward != new(big.Int).Add(base, big.NewInt(sum)).String() {
		t.Fatalf("job reward %q", cp.Reward)
	}
	// Another model: the default rate (5 x 120 / 3600 = 0.16: 0).
	if rec := f.checkpoint(testKey(1), "Tesla T4"); rec.Reward != "0" || rec.Wallet != walletA {
		t.Fatalf("default-rate receipt %q to %q", rec.Reward, rec.Wallet)
	}
	wc := f.s.View().WalletCredits()
	if len(wc) != 1 || wc[0].Donor != "uni-a" || wc[0].Wallet != walletA || wc[0].Accrued != new(big.Int).Add(new(big.Int).Mul(base, big.NewInt(3600)), big.NewInt(3*12000+600)).String() {
		t.Fatalf("wallet credits %+v", wc[0])
	}
	// The wallet is found in any case.
	if f.cumulative(strings.ToLower(walletA)) != f.cumulative(walletA) {
		t.Fatal("WalletCumulative depends on the address's case")
	}
}

// Credit follows the key that signed the receipt, never the node's name:
// a key no join registered earns nothing, whatever node name it comes
// with; a donor's new wallet earns from then on, the old keeps its credit.
func TestLedgerCreditFollowsTheKey(t *testing.T) {
	f := newLedgerFixture(t)
	f.rates(nil, "3600", "0") // 1 base unit per GPU-second
	f.checkpoint(testKey(1), "")
	// Node n1 now presents a key no join registered (its Nomad client's
	// key file was replaced): it is n1 by name, nobody's by key.
	registerKey(f.requeueFixture, "node-1", "n1", testKey(3), f.end)
	if rec := f.checkpoint(testKey(3), ""); rec.Reward != "" || rec.Wallet != "" {
		t.Fatalf("an unjoined key's receipt earned %q for %q", rec.Reward, rec.Wallet)
	}
	if got := f.cumulative(walletA); got != "120" {
		t.Fatalf("cumulative %s, want 120", got)
	}
	// The key joins donor uni-b: its receipts are uni-b's.
	f.donor("uni-b", walletB)
	f.join("uni-b", "n1b", testKey(3), 2)
	if rec := f.checkpoint(testKey(3), ""); rec.Reward != "120" || rec.Wallet != walletB {
		t.Fatalf("receipt %q to %q, want 120 to uni-b's wallet", rec.Reward, rec.Wallet)
	}
	// uni-b changes its wallet: walletB keeps its 120, the new one earns.
	newWallet := "0x1111111111111111111111111111111111111111"
	f.setWallet("uni-b", strings.ToLower(newWallet), f.end)
	if rec := f.checkpoint(testKey(3), ""); rec.Wallet != CanonicalWallet(newWallet) {
		t.Fatalf("receipt to %q after the wallet change", rec.Wallet)
	}
	if a, b, n := f.cumulative(walletA), f.cumulative(walletB), f.cumulative(newWallet); a != "120" || b != "120" || n != "120" {
		t.Fatalf("cumulative A %s B %s new %s", a, b, n)
	}
	// A receipt of a donor that is gone earns nothing: n1b leaves, the
	// donor is deleted (its join records with it).
	f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinLeave, Time: f.end, NodeName: "n1b", Key: testKey(3)})
	f.apply(CmdDonor, DonorCmd{Op: DonorDelete, Time: f.end, Name: "uni-b", By: mgmt})
	if rec := f.checkpoint(testKey(3), ""); rec.Reward != "" {
		t.Fatalf("a deleted donor's key earned %q", rec.Reward)
	}
}

// A Checkpoint 1 entry (a log written before the ledger) accrues nothing.
func TestLedgerCheckpointVersion1AccruesNothing(t *testing.T) {
	f := newLedgerFixture(t)
	c := ckpt(f.id, 0, 1, f.start, f.start.Add(time.Minute))
	body, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	f.idx++
	res := f.s.Apply(f.idx, append([]byte{byte(CmdCheckpoint), 1}, body...))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if rec := res.Value.(CheckpointResult).Record; rec.Reward != "" || rec.Wallet != "" || len(f.s.View().WalletCredits()) != 0 {
		t.Fatalf("version 1 accrued %q to %q", rec.Reward, rec.Wallet)
	}
	if f.job().Checkpoints.Reward != "" {
		t.Fatalf("job reward %q", f.job().Checkpoints.Reward)
	}
}

func TestLedgerGPUModelBounds(t *testing.T) {
	for _, m := range []string{strings.Repeat("x", MaxGPUModelLen+1), "H100\n", "H100\x00", "\xff"} {
		c := ckpt(1, 0, 1, t0, t0.Add(time.Minute))
		c.Credit.GPUModel = m
		if _, err := Encode(CmdCheckpoint, c); err == nil {
			t.Errorf("GPU model %q accepted", m)
		}
	}
	c := ckpt(1, 0, 1, t0, t0.Add(time.Minute))
	c.Credit.GPUModel = "NVIDIA H100 80GB HBM3"
	if _, err := Encode(CmdCheckpoint, c); err != nil {
		t.Fatal(err)
	}
}

func TestLedgerRates(t *testing.T) {
	f := newLedgerFixture(t)
	at := t0.Add(time.Hour)
	if res := f.ledger(LedgerCmd{Op: LedgerRates, Time: at, By: Actor{User: "alice"}, Rates: &RewardRates{DefaultGPU: "1", CPU: "1"}}); !errors.Is(res.Err, ErrPermission) {
		t.Fatalf("a user set the rates: %+v", res)
	}
	if r := f.s.View().RewardRates(); !r.Set.IsZero() || r.DefaultGPU != DefaultGPURate {
		t.Fatalf("rates %+v before any was set", r)
	}
	want := RewardRates{GPU: map[string]string{"NVIDIA H100": "1000000000000000000", "NVIDIA A100": "600000000000000000"}, DefaultGPU: "0", CPU: "0"}
	if res := f.ledger(LedgerCmd{Op: LedgerRates, Time: at, By: mgmt, Rates: &want}); res.Err != nil {
		t.Fatal(res.Err)
	}
	r := f.s.View().RewardRates()
	if !r.Set.Equal(at) || r.By != "root" || r.GPU["NVIDIA A100"] != "600000000000000000" || r.DefaultGPU != "0" {
		t.Fatalf("rates %+v", r)
	}
	many := map[string]string{}
	for i := range MaxRateModels + 1 {
		many[fmt.Sprintf("gpu-%d", i)] = "1"
	}
	for name, bad := range map[string]RewardRates{
		"leading zero":          {DefaultGPU: "01", CPU: "1"},
		"negative":              {DefaultGPU: "-1", CPU: "1"},
		"fraction":              {DefaultGPU: "1.5", CPU: "1"},
		"exponent":              {DefaultGPU: "1e18", CPU: "1"},
		"too many digits":       {DefaultGPU: "1" + strings.Repeat("0", MaxRateDigits), CPU: "1"},
		"no default":            {CPU: "1"},
		"no CPU rate":           {DefaultGPU: "1"},
		"bad model rate":        {GPU: map[string]string{"H100": " 1"}, DefaultGPU: "1", CPU: "1"},
		"empty model":           {GPU: map[string]string{"": "1"}, DefaultGPU: "1", CPU: "1"},
		"model too long":        {GPU: map[string]string{strings.Repeat("x", MaxGPUModelLen+1): "1"}, DefaultGPU: "1", CPU: "1"},
		"model not printable":   {GPU: map[string]string{"H\t100": "1"}, DefaultGPU: "1", CPU: "1"},
		"models differ by case": {GPU: map[string]string{"H100": "1", "h100": "2"}, DefaultGPU: "1", CPU: "1"},
		"too many models":       {GPU: many, DefaultGPU: "1", CPU: "1"},
	} {
		t.Run(name, func(t *testing.T) {
			c := LedgerCmd{Op: LedgerRates, Time: at, By: mgmt, Rates: &bad}
			if _, err := Encode(CmdLedger, c); err == nil {
				t.Fatal("Encode took it")
			}
			// A leader that skipped the check: Apply refuses it too.
			if res := applyRaw(f.requeueFixture, CmdLedger, c); res.Err == nil {
				t.Fatal("Apply took it")
			}
			if got := f.s.View().RewardRates(); got.GPU["NVIDIA A100"] != "600000000000000000" || len(got.GPU) != 2 {
				t.Fatalf("a refused table changed the rates: %+v", got)
			}
		})
	}
}

// applyRaw applies payload as ct version 1 without Encode's checks (a
// leader that skipped them, or a forged entry).
func applyRaw(f *requeueFixture, ct CommandType, payload any) *Result {
	f.t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	f.idx++
	return f.s.Apply(f.idx, append([]byte{byte(ct), commands[ct].version}, body...))
}

func TestLedgerCommandBounds(t *testing.T) {
	good := PublishIntent{ChainID: "1337", Contract: walletA, From: walletB, Nonce: 3, TxHash: "0x" + strings.Repeat("ab", 32),
		RawTx: "0x02f8", Time: t0}
	intent := func(edit func(*PublishIntent)) *PublishIntent { p := good; edit(&p); return &p }
	for name, c := range map[string]LedgerCmd{
		"unknown op":           {Op: "mint", Time: t0, Epoch: 1},
		"rates without table":  {Op: LedgerRates, Time: t0},
		"rates without time":   {Op: LedgerRates, Rates: &RewardRates{DefaultGPU: "1", CPU: "1"}, By: mgmt},
		"close without time":   {Op: LedgerClose, Epoch: 1},
		"close without epoch":  {Op: LedgerClose, Time: t0},
		"intent without it":    {Op: LedgerIntent, Time: t0, Epoch: 1},
		"intent without epoch": {Op: LedgerIntent, Time: t0, Intent: &good},
		"intent chain id":      {Op: LedgerIntent, Time: t0, Epoch: 1, Intent: intent(func(p *PublishIntent) { p.ChainID = "0" })},
		"intent contract":      {Op: LedgerIntent, Time: t0, Epoch: 1, Intent: intent(func(p *PublishIntent) { p.Contract = "0x12" })},
		"intent sender":        {Op: LedgerIntent, Time: t0, Epoch: 1, Intent: intent(func(p *PublishIntent) { p.From = "" })},
		"intent tx hash":       {Op: LedgerIntent, Time: t0, Epoch: 1, Intent: intent(func(p *PublishIntent) { p.TxHash = "0xab" })},
		"intent raw tx odd":    {Op: LedgerIntent, Time: t0, Epoch: 1, Intent: intent(func(p *PublishIntent) { p.RawTx = "0x2" })},
		"intent raw tx empty":  {Op: LedgerIntent, Time: t0, Epoch: 1, Intent: intent(func(p *PublishIntent) { p.RawTx = "0x" })},
		"intent raw tx long": {Op: LedgerIntent, Time: t0, Epoch: 1, Intent: intent(func(p *PublishIntent) {
			p.RawTx = "0x" + strings.Repeat("00", MaxRawTx+1)
		})},
		"intent time":        {Op: LedgerIntent, Time: t0, Epoch: 1, Intent: intent(func(p *PublishIntent) { p.Time = time.Time{} })},
		"published tx hash":  {Op: LedgerPublished, Time: t0, Epoch: 1, TxHash: "0x1"},
		"published root":     {Op: LedgerPublished, Time: t0, Epoch: 1, Root: "root"},
		"published no time":  {Op: LedgerPublished, Epoch: 1},
		"published no epoch": {Op: LedgerPublished, Time: t0},
		"halt no reason":     {Op: LedgerHalt, Time: t0, Epoch: 1},
		"halt long reason":   {Op: LedgerHalt, Time: t0, Epoch: 1, Reason: strings.Repeat("x", MaxHaltReason+1)},
		"halt no epoch":      {Op: LedgerHalt, Time: t0, Reason: "x"},
		"resume no epoch":    {Op: LedgerResume, Time: t0, By: mgmt},
	} {
		if _, err := Encode(CmdLedger, c); err == nil {
			t.Errorf("%s: Encode took it", name)
		}
	}
	if _, err := Encode(CmdLedger, LedgerCmd{Op: LedgerIntent, Time: t0, Epoch: 1, Intent: &good}); err != nil {
		t.Fatal(err)
	}
}

// seedWallets gives n wallets credit directly (as receipts would have):
// wallet i accrues amount(i) base units more.
func seedWallets(t testing.TB, s *Store, idx uint64, n int, amount func(i int) int64) {
	t.Helper()
	txn := s.memdb().Txn(true)
	for i := range n {
		w := common.BigToAddress(big.NewInt(int64(i) + 1)).Hex()
		wc := &WalletCredit{Wallet: w, Donor: "seed", Accrued: "0"}
		if raw, _ := txn.First(tableWalletCredit, "id", w); raw != nil {
			cp := *raw.(*WalletCredit)
			wc = &cp
		}
		if a := amount(i); a > 0 {
			wc.Accrued = addDecimal(wc.Accrued, big.NewInt(0).Mul(big.NewInt(a), big.NewInt(secondsPerHour)).String())
			wc.ModifyIdx = idx
			if err := txn.Insert(tableWalletCredit, wc); err != nil {
				t.Fatal(err)
			}
		}
	}
	txn.Commit()
}

// checkExport: epoch n's export has its wallets and rebuilds its root.
func checkExport(t *testing.T, v *View, n uint64) []merkle.Leaf {
	t.Helper()
	e := v.Epoch(n)
	leaves, err := v.EpochLeaves(n)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := merkle.Build(leaves)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	if got := fmt.Sprintf("0x%x", root[:]); got != e.Root || len(leaves) != e.Wallets {
		t.Fatalf("epoch %d: export of %d leaves rebuilds %s, the epoch has %d leaves, root %s", n, len(leaves), got, e.Wallets, e.Root)
	}
	return leaves
}

func TestLedgerClose(t *testing.T) {
	f := newLedgerFixture(t)
	closeAt := func(n uint64) *Result { return f.ledger(LedgerCmd{Op: LedgerClose, Epoch: n}) }
	if res := closeAt(1); !errors.Is(res.Err, ErrNothingToClose) {
		t.Fatalf("close without credit: %+v", res)
	}
	if f.s.View().RewardsPending() {
		t.Fatal("pending without credit")
	}
	f.checkpoint(testKey(1), "")
	if !f.s.View().RewardsPending() {
		t.Fatal("credit, and nothing pending")
	}
	if res := closeAt(2); !errors.Is(res.Err, ErrState) {
		t.Fatalf("close of epoch 2 first: %+v", res)
	}
	res := closeAt(1)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	e1 := f.s.View().Epoch(1)
	if lr := res.Value.(LedgerResult); lr.Epoch != 1 || lr.Root != e1.Root || e1.State != EpochClosed || e1.Wallets != 1 ||
		e1.Total != "34000000000000000" || !e1.Closed.Equal(f.end) || len(e1.Root) != 66 {
		t.Fatalf("closed %+v, epoch %+v", lr, e1)
	}
	checkExport(t, f.s.View(), 1)
	// Nothing changed since: nothing to close.
	if f.s.View().RewardsPending() {
		t.Fatal("pending right after a close")
	}
	if res := closeAt(2); !errors.Is(res.Err, ErrNothingToClose) {
		t.Fatalf("close without a change: %+v", res)
	}
	// A zero-rate receipt credits nothing: still nothing to close.
	f.rates(nil, "0", "0")
	f.checkpoint(testKey(1), "")
	if res := closeAt(2); !errors.Is(res.Err, ErrNothingToClose) {
		t.Fatalf("close after a zero-rate receipt: %+v", res)
	}
	// Less than a base unit more is no change of the cumulative amount.
	f.rates(nil, "1", "0")
	f.checkpoint(testKey(1), "") // 120 GPU-s at 1/h: 120/3600 of a unit
	if res := closeAt(2); !errors.Is(res.Err, ErrNothingToClose) {
		t.Fatalf("close after a fraction: %+v", res)
	}
	// Another donor's wallet earns: epoch 2 stores its row only.
	f.donor("uni-b", walletB)
	f.join("uni-b", "n1b", testKey(3), 2)
	registerKey(f.requeueFixture, "node-1", "n1", testKey(3), f.end)
	f.rates(nil, "3600", "0")
	f.checkpoint(testKey(3), "")
	if res := closeAt(2); res.Err != nil {
		t.Fatal(res.Err)
	}
	if rows := f.s.View().EpochLeafRows(2); len(rows) != 1 || rows[0].Wallet != walletB || rows[0].Amount != "120" {
		t.Fatalf("epoch 2 rows %+v", rows)
	}
	l1, l2 := checkExport(t, f.s.View(), 1), checkExport(t, f.s.View(), 2)
	if len(l1) != 1 || len(l2) != 2 {
		t.Fatalf("exports of %d and %d leaves", len(l1), len(l2))
	}
	if e := f.s.View().LastEpoch(); e.Number != 2 || e.Total != "34000000000000120" || len(f.s.View().Epochs()) != 2 {
		t.Fatalf("last epoch %+v", e)
	}
	if _, err := f.s.View().EpochLeaves(3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("leaves of an epoch not closed: %v", err)
	}
}

// A cumulative amount over what the contract holds (2^128-1) is refused
// at the close, loudly, rather than published unclaimable.
func TestLedgerCloseRefusesAnAmountTheContractCannotHold(t *testing.T) {
	s := New()
	txn := s.memdb().Txn(true)
	over := new(big.Int).Mul(new(big.Int).Add(maxAmount, big.NewInt(1)), big.NewInt(secondsPerHour))
	if err := txn.Insert(tableWalletCredit, &WalletCredit{Wallet: walletA, Accrued: over.String(), ModifyIdx: 1}); err != nil {
		t.Fatal(err)
	}
	txn.Commit()
	var idx uint64 = 1
	res := mustApply(t, s, &idx, CmdLedger, LedgerCmd{Op: LedgerClose, Time: t0, Epoch: 1})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "2^128-1") || s.View().LastEpoch() != nil {
		t.Fatalf("close over 2^128-1: %+v", res)
	}
}

func TestLedgerPublishStates(t *testing.T) {
	f := newLedgerFixture(t)
	var step int64
	credit := func() {
		f.t.Helper()
		step++
		seedWallets(t, f.s, f.idx+1, 3, func(i int) int64 { return step * int64(i+1) })
	}
	closeNext := func() uint64 {
		t.Helper()
		credit()
		n := uint64(1)
		if e := f.s.View().LastEpoch(); e != nil {
			n = e.Number + 1
		}
		if res := f.ledger(LedgerCmd{Op: LedgerClose, Epoch: n}); res.Err != nil {
			t.Fatal(res.Err)
		}
		return n
	}
	intent := func(nonce uint64) *PublishIntent {
		return &PublishIntent{ChainID: "1337", Contract: walletA, From: walletB, Nonce: nonce,
			TxHash: fmt.Sprintf("0x%064x", nonce), RawTx: "0x02f86b", Time: f.end}
	}
	must := func(c LedgerCmd, state string) {
		t.Helper()
		res := f.ledger(c)
		if res.Err != nil {
			t.Fatalf("%s of epoch %d: %v", c.Op, c.Epoch, res.Err)
		}
		if lr := res.Value.(LedgerResult); lr.State != state || f.s.View().Epoch(c.Epoch).State != state {
			t.Fatalf("%s of epoch %d: %+v, want %s", c.Op, c.Epoch, lr, state)
		}
	}
	refused := func(c LedgerCmd, want error) {
		t.Helper()
		before := fmt.Sprintf("%+v", f.s.View().Epochs())
		if res := f.ledger(c); !errors.Is(res.Err, want) {
			t.Fatalf("%s of epoch %d: %+v, want %v", c.Op, c.Epoch, res, want)
		}
		if after := fmt.Sprintf("%+v", f.s.View().Epochs()); after != before {
			t.Fatalf("a refused %s changed epoch %d: %+v -> %+v", c.Op, c.Epoch, before, after)
		}
	}
	e1, e2 := closeNext(), closeNext()
	// Epoch 2 waits for epoch 1.
	refused(LedgerCmd{Op: LedgerIntent, Epoch: e2, Intent: intent(1)}, ErrState)
	refused(LedgerCmd{Op: LedgerIntent, Epoch: 9, Intent: intent(1)}, ErrNotFound)
	must(LedgerCmd{Op: LedgerIntent, Epoch: e1, Intent: intent(1)}, EpochSending)
	// A new intent replaces it (the old nonce was consumed by another transaction).
	must(LedgerCmd{Op: LedgerIntent, Epoch: e1, Intent: intent(2)}, EpochSending)
	if e := f.s.View().Epoch(e1); e.Attempts != 2 || e.Intent.Nonce != 2 {
		t.Fatalf("epoch 1 after two intents: %+v", e)
	}
	// The chain's root must be the epoch's.
	refused(LedgerCmd{Op: LedgerPublished, Epoch: e1, TxHash: intent(2).TxHash, Root: "0x" + strings.Repeat("00", 32)}, ErrState)
	must(LedgerCmd{Op: LedgerPublished, Epoch: e1, TxHash: intent(2).TxHash, Block: 7, Root: "0x" + strings.ToUpper(f.s.View().Epoch(e1).Root[2:])}, EpochPublished)
	if e := f.s.View().Epoch(e1); e.TxHash != intent(2).TxHash || e.Block != 7 || !e.Published.Equal(f.end) {
		t.Fatalf("published epoch %+v", e)
	}
	// Again (a retry): the same answer, nothing changed.
	must(LedgerCmd{Op: LedgerPublished, Epoch: e1, TxHash: fmt.Sprintf("0x%064x", 99), Block: 8}, EpochPublished)
	if e := f.s.View().Epoch(e1); e.Block != 7 {
		t.Fatalf("a repeated published changed the epoch: %+v", e)
	}
	refused(LedgerCmd{Op: LedgerIntent, Epoch: e1, Intent: intent(3)}, ErrState)
	refused(LedgerCmd{Op: LedgerHalt, Epoch: e1, Reason: "late"}, ErrState)
	refused(LedgerCmd{Op: LedgerResume, Epoch: e1, By: mgmt}, ErrState)
	// Epoch 2: the chain holds it already, no intent recorded.
	must(LedgerCmd{Op: LedgerPublished, Epoch: e2}, EpochPublished)
	// Epoch 3 halts: no intent, no published, until an administrator resumes.
	e3 := closeNext()
	must(LedgerCmd{Op: LedgerIntent, Epoch: e3, Intent: intent(4)}, EpochSending)
	must(LedgerCmd{Op: LedgerHalt, Epoch: e3, Reason: "the chain holds another root for epoch 3"}, EpochHalted)
	must(LedgerCmd{Op: LedgerHalt, Epoch: e3, Reason: "again"}, EpochHalted)
	if e := f.s.View().Epoch(e3); e.Halt != "the chain holds another root for epoch 3" {
		t.Fatalf("halted epoch %+v", e)
	}
	refused(LedgerCmd{Op: LedgerIntent, Epoch: e3, Intent: intent(5)}, ErrState)
	refused(LedgerCmd{Op: LedgerPublished, Epoch: e3}, ErrState)
	// Epochs close on while it is halted; the next waits for it.
	e4 := closeNext()
	refused(LedgerCmd{Op: LedgerIntent, Epoch: e4, Intent: intent(5)}, ErrState)
	refused(LedgerCmd{Op: LedgerResume, Epoch: e3, By: Actor{User: "alice"}}, ErrPermission)
	refused(LedgerCmd{Op: LedgerResume, Epoch: e3, By: Actor{User: "donor-admin:uni-a", Donor: "uni-a"}}, ErrPermission)
	must(LedgerCmd{Op: LedgerResume, Epoch: e3, By: mgmt}, EpochClosed)
	if e := f.s.View().Epoch(e3); e.Intent != nil || e.Halt != "" || e.Attempts != 1 {
		t.Fatalf("resumed epoch %+v", e)
	}
	refused(LedgerCmd{Op: LedgerResume, Epoch: e3, By: mgmt}, ErrState)
	must(LedgerCmd{Op: LedgerIntent, Epoch: e3, Intent: intent(6)}, EpochSending)
	must(LedgerCmd{Op: LedgerPublished, Epoch: e3, TxHash: intent(6).TxHash}, EpochPublished)
	// A reason quoting a chain's answer is kept printable.
	must(LedgerCmd{Op: LedgerHalt, Epoch: e4, Reason: "publish reverted: \x1b[31m\xff\n"}, EpochHalted)
	if e := f.s.View().Epoch(e4); e.Halt != "publish reverted: ?[31m??" {
		t.Fatalf("halt reason %q", e.Halt)
	}
	refused(LedgerCmd{Op: LedgerHalt, Epoch: 9, Reason: "x"}, ErrNotFound)
	refused(LedgerCmd{Op: LedgerPublished, Epoch: 9}, ErrNotFound)
}

// The leaf rows of the last EpochsExported epochs are kept, older
// superseded ones dropped: exports of those epochs rebuild their roots,
// older ones are refused.
func TestLedgerPrunesLeaves(t *testing.T) {
	s := New()
	var idx uint64
	n := uint64(EpochsExported + 20)
	for e := uint64(1); e <= n; e++ {
		// Wallet 0 changes every epoch, wallet 1 every 100th, wallet 2
		// never after the first.
		seedWallets(t, s, idx+1, 3, func(i int) int64 {
			switch {
			case i == 0, i == 1 && (e%100 == 0 || e == 1), i == 2 && e == 1:
				return 1
			}
			return 0
		})
		if res := mustApply(t, s, &idx, CmdLedger, LedgerCmd{Op: LedgerClose, Time: t0.Add(time.Duration(e) * time.Minute), Epoch: e}); res.Err != nil {
			t.Fatalf("close %d: %v", e, res.Err)
		}
	}
	v := s.View()
	oldest := n - EpochsExported + 1
	for _, e := range []uint64{oldest, oldest + 1, n - 50, n} {
		checkExport(t, v, e)
	}
	if _, err := v.EpochLeaves(oldest - 1); !errors.Is(err, ErrEpochPruned) {
		t.Fatalf("leaves of epoch %d: %v", oldest-1, err)
	}
	var kept int
	for e := uint64(1); e <= n; e++ {
		kept += len(v.EpochLeafRows(e))
	}
	// Wallet 0: one row per exported epoch (none before: it has one of
	// the oldest); wallet 1: its rows of epochs 100.. in the window and
	// its row of epoch 1 (the oldest export's); wallet 2: its one.
	w1 := 0
	for e := uint64(100); e <= n; e += 100 {
		if e >= oldest {
			w1++
		}
	}
	if want := EpochsExported + w1 + 1 + 1; kept != want {
		t.Fatalf("%d leaf rows kept, want %d", kept, want)
	}
	if len(v.Epochs()) != int(n) {
		t.Fatalf("%d epochs kept, want all %d", len(v.Epochs()), n)
	}
	// And a restore keeps the same rows.
	if a, b := snap(t, s), snap(t, restoreOf(t, s)); string(a) != string(b) {
		t.Fatal("snapshot -> restore -> snapshot differs")
	}
}

// BenchmarkLedgerClose: closing an epoch over 100,000 wallets, in Apply:
// the first epoch (every wallet a new leaf row: the worst case) and a
// later one where 1% of the wallets changed.
func BenchmarkLedgerClose(b *testing.B) {
	const wallets = 100_000
	for _, bc := range []struct {
		name    string
		changed int // every changed-th wallet changed after epoch 1 (0: close epoch 1)
	}{{"first/all-changed", 0}, {"next/1pct-changed", 100}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var cpu time.Duration // the process's CPU time (GC included): the box may be busy
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := New()
				idx := uint64(1)
				seedWallets(b, s, idx, wallets, func(i int) int64 { return int64(i)*1_000_000_007 + 1 })
				epoch := uint64(1)
				if bc.changed > 0 {
					idx++
					if res := s.Apply(idx, mustEncode(b, LedgerCmd{Op: LedgerClose, Time: t0, Epoch: 1})); res.Err != nil {
						b.Fatal(res.Err)
					}
					idx++
					seedWallets(b, s, idx, wallets, func(i int) int64 { return int64(min(1, i%bc.changed)) ^ 1 })
					epoch = 2
				}
				entry := mustEncode(b, LedgerCmd{Op: LedgerClose, Time: t0, Epoch: epoch})
				c0 := cpuTime(b)
				b.StartTimer()
				res := s.Apply(idx+1, entry)
				b.StopTimer()
				cpu += cpuTime(b) - c0
				if res.Err != nil || res.Value.(LedgerResult).Wallets != wallets {
					b.Fatalf("close: %+v", res)
				}
				if rows := len(s.View().EpochLeafRows(epoch)); bc.changed > 0 && rows != wallets/bc.changed {
					b.Fatalf("%d rows", rows)
				}
			}
			b.ReportMetric(float64(wallets), "wallets")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mustEncode(b testing.TB, c LedgerCmd) []byte {
	b.Helper()
	entry, err := Encode(CmdLedger, c)
	if err != nil {
		b.Fatal(err)
	}
	return entry
}

// Past MaxWallets wallets a receipt that would credit another earns
// nothing (the receipt is kept); wallets credited already go on earning.
func TestLedgerWalletBound(t *testing.T) {
	f := newLedgerFixture(t)
	f.checkpoint(testKey(1), "") // walletA: 1 of MaxWallets
	txn := f.s.memdb().Txn(true)
	if err := txn.Insert(tableMeta, &metaRow{Key: MetaLedgerWallets, Value: fmt.Sprint(MaxWallets)}); err != nil {
		t.Fatal(err)
	}
	txn.Commit()
	if rec := f.checkpoint(testKey(1), ""); rec.Wallet != walletA || rec.Reward == "" {
		t.Fatalf("a credited wallet stopped earning at the bound: %q to %q", rec.Reward, rec.Wallet)
	}
	f.donor("uni-b", walletB)
	f.join("uni-b", "n1b", testKey(3), 2)
	registerKey(f.requeueFixture, "node-1", "n1", testKey(3), f.end)
	if rec := f.checkpoint(testKey(3), ""); rec.Wallet != "" || rec.Reward != "" {
		t.Fatalf("a new wallet past the bound earned %q to %q", rec.Reward, rec.Wallet)
	}
	if len(f.s.View().WalletCredits()) != 1 {
		t.Fatalf("wallets %+v", f.s.View().WalletCredits())
	}
}
