package state

import (
	"fmt"
	"math/big"
	"testing"
)

// Keys that strings.EqualFold matches to one model but strings.ToLower
// keeps apart ("µ" U+00B5 and "μ" U+03BC; "s" and "ſ" U+017F) would let
// GPURate pick by the map's iteration order: replicas would credit
// different amounts. The table refuses them, and GPURate picks by the
// keys alone even if it holds them.
func TestRewardRatesFoldEqualKeys(t *testing.T) {
	for _, keys := range [][2]string{{"µ100", "μ100"}, {"S100", "ſ100"}, {"K80", "\u212a80"}} {
		r := RewardRates{GPU: map[string]string{keys[0]: "1", keys[1]: "2"}, DefaultGPU: "3", CPU: "0"}
		if err := r.Check(); err == nil {
			t.Errorf("rates with GPU models %q and %q accepted", keys[0], keys[1])
		}
		for _, model := range []string{keys[1], keys[1] + " SXM"} {
			want := r.GPURate(model)
			for range 200 {
				if got := r.GPURate(model); got != want {
					t.Fatalf("GPURate(%q) of %v: %s, then %s", model, r.GPU, want, got)
				}
			}
		}
	}
}

// A donor (its admin token changes its wallet) cannot mint wallet rows
// without end: past MaxWalletsPerDonor wallets a new one of its earns
// nothing, so it cannot use up MaxWallets and leave other donors' new
// wallets earning nothing. Its wallets credited already go on earning;
// another donor's new wallet earns.
func TestLedgerWalletsPerDonorBound(t *testing.T) {
	f := newLedgerFixture(t)
	f.checkpoint(testKey(1), "") // walletA
	txn := f.s.memdb().Txn(true)
	for i := 1; i < MaxWalletsPerDonor; i++ {
		w := CanonicalWallet(fmt.Sprintf("0x%040x", 0x1000+i))
		if err := txn.Insert(tableWalletCredit, &WalletCredit{Wallet: w, Donor: "uni-a", Accrued: "3600", ModifyIdx: f.idx}); err != nil {
			t.Fatal(err)
		}
	}
	if err := txn.Insert(tableMeta, &metaRow{Key: MetaLedgerWallets, Value: fmt.Sprint(MaxWalletsPerDonor)}); err != nil {
		t.Fatal(err)
	}
	txn.Commit()
	f.setWallet("uni-a", walletB, f.end.Add(1))
	if rec := f.checkpoint(testKey(1), ""); rec.Wallet != "" || rec.Reward != "" {
		t.Fatalf("donor uni-a's wallet %d earned %q to %q", MaxWalletsPerDonor+1, rec.Reward, rec.Wallet)
	}
	f.setWallet("uni-a", walletA, f.end.Add(2))
	if rec := f.checkpoint(testKey(1), ""); rec.Wallet != walletA || rec.Reward == "" {
		t.Fatalf("a credited wallet stopped earning: %q to %q", rec.Reward, rec.Wallet)
	}
	f.donor("uni-b", walletB)
	f.join("uni-b", "n1b", testKey(3), 2)
	registerKey(f.requeueFixture, "node-1", "n1", testKey(3), f.end)
	if rec := f.checkpoint(testKey(3), ""); rec.Wallet != walletB || rec.Reward == "" {
		t.Fatalf("another donor's new wallet earned %q to %q", rec.Reward, rec.Wallet)
	}
}

// Credit past what the contract can ever mint (its supply is a uint128)
// is not accrued: a receipt that would take the wallets' cumulative
// amounts together over 2^128-1 earns nothing. Before, such a wallet made
// every later close fail, for every wallet, for ever.
func TestLedgerCreditStopsAtTheSupplyCap(t *testing.T) {
	f := newLedgerFixture(t)
	f.rates(nil, "3600", "0") // 1 base unit per GPU-second: 120 a receipt
	f.checkpoint(testKey(1), "")
	// walletA holds the cap less 100 (as if credited so).
	txn := f.s.memdb().Txn(true)
	near := new(big.Int).Sub(maxAmount, big.NewInt(100))
	if err := txn.Insert(tableWalletCredit, &WalletCredit{Wallet: walletA, Donor: "uni-a",
		Accrued: new(big.Int).Mul(near, big.NewInt(secondsPerHour)).String(), ModifyIdx: f.idx}); err != nil {
		t.Fatal(err)
	}
	if err := txn.Insert(tableMeta, &metaRow{Key: MetaLedgerTotal, Value: near.String()}); err != nil {
		t.Fatal(err)
	}
	txn.Commit()
	if rec := f.checkpoint(testKey(1), ""); rec.Reward != "" || rec.Wallet != "" {
		t.Fatalf("a receipt past the supply cap earned %q to %q", rec.Reward, rec.Wallet)
	}
	if got := f.s.View().WalletCumulative(walletA); got.Cmp(near) != 0 {
		t.Fatalf("cumulative %s, want %s", got, near)
	}
	if res := f.ledger(LedgerCmd{Op: LedgerClose, Epoch: 1}); res.Err != nil {
		t.Fatalf("close after a receipt past the cap: %v", res.Err)
	}
}
