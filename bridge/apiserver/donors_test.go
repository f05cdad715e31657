package apiserver_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// donorClock is a test clock the test moves.
type donorClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *donorClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *donorClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// donorNomad is the Nomad node directory the coordinator would read: the
// nodes by name, with their Nomad ids (NodeSource, NodeResolver).
type donorNomad struct {
	mu       sync.Mutex
	nodes    map[string]string // name -> id
	eligible []string          // ids made eligible, in order
}

func (n *donorNomad) Nodes(context.Context) ([]api.Node, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []api.Node
	for name := range n.nodes {
		out = append(out, api.Node{Name: name, State: api.NodeIdle, CPUs: 4, Partitions: []string{"batch"}})
	}
	return out, nil
}

func (n *donorNomad) NodeID(_ context.Context, name string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if id, ok := n.nodes[name]; ok {
		return id, nil
	}
	return "", fmt.Errorf("no node %s", name)
}

// SetEligible records the nodes made eligible (NodeEligibility).
func (n *donorNomad) SetEligible(_ context.Context, id string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.eligible = append(n.eligible, id)
	return nil
}

func (n *donorNomad) add(name, id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.nodes[name] = id
}

type donorEnv struct {
	t     *testing.T
	ctx   context.Context
	clock *donorClock
	nomad *donorNomad
	srv   *bridgetest.Server
	mgmt  *api.Client
}

var nomadJoin = apiserver.StaticJoin{Servers: []string{"10.0.0.1:4647", "10.0.0.2:4647"}, Datacenter: "dc-donors", Region: "eu"}

func newDonorEnv(t *testing.T) *donorEnv {
	clock := &donorClock{now: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	nomad := &donorNomad{nodes: map[string]string{}}
	blobs, err := cas.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := bridgetest.Start(t, bridgetest.Options{Now: clock.Now, Nodes: nomad, Reclaim: nomad, Join: nomadJoin, Blobs: blobs})
	return &donorEnv{t: t, ctx: context.Background(), clock: clock, nomad: nomad, srv: srv, mgmt: srv.Client(t, srv.ManagementToken)}
}

func errCode(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// register registers donor with a fresh wallet key; it returns the key.
func (e *donorEnv) register(donor string, accounts ...string) {
	e.t.Helper()
	registerDonor(e.ctx, e.t, e.mgmt, donor, accounts...)
}

// registerDonor registers donor through c, a management client, with a
// fresh wallet key.
func registerDonor(ctx context.Context, t *testing.T, c *api.Client, donor string, accounts ...string) {
	t.Helper()
	key, err := wallet.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr := wallet.Address(key)
	ch, err := c.DonorChallenge(ctx, donor, addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DonorRegister(ctx, &api.DonorRegisterRequest{Name: donor, Wallet: addr, Issued: ch.Issued, Accounts: accounts,
		Signature: wallet.EncodeSignature(wallet.Sign(ch.Message, key))}); err != nil {
		t.Fatalf("register %s: %v", donor, err)
	}
}

// followerPair is a two-server cluster, s1 leading, whose donor routes
// share one Nomad fake; its clients talk to the follower, s2.
type followerPair struct {
	nomad       *donorNomad
	leader      *bridgetest.Raft
	followerURL string
	anon, mgmt  *api.Client // on the follower: no token, and the bootstrap token
}

func newFollowerPair(ctx context.Context, t *testing.T) *followerPair {
	t.Helper()
	c := bridgetest.NewCluster()
	nomad := &donorNomad{nodes: map[string]string{}}
	start := func(id string) (string, *bridgetest.Raft, *apiserver.Server) {
		n := c.Add(id, id+":4748")
		hs := httptest.NewUnstartedServer(nil)
		url := "http://" + hs.Listener.Addr().String()
		srv, err := apiserver.New(apiserver.Config{Raft: n, Store: n.Store(), NodeID: id, APIAddr: url, Servers: n.Servers,
			Nodes: nomad, Reclaim: nomad, Join: nomadJoin})
		if err != nil {
			t.Fatal(err)
		}
		hs.Config.Handler = srv.Handler()
		hs.Start()
		t.Cleanup(hs.Close)
		return url, n, srv
	}
	_, leaderRaft, leader := start("s1")
	followerURL, _, _ := start("s2")
	if err := leader.EstablishLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	anon := client(t, followerURL, "")
	tok, err := anon.ACLBootstrap(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &followerPair{nomad: nomad, leader: leaderRaft, followerURL: followerURL, anon: anon, mgmt: client(t, followerURL, tok.SecretID)}
}

// nodeUp has joined node's Nomad client come up as Nomad node "id-"+node;
// the leader's KeyWatcher registers its key.
func (f *followerPair) nodeUp(ctx context.Context, t *testing.T, node string) {
	t.Helper()
	f.nomad.add(node, "id-"+node)
	cmd, err := state.Encode(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: time.Now(), NodeID: "id-" + node, Node: node,
		Key: receipt.EncodeKey(nodeKey(node).Public().(ed25519.PublicKey))})
	if err != nil {
		t.Fatal(err)
	}
	if res, _, err := f.leader.Apply(ctx, cmd); err != nil || res.Err != nil {
		t.Fatalf("register %s's key: %v %v", node, err, res.Err)
	}
}

func (e *donorEnv) adminToken(donor string) *api.Client {
	c, _ := e.adminTokenSecret(donor)
	return c
}

// adminTokenSecret creates donor's admin token: a client with it, and its
// secret.
func (e *donorEnv) adminTokenSecret(donor string) (*api.Client, string) {
	e.t.Helper()
	tok, err := e.mgmt.ACLCreateToken(e.ctx, &api.ACLTokenRequest{Name: donor + " admin", Type: state.TokenDonorAdmin, Donor: donor})
	if err != nil {
		e.t.Fatal(err)
	}
	if tok.Type != state.TokenDonorAdmin || tok.Donor != donor || tok.User != "" {
		e.t.Fatalf("donor-admin token %+v", tok)
	}
	return e.srv.Client(e.t, tok.SecretID), tok.SecretID
}

// nodeKey is a node's ed25519 key, from its name.
func nodeKey(name string) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed([]byte(fmt.Sprintf("%-32.32s", "node:"+name)))
}

func joinReq(secret, node string, key ed25519.PrivateKey, now time.Time) *api.NodeJoinRequest {
	req := &api.NodeJoinRequest{Secret: secret, NodeName: node, Key: receipt.EncodeKey(key.Public().(ed25519.PublicKey))}
	api.SignJoin(req, key, now)
	return req
}

// join has node join donor with a fresh join token; the node's Nomad
// client then comes up as Nomad node "id-"+node and the KeyWatcher
// registers its key.
func (e *donorEnv) join(donor, node string) *api.NodeJoinResponse {
	e.t.Helper()
	jt, err := e.mgmt.JoinTokenCreate(e.ctx, donor, "")
	if err != nil {
		e.t.Fatal(err)
	}
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})
	resp, err := anon.NodeJoin(e.ctx, joinReq(jt.Secret, node, nodeKey(node), e.clock.Now()))
	if err != nil {
		e.t.Fatalf("join %s to %s: %v", node, donor, err)
	}
	e.nomad.add(node, "id-"+node)
	e.srv.RegisterNodeKey(e.t, "id-"+node, node, nodeKey(node).Public().(ed25519.PublicKey))
	return resp
}

// TestDonorRegister: the wallet proof is checked (the challenge for this
// cluster, donor, wallet and time, signed by that wallet, issued within
// 10 minutes); only a management token registers.
func TestDonorRegister(t *testing.T) {
	e := newDonorEnv(t)
	key, _ := wallet.GenerateKey()
	addr := wallet.Address(key)
	now := e.clock.Now()
	ch, err := e.mgmt.DonorChallenge(e.ctx, "uni-a", strings.ToLower(addr))
	if err != nil {
		t.Fatal(err)
	}
	if ch.Message != wallet.Message(apiserver.DefaultClusterName, "uni-a", addr, now) || !ch.Issued.Equal(now) || ch.Wallet != addr {
		t.Fatalf("challenge %+v", ch)
	}
	sign := func(msg string) string { return wallet.EncodeSignature(wallet.Sign(msg, key)) }
	other, _ := wallet.GenerateKey()
	reqs := map[string]struct {
		req  api.DonorRegisterRequest
		code string
	}{
		"another wallet's signature": {api.DonorRegisterRequest{Name: "uni-a", Wallet: addr, Issued: now,
			Signature: wallet.EncodeSignature(wallet.Sign(ch.Message, other))}, api.CodePermissionDenied},
		"another donor's challenge": {api.DonorRegisterRequest{Name: "uni-a", Wallet: addr, Issued: now,
			Signature: sign(wallet.Message(apiserver.DefaultClusterName, "uni-b", addr, now))}, api.CodePermissionDenied},
		"another cluster's challenge": {api.DonorRegisterRequest{Name: "uni-a", Wallet: addr, Issued: now,
			Signature: sign(wallet.Message("elsewhere", "uni-a", addr, now))}, api.CodePermissionDenied},
		"stale": {api.DonorRegisterRequest{Name: "uni-a", Wallet: addr, Issued: now.Add(-11 * time.Minute),
			Signature: sign(wallet.Message(apiserver.DefaultClusterName, "uni-a", addr, now.Add(-11*time.Minute)))}, api.CodePermissionDenied},
		"from the future": {api.DonorRegisterRequest{Name: "uni-a", Wallet: addr, Issued: now.Add(11 * time.Minute),
			Signature: sign(wallet.Message(apiserver.DefaultClusterName, "uni-a", addr, now.Add(11*time.Minute)))}, api.CodePermissionDenied},
		"bad address":   {api.DonorRegisterRequest{Name: "uni-a", Wallet: "0x1234", Issued: now, Signature: sign(ch.Message)}, api.CodeInvalidRequest},
		"bad signature": {api.DonorRegisterRequest{Name: "uni-a", Wallet: addr, Issued: now, Signature: "0x1234"}, api.CodeInvalidRequest},
		"bad name":      {api.DonorRegisterRequest{Name: "Uni_A", Wallet: addr, Issued: now, Signature: sign(ch.Message)}, api.CodeInvalidRequest},
		"long name": {api.DonorRegisterRequest{Name: strings.Repeat("a", state.MaxDonorNameLen+1), Wallet: addr, Issued: now,
			Signature: sign(ch.Message)}, api.CodeInvalidRequest},
		"bad account": {api.DonorRegisterRequest{Name: "uni-a", Wallet: addr, Issued: now, Signature: sign(ch.Message),
			Accounts: []string{"a b"}}, api.CodeInvalidRequest},
	}
	for name, c := range reqs {
		if _, err := e.mgmt.DonorRegister(e.ctx, &c.req); errCode(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	// A body over api.MaxDonorBodyBytes (here, 2000 accounts of 60
	// characters) is refused before it is read whole.
	many := make([]string, 2000)
	for i := range many {
		many[i] = fmt.Sprintf("%060d", i)
	}
	if _, err := e.mgmt.DonorRegister(e.ctx, &api.DonorRegisterRequest{Name: "uni-a", Wallet: addr, Issued: now, Signature: sign(ch.Message),
		Accounts: many}); errCode(err) != api.CodeTooLarge {
		t.Errorf("a %d KiB body: %v, want too_large", 2000*63/1024, err)
	}
	if len(e.srv.Store.View().Donors()) != 0 {
		t.Fatal("a refused registration registered")
	}
	good := api.DonorRegisterRequest{Name: "uni-a", Wallet: strings.ToLower(addr), Issued: now, Signature: sign(ch.Message), Accounts: []string{"physics"}}
	user := e.srv.Client(t, e.srv.UserToken(t, "ada"))
	if _, err := user.DonorRegister(e.ctx, &good); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("a user registers: %v", err)
	}
	d, err := e.mgmt.DonorRegister(e.ctx, &good)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "uni-a" || d.Wallet != addr || d.Accounts[0] != "physics" || !d.WalletIssued.Equal(now) {
		t.Fatalf("registered %+v", d)
	}
	// The stored proof verifies for anyone who reads it.
	sig, _ := wallet.ParseSignature(d.WalletProof)
	if err := wallet.Verify(wallet.Message(apiserver.DefaultClusterName, d.Name, d.Wallet, d.WalletIssued), sig, d.Wallet); err != nil {
		t.Fatalf("stored proof: %v", err)
	}
	if _, err := e.mgmt.DonorRegister(e.ctx, &good); errCode(err) != api.CodeConflict {
		t.Fatalf("twice: %v", err)
	}
	// A donor-admin token does not register donors, nor set accounts, nor
	// delete; it re-proves its own wallet, with a fresh proof.
	admin := e.adminToken("uni-a")
	e.register("uni-b")
	adminB := e.adminToken("uni-b")
	if _, err := admin.DonorRegister(e.ctx, &api.DonorRegisterRequest{Name: "uni-c", Wallet: addr, Issued: now, Signature: sign(ch.Message)}); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("a donor-admin registers: %v", err)
	}
	if _, err := admin.DonorAccounts(e.ctx, "uni-a", []string{"x"}); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("a donor-admin sets accounts: %v", err)
	}
	if err := admin.DonorDelete(e.ctx, "uni-a"); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("a donor-admin deletes: %v", err)
	}
	e.clock.add(time.Minute)
	ch2, err := admin.DonorChallenge(e.ctx, "uni-a", addr)
	if err != nil {
		t.Fatal(err)
	}
	wreq := &api.DonorWalletRequest{Wallet: addr, Issued: ch2.Issued, Signature: sign(ch2.Message)}
	if _, err := adminB.DonorWallet(e.ctx, "uni-a", wreq); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("uni-b's admin re-proves uni-a's wallet: %v", err)
	}
	if _, err := adminB.DonorChallenge(e.ctx, "uni-a", addr); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("uni-b's admin asks for uni-a's challenge: %v", err)
	}
	if d, err := admin.DonorWallet(e.ctx, "uni-a", wreq); err != nil || !d.WalletIssued.Equal(ch2.Issued) {
		t.Fatalf("re-prove: %+v %v", d, err)
	}
	// Donors: management sees both, a donor-admin its own only; a user none.
	if l, err := e.mgmt.Donors(e.ctx); err != nil || len(l.Donors) != 2 {
		t.Fatalf("management's list: %+v %v", l, err)
	}
	if l, err := admin.Donors(e.ctx); err != nil || len(l.Donors) != 1 || l.Donors[0].Name != "uni-a" {
		t.Fatalf("uni-a's admin's list: %+v %v", l, err)
	}
	if _, err := user.Donors(e.ctx); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("a user lists donors: %v", err)
	}
	if _, err := admin.Donor(e.ctx, "uni-b"); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("uni-a's admin reads uni-b: %v", err)
	}
	if d, err := e.mgmt.DonorAccounts(e.ctx, "uni-a", []string{"chem", "physics"}); err != nil || len(d.Accounts) != 2 {
		t.Fatalf("accounts: %+v %v", d, err)
	}
	if e.srv.Store.View().DonorOfAccount("chem") != "uni-a" {
		t.Fatal("chem is not uni-a's")
	}
	if err := e.mgmt.DonorDelete(e.ctx, "uni-b"); err != nil {
		t.Fatal(err)
	}
	// Its admin token went with it.
	if _, err := adminB.Donors(e.ctx); errCode(err) != api.CodeUnauthenticated {
		t.Fatalf("a deleted donor's admin token: %v", err)
	}
}

// TestNodeJoin: a join token joins one node, before it expires, for a
// node that proves it holds the key it registers; the node learns where
// Nomad is. A reused, expired or unknown token is refused with its code
// (403), a node name joined under another donor with 409.
func TestNodeJoin(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	e.register("uni-b")
	adminA := e.adminToken("uni-a")
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})

	if _, err := adminA.JoinTokenCreate(e.ctx, "uni-b", ""); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("uni-a's admin issues uni-b's token: %v", err)
	}
	user := e.srv.Client(t, e.srv.UserToken(t, "ada"))
	if _, err := user.JoinTokenCreate(e.ctx, "uni-a", ""); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("a user issues a join token: %v", err)
	}
	for _, ttl := range []string{"0s", "-1h", "25h", "soon"} {
		if _, err := adminA.JoinTokenCreate(e.ctx, "uni-a", ttl); errCode(err) != api.CodeInvalidRequest {
			t.Errorf("ttl %q: %v", ttl, err)
		}
	}
	jt, err := adminA.JoinTokenCreate(e.ctx, "uni-a", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(jt.Secret, state.JoinSecretPrefix) || len(jt.Secret) != len(state.JoinSecretPrefix)+43 || !jt.Expires.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("join token %+v", jt)
	}
	// The secret is stored hashed only.
	if stored := e.srv.Store.View().JoinTokens("uni-a"); len(stored) != 1 || strings.Contains(fmt.Sprint(*stored[0]), jt.Secret) {
		t.Fatalf("stored %+v", stored)
	}
	k1 := nodeKey("a1")
	now := e.clock.Now()

	// Proof of possession: signed by another key, or over another name,
	// or too old, it is refused, and the token stays unused.
	bad := joinReq(jt.Secret, "a1", k1, now)
	bad.Signature = joinReq(jt.Secret, "a1", nodeKey("x"), now).Signature
	if _, err := anon.NodeJoin(e.ctx, bad); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("signed by another key: %v", err)
	}
	renamed := joinReq(jt.Secret, "a1", k1, now)
	renamed.NodeName = "a2"
	if _, err := anon.NodeJoin(e.ctx, renamed); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("signed for another name: %v", err)
	}
	if _, err := anon.NodeJoin(e.ctx, joinReq(jt.Secret, "a1", k1, now.Add(-6*time.Minute))); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("old signature: %v", err)
	}
	if _, err := anon.NodeJoin(e.ctx, joinReq("hbj_"+strings.Repeat("A", 43), "a1", k1, now)); errCode(err) != api.CodeJoinTokenInvalid {
		t.Fatalf("unknown secret: %v", err)
	}
	if _, err := anon.NodeJoin(e.ctx, joinReq("not-a-secret", "a1", k1, now)); errCode(err) != api.CodeJoinTokenInvalid {
		t.Fatalf("not a join secret: %v", err)
	}
	if _, err := anon.NodeJoin(e.ctx, joinReq(jt.Secret, strings.Repeat("n", state.MaxNodeNameLen+1), k1, now)); errCode(err) != api.CodeInvalidRequest {
		t.Fatalf("long node name: %v", err)
	}
	resp, err := anon.NodeJoin(e.ctx, joinReq(jt.Secret, "a1", k1, now))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Donor != "uni-a" || resp.NodeName != "a1" || len(resp.NomadServers) != 2 || resp.NomadServers[0] != "10.0.0.1:4647" ||
		resp.Datacenter != "dc-donors" || resp.Region != "eu" || resp.Meta[api.MetaDonor] != "uni-a" {
		t.Fatalf("join reply %+v", resp)
	}
	// Single use.
	var ae *api.Error
	_, err = anon.NodeJoin(e.ctx, joinReq(jt.Secret, "a2", nodeKey("a2"), now))
	if !errors.As(err, &ae) || ae.Code != api.CodeJoinTokenUsed || ae.Status != http.StatusForbidden {
		t.Fatalf("reuse: %v", err)
	}
	// Expired.
	jt2, _ := e.mgmt.JoinTokenCreate(e.ctx, "uni-a", "10m")
	e.clock.add(10 * time.Minute)
	if _, err := anon.NodeJoin(e.ctx, joinReq(jt2.Secret, "a2", nodeKey("a2"), e.clock.Now())); errCode(err) != api.CodeJoinTokenExpired {
		t.Fatalf("expired: %v", err)
	}
	// a1 is uni-a's: uni-b cannot take the name.
	jtb, _ := e.mgmt.JoinTokenCreate(e.ctx, "uni-b", "")
	if _, err := anon.NodeJoin(e.ctx, joinReq(jtb.Secret, "a1", nodeKey("b-evil"), e.clock.Now())); errCode(err) != api.CodeConflict {
		t.Fatalf("a1 under uni-b: %v", err)
	}
	if d, _ := e.mgmt.Donor(e.ctx, "uni-a"); len(d.Nodes) != 1 || d.Nodes[0].NodeName != "a1" {
		t.Fatalf("uni-a's nodes %+v", d.Nodes)
	}

	// A coordinator that knows no Nomad servers joins nobody.
	bare := bridgetest.Start(t, bridgetest.Options{})
	bc := bare.Client(t, bare.ManagementToken)
	registerDonor(e.ctx, t, bc, "uni-a")
	jt3, _ := bc.JoinTokenCreate(e.ctx, "uni-a", "")
	banon, _ := api.NewClient(&api.Config{Address: bare.URL})
	if _, err := banon.NodeJoin(e.ctx, joinReq(jt3.Secret, "z", nodeKey("z"), time.Now())); errCode(err) != api.CodeInternal ||
		!strings.Contains(err.Error(), "--join-nomad-servers") {
		t.Fatalf("join without Nomad servers: %v", err)
	}
}

// TestDonorAdminBounds: a donor-admin token of uni-a reclaims its own
// node and not uni-b's (nor one that only calls itself uni-a's), reads
// its nodes' receipts and no others', and cannot use any other route.
func TestDonorAdminBounds(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-a")
	e.register("uni-b")
	e.join("uni-a", "a1")
	e.join("uni-b", "b1")
	// A node nobody joined, whose name says it is uni-a's.
	e.nomad.add("uni-a-fake", "id-fake")
	e.srv.RegisterNodeKey(t, "id-fake", "uni-a-fake", nodeKey("fake").Public().(ed25519.PublicKey))
	adminA, secretA := e.adminTokenSecret("uni-a")

	// Nodes carry their donor (by the join, through the key).
	nl, err := e.mgmt.Nodes(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	donors := map[string]string{}
	for _, n := range nl.Nodes {
		donors[n.Name] = n.Donor
	}
	if donors["a1"] != "uni-a" || donors["b1"] != "uni-b" || donors["uni-a-fake"] != "" {
		t.Fatalf("node donors %v", donors)
	}

	// Reclaim: uni-b's node and the pretender are refused (403, JSON code).
	for _, n := range []string{"b1", "uni-a-fake"} {
		var ae *api.Error
		if _, err := adminA.ReclaimNode(e.ctx, n, "1m"); !errors.As(err, &ae) || ae.Code != api.CodePermissionDenied || ae.Status != http.StatusForbidden {
			t.Fatalf("uni-a's admin reclaims %s: %v", n, err)
		}
	}
	if len(e.srv.Store.View().Reclaims()) != 0 {
		t.Fatal("a refused reclaim was committed")
	}
	rc, err := adminA.ReclaimNode(e.ctx, "a1", "1m")
	if err != nil {
		t.Fatalf("uni-a's admin reclaims a1: %v", err)
	}
	if rc.NodeID != "id-a1" || rc.By != "donor-admin:uni-a" {
		t.Fatalf("reclaim %+v", rc)
	}
	user := e.srv.Client(t, e.srv.UserToken(t, "ada"))
	if _, err := user.ReclaimNode(e.ctx, "a1", "1m"); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("a user reclaims: %v", err)
	}
	// Cancel: uni-b's admin and a user cannot give a1 back; uni-a's can
	// (the reclaim ends, the node is made eligible in Nomad).
	adminB := e.adminToken("uni-b")
	for who, c := range map[string]*api.Client{"uni-b's admin": adminB, "a user": user} {
		if _, err := c.CancelReclaim(e.ctx, "a1"); errCode(err) != api.CodePermissionDenied {
			t.Fatalf("%s cancels a1's reclaim: %v", who, err)
		}
	}
	if _, err := e.mgmt.ReclaimNode(e.ctx, "b1", "1m"); err != nil {
		t.Fatal(err)
	}
	if _, err := adminA.CancelReclaim(e.ctx, "b1"); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("uni-a's admin cancels b1's reclaim: %v", err)
	}
	if rc, err := adminA.CancelReclaim(e.ctx, "a1"); err != nil || rc.NodeID != "id-a1" {
		t.Fatalf("uni-a's admin cancels a1's reclaim: %+v %v", rc, err)
	}
	if e.srv.Store.View().Reclaim("id-a1") != nil || e.srv.Store.View().Reclaim("id-b1") == nil || len(e.nomad.eligible) != 1 || e.nomad.eligible[0] != "id-a1" {
		t.Fatalf("after the cancel: reclaims %+v, made eligible %v", e.srv.Store.View().Reclaims(), e.nomad.eligible)
	}
	if _, err := adminA.CancelReclaim(e.ctx, "a1"); errCode(err) != api.CodeNotFound {
		t.Fatalf("cancel with no reclaim: %v", err)
	}

	// Receipts: one job's on a1, one's on b1.
	ja := e.runWithReceipt("ada", "a1", 1)
	jb := e.runWithReceipt("bob", "b1", 2)
	rl, err := adminA.Receipts(e.ctx, &api.ReceiptsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rl.Receipts) != 1 || rl.Receipts[0].JobID != ja || len(rl.Credits) != 1 || rl.Credits[0].NodeID != "id-a1" {
		t.Fatalf("uni-a's admin's receipts: %+v credits %+v", rl.Receipts, rl.Credits)
	}
	if rl, err := adminA.Receipts(e.ctx, &api.ReceiptsQuery{Job: fmt.Sprint(jb)}); err != nil || len(rl.Receipts) != 0 {
		t.Fatalf("uni-a's admin asks for the b1 job's receipts: %+v %v", rl, err)
	}
	if rl, err := adminA.Receipts(e.ctx, &api.ReceiptsQuery{Node: "b1"}); err != nil || len(rl.Receipts) != 0 {
		t.Fatalf("uni-a's admin asks for b1's receipts: %+v %v", rl, err)
	}
	if rl, err := e.mgmt.Receipts(e.ctx, &api.ReceiptsQuery{}); err != nil || len(rl.Receipts) != 2 {
		t.Fatalf("management's receipts: %+v %v", rl, err)
	}

	// Everything else is refused with 403 and a JSON code: no job
	// submission (a valid one), no job, node or account listing, no token
	// or account management.
	if _, err := adminA.Submit(e.ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), Cwd: "/"}); errCode(err) != api.CodePermissionDenied {
		t.Fatalf("uni-a's admin submits a job: %v", err)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/jobs", ""},
		{"GET", fmt.Sprintf("/v1/job/%d", ja), ""},
		{"POST", "/v1/jobs/cancel", fmt.Sprintf(`{"refs":["%d"]}`, ja)},
		{"GET", "/v1/nodes", ""},
		{"GET", "/v1/accounting", ""},
		{"POST", "/v1/acl/tokens", `{"type":"management"}`},
		{"POST", "/v1/node/a1/key/revoke", `{}`},
		{"POST", "/v1/donor/uni-a/accounts", `{"accounts":["x"]}`},
		{"DELETE", "/v1/donor/uni-a", ""},
		{"GET", "/v1/operator/raft/peers", ""},
		// The routes that also take a run token.
		{"POST", "/v1/blobs/missing", `{"digests":[]}`},
		{"PUT", "/v1/blobs/sha256:" + strings.Repeat("0", 64), ""},
		{"GET", fmt.Sprintf("/v1/job/%d/files", ja), ""},
		{"GET", fmt.Sprintf("/v1/job/%d/blobs/sha256:%s", ja, strings.Repeat("0", 64)), ""},
		{"POST", fmt.Sprintf("/v1/job/%d/output", ja), `{}`},
		{"POST", fmt.Sprintf("/v1/job/%d/checkpoints", ja), `{}`},
		{"GET", "/v1/priorities", ""},
		{"GET", "/v1/nodes/keys", ""},
		{"GET", "/v1/config", ""},
		{"GET", "/v1/partitions", ""},
	} {
		req, _ := http.NewRequest(c.method, e.srv.URL+c.path, strings.NewReader(c.body))
		req.Header.Set(api.HeaderToken, secretA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body api.ErrorResponse
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || body.Error == nil || body.Error.Code != api.CodePermissionDenied {
			t.Errorf("%s %s with uni-a's admin token: %d %+v, want 403 permission_denied", c.method, c.path, resp.StatusCode, body.Error)
		}
	}
	n := 0
	e.srv.Store.View().EachJob(func(*state.Job) bool { n++; return true })
	if n != 2 {
		t.Fatalf("%d jobs: the donor-admin submitted one", n)
	}
}

// runWithReceipt runs a job of user on node and commits one receipt the
// node signed for it; it returns the job id.
func (e *donorEnv) runWithReceipt(user, node string, seq int) uint64 {
	e.t.Helper()
	apply := func(ct state.CommandType, p any) *state.Result {
		e.t.Helper()
		return e.srv.Apply(e.t, ct, p)
	}
	script := "#!/bin/sh\ntrue\n"
	spec, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script)})
	if diags.HasErrors() {
		e.t.Fatal(diags)
	}
	start := e.clock.Now()
	id := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: start, User: user, DefaultPartition: "batch",
		Submission: &state.Submission{Script: []byte(script), Spec: spec}, Job: fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
	apply(state.CmdJobStart, state.JobStartCmd{Time: start, JobID: id, Task: state.NoTask, NodeList: node})
	key := nodeKey(node)
	r := &receipt.Receipt{Version: receipt.Version, JobID: id, Seq: 1, Node: node, NodeID: "id-" + node, AllocID: "alloc-" + node,
		CPUs: 1, Start: start, End: start.Add(time.Minute), Digest: "sha256:" + strings.Repeat(fmt.Sprintf("%02x", seq), 32), Trigger: receipt.TriggerCommand}
	signed, err := receipt.Sign(r, key)
	if err != nil {
		e.t.Fatal(err)
	}
	apply(state.CmdCheckpoint, state.CheckpointCmd{Time: r.End, JobID: id, Seq: 1, NodeID: r.NodeID, Node: node, AllocID: r.AllocID,
		Key: receipt.EncodeKey(key.Public().(ed25519.PublicKey)), Signed: *signed, Digest: r.Digest, Trigger: r.Trigger,
		ClaimStart: r.Start, ClaimEnd: r.End, ClaimCPUs: 1,
		Credit: state.Credit{Start: r.Start, End: r.End, CPUs: 1, CPUSeconds: 60}})
	return id
}

// TestNodeLeave: a node leaves with a request signed by its key (no ACL
// token): its reclaim begins; its agent polls the leave; a request signed
// by another key, or for another node, is refused; a rejoin undoes it.
func TestNodeLeave(t *testing.T) {
	e := newDonorEnv(t)
	e.register("uni-b")
	e.join("uni-b", "b1")
	e.join("uni-b", "b2")
	anon, _ := api.NewClient(&api.Config{Address: e.srv.URL})
	mine := &api.NodeSigner{NodeName: "b1", Key: nodeKey("b1"), Now: e.clock.Now}

	for name, s := range map[string]*api.NodeSigner{
		"another node's key": {NodeName: "b1", Key: nodeKey("b2"), Now: e.clock.Now},
		"a stranger's key":   {NodeName: "b1", Key: nodeKey("zz"), Now: e.clock.Now},
		"an unknown node":    {NodeName: "b9", Key: nodeKey("b9"), Now: e.clock.Now},
		"a stale signature":  {NodeName: "b1", Key: nodeKey("b1"), Now: func() time.Time { return e.clock.Now().Add(-10 * time.Minute) }},
	} {
		if _, err := anon.NodeLeave(e.ctx, s, ""); errCode(err) != api.CodePermissionDenied {
			t.Errorf("%s: %v, want permission denied", name, err)
		}
	}
	// Unsigned: 401.
	resp, err := http.Post(e.srv.URL+"/v1/node/b1/leave", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned leave: %d", resp.StatusCode)
	}
	// A body over the bound.
	big := &api.NodeSigner{NodeName: "b1", Key: nodeKey("b1"), Now: e.clock.Now}
	if _, err := anon.NodeLeave(e.ctx, big, strings.Repeat("9", api.MaxDonorBodyBytes)); errCode(err) != api.CodeTooLarge {
		t.Fatalf("big body: %v", err)
	}
	if len(e.srv.Store.View().Reclaims()) != 0 {
		t.Fatal("a refused leave reclaimed")
	}
	rc, err := anon.NodeLeave(e.ctx, mine, "2m")
	if err != nil {
		t.Fatal(err)
	}
	if rc.NodeID != "id-b1" || !rc.Deadline.Equal(e.clock.Now().Add(2*time.Minute)) || rc.By != "leave:uni-b" {
		t.Fatalf("leave reclaim %+v", rc)
	}
	st, err := anon.NodeLeaveStatus(e.ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reclaim == nil || st.Reclaim.NodeID != "id-b1" || st.Left.IsZero() || st.Donor != "uni-b" {
		t.Fatalf("leave status %+v", st)
	}
	if n := e.srv.Store.View().DonorNode(receipt.EncodeKey(nodeKey("b1").Public().(ed25519.PublicKey))); n.Left.IsZero() {
		t.Fatal("b1 has not left")
	}
	// A leave is not cancelled as an administrator's reclaim is: the
	// node rejoins.
	if _, err := e.mgmt.CancelReclaim(e.ctx, "b1"); errCode(err) != api.CodeConflict {
		t.Fatalf("cancel a leave's reclaim: %v", err)
	}
	// The donor cannot be deleted while b2 is joined.
	if err := e.mgmt.DonorDelete(e.ctx, "uni-b"); errCode(err) != api.CodeConflict {
		t.Fatalf("delete with b2 joined: %v", err)
	}
	// Rejoin: joined again; the leader's reclaimer ends the leave's
	// reclaim and makes the node eligible (nomadexec
	// TestLeaveThenRejoinOnNomad).
	st, err = anon.NodeRejoin(e.ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	v := e.srv.Store.View()
	if !st.Left.IsZero() || !v.IsRejoined("id-b1") || !state.IsLeaveReclaim(v.Reclaim("id-b1")) {
		t.Fatalf("after rejoin %+v, reclaims %v", st, v.Reclaims())
	}

	// A captured signed leave, sent again within the skew, is refused:
	// its nonce was taken.
	send := func(ts, nonce string, body []byte) int {
		t.Helper()
		h := sha256.Sum256(body)
		msg := api.NodeRequestMessage("POST", "/v1/node/b1/leave", ts, "b1", nonce, hex.EncodeToString(h[:]))
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/node/b1/leave", bytes.NewReader(body))
		req.Header.Set(api.HeaderRunNode, "b1")
		req.Header.Set(api.HeaderRunTime, ts)
		req.Header.Set(api.HeaderNodeNonce, nonce)
		req.Header.Set(api.HeaderRunSig, base64.StdEncoding.EncodeToString(ed25519.Sign(nodeKey("b1"), msg)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ts := fmt.Sprint(e.clock.Now().Unix())
	body := []byte(`{"deadline":"1m"}`)
	if code := send(ts, "0123456789abcdef0123456789abcdef", body); code != http.StatusOK {
		t.Fatalf("a signed leave: %d", code)
	}
	if code := send(ts, "0123456789abcdef0123456789abcdef", body); code != http.StatusForbidden {
		t.Fatalf("the same leave again: %d, want 403", code)
	}
	if code := send(ts, "fedcba9876543210fedcba9876543210", []byte(`{"cancel":true}`)); code != http.StatusOK {
		t.Fatalf("a signed rejoin: %d", code)
	}
	if code := send(ts, "fedcba9876543210fedcba9876543210", []byte(`{"cancel":true}`)); code != http.StatusForbidden {
		t.Fatalf("the same rejoin again: %d, want 403", code)
	}
}

// TestDonorRoutesThroughFollower: every donor route works through a
// follower, which forwards to the leader: the join (no ACL token) and the
// node-signed leave (the signature covers the path and body the leader
// sees).
func TestDonorRoutesThroughFollower(t *testing.T) {
	ctx := t.Context()
	f := newFollowerPair(ctx, t)
	anon, mgmt := f.anon, f.mgmt
	registerDonor(ctx, t, mgmt, "uni-b")
	jt, err := mgmt.JoinTokenCreate(ctx, "uni-b", "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := anon.NodeJoin(ctx, joinReq(jt.Secret, "b1", nodeKey("b1"), time.Now()))
	if err != nil || resp.Donor != "uni-b" || len(resp.NomadServers) != 2 {
		t.Fatalf("join through the follower: %+v %v", resp, err)
	}
	if _, err := anon.NodeJoin(ctx, joinReq(jt.Secret, "b1", nodeKey("b1"), time.Now())); errCode(err) != api.CodeJoinTokenUsed {
		t.Fatalf("reuse through the follower: %v", err)
	}
	f.nodeUp(ctx, t, "b1")
	signer := &api.NodeSigner{NodeName: "b1", Key: nodeKey("b1")}
	rc, err := anon.NodeLeave(ctx, signer, "1m")
	if err != nil {
		t.Fatalf("leave through the follower: %v", err)
	}
	if rc.Node != "b1" || rc.NodeID != "id-b1" || f.leader.Store().View().Reclaim("id-b1") == nil {
		t.Fatalf("leave %+v", rc)
	}
	if st, err := anon.NodeLeaveStatus(ctx, signer); err != nil || st.Left.IsZero() {
		t.Fatalf("leave status through the follower: %+v %v", st, err)
	}
}
