package ledgertest_test

import (
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/ledgertest"
)

// Credit gives the donors' wallets what their receipts earn (the default
// rates: 1 token per GPU-hour, 0.01 per CPU-hour), again and again, and
// an epoch closes over them.
func TestCredit(t *testing.T) {
	s := state.New()
	l := &ledgertest.Ledger{T: t, Apply: ledgertest.StoreApply(t, s), View: s.View}
	a := ledgertest.Donor{Name: "uni-a", Wallet: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", Node: "a1", Seed: 1}
	b := ledgertest.Donor{Name: "uni-b", Wallet: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", Node: "b1", Seed: 2}
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for i, d := range []ledgertest.Donor{a, b, a} {
		rec := l.Credit(d, "NVIDIA H100", at.Add(time.Duration(i)*time.Hour), 3600)
		if rec.Wallet != d.Wallet || rec.Reward != "1010000000000000000" {
			t.Fatalf("receipt %d: %q to %q", i, rec.Reward, rec.Wallet)
		}
	}
	v := s.View()
	if got := v.WalletCumulative(a.Wallet).String(); got != "2020000000000000000" {
		t.Fatalf("uni-a's cumulative %s", got)
	}
	res := ledgertest.StoreApply(t, s)(state.CmdLedger, state.LedgerCmd{Op: state.LedgerClose, Time: at.Add(3 * time.Hour), Epoch: 1})
	if lr, ok := res.Value.(state.LedgerResult); res.Err != nil || !ok || lr.Wallets != 2 || lr.Total != "3030000000000000000" {
		t.Fatalf("close: %+v", res)
	}
}
