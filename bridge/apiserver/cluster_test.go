package apiserver_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// node is one server of a fake cluster with its API.
type node struct {
	raft *bridgetest.Raft
	srv  *apiserver.Server
	url  string
}

func startNode(t *testing.T, c *bridgetest.Cluster, id string) *node {
	t.Helper()
	n := c.Add(id, id+":4748")
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	srv, err := apiserver.New(apiserver.Config{
		Raft: n, Store: n.Store(), NodeID: id, APIAddr: url, Servers: n.Servers,
		Now: func() time.Time { return t0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	return &node{raft: n, srv: srv, url: url}
}

func client(t *testing.T, url, token string) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: url, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestForwardToLeader(t *testing.T) {
	ctx := t.Context()
	c := bridgetest.NewCluster()
	s1, s2 := startNode(t, c, "s1"), startNode(t, c, "s2")
	if err := s1.srv.EstablishLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	// Writes sent to the follower are committed by the leader, token and all.
	tok, err := client(t, s2.url, "").ACLBootstrap(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	mgmt2 := client(t, s2.url, tok.SecretID)
	resp, err := mgmt2.Submit(ctx, &api.SubmitRequest{Script: []byte(hello), Cwd: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if j := s2.raft.Store().View().Job(resp.JobID); j == nil || j.User != "root" {
		t.Fatalf("follower does not see the forwarded submit: %+v", j)
	}
	// Reads are local; ?consistent reads go to the leader.
	for _, consistent := range []bool{false, true} {
		jobs, meta, err := mgmt2.Jobs(ctx, &api.JobsQuery{QueryOptions: api.QueryOptions{Consistent: consistent}})
		if err != nil || len(jobs) != 1 || !meta.KnownLeader {
			t.Fatalf("consistent=%v: %v %v %+v", consistent, jobs, err, meta)
		}
	}
	// Errors come back through the proxy.
	_, err = mgmt2.Cancel(ctx, &api.CancelRequest{Refs: []string{"999"}})
	wantCode(t, err, api.CodeNotFound)
	// A request already forwarded once is not forwarded again.
	status, e, _ := raw(t, "POST", s2.url+"/v1/jobs/hold", tok.SecretID, strings.NewReader(`{"refs":["1"]}`), api.HeaderForwardedBy, "s3")
	if status != http.StatusServiceUnavailable || e.Code != api.CodeNotLeader {
		t.Fatalf("forward loop: %d %+v", status, e)
	}
	// No leader: not_leader, for writes and consistent reads.
	c.SetLeader("")
	_, err = mgmt2.Submit(ctx, &api.SubmitRequest{Script: []byte(hello), Cwd: "/"})
	wantCode(t, err, api.CodeNotLeader)
	_, _, err = mgmt2.Jobs(ctx, &api.JobsQuery{QueryOptions: api.QueryOptions{Consistent: true}})
	wantCode(t, err, api.CodeNotLeader)
	if jobs, meta, err := mgmt2.Jobs(ctx, nil); err != nil || len(jobs) != 1 || meta.KnownLeader {
		t.Fatalf("stale read without a leader: %v %v %+v", jobs, err, meta)
	}
	// A new leader that has not published its address yet.
	c.SetLeader("s2")
	mgmt1 := client(t, s1.url, tok.SecretID)
	_, err = mgmt1.Hold(ctx, &api.RefsRequest{Refs: []string{"1"}})
	e = wantCode(t, err, api.CodeNotLeader)
	if !strings.Contains(e.Message, "published") {
		t.Errorf("message %q", e.Message)
	}
	if err := s2.srv.EstablishLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := mgmt1.Hold(ctx, &api.RefsRequest{Refs: []string{"1"}}); err != nil {
		t.Fatal(err)
	}
	if s1.raft.Store().View().Job(1).Hold != state.HoldAdmin {
		t.Fatal("hold through s1 not applied")
	}
	// Status routes answer from any server.
	leader, err := client(t, s1.url, "").Leader(ctx)
	if err != nil || leader != "s2:4748" {
		t.Fatalf("leader = %q %v", leader, err)
	}
}

func TestForwardToDeadLeader(t *testing.T) {
	ctx := t.Context()
	c := bridgetest.NewCluster()
	s1, s2 := startNode(t, c, "s1"), startNode(t, c, "s2")
	// s1 leads and publishes an address nobody listens on.
	cmd, _ := state.Encode(state.CmdSetMeta, state.SetMetaCmd{Key: apiserver.APIAddrKey("s1"), Value: "http://127.0.0.1:1"})
	if _, _, err := s1.raft.Apply(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	_, err := client(t, s2.url, "").ACLBootstrap(ctx, nil)
	e := wantCode(t, err, api.CodeNotLeader)
	if !strings.Contains(e.Message, "cannot reach leader") {
		t.Errorf("message %q", e.Message)
	}
}

func TestOperatorRaft(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	peers, err := f.mgmt.RaftPeers(ctx)
	if err != nil || len(peers) != 1 || !peers[0].Leader || peers[0].APIAddress != f.srv.URL {
		t.Fatalf("peers = %+v %v", peers, err)
	}
	if err := f.mgmt.RaftJoin(ctx, &api.RaftJoinRequest{ID: "server2", RaftAddr: "10.0.0.2:4748", APIAddr: "10.0.0.2:4747"}); err != nil {
		t.Fatal(err)
	}
	peers, _ = f.mgmt.RaftPeers(ctx)
	if len(peers) != 2 || peers[1] != (api.RaftServer{ID: "server2", Address: "10.0.0.2:4748", APIAddress: "http://10.0.0.2:4747", Voter: true}) {
		t.Fatalf("after join: %+v", peers)
	}
	addrs, err := f.bob.Peers(ctx)
	if err != nil || strings.Join(addrs, ",") != "127.0.0.1:4748,10.0.0.2:4748" {
		t.Fatalf("status peers = %v %v", addrs, err)
	}
	for _, bad := range []api.RaftJoinRequest{{ID: "x"}, {RaftAddr: "y"}, {ID: "x", RaftAddr: "y", APIAddr: "ftp://z"}} {
		wantCode(t, f.mgmt.RaftJoin(ctx, &bad), api.CodeInvalidRequest)
	}
	wantCode(t, f.mgmt.RaftRemovePeer(ctx, "server9"), api.CodeNotFound)
	wantCode(t, f.mgmt.RaftRemovePeer(ctx, ""), api.CodeInvalidRequest)
	if err := f.mgmt.RaftRemovePeer(ctx, "server2"); err != nil {
		t.Fatal(err)
	}
	if peers, _ = f.mgmt.RaftPeers(ctx); len(peers) != 1 {
		t.Fatalf("after remove: %+v", peers)
	}
}

func TestBodyLimits(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("x", api.MaxSubmitBodyBytes+1)
	for _, c := range []struct {
		path string
		body string
	}{
		{"/v1/jobs", `{"script":"` + big + `"}`},
		{"/v1/jobs/cancel", `{"refs":["` + strings.Repeat("1", api.MaxBodyBytes) + `"]}`},
	} {
		// Once with a Content-Length, once streamed without one.
		for _, stream := range []bool{false, true} {
			var body = strings.NewReader(c.body)
			req, _ := http.NewRequest("POST", f.srv.URL+c.path, body)
			if stream {
				req, _ = http.NewRequest("POST", f.srv.URL+c.path, struct{ *strings.Reader }{body})
			}
			req.Header.Set(api.HeaderToken, f.aliceTok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("%s stream=%v: %d", c.path, stream, resp.StatusCode)
			}
		}
	}
	status, e, _ := raw(t, "POST", f.srv.URL+"/v1/jobs/hold", f.aliceTok, strings.NewReader(`{"refs":["1"],"extra":1}`))
	if status != 400 || e.Code != api.CodeInvalidRequest {
		t.Errorf("unknown field: %d %+v", status, e)
	}
	status, e, _ = raw(t, "POST", f.srv.URL+"/v1/jobs/hold", f.aliceTok, strings.NewReader(`{"refs":["1"]} {}`))
	if status != 400 || e.Code != api.CodeInvalidRequest {
		t.Errorf("trailing data: %d %+v", status, e)
	}
}

func TestUnknownRoutes(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/nope", 404},
		{"GET", "/", 404},
		{"PUT", "/v1/jobs", 405},
		{"DELETE", "/v1/status/leader", 405},
	} {
		status, e, _ := raw(t, c.method, f.srv.URL+c.path, f.aliceTok, nil)
		if status != c.status || e == nil {
			t.Errorf("%s %s: %d %+v", c.method, c.path, status, e)
		}
	}
}

// panicky is a Signaller that panics, to check the recover middleware.
type panicky struct{}

func (panicky) Signal(context.Context, uint64, string, sched.SignalScope) error { panic("boom") }

func TestRecoverFromPanic(t *testing.T) {
	c := bridgetest.NewCluster()
	n := c.Add("s1", "s1:1")
	srv, err := apiserver.New(apiserver.Config{Raft: n, Store: n.Store(), NodeID: "s1", Signaller: panicky{}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	tok, err := client(t, hs.URL, "").ACLBootstrap(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mgmt := client(t, hs.URL, tok.SecretID)
	id, err := mgmt.Submit(t.Context(), &api.SubmitRequest{Script: []byte(hello), Cwd: "/"})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := state.Encode(state.CmdJobStart, state.JobStartCmd{JobID: id.JobID, Task: state.NoTask})
	if _, _, err := n.Apply(t.Context(), cmd); err != nil {
		t.Fatal(err)
	}
	_, err = mgmt.Cancel(t.Context(), &api.CancelRequest{Refs: []string{fmt.Sprint(id.JobID)}, Signal: "USR1"})
	wantCode(t, err, api.CodeInternal)
	// The server lives on.
	if _, err := mgmt.ACLSelf(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestServe(t *testing.T) {
	c := bridgetest.NewCluster()
	n := c.Add("s1", "s1:1")
	srv, err := apiserver.New(apiserver.Config{Raft: n, Store: n.Store(), NodeID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	cl := client(t, "http://"+ln.Addr().String(), "")
	if _, err := cl.ACLBootstrap(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	// A blocking query in flight does not hold up shutdown.
	blocked := make(chan error, 1)
	go func() {
		_, _, err := cl.Jobs(t.Context(), &api.JobsQuery{QueryOptions: api.QueryOptions{WaitIndex: 1 << 40, WaitTime: time.Minute}})
		blocked <- err
	}()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return")
	}
	select {
	case <-blocked:
	case <-time.After(20 * time.Second):
		t.Fatal("blocking query still running after shutdown")
	}
}

func TestNewChecksConfig(t *testing.T) {
	n := bridgetest.NewCluster().Add("s1", "s1:1")
	for _, cfg := range []apiserver.Config{
		{Store: n.Store(), NodeID: "s1"},
		{Raft: n, NodeID: "s1"},
		{Raft: n, Store: n.Store()},
		{Raft: n, Store: n.Store(), NodeID: "s1", Partitions: []string{"a,b"}},
		{Raft: n, Store: n.Store(), NodeID: "s1", Partitions: []string{"a"}, DefaultPartition: "b"},
		{Raft: n, Store: n.Store(), NodeID: "s1", APIAddr: "ftp://x"},
	} {
		if _, err := apiserver.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}
