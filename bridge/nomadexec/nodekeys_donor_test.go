package nomadexec

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// A key a donor's join registered binds the Nomad node that presents it
// under the joined name to the donor; another node that copied the public
// key (Nomad shows every node's attributes) before the joined node came up
// is not registered with it, so it neither takes the donor's node's place
// nor blocks the honest node's key. A node whose Nomad meta claims the
// donor without a join is nobody's.
func TestKeyWatcherBindsDonorNodes(t *testing.T) {
	store := state.New()
	raft := &countingRaft{directRaft: directRaft{store: store}}
	var logs syncBuf
	w := &KeyWatcher{Store: store, Raft: raft, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx := context.Background()
	apply := func(ct state.CommandType, p any) {
		t.Helper()
		cmd, err := state.Encode(ct, p)
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := raft.Apply(ctx, cmd)
		if err != nil || res.Err != nil {
			t.Fatalf("%s: %v %v", ct, err, res.Err)
		}
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	apply(state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: at, Name: "uni-b", Wallet: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
		WalletProof: "0x" + strings.Repeat("ab", 65), WalletIssued: at, By: state.Actor{Management: true}})
	jt, secret := state.NewJoinToken("uni-b", at, 0)
	apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: at, Token: &jt, By: state.Actor{Management: true}})
	key := receipt.EncodeKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: at, SecretHash: state.HashSecret(secret), NodeName: "b1", Key: key})

	stub := func(id, name, key string) *api.NodeListStub {
		return &api.NodeListStub{ID: id, Name: name, Drivers: map[string]*api.DriverInfo{DriverName: {Attributes: map[string]string{AttrNodeKey: key}}}}
	}
	copycat := stub("00000000-0000-0000-0000-000000000000", "copycat", key)
	if err := w.sync(ctx, []*api.NodeListStub{copycat}, map[string]string{}, w.Logger); err != nil {
		t.Fatal(err)
	}
	if k := store.View().NodeKey(key); k != nil || store.View().DonorOfNode(copycat.ID) != "" ||
		!strings.Contains(logs.String(), "under another name") {
		t.Fatalf("the copied key was registered to %+v\n%s", k, logs.String())
	}
	honest := stub("8f1c6d2e-0000-4000-8000-000000000001", "b1", key)
	if err := w.sync(ctx, []*api.NodeListStub{copycat, honest}, map[string]string{}, w.Logger); err != nil {
		t.Fatal(err)
	}
	v := store.View()
	if k := v.CurrentNodeKey(honest.ID); k == nil || k.Key != key || v.DonorOfNode(honest.ID) != "uni-b" || v.DonorOfNodeID(honest.ID) != "uni-b" ||
		v.DonorOfNode(copycat.ID) != "" {
		t.Fatalf("keys %+v; donor of b1 %q\n%s", v.NodeKeys(), v.DonorOfNode(honest.ID), logs.String())
	}
	// A node with a key of its own and no join is not a donor's, whatever
	// its meta claims (hpcbridge.donor): neither the watcher nor the view
	// reads meta.
	other := receipt.EncodeKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize)).Public().(ed25519.PublicKey))
	claimer := stub("8f1c6d2e-0000-4000-8000-000000000002", "b2", other)
	if err := w.sync(ctx, []*api.NodeListStub{honest, claimer}, map[string]string{}, w.Logger); err != nil {
		t.Fatal(err)
	}
	if v := store.View(); v.CurrentNodeKey(claimer.ID) == nil || v.DonorOfNode(claimer.ID) != "" || v.DonorOfNode("b2") != "" {
		t.Fatalf("b2: key %+v, donor %q", v.CurrentNodeKey(claimer.ID), v.DonorOfNode(claimer.ID))
	}
}
