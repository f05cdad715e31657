package state

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type donorFixture struct {
	t   *testing.T
	s   *Store
	idx uint64
}

func newDonorFixture(t *testing.T) *donorFixture { return &donorFixture{t: t, s: New()} }

func (f *donorFixture) apply(ct CommandType, payload any) *Result {
	f.t.Helper()
	return mustApply(f.t, f.s, &f.idx, ct, payload)
}

var (
	mgmt       = Actor{User: "root", Management: true}
	testWallet = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
	testProof  = "0x" + strings.Repeat("ab", 65)
)

func (f *donorFixture) register(name string, accts ...string) {
	f.t.Helper()
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorRegister, Time: t0, Name: name, Wallet: testWallet, WalletProof: testProof,
		WalletIssued: t0, Accounts: accts, By: mgmt}); res.Err != nil {
		f.t.Fatalf("register %s: %v", name, res.Err)
	}
}

// issue commits a join token for donor valid for ttl from at; it returns
// the secret's hash.
func (f *donorFixture) issue(donor string, at time.Time, ttl time.Duration, by Actor) (string, *Result) {
	f.t.Helper()
	jt, secret := NewJoinToken(donor, at, ttl)
	return HashSecret(secret), f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinIssue, Time: at, Token: &jt, By: by})
}

func (f *donorFixture) redeem(hash, node, key string, at time.Time) *Result {
	f.t.Helper()
	return f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, Time: at, SecretHash: hash, NodeName: node, Key: key})
}

func TestDonorRegistry(t *testing.T) {
	f := newDonorFixture(t)
	f.register("uni-a", "physics", "chem", "physics")
	v := f.s.View()
	d := v.Donor("uni-a")
	if d == nil || d.Wallet != testWallet || !reflect.DeepEqual(d.Accounts, []string{"chem", "physics"}) || d.CreateIdx != 1 {
		t.Fatalf("donor %+v", d)
	}
	if got := v.DonorOfAccount("physics"); got != "uni-a" {
		t.Fatalf("DonorOfAccount(physics) = %q", got)
	}
	if got := v.DonorOfAccount("bio"); got != "" {
		t.Fatalf("DonorOfAccount(bio) = %q", got)
	}
	// Twice: refused.
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorRegister, Time: t0, Name: "uni-a", Wallet: testWallet, WalletProof: testProof, WalletIssued: t0, By: mgmt}); !errors.Is(res.Err, ErrDonorExists) {
		t.Fatalf("second register: %v", res.Err)
	}
	// Only management registers, sets accounts, deletes.
	admin := Actor{User: "donor-admin:uni-a", Donor: "uni-a"}
	for _, c := range []DonorCmd{
		{Op: DonorRegister, Time: t0, Name: "uni-z", Wallet: testWallet, WalletProof: testProof, WalletIssued: t0, By: admin},
		{Op: DonorAccounts, Time: t0, Name: "uni-a", Accounts: []string{"x"}, By: admin},
		{Op: DonorDelete, Time: t0, Name: "uni-a", By: admin},
		{Op: DonorWallet, Time: t0, Name: "uni-a", Wallet: testWallet, WalletProof: testProof, WalletIssued: t0.Add(time.Minute), By: Actor{User: "x", Donor: "uni-b"}},
	} {
		if res := f.apply(CmdDonor, c); !errors.Is(res.Err, ErrPermission) {
			t.Fatalf("%s by %+v: %v, want ErrPermission", c.Op, c.By, res.Err)
		}
	}
	// Its admin re-proves the wallet; an older proof is refused.
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorWallet, Time: t0, Name: "uni-a", Wallet: testWallet, WalletProof: testProof, WalletIssued: t0.Add(time.Minute), By: admin}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorWallet, Time: t0, Name: "uni-a", Wallet: testWallet, WalletProof: testProof, WalletIssued: t0, By: mgmt}); !errors.Is(res.Err, ErrState) {
		t.Fatalf("older proof: %v", res.Err)
	}
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorAccounts, Time: t0, Name: "uni-a", Accounts: nil, By: mgmt}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if d := f.s.View().Donor("uni-a"); d.Accounts != nil || !d.WalletIssued.Equal(t0.Add(time.Minute)) || d.CreateIdx != 1 || d.ModifyIdx != f.idx {
		t.Fatalf("after wallet and accounts: %+v", d)
	}
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorAccounts, Time: t0, Name: "uni-q", By: mgmt}); !errors.Is(res.Err, ErrNotFound) {
		t.Fatalf("unknown donor: %v", res.Err)
	}
	// An account has one donor: uni-b may not take uni-a's, at register
	// or later; once uni-a lets it go, uni-b may.
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorAccounts, Time: t0, Name: "uni-a", Accounts: []string{"physics"}, By: mgmt}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorRegister, Time: t0, Name: "uni-b", Wallet: testWallet, WalletProof: testProof,
		WalletIssued: t0, Accounts: []string{"bio", "physics"}, By: mgmt}); !errors.Is(res.Err, ErrState) || f.s.View().Donor("uni-b") != nil {
		t.Fatalf("uni-b registers with uni-a's account: %v", res.Err)
	}
	f.register("uni-b", "bio")
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorAccounts, Time: t0, Name: "uni-b", Accounts: []string{"bio", "physics"}, By: mgmt}); !errors.Is(res.Err, ErrState) {
		t.Fatalf("uni-b takes uni-a's account: %v", res.Err)
	}
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorAccounts, Time: t0, Name: "uni-a", Accounts: []string{"physics", "chem"}, By: mgmt}); res.Err != nil {
		t.Fatalf("uni-a keeps its own account: %v", res.Err)
	}
	f.apply(CmdDonor, DonorCmd{Op: DonorAccounts, Time: t0, Name: "uni-a", By: mgmt})
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorAccounts, Time: t0, Name: "uni-b", Accounts: []string{"bio", "physics"}, By: mgmt}); res.Err != nil {
		t.Fatal(res.Err)
	}
	v = f.s.View()
	if v.DonorOfAccount("physics") != "uni-b" || v.DonorOfAccount("bio") != "uni-b" || v.DonorOfAccount("chem") != "" {
		t.Fatalf("accounts: physics %q bio %q chem %q", v.DonorOfAccount("physics"), v.DonorOfAccount("bio"), v.DonorOfAccount("chem"))
	}
	// The index survives a snapshot.
	if r := restoreOf(t, f.s); r.View().DonorOfAccount("physics") != "uni-b" {
		t.Fatal("DonorOfAccount after restore")
	}
}

// Encode refuses commands over their bounds: names, accounts, wallets,
// node names, token lifetimes.
func TestDonorBounds(t *testing.T) {
	long := strings.Repeat("a", MaxDonorNameLen+1)
	many := make([]string, MaxDonorAccounts+1)
	for i := range many {
		many[i] = "a"
	}
	jt, _ := NewJoinToken("uni-a", t0, time.Hour)
	over := jt
	over.Expires = t0.Add(MaxJoinTTL + time.Second)
	for name, c := range map[string]struct {
		ct CommandType
		p  any
	}{
		"long name":      {CmdDonor, DonorCmd{Op: DonorDelete, Name: long}},
		"upper name":     {CmdDonor, DonorCmd{Op: DonorDelete, Name: "Uni-A"}},
		"dash first":     {CmdDonor, DonorCmd{Op: DonorDelete, Name: "-a"}},
		"many accounts":  {CmdDonor, DonorCmd{Op: DonorAccounts, Name: "a", Accounts: many}},
		"bad account":    {CmdDonor, DonorCmd{Op: DonorAccounts, Name: "a", Accounts: []string{"a b"}}},
		"long account":   {CmdDonor, DonorCmd{Op: DonorAccounts, Name: "a", Accounts: []string{strings.Repeat("x", MaxAccountLen+1)}}},
		"bad wallet":     {CmdDonor, DonorCmd{Op: DonorRegister, Name: "a", Wallet: "0x12", WalletProof: testProof, WalletIssued: t0}},
		"bad proof":      {CmdDonor, DonorCmd{Op: DonorRegister, Name: "a", Wallet: testWallet, WalletProof: "0x12", WalletIssued: t0}},
		"no issued":      {CmdDonor, DonorCmd{Op: DonorRegister, Name: "a", Wallet: testWallet, WalletProof: testProof}},
		"bad op":         {CmdDonor, DonorCmd{Op: "rename", Name: "a"}},
		"ttl over max":   {CmdJoinToken, JoinTokenCmd{Op: JoinIssue, Token: &over}},
		"no token":       {CmdJoinToken, JoinTokenCmd{Op: JoinIssue}},
		"long node name": {CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, SecretHash: jt.SecretHash, NodeName: strings.Repeat("n", MaxNodeNameLen+1), Key: testKey(1)}},
		"space in name":  {CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, SecretHash: jt.SecretHash, NodeName: "a b", Key: testKey(1)}},
		"bad key":        {CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, SecretHash: jt.SecretHash, NodeName: "n1", Key: "k"}},
		"bad hash":       {CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, SecretHash: "x", NodeName: "n1", Key: testKey(1)}},
	} {
		if _, err := Encode(c.ct, c.p); err == nil {
			t.Errorf("%s: Encode took it", name)
		}
	}
	if _, err := Encode(CmdDonor, DonorCmd{Op: DonorDelete, Name: strings.Repeat("a", MaxDonorNameLen)}); err != nil {
		t.Errorf("a %d-character name: %v", MaxDonorNameLen, err)
	}
}

func TestJoinTokens(t *testing.T) {
	f := newDonorFixture(t)
	f.register("uni-a")
	f.register("uni-b")
	adminA := Actor{User: "donor-admin:uni-a", Donor: "uni-a"}

	// uni-a's admin cannot issue uni-b's tokens; management and its own can.
	if _, res := f.issue("uni-b", t0, time.Hour, adminA); !errors.Is(res.Err, ErrPermission) {
		t.Fatalf("uni-a's admin issues for uni-b: %v", res.Err)
	}
	if _, res := f.issue("uni-q", t0, time.Hour, mgmt); !errors.Is(res.Err, ErrNotFound) {
		t.Fatalf("unknown donor: %v", res.Err)
	}
	ha, res := f.issue("uni-a", t0, time.Hour, adminA)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	hb, res := f.issue("uni-b", t0, 0, mgmt) // default TTL
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if jt := f.s.View().JoinTokenBySecretHash(hb); jt == nil || !jt.Expires.Equal(t0.Add(DefaultJoinTTL)) || jt.By != "root" {
		t.Fatalf("uni-b's token %+v", jt)
	}

	// Unknown secret.
	if res := f.redeem(HashSecret("hbj_nope"), "n1", testKey(1), t0); !errors.Is(res.Err, ErrJoinTokenInvalid) {
		t.Fatalf("unknown: %v", res.Err)
	}
	// Redeemed once.
	res = f.redeem(ha, "n1", testKey(1), t0.Add(time.Minute))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if dn := res.Value.(DonorNode); dn.Donor != "uni-a" || dn.NodeName != "n1" || dn.Key != testKey(1) {
		t.Fatalf("redeemed %+v", dn)
	}
	// Single use: even for the same node, and for another.
	for _, n := range []string{"n1", "n2"} {
		if res := f.redeem(ha, n, testKey(2), t0.Add(2*time.Minute)); !errors.Is(res.Err, ErrJoinTokenUsed) {
			t.Fatalf("reuse for %s: %v", n, res.Err)
		}
	}
	// A node name joined under uni-a cannot join under uni-b, nor its key.
	if res := f.redeem(hb, "n1", testKey(3), t0.Add(time.Minute)); !errors.Is(res.Err, ErrNodeTaken) {
		t.Fatalf("n1 under uni-b: %v", res.Err)
	}
	if res := f.redeem(hb, "n9", testKey(1), t0.Add(time.Minute)); !errors.Is(res.Err, ErrNodeTaken) {
		t.Fatalf("n1's key under uni-b: %v", res.Err)
	}
	// Those refusals did not use uni-b's token; its expiry does.
	if res := f.redeem(hb, "n2", testKey(2), t0.Add(DefaultJoinTTL)); !errors.Is(res.Err, ErrJoinTokenExpired) {
		t.Fatalf("expired: %v", res.Err)
	}
	if jt := f.s.View().JoinTokenBySecretHash(hb); !jt.Used.IsZero() {
		t.Fatalf("a refused redeem used the token: %+v", jt)
	}
	v := f.s.View()
	if got := v.DonorOfKey(testKey(1)); got != "uni-a" {
		t.Fatalf("DonorOfKey = %q", got)
	}
	if got := v.DonorOfNode("n1"); got != "uni-a" {
		t.Fatalf("DonorOfNode(n1) by its join's name = %q", got)
	}
	if nodes := v.DonorNodes("uni-a"); len(nodes) != 1 || nodes[0].NodeName != "n1" {
		t.Fatalf("DonorNodes %+v", nodes)
	}
	if jt := v.JoinTokenBySecretHash(ha); jt.UsedBy != "n1" || !jt.Used.Equal(t0.Add(time.Minute)) {
		t.Fatalf("used token %+v", jt)
	}

	// The KeyWatcher binds the key to a Nomad node: that node is uni-a's
	// by its id and its Nomad name, whatever name it joined as.
	if res := f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: t0, NodeID: "id-1", Node: "gpu-1", Key: testKey(1)}); res.Err != nil {
		t.Fatal(res.Err)
	}
	// A Nomad node that presents a key no join registered is nobody's,
	// whatever its name (or its meta: never read).
	if res := f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: t0, NodeID: "id-2", Node: "n1", Key: testKey(7)}); res.Err != nil {
		t.Fatal(res.Err)
	}
	v = f.s.View()
	for node, want := range map[string]string{"id-1": "uni-a", "gpu-1": "uni-a", "id-2": "", "n1": "", "nobody": ""} {
		if got := v.DonorOfNode(node); got != want {
			t.Errorf("DonorOfNode(%s) = %q, want %q", node, got, want)
		}
	}
	if got := v.DonorOfNodeID("id-1"); got != "uni-a" {
		t.Errorf("DonorOfNodeID(id-1) = %q", got)
	}
	if got := v.DonorOfNodeID("gpu-1"); got != "" {
		t.Errorf("DonorOfNodeID by name = %q, want none (ids only)", got)
	}

	// Delete is refused while n1 is joined; after it leaves, it works and
	// takes the donor's tokens and records with it.
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorDelete, Time: t0, Name: "uni-a", By: mgmt}); !errors.Is(res.Err, ErrDonorHasNodes) || !strings.Contains(res.Err.Error(), "n1") {
		t.Fatalf("delete with a joined node: %v", res.Err)
	}
	if res := f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinLeave, Time: t0.Add(time.Hour), NodeName: "n1", Key: testKey(2)}); !errors.Is(res.Err, ErrNotFound) {
		t.Fatalf("leave with another key: %v", res.Err)
	}
	if res := f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinLeave, Time: t0.Add(time.Hour), NodeName: "n1", Key: testKey(1)}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := f.s.View().DonorNode(testKey(1)); !n.Left.Equal(t0.Add(time.Hour)) {
		t.Fatalf("left %+v", n)
	}
	// Rejoin undoes it; leave again.
	if res := f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinRejoin, Time: t0.Add(2 * time.Hour), NodeName: "n1", Key: testKey(1)}); res.Err != nil || !f.s.View().DonorNode(testKey(1)).Left.IsZero() {
		t.Fatalf("rejoin: %v", res.Err)
	}
	f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinLeave, Time: t0.Add(3 * time.Hour), NodeName: "n1", Key: testKey(1)})
	// Credit keeps its donor after the node left.
	if got := f.s.View().DonorOfKey(testKey(1)); got != "uni-a" {
		t.Fatalf("DonorOfKey after leave = %q", got)
	}
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorDelete, Time: t0, Name: "uni-a", By: mgmt}); res.Err != nil {
		t.Fatal(res.Err)
	}
	v = f.s.View()
	if v.Donor("uni-a") != nil || v.DonorNode(testKey(1)) != nil || len(v.JoinTokens("uni-a")) != 0 || len(v.JoinTokens("")) != 1 {
		t.Fatalf("after delete: donor %v, node %v, tokens %d of %d", v.Donor("uni-a"), v.DonorNode(testKey(1)), len(v.JoinTokens("uni-a")), len(v.JoinTokens("")))
	}
}

// A node that left may join under another donor (the machine changed
// hands); the same donor's node joining again with a new key retires the
// old record.
func TestJoinAgain(t *testing.T) {
	f := newDonorFixture(t)
	f.register("uni-a")
	f.register("uni-b")
	h1, _ := f.issue("uni-a", t0, time.Hour, mgmt)
	h2, _ := f.issue("uni-a", t0, time.Hour, mgmt)
	h3, _ := f.issue("uni-b", t0, time.Hour, mgmt)
	if res := f.redeem(h1, "n1", testKey(1), t0); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.redeem(h2, "n1", testKey(2), t0.Add(time.Minute)); res.Err != nil {
		t.Fatal(res.Err)
	}
	v := f.s.View()
	if old := v.DonorNode(testKey(1)); old.Left.IsZero() {
		t.Fatalf("the old key's record did not leave: %+v", old)
	}
	if res := f.redeem(h3, "n1", testKey(3), t0.Add(2*time.Minute)); !errors.Is(res.Err, ErrNodeTaken) {
		t.Fatalf("n1 under uni-b while joined: %v", res.Err)
	}
	f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinLeave, Time: t0.Add(3 * time.Minute), NodeName: "n1", Key: testKey(2)})
	if res := f.redeem(h3, "n1", testKey(3), t0.Add(4*time.Minute)); res.Err != nil {
		t.Fatalf("n1 under uni-b after it left uni-a: %v", res.Err)
	}
	if got := f.s.View().DonorOfNode("n1"); got != "uni-b" {
		t.Fatalf("DonorOfNode(n1) = %q", got)
	}
	// uni-a's old record of n1 cannot rejoin over uni-b's.
	if res := f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinRejoin, Time: t0.Add(5 * time.Minute), NodeName: "n1", Key: testKey(2)}); !errors.Is(res.Err, ErrNodeTaken) {
		t.Fatalf("rejoin over another donor's node: %v", res.Err)
	}
	// A revoked key does not join.
	f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: t0, NodeID: "id-9", Node: "n9", Key: testKey(9)})
	f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRevoke, Time: t0, Node: "id-9", By: mgmt})
	h4, _ := f.issue("uni-b", t0, time.Hour, mgmt)
	if res := f.redeem(h4, "n9", testKey(9), t0); !errors.Is(res.Err, ErrKeyRevoked) {
		t.Fatalf("revoked key: %v", res.Err)
	}
}

// Join tokens are bounded per donor and swept a day after they expire.
func TestJoinTokenBounds(t *testing.T) {
	f := newDonorFixture(t)
	f.register("uni-a")
	for i := range MaxJoinTokens {
		if _, res := f.issue("uni-a", t0, time.Hour, mgmt); res.Err != nil {
			t.Fatalf("token %d: %v", i, res.Err)
		}
	}
	if _, res := f.issue("uni-a", t0, time.Hour, mgmt); res.Err == nil {
		t.Fatalf("token %d issued", MaxJoinTokens+1)
	}
	// Expired ones do not count; a day after expiry they are gone.
	if _, res := f.issue("uni-a", t0.Add(time.Hour), time.Hour, mgmt); res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := len(f.s.View().JoinTokens("uni-a")); n != MaxJoinTokens+1 {
		t.Fatalf("%d tokens kept", n)
	}
	if _, res := f.issue("uni-a", t0.Add(time.Hour+JoinTokenKeep), time.Hour, mgmt); res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := len(f.s.View().JoinTokens("uni-a")); n != 2 {
		t.Fatalf("%d tokens after the sweep, want 2", n)
	}
}

// Donors, their nodes and join tokens survive a snapshot; a restored
// store answers alike and applies the next command alike.
func TestDonorSnapshot(t *testing.T) {
	f := newDonorFixture(t)
	f.register("uni-a", "physics")
	f.register("uni-b")
	h, _ := f.issue("uni-a", t0, time.Hour, mgmt)
	hb, _ := f.issue("uni-b", t0, time.Hour, mgmt)
	f.redeem(h, "n1", testKey(1), t0)
	f.apply(CmdNodeKey, NodeKeyCmd{Op: NodeKeyRegister, Time: t0, NodeID: "id-1", Node: "n1", Key: testKey(1)})
	f.apply(CmdACLTokenCreate, ACLTokenCmd{Token: ACLToken{AccessorID: "a1", SecretHash: HashSecret("s1"), Type: TokenDonorAdmin, Donor: "uni-a", CreateTime: t0}})
	r := restoreOf(t, f.s)
	if !bytes.Equal(snap(t, f.s), snap(t, r)) {
		t.Fatal("the restored store's snapshot differs")
	}
	for _, s := range []*Store{f.s, r} {
		v := s.View()
		if len(v.Donors()) != 2 || v.DonorOfAccount("physics") != "uni-a" || v.DonorOfNode("id-1") != "uni-a" ||
			v.JoinTokenBySecretHash(h).UsedBy != "n1" || v.TokenBySecretHash(HashSecret("s1")).Donor != "uni-a" {
			t.Fatalf("view after restore differs")
		}
	}
	// The same next command: the same answer on both.
	idx := f.idx
	a := mustApply(t, f.s, &f.idx, CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, Time: t0, SecretHash: h, NodeName: "n2", Key: testKey(2)})
	b := mustApply(t, r, &idx, CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, Time: t0, SecretHash: h, NodeName: "n2", Key: testKey(2)})
	if !errors.Is(a.Err, ErrJoinTokenUsed) || !errors.Is(b.Err, ErrJoinTokenUsed) {
		t.Fatalf("reuse after restore: %v / %v", a.Err, b.Err)
	}
	mustApply(t, f.s, &f.idx, CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, Time: t0, SecretHash: hb, NodeName: "n3", Key: testKey(3)})
	mustApply(t, r, &idx, CmdJoinToken, JoinTokenCmd{Op: JoinRedeem, Time: t0, SecretHash: hb, NodeName: "n3", Key: testKey(3)})
	if !bytes.Equal(snap(t, f.s), snap(t, r)) {
		t.Fatal("the stores diverged after the same command")
	}
	// An admin token of a donor that is gone is not stored.
	if res := f.apply(CmdACLTokenCreate, ACLTokenCmd{Token: ACLToken{AccessorID: "a2", SecretHash: HashSecret("s2"), Type: TokenDonorAdmin, Donor: "uni-q", CreateTime: t0}}); !errors.Is(res.Err, ErrNotFound) {
		t.Fatalf("admin token of no donor: %v", res.Err)
	}
	// Deleting the donor takes its admin tokens with it.
	f.apply(CmdJoinToken, JoinTokenCmd{Op: JoinLeave, Time: t0, NodeName: "n1", Key: testKey(1)})
	if res := f.apply(CmdDonor, DonorCmd{Op: DonorDelete, Time: t0, Name: "uni-a", By: mgmt}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if f.s.View().TokenBySecretHash(HashSecret("s1")) != nil {
		t.Fatal("the deleted donor's admin token survives")
	}
}
