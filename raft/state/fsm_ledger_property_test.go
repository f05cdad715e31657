package state_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/merkle"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestFSMLedgerProperties: the job and donor commands of the other
// property tests with checkpoint receipts (of joined keys and others,
// Checkpoint 1 and 2 entries) and every ledger operation mixed in, on
// several replicas: their results agree at every step (compared as JSON:
// a checkpoint's result holds its record), their snapshots are equal and
// survive a restore, one replaced by a restore goes on identically, and
// the ledger's invariants hold after every step: every epoch's export
// rebuilds its root, epochs are numbered without a gap and move only
// along their states, a wallet's cumulative amount never goes down.
func TestFSMLedgerProperties(t *testing.T) {
	all := propOutcomes(t, runLedgerProperty)
	t.Logf("outcomes: %v", all)
	// The generator reaches every outcome over the seeds.
	assertOutcomesReached(t, all, "checkpoint rewarded", "checkpoint unrewarded", "rates ok", "close ok", "close of wallets", "close nothing",
		"intent ok", "published ok", "halt ok", "resume ok", "intent refused", "resume refused")
}

func runLedgerProperty(t *testing.T, seed int64) map[string]int {
	g := newGen(t, seed)
	d := &donorGen{g: g, r: rand.New(rand.NewSource(seed * 7919))}
	l := &ledgerGen{g: g, r: rand.New(rand.NewSource(seed * 104729))}
	replicas := make([]*state.Store, propReplicas)
	for i := range replicas {
		replicas[i] = state.New()
	}
	inv := newInvariants()
	li := &ledgerInvariants{cumulative: map[string]*big.Int{}, states: map[uint64]string{}}
	seen := map[string]int{}
	const steps = 500
	for step := 1; step <= steps; step++ {
		var ct state.CommandType
		var payload any
		v := replicas[0].View()
		switch n := l.r.Intn(100); {
		case n < 30:
			g.step++
			ct, payload = d.next(v)
		case n < 55:
			ct, payload = g.next(v)
		case n < 80:
			g.step++
			ct, payload = l.checkpoint(v)
		default:
			g.step++
			ct, payload = l.next(v)
		}
		before := replicas[0].View()
		entry, res := applyReplicasJSON(t, step, replicas, ct, payload)
		g.learn(res)
		l.outcome(payload, res, seen)
		if err := inv.check(before, replicas[0].View(), ct, res, uint64(step)); err != nil {
			t.Fatalf("seed %d step %d (%s): %v", seed, step, entry, err)
		}
		if err := checkDonors(replicas[0].View()); err != nil {
			t.Fatalf("seed %d step %d (%s): %v", seed, step, entry, err)
		}
		if err := li.check(replicas[0].View()); err != nil {
			t.Fatalf("seed %d step %d (%s): %v", seed, step, entry, err)
		}
		if step%50 == 0 || step == steps {
			assertReplicasEqual(t, step, replicas)
		}
		if step%70 == 0 {
			replicas[len(replicas)-1] = restored(t, replicas[0])
		}
	}
	// Every replica computed the same roots (the snapshots are equal, so
	// their epochs are; and each one's export rebuilds them).
	for i, s := range replicas {
		if err := li.check(s.View()); err != nil {
			t.Fatalf("seed %d: replica %d: %v", seed, i, err)
		}
	}
	return seen
}

// applyReplicasJSON is applyReplicas comparing the results as JSON (with
// the error's text): a checkpoint's result is a pointer to its record.
func applyReplicasJSON(t *testing.T, step int, replicas []*state.Store, ct state.CommandType, payload any) ([]byte, *state.Result) {
	t.Helper()
	entry, err := encodeEntry(ct, payload)
	if err != nil {
		t.Fatalf("step %d: encode %s: %v", step, ct, err)
	}
	var first []byte
	var res0 *state.Result
	for i, s := range replicas {
		res := s.Apply(uint64(step), entry)
		b, err := json.Marshal(struct {
			Err string
			Res *state.Result
		}{fmt.Sprint(res.Err), res})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first, res0 = b, res
		} else if !bytes.Equal(b, first) {
			t.Fatalf("step %d (%s): replica %d result %s, replica 0 %s", step, entry, i, b, first)
		}
	}
	return entry, res0
}

// ledgerGen makes checkpoint receipts and ledger commands, deterministic
// from its seed.
type ledgerGen struct {
	g *gen
	r *rand.Rand
}

var propGPUModels = []string{"", "NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB", "Tesla T4", "nvidia h100 pcie"}

// checkpoint is the next receipt of a started job on a node, signed with
// the node's current key (now and then another), now and then out of
// sequence, now and then as a Checkpoint 1 entry.
func (l *ledgerGen) checkpoint(v *state.View) (state.CommandType, any) {
	now := l.g.now()
	id, j := l.g.pickInState(v, state.StateRunning, state.StateCompleted)
	run, seq, start := 0, 0, now.Add(-time.Duration(1+l.r.Intn(120))*time.Second)
	if j != nil {
		run = j.RestartCount
		if cp := j.Checkpoints; cp != nil && cp.Run == run {
			seq, start = cp.Seq, cp.End
		}
	}
	if l.r.Intn(8) == 0 {
		seq += l.r.Intn(3) - 1 // a repeat or a gap
	}
	if !start.Before(now) {
		start = now.Add(-time.Second)
	}
	node := propNodes[l.r.Intn(len(propNodes))]
	key := propNodeKey(l.r.Intn(len(propNodes) + 2))
	if k := v.CurrentNodeKey("id-" + node); k != nil && l.r.Intn(6) != 0 {
		key = k.Key
	}
	gpus, cpus := l.r.Intn(3), 1+l.r.Intn(4)
	secs := int64(now.Sub(start) / time.Second)
	c := state.CheckpointCmd{
		Time: now, JobID: max(id, 1), Run: run, Seq: max(seq+1, 1), NodeID: "id-" + node, Node: node, AllocID: fmt.Sprintf("alloc-%d", run), Key: key,
		Signed: receipt.Signed{Body: fmt.Appendf(nil, `{"job":%d,"run":%d,"seq":%d,"t":%d}`, id, run, seq+1, l.g.step),
			Sig: bytes.Repeat([]byte{9}, ed25519.SignatureSize)},
		Digest: "sha256:" + strings.Repeat(fmt.Sprintf("%02x", l.g.step%256), 32), Size: 100, Trigger: receipt.TriggerCommand,
		ClaimStart: start, ClaimEnd: now, ClaimGPUs: gpus, ClaimCPUs: cpus,
		Credit: state.Credit{Start: start, End: now, GPUs: gpus, CPUs: cpus, GPUSeconds: int64(gpus) * secs, CPUSeconds: int64(cpus) * secs,
			GPUModel: propGPUModels[l.r.Intn(len(propGPUModels))]},
	}
	if l.r.Intn(10) == 0 {
		c.Credit.GPUModel = ""
		return state.CmdCheckpoint, olderEntry{1, c}
	}
	return state.CmdCheckpoint, c
}

// next is a ledger command: mostly meaningful for the epochs there are.
func (l *ledgerGen) next(v *state.View) (state.CommandType, any) {
	now := l.g.now()
	last := uint64(0)
	if e := v.LastEpoch(); e != nil {
		last = e.Number
	}
	// The epoch to publish: the first one not published.
	target := last
	for _, e := range v.Epochs() {
		if e.State != state.EpochPublished {
			target = e.Number
			break
		}
	}
	if l.r.Intn(6) == 0 || target == 0 {
		target = uint64(1 + l.r.Intn(int(last)+2))
	}
	by := state.Actor{User: "root", Management: true}
	if l.r.Intn(5) == 0 {
		by = state.Actor{User: "alice"}
	}
	hash := func() string {
		return fmt.Sprintf("0x%016x%016x%016x%016x", l.r.Uint64(), l.r.Uint64(), l.r.Uint64(), l.r.Uint64())
	}
	switch n := l.r.Intn(100); {
	case n < 8:
		// A donor proves another wallet (the donor generator gives them all one).
		donor := propDonors[l.r.Intn(len(propDonors))]
		return state.CmdDonor, state.DonorCmd{Op: state.DonorWallet, Time: now, Name: donor, Wallet: propWallets[l.r.Intn(len(propWallets))],
			WalletProof: "0x" + strings.Repeat("ef", 65), WalletIssued: now, By: by}
	case n < 14:
		r := state.RewardRates{GPU: map[string]string{}, DefaultGPU: fmt.Sprint(l.r.Intn(5000)), CPU: fmt.Sprint(l.r.Intn(100))}
		for _, m := range []string{"NVIDIA H100", "NVIDIA A100", "nvidia"} {
			if l.r.Intn(2) == 0 {
				r.GPU[m] = fmt.Sprint(l.r.Intn(10000))
			}
		}
		return state.CmdLedger, state.LedgerCmd{Op: state.LedgerRates, Time: now, By: by, Rates: &r}
	case n < 40:
		e := last + 1
		if l.r.Intn(8) == 0 {
			e = uint64(1 + l.r.Intn(int(last)+3))
		}
		return state.CmdLedger, state.LedgerCmd{Op: state.LedgerClose, Time: now, Epoch: e}
	case n < 62:
		in := &state.PublishIntent{ChainID: "1337", Contract: testWalletAddr, From: testWalletAddr, Nonce: uint64(l.g.step),
			TxHash: hash(), RawTx: fmt.Sprintf("0x02%06x", l.g.step), Time: now}
		return state.CmdLedger, state.LedgerCmd{Op: state.LedgerIntent, Time: now, Epoch: target, Intent: in}
	case n < 80:
		c := state.LedgerCmd{Op: state.LedgerPublished, Time: now, Epoch: target, Block: uint64(l.g.step)}
		if l.r.Intn(2) == 0 {
			c.TxHash = hash()
		}
		if e := v.Epoch(target); e != nil && l.r.Intn(2) == 0 {
			c.Root = e.Root
		} else if l.r.Intn(4) == 0 {
			c.Root = hash() // another root than the epoch's
		}
		return state.CmdLedger, c
	case n < 88:
		return state.CmdLedger, state.LedgerCmd{Op: state.LedgerHalt, Time: now, Epoch: target, Reason: fmt.Sprintf("reason %d", l.g.step)}
	}
	halted := target
	for _, e := range v.Epochs() {
		if e.State == state.EpochHalted && l.r.Intn(3) != 0 {
			halted = e.Number
		}
	}
	return state.CmdLedger, state.LedgerCmd{Op: state.LedgerResume, Time: now, Epoch: halted, By: by}
}

const testWalletAddr = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"

// propWallets are the wallets donors change to (in mixed case: the
// ledger keys them in their EIP-55 form).
var propWallets = []string{"0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	"0xD1220A0CF47C7B9BE7A2E6BA89F429762E7B9ADB", testWalletAddr}

func (l *ledgerGen) outcome(p any, res *state.Result, seen map[string]int) {
	switch c := p.(type) {
	case state.CheckpointCmd:
		if cr, ok := res.Value.(state.CheckpointResult); ok && !cr.Duplicate {
			if cr.Record.Wallet != "" {
				seen["checkpoint rewarded"]++
			} else {
				seen["checkpoint unrewarded"]++
			}
		}
	case state.LedgerCmd:
		if lr, ok := res.Value.(state.LedgerResult); ok && c.Op == state.LedgerClose && lr.Wallets > 1 {
			seen["close of wallets"]++
		}
		switch {
		case res.Err == nil:
			seen[c.Op+" ok"]++
		case errors.Is(res.Err, state.ErrNothingToClose):
			seen[c.Op+" nothing"]++
		default:
			seen[c.Op+" refused"]++
		}
	}
}

// ledgerInvariants tracks what the ledger checks need across steps.
type ledgerInvariants struct {
	cumulative map[string]*big.Int
	states     map[uint64]string
}

// moves are the state changes an epoch may make.
var moves = map[[2]string]bool{
	{"", state.EpochClosed}:                    true,
	{state.EpochClosed, state.EpochSending}:    true,
	{state.EpochClosed, state.EpochPublished}:  true,
	{state.EpochClosed, state.EpochHalted}:     true,
	{state.EpochSending, state.EpochPublished}: true,
	{state.EpochSending, state.EpochHalted}:    true,
	{state.EpochHalted, state.EpochClosed}:     true,
}

func (li *ledgerInvariants) check(v *state.View) error {
	for _, w := range v.WalletCredits() {
		c := w.Cumulative()
		if old := li.cumulative[w.Wallet]; old != nil && c.Cmp(old) < 0 {
			return fmt.Errorf("wallet %s went down from %s to %s", w.Wallet, old, c)
		}
		li.cumulative[w.Wallet] = c
		if w.Wallet != state.CanonicalWallet(w.Wallet) {
			return fmt.Errorf("wallet %s is not in its EIP-55 form", w.Wallet)
		}
	}
	for i, e := range v.Epochs() {
		if e.Number != uint64(i+1) {
			return fmt.Errorf("epoch %d at place %d", e.Number, i+1)
		}
		if old := li.states[e.Number]; old != e.State && !moves[[2]string{old, e.State}] {
			return fmt.Errorf("epoch %d went from %q to %q", e.Number, old, e.State)
		}
		li.states[e.Number] = e.State
		if e.State == state.EpochSending && e.Intent == nil {
			return fmt.Errorf("epoch %d is sending without an intent", e.Number)
		}
		if (e.State == state.EpochHalted) != (e.Halt != "") {
			return fmt.Errorf("epoch %d is %s with halt %q", e.Number, e.State, e.Halt)
		}
		if e.Intent != nil && e.Number > 1 {
			if prev := v.Epoch(e.Number - 1); prev.State != state.EpochPublished {
				return fmt.Errorf("epoch %d has an intent, epoch %d is %s", e.Number, prev.Number, prev.State)
			}
		}
		leaves, err := v.EpochLeaves(e.Number)
		if err != nil {
			return err
		}
		tree, err := merkle.Build(leaves)
		if err != nil {
			return err
		}
		root := tree.Root()
		total := new(big.Int)
		for _, l := range leaves {
			total.Add(total, l.Amount)
		}
		if got := fmt.Sprintf("0x%x", root[:]); got != e.Root || total.String() != e.Total {
			return fmt.Errorf("epoch %d: the export rebuilds root %s total %s, the epoch has %s and %s", e.Number, got, total, e.Root, e.Total)
		}
	}
	var err error
	v.EachReceipt(func(r *state.ReceiptRecord) bool {
		if (r.Reward == "") != (r.Wallet == "") {
			err = fmt.Errorf("receipt %d/%d/%d: reward %q, wallet %q", r.JobID, r.Run, r.Seq, r.Reward, r.Wallet)
		}
		return err == nil
	})
	return err
}
