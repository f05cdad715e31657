package apiserver_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// On a real Raft server: 50 clients submit at once, and pairs of updates
// race to make two jobs wait for each other. Every returned id is present
// once, and at most one update of each pair is accepted (the cycle check
// runs in Apply, on the state each update is applied to).
func TestConcurrentSubmitsAndCycleRaces(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Raft server")
	}
	rc := raft.NewTestCluster(t, 1, raft.TestClusterOptions{})
	node, store := rc.Node(0), rc.Store(0)
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	srv, err := apiserver.New(apiserver.Config{
		Raft: node, Store: store, NodeID: node.ID(), APIAddr: url,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := srv.EstablishLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	anon := client(t, url, "")
	tok, err := anon.ACLBootstrap(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	mgmt := client(t, url, tok.SecretID)
	utok, err := mgmt.ACLCreateToken(ctx, &api.ACLTokenRequest{Name: "alice", User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	alice := client(t, url, utok.SecretID)

	const clients, each, pairs = 50, 10, 20
	script := []byte("#!/bin/sh\n#SBATCH -J load\ntrue\n")
	var mu sync.Mutex
	var returned []uint64
	var wg sync.WaitGroup
	errs := make(chan error, clients+2*pairs)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				resp, err := alice.Submit(ctx, &api.SubmitRequest{Script: script, ScriptName: "load.sh", Cwd: "/home/alice", Args: []string{fmt.Sprintf("--comment=c%d-%d", c, i)}})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				returned = append(returned, resp.JobID)
				mu.Unlock()
			}
		}()
	}
	// Pairs of jobs, each updated at once to wait for the other.
	accepted := make([][2]bool, pairs)
	for p := range pairs {
		a, err := alice.Submit(ctx, &api.SubmitRequest{Script: script, ScriptName: "a.sh", Cwd: "/"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := alice.Submit(ctx, &api.SubmitRequest{Script: script, ScriptName: "b.sh", Cwd: "/"})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		returned = append(returned, a.JobID, b.JobID)
		mu.Unlock()
		for k, ids := range [2][2]uint64{{a.JobID, b.JobID}, {b.JobID, a.JobID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dep := fmt.Sprintf("afterok:%d", ids[1])
				_, err := alice.Update(ctx, &api.UpdateRequest{Refs: []string{fmt.Sprint(ids[0])}, Dependency: &dep})
				switch {
				case err == nil:
					accepted[p][k] = true
				case !api.IsCode(err, api.CodeInvalidRequest):
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	v := store.View()
	seen := map[uint64]bool{}
	for _, id := range returned {
		if seen[id] {
			t.Fatalf("id %d returned twice", id)
		}
		seen[id] = true
		if v.Job(id) == nil {
			t.Fatalf("returned id %d is not in the store", id)
		}
	}
	if want := clients*each + 2*pairs; len(returned) != want {
		t.Fatalf("%d ids returned, want %d", len(returned), want)
	}
	n := 0
	v.EachJob(func(*state.Job) bool { n++; return true })
	if n != len(returned) {
		t.Errorf("%d jobs in the store, %d ids returned", n, len(returned))
	}
	for p, acc := range accepted {
		if acc[0] && acc[1] {
			t.Errorf("pair %d: both updates accepted: a cycle", p)
		}
		if !acc[0] && !acc[1] {
			t.Errorf("pair %d: both updates refused", p)
		}
	}
}
