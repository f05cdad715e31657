package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// mirrorNode is one server of a fake cluster with its own dir: store.
type mirrorNode struct {
	raft   *bridgetest.Raft
	srv    *apiserver.Server
	url    string
	local  cas.Store
	mirror *blobMirror
}

func startMirrorNode(t *testing.T, c *bridgetest.Cluster, id string) *mirrorNode {
	t.Helper()
	n := c.Add(id, id+":4748")
	local, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	servers := func() ([]api.RaftServer, error) {
		list, err := n.Servers()
		for i := range list {
			list[i].APIAddress = n.Store().View().Meta(apiserver.APIAddrKey(list[i].ID))
		}
		return list, err
	}
	mirror := newBlobMirror(local, n.Store(), id, servers, nil, slog.New(slog.DiscardHandler))
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	srv, err := apiserver.New(apiserver.Config{
		Raft: n, Store: n.Store(), NodeID: id, APIAddr: url, Servers: n.Servers, Now: time.Now,
		Partitions: []string{"remote"}, Blobs: mirror, PartitionFiles: map[string]string{"remote": apiserver.FilesStaged},
		Observer: everyAllocOnTestNode{}, // runsign_helper_test.go
	})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	return &mirrorNode{raft: n, srv: srv, url: url, local: local, mirror: mirror}
}

// Every server keeps every job's files: a follower's mirror copies a
// staged job's input as soon as the job is committed, and a new leader
// reads what it lacks from the other servers (its peer route refuses
// anyone without the cluster's peer secret).
func TestBlobMirror(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := bridgetest.NewCluster()
	s1, s2 := startMirrorNode(t, c, "s1"), startMirrorNode(t, c, "s2")
	if err := s1.srv.EstablishLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	c.SetLeader("s2")
	if err := s2.srv.EstablishLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	c.SetLeader("s1")
	mgmt, err := api.NewClient(&api.Config{Address: s1.url})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := mgmt.ACLBootstrap(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	mgmt, _ = api.NewClient(&api.Config{Address: s1.url, Token: boot.SecretID})
	tok, err := mgmt.ACLCreateToken(ctx, &api.ACLTokenRequest{Name: "alice", User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	alice2, _ := api.NewClient(&api.Config{Address: s2.url, Token: tok.SecretID})

	// s2 mirrors while alice submits through it (blob writes go to s1).
	mctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s2.mirror.Run(mctx) }()
	defer func() { stop(); wg.Wait() }()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("input\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, l, err := cas.Scan(dir, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	in, _, err := cas.Upload(ctx, m, l, api.NewBlobRemote(alice2, ""))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s2.local.Has(ctx, "alice", in); ok {
		t.Fatal("the upload through s2 landed in s2's store, not the leader's")
	}
	resp, err := alice2.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\n"), ScriptName: "job.sh", Cwd: dir, StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	chunk := m.Files[0].Chunks[0]
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		mirrored := s2.mirror.watch()
		okM, _ := s2.local.Has(ctx, "alice", in)
		okC, _ := s2.local.Has(ctx, "alice", chunk)
		if okM && okC {
			break
		}
		select {
		case <-mirrored: // s2's mirror completed a manifest: look again
		case <-deadline.C:
			t.Fatal("s2 did not mirror the job's input within 10 s")
		}
	}

	// Outputs sent to s1 while s2's mirror is stopped: s2, leading now,
	// reads them from s1.
	stop()
	wg.Wait()
	cmd, _ := state.Encode(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: resp.JobID, Task: state.NoTask})
	if _, _, err := s1.raft.Apply(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	j := s1.raft.Store().View().Job(resp.JobID)
	rt, secret := state.NewRunToken(j, time.Now())
	cmd, _ = state.Encode(state.CmdRunToken, state.RunTokenCmd{Token: rt})
	if res, _, err := s1.raft.Apply(ctx, cmd); err != nil || res.Err != nil {
		t.Fatalf("run token: %v %v", err, res)
	}
	run, _ := api.NewClient(&api.Config{Address: s1.url, Token: secret, Signer: testRunSigner(t, s1.raft)})
	outDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(outDir, "out.txt"), []byte("result\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	om, ol, _ := cas.Scan(outDir, nil, 0)
	out, _, err := cas.Upload(ctx, om, ol, api.NewBlobRemote(run, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.PostOutput(ctx, fmt.Sprint(resp.JobID), out); err != nil {
		t.Fatal(err)
	}
	c.SetLeader("s2")
	got := t.TempDir()
	if _, err := cas.Restore(ctx, out, got, api.NewBlobRemote(alice2, fmt.Sprint(resp.JobID))); err != nil {
		t.Fatalf("the new leader reads the outputs: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(got, "out.txt")); string(b) != "result\n" {
		t.Errorf("restored %q", b)
	}
	if ok, _ := s2.local.Has(ctx, "alice", out); !ok {
		t.Error("s2 did not keep what it read from s1")
	}
	// The peer route wants the secret.
	req := httptest.NewRequest("GET", "/v1/peer/blobs/alice/"+in, nil)
	rec := httptest.NewRecorder()
	s1.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 403 {
		t.Errorf("peer route without the secret: %d", rec.Code)
	}
}

// The peer secret goes to the servers only: a peer address that answers
// with a redirect (a proxy in front of it, a server replaced by something
// else) is not followed, so the secret never reaches the redirect's target.
func TestBlobMirrorFollowsNoRedirect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := bridgetest.NewCluster()
	s1 := startMirrorNode(t, c, "s1")
	if err := s1.srv.EstablishLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var leaked []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.Header.Get(apiserver.HeaderBlobPeer))
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	}))
	defer redirector.Close()
	d := cas.Sum([]byte("x"))
	if _, err := s1.mirror.fetchFrom(ctx, redirector.URL, "the-peer-secret", "alice", d); err == nil {
		t.Fatal("a redirect answered as a blob")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) != 0 {
		t.Errorf("the redirect was followed: its target got the peer secret %q", leaked)
	}
}
