package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
)

// joinFixture is a coordinator (real API server and state) that tells
// joining nodes a fixed Nomad, with donor uni-b registered.
type joinFixture struct {
	srv   *bridgetest.Server
	admin *api.Client
}

func newJoinFixture(t *testing.T) *joinFixture {
	t.Helper()
	srv := bridgetest.Start(t, bridgetest.Options{Join: apiserver.StaticJoin{Servers: []string{"10.1.2.3:4647"}, Datacenter: "dc9", Region: "r1"}})
	admin := srv.Client(t, srv.ManagementToken)
	ctx := context.Background()
	key, err := wallet.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := admin.DonorChallenge(ctx, "uni-b", wallet.Address(key))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DonorRegister(ctx, &api.DonorRegisterRequest{Name: "uni-b", Wallet: wallet.Address(key),
		Signature: wallet.EncodeSignature(wallet.Sign(ch.Message, key)), Issued: ch.Issued}); err != nil {
		t.Fatal(err)
	}
	return &joinFixture{srv: srv, admin: admin}
}

func (f *joinFixture) token(t *testing.T) string {
	t.Helper()
	jt, err := f.admin.JoinTokenCreate(context.Background(), "uni-b", "10m")
	if err != nil {
		t.Fatal(err)
	}
	return jt.Secret
}

// joinAs runs o.joined as Run does before it starts Nomad: with the node
// key in o.DataDir (made there on first use) and, when c is nil, a client
// made from o.API.
func joinAs(t *testing.T, o *Options, c *api.Client) (*State, error) {
	t.Helper()
	key, err := receipt.LoadOrCreateKey(filepath.Join(o.DataDir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if c == nil {
		cfg, err := o.apiConfig()
		if err != nil {
			t.Fatal(err)
		}
		if c, err = api.NewClient(cfg); err != nil {
			t.Fatal(err)
		}
	}
	return o.joined(context.Background(), c, key, receipt.EncodeKey(key.Public().(ed25519.PublicKey)))
}

// joinedIn runs Options.joined for a node in dir, as Run does before it
// starts Nomad.
func (f *joinFixture) joinedIn(t *testing.T, dir, secret string) (*State, string, error) {
	t.Helper()
	var out bytes.Buffer
	o := Options{Join: secret, API: &api.Config{Address: f.srv.URL}, DataDir: dir, Name: "n1", Out: &out}
	st, err := joinAs(t, &o, nil)
	return st, out.String(), err
}

// TestJoinOnceThenReuse joins with a token, records it, then starts again
// without one (and with the used one) without redeeming; a used token on
// another data dir is refused with its code; after a leave the node joins
// again with its key.
func TestJoinOnceThenReuse(t *testing.T) {
	f := newJoinFixture(t)
	dir := t.TempDir()
	secret := f.token(t)
	st, out, err := f.joinedIn(t, dir, secret)
	if err != nil {
		t.Fatalf("join: %v\n%s", err, out)
	}
	if st.Donor != "uni-b" || st.NodeName != "n1" || len(st.NomadServers) != 1 || st.NomadServers[0] != "10.1.2.3:4647" || st.Datacenter != "dc9" || st.Region != "r1" {
		t.Errorf("state %+v", st)
	}
	saved, err := loadState(dir)
	if err != nil || saved == nil || saved.Key != st.Key {
		t.Fatalf("saved state %+v, %v", saved, err)
	}
	for _, again := range []string{"", secret} {
		st2, out, err := f.joinedIn(t, dir, again)
		if err != nil || st2.NodeName != "n1" || !st2.Joined.Equal(st.Joined) {
			t.Errorf("second start (token %q): %+v, %v\n%s", again, st2, err, out)
		}
		if again != "" && !strings.Contains(out, "the join token is not used") {
			t.Errorf("second start with the used token says:\n%s", out)
		}
	}
	if _, out, err := f.joinedIn(t, t.TempDir(), secret); err == nil || !strings.Contains(err.Error(), api.CodeJoinTokenUsed) {
		t.Errorf("the used token on a new data dir: %v\n%s", err, out)
	}
	if _, _, err := f.joinedIn(t, t.TempDir(), ""); err == nil || !strings.Contains(err.Error(), "has not joined") {
		t.Errorf("a new data dir without a token: %v", err)
	}

	// Leave (no Nomad node holds the key here: the leave is recorded
	// alone), then start again: it joins again with its key.
	key, err := receipt.LoadOrCreateKey(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	c := f.srv.Client(t, "")
	if _, err := leaveNode(context.Background(), c, "n1", key, "30s", nil); err != nil {
		t.Fatalf("leave: %v", err)
	}
	d, err := f.admin.Donor(context.Background(), "uni-b")
	if err != nil || len(d.Nodes) != 1 || d.Nodes[0].Left.IsZero() {
		t.Fatalf("uni-b after the leave: %+v, %v", d, err)
	}
	st3, out, err := f.joinedIn(t, dir, "")
	if err != nil || !st3.Left.IsZero() || !strings.Contains(out, "joined donor uni-b again") {
		t.Fatalf("start after the coordinator recorded a leave: %+v, %v\n%s", st3, err, out)
	}
	d, err = f.admin.Donor(context.Background(), "uni-b")
	if err != nil || len(d.Nodes) != 1 || !d.Nodes[0].Left.IsZero() {
		t.Errorf("uni-b after the rejoin: %+v, %v", d, err)
	}

	// The agent's own leave, recorded in the data dir too.
	if _, err := leaveNode(context.Background(), c, "n1", key, "", nil); err != nil {
		t.Fatalf("leave: %v", err)
	}
	st3.Left = st3.Joined
	if err := st3.save(dir); err != nil {
		t.Fatal(err)
	}
	st4, out, err := f.joinedIn(t, dir, "")
	if err != nil || !st4.Left.IsZero() || !strings.Contains(out, "joining again with its key") {
		t.Fatalf("start after the agent left: %+v, %v\n%s", st4, err, out)
	}
	if saved, err := loadState(dir); err != nil || !saved.Left.IsZero() {
		t.Errorf("state after the rejoin: %+v, %v", saved, err)
	}
}

// TestJoinCoordinatorUnreachable: a coordinator that does not answer is a
// clear error, and nothing is recorded.
func TestJoinCoordinatorUnreachable(t *testing.T) {
	f := newJoinFixture(t)
	secret := f.token(t)
	f.srv.Close()
	dir := t.TempDir()
	_, _, err := f.joinedIn(t, dir, secret)
	if err == nil || !strings.Contains(err.Error(), "is the coordinator's address right, and does it run?") {
		t.Errorf("join with the coordinator down: %v", err)
	}
	if st, err := loadState(dir); st != nil || err != nil {
		t.Errorf("state after a failed join: %+v, %v", st, err)
	}
}
