package nomadagent_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// TestClientHostname: two clients with Config.Hostname on one machine each
// see their own host name, as Nomad's node attribute unique.hostname and as
// `uname -n` of a task they run, while this process keeps the machine's.
func TestClientHostname(t *testing.T) {
	roottest.Require(t, "a UTS namespace of its own needs root")
	before, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	srv := nomadtest.StartServer(t, nomadagent.Config{})
	ctx := ctxFor(t, 2*time.Minute)
	for _, name := range []string{"127.0.1.201", "127.0.1.202"} {
		c := nomadtest.StartClient(t, srv, nomadagent.Config{Name: name, Hostname: name,
			Plugins: []nomadagent.Plugin{rawExec}, Drivers: []string{"raw_exec"}})
		n, _, err := srv.API().Nodes().Info(c.NodeID(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Attributes["unique.hostname"]; got != name {
			t.Errorf("client %s: unique.hostname %q", name, got)
		}
		fifo := filepath.Join(t.TempDir(), "name.fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		job := shJob(t, "uname-"+strings.ReplaceAll(name, ".", "-"), "uname -n > "+fifo)
		job.Constrain(api.NewConstraint("${node.unique.name}", "=", name))
		register(t, srv.API(), job)
		r := openRead(t, ctx, fifo)
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || strings.TrimSpace(string(b)) != name {
			t.Errorf("a task on %s: uname -n %q (%v)", name, b, err)
		}
	}
	if after, _ := os.Hostname(); after != before {
		t.Errorf("this process's host name changed from %q to %q", before, after)
	}
	if _, err := nomadagent.StartClient(ctx, srv, nomadagent.Config{Dir: t.TempDir(), Hostname: "a/b"}); err == nil || !strings.Contains(err.Error(), "host name") {
		t.Errorf("host name a/b: %v", err)
	}
}
