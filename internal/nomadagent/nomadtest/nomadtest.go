// Package nomadtest starts real Nomad agents for tests: it skips a test when
// no nomad binary is found (or fails it when HPCBRIDGE_REQUIRE_NOMAD=1, as
// `make test` sets), stops the agents when the test ends, and prints the
// tail of their logs when it failed.
package nomadtest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
)

// EnvRequire, set to 1 (make test does), turns a missing nomad binary into a
// test failure instead of a skip, so CI cannot pass without a real Nomad.
const EnvRequire = "HPCBRIDGE_REQUIRE_NOMAD"

// StartTimeout bounds how long a helper waits for an agent to be ready.
const StartTimeout = 2 * time.Minute

// logLines is how much of an agent's log a failed test prints.
const logLines = 60

// Require returns the nomad binary, skipping the test when there is none
// (or failing it when EnvRequire is 1).
func Require(t testing.TB) string {
	t.Helper()
	bin, err := nomadagent.Binary()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%v (required: %s=1)", err, EnvRequire)
		}
		t.Skip(err)
	}
	return bin
}

// StartDev starts a dev agent (server and client in one process) for the
// test; see nomadagent.StartDev.
func StartDev(t testing.TB, cfg nomadagent.Config) *nomadagent.Agent {
	t.Helper()
	return start(t, &cfg, "dev", func(ctx context.Context) (*nomadagent.Agent, error) {
		return nomadagent.StartDev(ctx, cfg)
	})
}

// StartServer starts a server-only agent for the test.
func StartServer(t testing.TB, cfg nomadagent.Config) *nomadagent.Agent {
	t.Helper()
	return start(t, &cfg, "server", func(ctx context.Context) (*nomadagent.Agent, error) {
		return nomadagent.StartServer(ctx, cfg)
	})
}

// StartClient starts a client-only agent that joins server; give each client
// of a test its own cfg.Name.
func StartClient(t testing.TB, server *nomadagent.Agent, cfg nomadagent.Config) *nomadagent.Agent {
	t.Helper()
	return start(t, &cfg, "client", func(ctx context.Context) (*nomadagent.Agent, error) {
		return nomadagent.StartClient(ctx, server, cfg)
	})
}

// StartJoin starts a client agent that joins the servers at their RPC
// addresses (nomadagent.StartJoin), as `hpcbridge agent` does.
func StartJoin(t testing.TB, servers []string, cfg nomadagent.Config) *nomadagent.Agent {
	t.Helper()
	return start(t, &cfg, "client", func(ctx context.Context) (*nomadagent.Agent, error) {
		return nomadagent.StartJoin(ctx, servers, cfg)
	})
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// start fills in what a test agent needs (Binary, a Dir of its own under
// the test's temporary directory, DEBUG logs), starts it and registers its
// cleanup. label names its kind in messages.
func start(t testing.TB, cfg *nomadagent.Config, label string, run func(context.Context) (*nomadagent.Agent, error)) *nomadagent.Agent {
	t.Helper()
	if cfg.Binary == "" {
		cfg.Binary = Require(t)
	}
	if cfg.Dir == "" {
		name := cfg.Name
		if name == "" {
			name = label
		}
		cfg.Dir = filepath.Join(t.TempDir(), unsafeName.ReplaceAllString(name, "_"))
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "DEBUG"
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	t0 := time.Now()
	a, err := run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("nomad %s agent %q ready at %s in %v", label, a.Name(), a.Addr(), time.Since(t0).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nomad %s agent %q (%s), last lines of %s:\n%s", label, a.Name(), a.Addr(), a.LogPath(), a.LogTail(logLines))
		}
		if err := a.Stop(); err != nil {
			t.Errorf("stopping nomad agent %q: %v", a.Name(), err)
		}
	})
	return a
}
