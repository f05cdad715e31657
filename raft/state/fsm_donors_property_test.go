package state_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestFSMDonorProperties: the job commands of TestFSMProperties with the
// donor commands mixed in (register, wallet, accounts, delete; join
// tokens issued, redeemed, reused, expired; nodes leaving and rejoining;
// node keys registered and revoked; donor-admin tokens), on several
// replicas: their results agree at every step, their snapshots are equal
// and survive a restore, one replaced by a restore goes on identically,
// and the donor invariants hold after every step.
func TestFSMDonorProperties(t *testing.T) {
	all := propOutcomes(t, runDonorProperty)
	// The generator reaches every outcome over the seeds.
	assertOutcomesReached(t, all, "register ok", "wallet ok", "accounts ok", "delete ok", "issue ok", "redeem ok", "redeem used",
		"redeem expired", "redeem taken", "leave ok", "rejoin ok")
}

func runDonorProperty(t *testing.T, seed int64) map[string]int {
	g := newGen(t, seed)
	d := &donorGen{g: g, r: rand.New(rand.NewSource(seed * 7919))}
	replicas := make([]*state.Store, propReplicas)
	for i := range replicas {
		replicas[i] = state.New()
	}
	inv := newInvariants()
	seen := map[string]int{}
	outcome := func(p any, res *state.Result) {
		switch c := p.(type) {
		case state.JoinTokenCmd:
			key := c.Op + " ok"
			switch {
			case errors.Is(res.Err, state.ErrJoinTokenUsed):
				key = "redeem used"
			case errors.Is(res.Err, state.ErrJoinTokenExpired):
				key = "redeem expired"
			case errors.Is(res.Err, state.ErrNodeTaken):
				key = "redeem taken"
			case res.Err != nil:
				key = c.Op + " refused"
			}
			seen[key]++
		case state.DonorCmd:
			if res.Err == nil {
				seen[c.Op+" ok"]++
			}
		}
	}
	for step := 1; step <= 300; step++ {
		var ct state.CommandType
		var payload any
		if d.r.Intn(2) == 0 {
			g.step++
			ct, payload = d.next(replicas[0].View())
		} else {
			ct, payload = g.next(replicas[0].View())
		}
		before := replicas[0].View()
		entry, res := applyReplicas(t, step, replicas, ct, payload)
		g.learn(res)
		outcome(payload, res)
		if err := inv.check(before, replicas[0].View(), ct, res, uint64(step)); err != nil {
			t.Fatalf("seed %d step %d (%s): %v", seed, step, entry, err)
		}
		if err := checkDonors(replicas[0].View()); err != nil {
			t.Fatalf("seed %d step %d (%s): %v", seed, step, entry, err)
		}
		if step%50 == 0 || step == 300 {
			assertReplicasEqual(t, step, replicas)
		}
		if step%70 == 0 {
			replicas[len(replicas)-1] = restored(t, replicas[0])
		}
	}
	for _, k := range []string{"register ok", "issue ok", "redeem ok"} {
		if seen[k] == 0 {
			t.Errorf("seed %d: no %q in %v", seed, k, seen)
		}
	}
	return seen
}

var (
	propDonors   = []string{"uni-a", "uni-b", "uni-c"}
	propAccounts = []string{"physics", "chem", "bio", "math"}
	propNodes    = []string{"n0", "n1", "n2", "n3", "n4"}
)

// donorGen makes donor commands, deterministic from its seed.
type donorGen struct {
	g *gen
	r *rand.Rand
}

func propNodeKey(i int) string {
	return receipt.EncodeKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(100 + i)}, ed25519.SeedSize)).Public().(ed25519.PublicKey))
}

func (d *donorGen) actor(donor string) state.Actor {
	switch n := d.r.Intn(10); {
	case n < 2:
		return state.Actor{User: "donor-admin:" + donor, Donor: donor}
	case n < 3:
		return state.Actor{User: "donor-admin:other", Donor: propDonors[d.r.Intn(len(propDonors))]}
	case n < 4:
		return state.Actor{User: "alice"}
	}
	return state.Actor{User: "root", Management: true}
}

func (d *donorGen) accounts() []string {
	var out []string
	for _, a := range propAccounts {
		if d.r.Intn(3) == 0 {
			out = append(out, a)
		}
	}
	return out
}

func (d *donorGen) next(v *state.View) (state.CommandType, any) {
	now := d.g.now()
	donor := propDonors[d.r.Intn(len(propDonors))]
	if ds := v.Donors(); len(ds) > 0 && d.r.Intn(4) != 0 {
		donor = ds[d.r.Intn(len(ds))].Name // mostly one that is registered
	}
	wallet := "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
	proof := "0x" + strings.Repeat(fmt.Sprintf("%02x", d.r.Intn(256)), 65)
	node := d.r.Intn(len(propNodes))
	switch n := d.r.Intn(100); {
	case n < 14:
		return state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: now, Name: donor, Wallet: wallet, WalletProof: proof,
			WalletIssued: now, Accounts: d.accounts(), By: d.actor(donor)}
	case n < 17:
		return state.CmdDonor, state.DonorCmd{Op: state.DonorWallet, Time: now, Name: donor, Wallet: wallet, WalletProof: proof,
			WalletIssued: now.Add(-time.Duration(d.r.Intn(3)) * time.Second), By: d.actor(donor)}
	case n < 25:
		return state.CmdDonor, state.DonorCmd{Op: state.DonorAccounts, Time: now, Name: donor, Accounts: d.accounts(), By: d.actor(donor)}
	case n < 29:
		return state.CmdDonor, state.DonorCmd{Op: state.DonorDelete, Time: now, Name: donor, By: d.actor(donor)}
	case n < 50:
		h := fmt.Sprintf("%016x%016x%016x%016x", d.r.Uint64(), d.r.Uint64(), d.r.Uint64(), d.r.Uint64())
		ttl := time.Duration(2+d.r.Intn(10)) * time.Second
		if d.r.Intn(2) == 0 {
			ttl = time.Duration(30+d.r.Intn(300)) * time.Second
		}
		tok := state.JoinToken{Accessor: fmt.Sprintf("join-%d", d.g.step), SecretHash: h, Donor: donor, CreateTime: now, Expires: now.Add(ttl)}
		return state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: now, Token: &tok, By: d.actor(donor)}
	case n < 72:
		h := fmt.Sprintf("%064x", d.r.Int63())
		if jts := v.JoinTokens(""); len(jts) > 0 && d.r.Intn(8) != 0 {
			h = jts[len(jts)-1-d.r.Intn(min(len(jts), 4))].SecretHash // mostly a recent one
		}
		key := propNodeKey(node)
		if d.r.Intn(5) == 0 {
			key = propNodeKey(d.r.Intn(len(propNodes) + 2)) // another node's, or a new one
		}
		return state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: now, SecretHash: h, NodeName: propNodes[node], Key: key}
	case n < 80:
		return state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinLeave, Time: now, NodeName: propNodes[node], Key: propNodeKey(node)}
	case n < 86:
		return state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRejoin, Time: now, NodeName: propNodes[node], Key: propNodeKey(node)}
	case n < 94:
		// The KeyWatcher registers a node's key (its Nomad name now and
		// then another than it joined as).
		name := propNodes[node]
		if d.r.Intn(4) == 0 {
			name = propNodes[d.r.Intn(len(propNodes))]
		}
		key := propNodeKey(node)
		if d.r.Intn(4) == 0 {
			key = propNodeKey(d.r.Intn(len(propNodes) + 2))
		}
		return state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: now, NodeID: "id-" + propNodes[node], Node: name, Key: key}
	case n < 95:
		return state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRevoke, Time: now, Node: "id-" + propNodes[node], By: state.Actor{Management: true}}
	}
	return state.CmdACLTokenCreate, state.ACLTokenCmd{Token: state.ACLToken{AccessorID: fmt.Sprintf("adm-%d", d.g.step),
		SecretHash: fmt.Sprintf("%064x", d.r.Int63()), Type: state.TokenDonorAdmin, Donor: donor, CreateTime: now}}
}

// checkDonors: the donor records agree with one another. A node name is
// joined under one donor at most; every node record and join token names
// a registered donor, and so does every donor-admin token; a used token
// names the node that used it; an account has one donor; the donor of a
// key is its join record's.
func checkDonors(v *state.View) error {
	names := map[string]bool{}
	joined := map[string]string{}
	accounts := map[string]string{}
	for _, dn := range v.Donors() {
		names[dn.Name] = true
		for _, a := range dn.Accounts {
			if other, ok := accounts[a]; ok {
				return fmt.Errorf("account %s is both %s's and %s's", a, other, dn.Name)
			}
			accounts[a] = dn.Name
			if got := v.DonorOfAccount(a); got != dn.Name {
				return fmt.Errorf("DonorOfAccount(%s) = %q, want %s", a, got, dn.Name)
			}
		}
	}
	for name := range names {
		for _, n := range v.DonorNodes(name) {
			if n.Donor != name {
				return fmt.Errorf("DonorNodes(%s) holds %s's node %s", name, n.Donor, n.NodeName)
			}
			if v.DonorOfKey(n.Key) != name {
				return fmt.Errorf("DonorOfKey of %s's node %s = %q", name, n.NodeName, v.DonorOfKey(n.Key))
			}
			if n.Left.IsZero() {
				if other, ok := joined[n.NodeName]; ok && other != name {
					return fmt.Errorf("node %s is joined under %s and %s", n.NodeName, other, name)
				}
				joined[n.NodeName] = name
			}
		}
		if len(v.JoinTokens(name)) > state.MaxJoinTokensKept {
			return fmt.Errorf("%s holds %d join tokens", name, len(v.JoinTokens(name)))
		}
	}
	for _, jt := range v.JoinTokens("") {
		if !names[jt.Donor] {
			return fmt.Errorf("join token %s of a donor that is gone (%s)", jt.Accessor, jt.Donor)
		}
		if jt.Used.IsZero() != (jt.UsedBy == "") {
			return fmt.Errorf("join token %s: used %v by %q", jt.Accessor, jt.Used, jt.UsedBy)
		}
	}
	for _, tok := range v.Tokens() {
		if tok.Type == state.TokenDonorAdmin && !names[tok.Donor] {
			return fmt.Errorf("donor-admin token %s of a donor that is gone (%s)", tok.AccessorID, tok.Donor)
		}
	}
	for _, nd := range propNodes {
		if d := v.DonorOfNode("id-" + nd); d != "" && !names[d] {
			return fmt.Errorf("DonorOfNode(id-%s) = %s, not a donor", nd, d)
		}
	}
	return nil
}
