package apiserver_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// runTokenRoutes calls every route that takes a run token, for job ref, as
// c; each returns the route's error.
func runTokenRoutes(f *filesFixture, c *api.Client, ref string) map[string]func() error {
	blob := []byte("chunk")
	return map[string]func() error{
		"POST /v1/blobs/missing": func() error {
			_, err := c.BlobsMissing(f.ctx, []string{cas.Sum(blob)})
			return err
		},
		"PUT /v1/blobs/{digest}":    func() error { return c.PutBlob(f.ctx, cas.Sum(blob), blob) },
		"GET /v1/job/{ref}/files":   func() error { _, err := c.JobFiles(f.ctx, ref); return err },
		"GET /v1/job/{ref}/blobs/x": func() error { _, err := c.JobBlob(f.ctx, ref, cas.Sum(blob)); return err },
		"POST /v1/job/{ref}/output": func() error {
			_, err := c.PostOutput(f.ctx, ref, cas.Sum(blob))
			return err
		},
		"POST /v1/job/{ref}/checkpoints": func() error {
			_, err := c.Checkpoint(f.ctx, ref, &receipt.Signed{Body: []byte("{}"), Sig: []byte("x")})
			return err
		},
	}
}

// A run token is in the Nomad job spec, which any job can read where
// Nomad's ACLs are off: without the signature of the node that runs its
// job, on an allocation of its run on that node, within minutes of the
// coordinator's clock, with a key not revoked, it is refused on every
// route that takes one.
func TestRunTokenNeedsItsNodesSignature(t *testing.T) {
	f := newFilesFixture(t)
	own := f.submit(t, f.alice, hello)
	other := f.submit(t, f.alice, hello)
	f.start(t, own, state.NoTask)
	f.start(t, other, state.NoTask)
	secret := f.srv.RunToken(t, own)
	otherSecret := f.srv.RunToken(t, other)
	ref := fmt.Sprint(own)
	good := f.srv.RunSigner(secret)

	// Another node, registered, with an allocation of the same run.
	_, keyB, _ := ed25519.GenerateKey(rand.Reader)
	const nodeB = "11111111-2222-4333-8444-555555555555"
	const allocB = "66666666-7777-4888-8999-aaaaaaaaaaaa"
	f.srv.RegisterNodeKey(t, nodeB, "node-b", keyB.Public().(ed25519.PublicKey))
	f.srv.PlaceAlloc(own, 0, allocB, nodeB)

	signed := func(sg *api.RunSigner) *api.Client {
		c, err := api.NewClient(&api.Config{Address: f.srv.URL, Token: secret, Signer: sg})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	with := func(edit func(sg *api.RunSigner)) *api.Client {
		sg := *good
		edit(&sg)
		return signed(&sg)
	}
	refusedEverywhere := func(name string, c *api.Client) {
		t.Helper()
		for route, call := range runTokenRoutes(f, c, ref) {
			err := call()
			if err == nil {
				t.Errorf("%s: %s allowed", name, route)
				continue
			}
			if !api.IsCode(err, api.CodePermissionDenied) {
				t.Errorf("%s: %s: %v, want permission_denied", name, route, err)
			}
		}
	}

	// The node's own signature works (the routes' own checks aside).
	if _, err := signed(good).JobFiles(f.ctx, ref); err != nil {
		t.Fatalf("signed by its node: %v", err)
	}
	if err := signed(good).PutBlob(f.ctx, cas.Sum([]byte("chunk")), []byte("chunk")); err != nil {
		t.Fatalf("signed by its node: %v", err)
	}
	// So does node B's on its own allocation of the run.
	if _, err := with(func(sg *api.RunSigner) { sg.NodeID, sg.AllocID, sg.Key = nodeB, allocB, keyB }).JobFiles(f.ctx, ref); err != nil {
		t.Fatalf("signed by node B on its allocation: %v", err)
	}

	refusedEverywhere("the token alone", signed(nil))
	refusedEverywhere("another node's key, naming the run's node", with(func(sg *api.RunSigner) { sg.Key = keyB }))
	refusedEverywhere("another node, naming an allocation on the run's node", with(func(sg *api.RunSigner) { sg.NodeID, sg.Key = nodeB, keyB }))
	refusedEverywhere("a stale time", with(func(sg *api.RunSigner) {
		sg.Now = func() time.Time { return time.Now().Add(-api.RunRequestSkew - time.Minute) }
	}))
	refusedEverywhere("a time ahead", with(func(sg *api.RunSigner) {
		sg.Now = func() time.Time { return time.Now().Add(api.RunRequestSkew + time.Minute) }
	}))
	refusedEverywhere("an allocation of another run", with(func(sg *api.RunSigner) { sg.AllocID = f.srv.RunSigner(otherSecret).AllocID }))
	refusedEverywhere("an unknown allocation", with(func(sg *api.RunSigner) { sg.AllocID = "01234567-89ab-4def-8123-456789abcdef" }))
	_, keyC, _ := ed25519.GenerateKey(rand.Reader)
	refusedEverywhere("an unregistered node", with(func(sg *api.RunSigner) { sg.NodeID, sg.Key = "99999999-2222-4333-8444-555555555555", keyC }))
	// A signature of one token's request does not carry to another's.
	stolen, err := api.NewClient(&api.Config{Address: f.srv.URL, Token: otherSecret, Signer: good})
	if err != nil {
		t.Fatal(err)
	}
	for route, call := range runTokenRoutes(f, stolen, fmt.Sprint(other)) {
		if err := call(); !api.IsCode(err, api.CodePermissionDenied) {
			t.Errorf("another run's token signed with this run's allocation: %s: %v, want permission_denied", route, err)
		}
	}

	// A revoked key: refused, even for an allocation seen before.
	f.apply(t, state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRevoke, Time: time.Now(), Node: bridgetest.TestNodeID, By: state.Actor{Management: true}})
	refusedEverywhere("a revoked key", signed(good))
}

// placedAllocs is the Nomad servers' placements, as a test has them:
// allocation id -> job, run and node.
type placedAllocs map[string]struct {
	job  uint64
	run  int
	node string
}

func (p placedAllocs) ObserveAlloc(_ context.Context, j *state.Job, run int, allocID string) (*credit.Observed, error) {
	if allocID == unreachableAlloc {
		return nil, errors.New("Nomad servers unreachable")
	}
	a, ok := p[allocID]
	if !ok || a.job != j.ID || a.run != run {
		return nil, fmt.Errorf("%w: allocation %s is not job %d run %d's", nomadexec.ErrNotObserved, allocID, j.ID, run)
	}
	return &credit.Observed{NodeID: a.node, AllocID: allocID}, nil
}

// unreachableAlloc is an allocation placedAllocs cannot ask Nomad about.
const unreachableAlloc = "deadbeef-0000-4000-8000-000000000000"

// A follower forwards a run token's requests to the leader with the
// node's signature, which the leader checks.
func TestRunTokenSignatureForwarded(t *testing.T) {
	ctx := t.Context()
	store, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const nodeID, allocID = "11111111-2222-4333-8444-555555555555", "66666666-7777-4888-8999-aaaaaaaaaaaa"
	obs := placedAllocs{}
	c := bridgetest.NewCluster()
	var urls []string
	var rafts []*bridgetest.Raft
	var srvs []*apiserver.Server
	for _, id := range []string{"s1", "s2"} {
		n := c.Add(id, id+":4748")
		hs := httptest.NewUnstartedServer(nil)
		url := "http://" + hs.Listener.Addr().String()
		srv, err := apiserver.New(apiserver.Config{Raft: n, Store: n.Store(), NodeID: id, APIAddr: url, Servers: n.Servers,
			Blobs: store, Observer: obs})
		if err != nil {
			t.Fatal(err)
		}
		hs.Config.Handler = srv.Handler()
		hs.Start()
		t.Cleanup(hs.Close)
		urls, rafts, srvs = append(urls, url), append(rafts, n), append(srvs, srv)
	}
	if err := srvs[0].EstablishLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	tok, err := client(t, urls[1], "").ACLBootstrap(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client(t, urls[1], tok.SecretID).Submit(ctx, &api.SubmitRequest{Script: []byte(hello), Cwd: "/"})
	if err != nil {
		t.Fatal(err)
	}
	apply := func(ct state.CommandType, p any) {
		t.Helper()
		cmd, err := state.Encode(ct, p)
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := rafts[0].Apply(ctx, cmd)
		if err != nil || res.Err != nil {
			t.Fatalf("%s: %v %v", ct, err, res.Err)
		}
	}
	apply(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: resp.JobID, Task: state.NoTask})
	rt, secret := state.NewRunToken(rafts[0].Store().View().Job(resp.JobID), time.Now())
	apply(state.CmdRunToken, state.RunTokenCmd{Token: rt})
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	apply(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: time.Now(), NodeID: nodeID, Node: "n1",
		Key: receipt.EncodeKey(key.Public().(ed25519.PublicKey))})
	obs[allocID] = struct {
		job  uint64
		run  int
		node string
	}{resp.JobID, 0, nodeID}

	ref := fmt.Sprint(resp.JobID)
	for _, sg := range []*api.RunSigner{nil, {NodeID: nodeID, AllocID: allocID, Key: key}} {
		run, err := api.NewClient(&api.Config{Address: urls[1], Token: secret, Signer: sg})
		if err != nil {
			t.Fatal(err)
		}
		_, errFiles := run.JobFiles(ctx, ref)
		errPut := run.PutBlob(ctx, cas.Sum([]byte("x")), []byte("x"))
		if sg == nil {
			wantCode(t, errFiles, api.CodePermissionDenied)
			wantCode(t, errPut, api.CodePermissionDenied)
		} else if errFiles != nil || errPut != nil {
			t.Fatalf("signed through the follower: files %v, put %v", errFiles, errPut)
		}
	}
	// Nomad cannot be asked: unavailable (the node tries again), not refused.
	run, err := api.NewClient(&api.Config{Address: urls[0], Token: secret, Signer: &api.RunSigner{NodeID: nodeID, AllocID: unreachableAlloc, Key: key}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = run.JobFiles(ctx, ref)
	if e := (*api.Error)(nil); !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable {
		t.Fatalf("Nomad unreachable: %v, want 503", err)
	}
}
