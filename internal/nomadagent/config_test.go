package nomadagent

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestRender checks the agent configuration each role gets against golden
// files (go test -update rewrites them).
func TestRender(t *testing.T) {
	base := Config{
		Dir:       "/srv/agent",
		Binary:    "/usr/bin/nomad",
		PluginDir: "/srv/plugins",
		Meta:      map[string]string{"hpcbridge.donor": "uni-a", "rack": "r1"},
		Plugins: []Plugin{
			{Name: "raw_exec", Config: map[string]any{"enabled": true}},
			{Name: "hpcbridge-gpu", Args: []string{"-v"}, Config: map[string]any{
				"backend":            "fake",
				"gpus":               []string{"GPU-0", "GPU-1"},
				"fingerprint_period": 5 * time.Second,
				"limits":             map[string]any{"max": 8, "ratio": 0.5},
				"volume":             []map[string]any{{"path": "/a"}, {"path": "/b"}},
			}},
		},
		ClientOptions:   map[string]string{"driver.allowlist": "raw_exec,hpcbridge-gpu"},
		HeartbeatTTL:    time.Second,
		ReservableCores: "0-3,8",
		MemoryMiB:       4096,
	}
	p := ports{HTTP: 4646, RPC: 4647, Serf: 4648}
	for _, tc := range []struct {
		role    role
		servers []string
	}{
		{roleDev, nil},
		{roleServer, nil},
		{roleClient, []string{"127.0.0.1:4001"}},
	} {
		t.Run(tc.role.String(), func(t *testing.T) {
			c, err := base.withDefaults(tc.role, p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.render(tc.role, p, tc.servers, "lo")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", tc.role.String()+".hcl"), got)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it); got:\n%s", path, got)
	}
}

func TestRenderErrors(t *testing.T) {
	for name, pl := range map[string]Plugin{
		"no name":       {Config: map[string]any{"enabled": true}},
		"func value":    {Name: "x", Config: map[string]any{"f": func() {}}},
		"int map keys":  {Name: "x", Config: map[string]any{"m": map[int]string{1: "a"}}},
		"mixed list":    {Name: "x", Config: map[string]any{"l": []any{map[string]any{"a": 1}, 2}}},
		"nil value":     {Name: "x", Config: map[string]any{"n": nil}},
		"nested func":   {Name: "x", Config: map[string]any{"m": map[string]any{"f": func() {}}}},
		"list of funcs": {Name: "x", Config: map[string]any{"l": []any{func() {}}}},
	} {
		t.Run(name, func(t *testing.T) {
			c := Config{Dir: "/d", Binary: "/nomad", Plugins: []Plugin{pl}}
			c, err := c.withDefaults(roleDev, ports{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.render(roleDev, ports{}, nil, "lo"); err == nil {
				t.Error("render succeeded")
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	if _, err := (Config{Binary: "/nomad"}).withDefaults(roleDev, ports{}); err == nil {
		t.Error("a Config without Dir was accepted")
	}
	c, err := Config{Dir: "rel", Binary: "/nomad", ClientOptions: map[string]string{"fingerprint.denylist": "env_aws"}}.withDefaults(roleClient, ports{HTTP: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(c.Dir) || c.Name != "client-7" || c.ClientOptions["fingerprint.denylist"] != "env_aws" || c.StopGrace != DefaultStopGrace {
		t.Errorf("defaults: %+v", c)
	}
}

func TestBinary(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "nomad")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBinary, exe)
	if got, err := Binary(); err != nil || got != exe {
		t.Errorf("Binary() = %q, %v; want %q", got, err, exe)
	}
	t.Setenv(EnvBinary, filepath.Join(dir, "missing"))
	if _, err := Binary(); !errors.Is(err, ErrNoBinary) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Binary() with a missing NOMAD_BIN: %v", err)
	}
	if !strings.Contains(ErrNoBinary.Error(), "make nomad") {
		t.Errorf("ErrNoBinary does not say how to get one: %v", ErrNoBinary)
	}
}

func TestRepoBinary(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "tools", "nomad")
	for _, d := range []string{filepath.Join(root, "bin"), sub} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(root, "go.mod"), filepath.Join(sub, "go.mod")} {
		if err := os.WriteFile(f, []byte("module x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := repoBinary(sub); ok {
		t.Error("found a bin/nomad that does not exist")
	}
	exe := filepath.Join(root, "bin", "nomad")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, ok := repoBinary(sub); !ok || got != exe {
		t.Errorf("repoBinary(%s) = %q, %v; want %q (past the nested go.mod)", sub, got, ok, exe)
	}
}

// TestDynamicPorts: clients on one machine get disjoint dynamic port
// ranges inside Nomad's default one, rendered in their client block.
func TestDynamicPorts(t *testing.T) {
	for _, n := range []int{1, 2, 3, 16} {
		prev := MinDynamicPort - 1
		for i := 0; i < n; i++ {
			r := DynamicPortRange(i, n)
			if r.Min != prev+1 || r.Max < r.Min || r.Max > MaxDynamicPort {
				t.Errorf("range %d of %d: %d-%d after %d", i, n, r.Min, r.Max, prev)
			}
			prev = r.Max
		}
	}
	c, err := Config{Dir: "/srv/a", Binary: "/bin/nomad", DynamicPorts: DynamicPortRange(1, 2)}.withDefaults(roleClient, ports{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	text, err := c.render(roleClient, ports{1, 2, 3}, nil, "lo")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "  min_dynamic_port = 26000\n  max_dynamic_port = 31999\n") {
		t.Errorf("client block lacks the dynamic ports:\n%s", text)
	}
	if _, err := (Config{Dir: "/srv/a", Binary: "/bin/nomad", DynamicPorts: PortRange{Min: 30000, Max: 20000}}).withDefaults(roleClient, ports{}); err == nil {
		t.Error("an inverted range was accepted")
	}
}

func TestLimitsChecked(t *testing.T) {
	dir := t.TempDir()
	// The control: the same config with valid limits is accepted, so the
	// refusals below are the limits'.
	if _, err := (Config{Dir: dir, Binary: "/bin/nomad", ReservableCores: "0-3,8", MemoryMiB: 4096}).withDefaults(roleClient, ports{}); err != nil {
		t.Fatalf("valid limits refused: %v", err)
	}
	for _, c := range []Config{
		{ReservableCores: "0-"},
		{ReservableCores: "a"},
		{ReservableCores: "0-3\nserver { enabled = true }"},
		{MemoryMiB: -1},
	} {
		c.Dir, c.Binary = dir, "/bin/nomad"
		if _, err := c.withDefaults(roleClient, ports{}); err == nil {
			t.Errorf("cores %q, memory %d accepted", c.ReservableCores, c.MemoryMiB)
		}
	}
}
