package archive

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
)

// fakeLogs serves Nomad's log endpoint for any allocation: the frames of
// "out\n" and "put\n" with a heartbeat between, for task batch's stdout,
// and nothing for stderr; and a node whose HTTP address is its own. It
// counts the connections made to it.
func fakeLogs(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/node/node-id" {
			_ = json.NewEncoder(w).Encode(api.Node{ID: "node-id", Status: "ready", HTTPAddr: srv.Listener.Addr().String()})
			return
		}
		q := r.URL.Query()
		if r.URL.Path == "/v1/client/fs/logs/" || q.Get("task") != nomadexec.TaskName || q.Get("origin") != api.OriginStart {
			http.Error(w, "bad request "+r.URL.String(), http.StatusBadRequest)
			return
		}
		if q.Get("type") != Stdout {
			return
		}
		enc := json.NewEncoder(w)
		for _, f := range []api.StreamFrame{{Data: []byte("out\n"), File: "alloc/logs/batch.stdout.0"}, {}, {Offset: 4, Data: []byte("put\n"), File: "alloc/logs/batch.stdout.0"}} {
			if err := enc.Encode(f); err != nil {
				return
			}
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestArchiveCopiesLogsOverFewConnections(t *testing.T) {
	srv, conns := fakeLogs(t)
	client, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	o := &Outputs{Dir: t.TempDir(), Client: client}
	const jobs = 60
	for id := uint64(1); id <= jobs; id++ {
		if err := o.Archive(context.Background(), id, "alloc-id", "node-id"); err != nil {
			t.Fatalf("archive %d: %v", id, err)
		}
	}
	for _, c := range []struct{ stream, want string }{{Stdout, "out\nput\n"}, {Stderr, ""}} {
		b, err := os.ReadFile(filepath.Join(o.Dir, "7", c.stream))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != c.want {
			t.Errorf("%s = %q, want %q", c.stream, b, c.want)
		}
	}
	// Nomad allows 100 connections per client address: archives one after
	// the other reuse one.
	if n := conns.Load(); n > 2 {
		t.Errorf("%d archives opened %d connections, want them to reuse one", jobs, n)
	}
}
