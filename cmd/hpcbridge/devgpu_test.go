package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/hostlist"
)

func TestDevNodeNames(t *testing.T) {
	if got := devNodeNames(1); !reflect.DeepEqual(got, []string{"dev"}) {
		t.Errorf("one node: %v", got)
	}
	if got := devNodeNames(3); !reflect.DeepEqual(got, []string{"127.0.1.101", "127.0.1.102", "127.0.1.103"}) {
		t.Errorf("three nodes: %v", got)
	}
}

// TestDevNodeNamesResolve: with several nodes every name is one that name
// lookups resolve, to a loopback address of its own, and a listener at a
// node's name is reachable there (the torchrun pattern's MASTER_ADDR); the
// names fold into one Slurm range at any --nodes (Slurm 22.05's
// `scontrol show hostlistsorted` of the 16 names prints 127.0.1.[101-116])
// and expand back in node order.
func TestDevNodeNamesResolve(t *testing.T) {
	names := devNodeNames(maxDevNodes)
	seen := map[string]bool{}
	for _, n := range names {
		addrs, err := net.LookupHost(n)
		if err != nil || len(addrs) != 1 || addrs[0] != n || !net.ParseIP(n).IsLoopback() || seen[n] {
			t.Errorf("node name %s resolves to %v (%v): want itself, a loopback address of its own", n, addrs, err)
		}
		seen[n] = true
	}
	if got := hostlist.Compress(names); got != "127.0.1.[101-116]" {
		t.Errorf("hostlist of %d nodes: %q, want 127.0.1.[101-116] as Slurm writes it", maxDevNodes, got)
	}
	if got := hostlist.Compress(devNodeNames(2)); got != "127.0.1.[101-102]" {
		t.Errorf("hostlist of 2 nodes: %q", got)
	}
	if back, err := hostlist.Expand(hostlist.Compress(names)); err != nil || !reflect.DeepEqual(back, names) {
		t.Errorf("expanded: %v (%v), want %v", back, err, names)
	}
	// A listener on the first node's address, reached from another.
	l, err := net.Listen("tcp", net.JoinHostPort(names[0], "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", names[0], err)
	}
	defer l.Close()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(names[1])}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("from %s to %s: %v", names[1], l.Addr(), err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.RemoteAddr().(*net.TCPAddr).IP.String(); got != names[1] {
		t.Errorf("the first node saw a connection from %s, want %s", got, names[1])
	}
}

// TestPlanDevGPUs: which backend dev picks, and the flags it refuses.
func TestPlanDevGPUs(t *testing.T) {
	works := func() error { return nil }
	fails := func() error { return errors.New("NVML library not found") }
	unused := func() error { t.Error("NVML probed though the flags chose the backend"); return nil }
	for _, tc := range []struct {
		name    string
		f       gpuFlags
		nodes   int
		probe   func() error
		backend string
		count   int
		models  []string
		why     string // part of the reason, or of the error
		err     bool
	}{
		{name: "default with NVML", nodes: 1, probe: works, backend: "nvml", why: "NVML initialised"},
		{name: "default without NVML", nodes: 1, probe: fails, backend: "fake", count: 8, models: []string{"a100"}, why: "NVML did not initialise: NVML library not found"},
		{name: "default, NVML, several nodes", nodes: 2, probe: works, backend: "fake", count: 8, models: []string{"a100"}, why: "would each offer the same real GPUs"},
		{name: "models choose fake", f: gpuFlags{models: "a100,h100"}, nodes: 2, probe: unused, backend: "fake", count: 8, models: []string{"a100", "h100"}},
		{name: "count chooses fake", f: gpuFlags{gpus: 2}, nodes: 1, probe: unused, backend: "fake", count: 2, models: []string{"a100"}},
		{name: "fake", f: gpuFlags{backend: "fake", gpus: 4, models: " h100 "}, nodes: 3, probe: unused, backend: "fake", count: 4, models: []string{"h100"}},
		{name: "NVML name", f: gpuFlags{backend: "fake", models: "NVIDIA H100 80GB HBM3"}, nodes: 1, probe: unused, backend: "fake", count: 8, models: []string{"NVIDIA H100 80GB HBM3"}},
		{name: "none", f: gpuFlags{backend: "none"}, nodes: 4, probe: unused, backend: "none"},
		{name: "nvml", f: gpuFlags{backend: "nvml"}, nodes: 1, probe: works, backend: "nvml"},
		{name: "nvml without NVML", f: gpuFlags{backend: "nvml"}, nodes: 1, probe: fails, err: true, why: "--gpu-backend nvml: NVML does not initialise here: NVML library not found"},
		{name: "nvml on several nodes", f: gpuFlags{backend: "nvml"}, nodes: 2, probe: unused, err: true, why: "every node would offer the same real GPUs"},
		{name: "nvml with a count", f: gpuFlags{backend: "nvml", gpus: 2}, nodes: 1, probe: unused, err: true, why: "describe fake GPUs"},
		{name: "none with a model", f: gpuFlags{backend: "none", models: "h100"}, nodes: 1, probe: unused, err: true, why: "need a GPU backend"},
		{name: "unknown backend", f: gpuFlags{backend: "cuda"}, nodes: 1, probe: unused, err: true, why: "want nvml, fake or none"},
		{name: "too many GPUs", f: gpuFlags{backend: "fake", gpus: 65}, nodes: 1, probe: unused, err: true, why: "want 1 to 64"},
		{name: "negative GPUs", f: gpuFlags{gpus: -1}, nodes: 1, probe: unused, err: true, why: "want 1 to 64"},
		{name: "more models than nodes", f: gpuFlags{models: "a100,h100"}, nodes: 1, probe: unused, err: true, why: "2 models for 1 nodes"},
		{name: "empty model", f: gpuFlags{models: "a100,,h100"}, nodes: 3, probe: unused, err: true, why: `--gpu-model ""`},
		{name: "model with a quote", f: gpuFlags{models: `a100"`}, nodes: 1, probe: unused, err: true, why: "--gpu-model"},
		{name: "model too long", f: gpuFlags{models: strings.Repeat("a", 65)}, nodes: 1, probe: unused, err: true, why: "at most 64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := planDevGPUs(tc.f, tc.nodes, tc.probe)
			if tc.err {
				if err == nil || !strings.Contains(err.Error(), tc.why) {
					t.Fatalf("error %v, want one saying %q", err, tc.why)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.backend != tc.backend || g.count != tc.count || !reflect.DeepEqual(g.models, tc.models) || !strings.Contains(g.why, tc.why) {
				t.Errorf("got backend %q count %d models %q (%s), want %q %d %q (%s)", g.backend, g.count, g.models, g.why, tc.backend, tc.count, tc.models, tc.why)
			}
		})
	}
}

// TestDevGPUsNodeConfig: each node's plugin block cycles the models and
// seeds the fake with the node's name; every node says its backend in its
// meta.
func TestDevGPUsNodeConfig(t *testing.T) {
	g, err := planDevGPUs(gpuFlags{backend: "fake", gpus: 2, models: "a100,h100"}, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"a100", "h100", "a100"} {
		name := devNodeNames(3)[i]
		plugins, meta := g.node(i, name)
		if len(plugins) != 1 || plugins[0].Name != "hpcbridge-gpu" {
			t.Fatalf("node %s: plugins %+v", name, plugins)
		}
		c := plugins[0].Config
		if c["backend"] != "fake" || c["fake_model"] != want || c["fake_count"] != 2 || c["fake_seed"] != name {
			t.Errorf("node %s: plugin config %v", name, c)
		}
		if meta["hpcbridge.gpu_backend"] != "fake" {
			t.Errorf("node %s: meta %v", name, meta)
		}
	}
	none, _ := planDevGPUs(gpuFlags{backend: "none"}, 1, nil)
	if plugins, meta := none.node(0, "dev"); len(plugins) != 0 || meta["hpcbridge.gpu_backend"] != "none" {
		t.Errorf("--gpu-backend none: plugins %v, meta %v", plugins, meta)
	}
	real, _ := planDevGPUs(gpuFlags{backend: "nvml"}, 1, func() error { return nil })
	if plugins, _ := real.node(0, "dev"); len(plugins) != 1 || plugins[0].Config["backend"] != "nvml" || plugins[0].Config["fake_seed"] != nil {
		t.Errorf("--gpu-backend nvml: plugins %+v", plugins)
	}
}

// TestDevGPUPlanWithoutPlugin: without the device plugin, dev's default
// is no GPUs (and says why); a backend asked for by name is an error.
func TestDevGPUPlanWithoutPlugin(t *testing.T) {
	dir := t.TempDir()
	g, err := devGPUPlan(devOptions{nodes: 2}, dir)
	if err != nil || g.backend != "none" || !strings.Contains(g.why, "no hpcbridge-gpu in "+dir) {
		t.Errorf("default: %+v, %v", g, err)
	}
	if _, err := devGPUPlan(devOptions{nodes: 2, gpu: gpuFlags{backend: "fake"}}, dir); err == nil || !strings.Contains(err.Error(), "make driver") {
		t.Errorf("--gpu-backend fake: %v", err)
	}
	if _, err := devGPUPlan(devOptions{nodes: 2, gpu: gpuFlags{models: "h100"}}, dir); err == nil {
		t.Error("--gpu-model without the plugin: no error")
	}
	if err := os.WriteFile(filepath.Join(dir, "hpcbridge-gpu"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if g, err := devGPUPlan(devOptions{nodes: 2, gpu: gpuFlags{backend: "fake"}}, dir); err != nil || g.backend != "fake" {
		t.Errorf("with the plugin: %+v, %v", g, err)
	}
}

// TestCheckDevLayout: a data dir keeps the Nomad layout it was made with.
func TestCheckDevLayout(t *testing.T) {
	single, multi := t.TempDir(), t.TempDir()
	if err := os.Mkdir(filepath.Join(single, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(multi, "server"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir   string
		nodes int
		ok    bool
	}{
		{t.TempDir(), 1, true}, {t.TempDir(), 3, true},
		{single, 1, true}, {single, 2, false},
		{multi, 2, true}, {multi, 5, true}, {multi, 1, false},
	} {
		if err := checkDevLayout(tc.dir, tc.nodes); (err == nil) != tc.ok {
			t.Errorf("%s with --nodes %d: %v", tc.dir, tc.nodes, err)
		}
	}
}
