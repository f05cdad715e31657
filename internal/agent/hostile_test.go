package agent

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// hostileCoordinator answers every request with handler: a coordinator
// (or someone between) that says what it likes.
func hostileCoordinator(t *testing.T, handler http.HandlerFunc) *api.Client {
	t.Helper()
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	c, err := api.NewClient(&api.Config{Address: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLeaveDeadlineBounded: the agent ignores signals while it leaves and
// waits for its node's jobs until the reclaim's deadline; a coordinator
// that answers the leave with a deadline years away must not keep it (and
// the donor's machine) waiting: the wait ends by the deadline the agent
// asked for, or MaxLeaveDeadline when it asked for the default.
func TestLeaveDeadlineBounded(t *testing.T) {
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	c := hostileCoordinator(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(api.Reclaim{Node: "n1", Deadline: far})
	})
	key, err := receipt.LoadOrCreateKey(t.TempDir() + "/" + KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for asked, want := range map[string]time.Time{
		"2m": now.Add(2 * time.Minute),
		"":   now.Add(MaxLeaveDeadline),
	} {
		got, err := leaveNode(context.Background(), c, "n1", key, asked, clock)
		if err != nil {
			t.Fatalf("leave (deadline %q): %v", asked, err)
		}
		if !got.Equal(want) {
			t.Errorf("leave asking for deadline %q, told %v: waits until %v, want %v", asked, far, got, want)
		}
	}
}

// TestDonorNodeOffersOnlyTheSandboxedDriver: a donor's node runs jobs
// only through hpcbridge's driver in sandbox mode. Nomad's built-in
// drivers (exec, java, qemu, docker where installed; raw_exec when
// enabled) must not be offered: anyone who reaches a Nomad API of the
// federation (a job does: the network is not isolated, and Nomad's ACLs
// are off) could place an exec task on the donor's machine as one of its
// local accounts (exec runs as any user but root), outside the sandbox.
// A real Nomad client started from the agent's configuration fingerprints
// no driver but hpcbridge's.
func TestDonorNodeOffersOnlyTheSandboxedDriver(t *testing.T) {
	// What the configuration says, checked without Nomad or root too.
	dir0 := t.TempDir()
	cfg0, err := (&Options{DataDir: dir0, PluginDir: t.TempDir()}).nomadConfig(&State{Donor: "uni-b", NodeName: "n1"}, filepath.Join(dir0, KeyFile))
	if err != nil || cfg0.ClientOptions["driver.allowlist"] != nomadexec.DriverName {
		t.Fatalf("client options %v, %v: want driver.allowlist = %s", cfg0.ClientOptions, err, nomadexec.DriverName)
	}
	roottest.Require(t, "the Nomad client of a donor's node runs as root")
	server := nomadtest.StartServer(t, nomadagent.Config{})
	o := Options{DataDir: t.TempDir(), PluginDir: t.TempDir(), SandboxUIDs: DefaultSandboxUIDs, Version: "test"}
	st := &State{Donor: "uni-b", NodeName: "donor-n1", NomadServers: []string{server.RPCAddr()},
		Region: nomadagent.DefaultRegion, Datacenter: nomadagent.DefaultDatacenter}
	cfg, err := o.nomadConfig(st, filepath.Join(o.DataDir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	// The driver plugin itself is not needed to see which drivers Nomad
	// would offer besides it.
	cfg.Plugins, cfg.Drivers, cfg.Hostname = nil, nil, ""
	a := nomadtest.StartJoin(t, st.NomadServers, cfg)
	// The node is ready once its fingerprint is in; the built-in drivers
	// fingerprint at start.
	n, _, err := a.API().Nodes().Info(a.NodeID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range n.Drivers {
		if name != nomadexec.DriverName && d.Detected {
			t.Errorf("the donor's Nomad client offers the %s driver (healthy %v): only %s's sandbox may run jobs there", name, d.Healthy, nomadexec.DriverName)
		}
	}
}

// TestUntrustedPathsRefused: the agent (root) starts Nomad, which runs as
// root every file of its plugin dir, and trusts the key, the state and
// the Nomad configuration of its data dir. A local user who may change
// any of them, or a directory above them (rename it and put another in
// its place), would act as root: such paths are refused before anything
// runs. The plugin dir's default, plugins/ beside the hpcbridge binary,
// is wherever the binary was unpacked.
func TestUntrustedPathsRefused(t *testing.T) {
	roottest.Require(t, "the checks compare owners with root's")
	base := t.TempDir() // below /tmp: sticky, writable by all, allowed above
	own := func(path string, mode os.FileMode, uid int) string {
		t.Helper()
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, uid); err != nil {
			t.Fatal(err)
		}
		return path
	}
	mkdir := func(path string, mode os.FileMode, uid int) string {
		t.Helper()
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		return own(path, mode, uid)
	}
	file := func(path string, mode os.FileMode, uid int) string {
		t.Helper()
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return own(path, mode, uid)
	}
	plugins := func(parent string) string {
		d := mkdir(filepath.Join(parent, "plugins"), 0o755, 0)
		file(filepath.Join(d, DriverPlugin), 0o755, 0)
		return d
	}
	nomad := file(filepath.Join(mkdir(filepath.Join(base, "bin"), 0o755, 0), "nomad"), 0o755, 0)
	goodPlugins := plugins(mkdir(filepath.Join(base, "good"), 0o755, 0))
	run := func(dataDir, pluginDir, nomadBin string) error {
		return Run(context.Background(), Options{Join: "hbj_test", API: &api.Config{Address: "http://127.0.0.1:1"}, DataDir: dataDir,
			PluginDir: pluginDir, NomadBinary: nomadBin})
	}
	// All trusted: the agent goes on to join (and finds no coordinator).
	// A new data dir may be made in a sticky directory writable by all
	// (/tmp): others cannot rename or replace what root made there.
	sticky := mkdir(filepath.Join(base, "sticky"), 0o777|os.ModeSticky, 0)
	for _, d := range []string{filepath.Join(base, "data-good"), filepath.Join(sticky, "agent")} {
		if err := run(d, goodPlugins, nomad); err == nil || !strings.Contains(err.Error(), "is the coordinator's address right") {
			t.Fatalf("trusted paths (data dir %s): %v, want the join to fail for want of a coordinator", d, err)
		}
	}

	openDir := mkdir(filepath.Join(base, "open"), 0o777, 0) // no sticky bit
	otherDir := mkdir(filepath.Join(base, "other"), 0o755, 65534)
	strayPlugins := plugins(mkdir(filepath.Join(base, "stray"), 0o755, 0))
	file(filepath.Join(strayPlugins, "helper"), 0o755, 65534)
	loosePlugins := plugins(mkdir(filepath.Join(base, "loose"), 0o755, 0))
	if err := os.Chmod(filepath.Join(loosePlugins, DriverPlugin), 0o777); err != nil {
		t.Fatal(err)
	}
	looseNomad := file(filepath.Join(base, "bin", "nomad-loose"), 0o757, 0)
	for what, c := range map[string]struct {
		data, plugins, nomad, want string
	}{
		"plugin dir below a directory writable by all": {filepath.Join(base, "d1"), plugins(openDir), nomad, openDir + " is writable by others"},
		"plugin dir below another user's directory":    {filepath.Join(base, "d2"), plugins(otherDir), nomad, otherDir + " belongs to uid 65534"},
		"another user's file in the plugin dir":        {filepath.Join(base, "d3"), strayPlugins, nomad, "helper belongs to uid 65534"},
		"a plugin writable by all":                     {filepath.Join(base, "d4"), loosePlugins, nomad, DriverPlugin + " is writable by others"},
		"data dir below another user's directory":      {filepath.Join(otherDir, "agent"), goodPlugins, nomad, otherDir + " belongs to uid 65534"},
		"data dir below a directory writable by all":   {filepath.Join(openDir, "agent"), goodPlugins, nomad, openDir + " is writable by others"},
		"a nomad binary writable by others":            {filepath.Join(base, "d5"), goodPlugins, looseNomad, "nomad-loose is writable by others"},
	} {
		err := run(c.data, c.plugins, c.nomad)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want a refusal that says %q", what, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "coordinator") {
			t.Errorf("%s: the agent went on to join", what)
		}
	}
	// Nothing is made below another user's directory (MkdirAll would
	// follow a link that user planted there).
	deep := filepath.Join(otherDir, "a", "b", "agent")
	if err := run(deep, goodPlugins, nomad); err == nil || !strings.Contains(err.Error(), otherDir+" belongs to uid 65534") {
		t.Errorf("data dir deep below another user's directory: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(otherDir, "a")); err == nil {
		t.Errorf("root made directories below another user's directory %s", otherDir)
	}
}

// TestHostileJoinAnswerRefused: what the join answers goes into Nomad's
// configuration (agent.hcl) and the data dir's state. A coordinator (or
// anyone between, over plain HTTP) answering a template opener ("${"
// swallows the closing quote and the lines after it: Nomad refuses the
// file, and every later start fails), a name that is not a name, another
// node name than the one asked for, or a server that is not host:port is
// refused, and nothing is recorded.
func TestHostileJoinAnswerRefused(t *testing.T) {
	good := api.NodeJoinResponse{Donor: "uni-b", NodeName: "n1", NomadServers: []string{"10.0.0.1:4647", "nomad.example.org:4647", "[::1]:4647"},
		Datacenter: "dc1", Region: "global", Meta: map[string]string{api.MetaDonor: "uni-b", "rack.row": "r 1/2"}}
	var answer api.NodeJoinResponse
	c := hostileCoordinator(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	})
	join := func(r api.NodeJoinResponse) (*State, string, error) {
		answer = r
		dir := t.TempDir()
		o := Options{Join: "hbj_test", API: &api.Config{Address: "http://coord.test"}, DataDir: dir, Name: "n1", Out: io.Discard}
		st, err := joinAs(t, &o, c)
		return st, dir, err
	}
	if st, _, err := join(good); err != nil || st.NodeName != "n1" || st.Region != "global" {
		t.Fatalf("a good answer: %+v, %v", st, err)
	}
	for what, mod := range map[string]func(*api.NodeJoinResponse){
		"a template in a meta value":  func(r *api.NodeJoinResponse) { r.Meta = map[string]string{"k": "${"} },
		"a %{ template in meta":       func(r *api.NodeJoinResponse) { r.Meta = map[string]string{"k": "%{ if x }"} },
		"a control character in meta": func(r *api.NodeJoinResponse) { r.Meta = map[string]string{"k": "a\rb"} },
		"a meta key with a quote":     func(r *api.NodeJoinResponse) { r.Meta = map[string]string{`k" = "x`: "v"} },
		"a template in the region":    func(r *api.NodeJoinResponse) { r.Region = "${x" },
		"a quote in the datacenter":   func(r *api.NodeJoinResponse) { r.Datacenter = `dc1" bind_addr = "0.0.0.0` },
		"a brace in the donor name":   func(r *api.NodeJoinResponse) { r.Donor = "uni-b}" },
		"another node name":           func(r *api.NodeJoinResponse) { r.NodeName = "home-gpu-1" },
		"a node name with a path":     func(r *api.NodeJoinResponse) { r.NodeName = "../n1" },
		"a bracketed template server": func(r *api.NodeJoinResponse) { r.NomadServers = []string{`[${"]:4647`} },
		"a server without a port":     func(r *api.NodeJoinResponse) { r.NomadServers = []string{"10.0.0.1:"} },
		"a server with a bad port":    func(r *api.NodeJoinResponse) { r.NomadServers = []string{"10.0.0.1:99999"} },
	} {
		r := good
		r.Meta = maps.Clone(good.Meta)
		mod(&r)
		st, dir, err := join(r)
		if err == nil {
			t.Errorf("%s: accepted: %+v", what, st)
		}
		if _, serr := os.Stat(filepath.Join(dir, StateFile)); serr == nil {
			t.Errorf("%s: recorded in %s", what, StateFile)
		}
	}
}

// TestCoordinatorTransport: the join secret and the join's answer (which
// Nomad servers this machine's root-run Nomad client obeys) must not
// cross a network in the clear: plain HTTP is refused unless the
// coordinator is on this machine or --insecure-http says so.
func TestCoordinatorTransport(t *testing.T) {
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, DriverPlugin), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg      api.Config
		insecure bool
		ok       bool
	}{
		{api.Config{Address: "http://coord.example.org:4747"}, false, false},
		{api.Config{Address: "coord.example.org:4747"}, false, false},
		{api.Config{Address: "http://10.0.0.7:4747"}, false, false},
		{api.Config{Address: "http://coord.example.org:4747", CACert: "/ca.pem"}, false, false},
		{api.Config{Address: "http://coord.example.org:4747"}, true, true},
		{api.Config{Address: "https://coord.example.org:4747"}, false, true},
		{api.Config{Address: "coord.example.org:4747", CACert: "/ca.pem"}, false, true},
		{api.Config{Address: "http://127.0.0.1:4747"}, false, true},
		{api.Config{Address: "http://[::1]:4747"}, false, true},
		{api.Config{Address: "http://localhost:4747"}, false, true},
	} {
		cfg := c.cfg
		o := Options{API: &cfg, InsecureHTTP: c.insecure, DataDir: t.TempDir(), PluginDir: plugins}
		err := o.check()
		if c.ok && err != nil {
			t.Errorf("%+v (insecure %v): %v", c.cfg, c.insecure, err)
		}
		if !c.ok && (!errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "plain HTTP")) {
			t.Errorf("%+v (insecure %v): %v, want a refusal of plain HTTP", c.cfg, c.insecure, err)
		}
	}
}

// TestCoordinatorTLS: an https coordinator with a private CA (--ca-file)
// is joined; without the CA its certificate is refused.
func TestCoordinatorTLS(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(api.NodeJoinResponse{Donor: "uni-b", NodeName: "n1", NomadServers: []string{"10.0.0.1:4647"}})
	}))
	defer ts.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	join := func(cfg api.Config) error {
		o := Options{Join: "hbj_test", API: &cfg, DataDir: t.TempDir(), Name: "n1", Out: io.Discard}
		_, err := joinAs(t, &o, nil)
		return err
	}
	if err := join(api.Config{Address: ts.URL, CACert: ca}); err != nil {
		t.Errorf("https with its CA: %v", err)
	}
	if err := join(api.Config{Address: strings.TrimPrefix(ts.URL, "https://"), CACert: ca}); err != nil {
		t.Errorf("host:port with a CA (https implied): %v", err)
	}
	if err := join(api.Config{Address: ts.URL}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("https without its CA: %v, want the certificate refused", err)
	}
}

// TestCoordinatorAnswerBounded: a coordinator (or anyone between) that
// answers with an endless body does not fill root's memory: the agent
// stops reading after maxAnswerBytes.
func TestCoordinatorAnswerBounded(t *testing.T) {
	const huge = 64 << 20
	var sent atomic.Int64
	done := make(chan struct{})
	c := hostileCoordinator(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat("a", 64<<10))
		if _, err := io.WriteString(w, `{"donor":"uni-b","node_name":"n1","nomad_servers":["10.0.0.1:4647"],"meta":{"k":"`); err != nil {
			return
		}
		for sent.Load() < huge {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `"}}`)
	})
	// The hostile server's address, through the agent's own client.
	o := Options{Join: "hbj_test", API: &api.Config{Address: c.Address()}, DataDir: t.TempDir(), Name: "n1", Out: io.Discard}
	_, err := joinAs(t, &o, nil)
	if err == nil {
		t.Fatal("a 64 MiB answer was taken")
	}
	<-done
	if n := sent.Load(); n >= huge {
		t.Errorf("the agent read the whole %d-byte answer (%v)", n, err)
	}
}

// TestOrphanNomadRefused: an agent killed without leaving (SIGKILL, the
// OOM killer) leaves its Nomad client running; the lock it held is gone.
// Started again, the agent must not start a second client on the same
// directory (it would wait for the first's state database, fail after
// StartTimeout and kill both, with the node's jobs): it says which
// process to stop.
func TestOrphanNomadRefused(t *testing.T) {
	roottest.Require(t, "the agent runs as root")
	server := nomadtest.StartServer(t, nomadagent.Config{})
	dataDir := filepath.Join(t.TempDir(), "agent")
	orphan := nomadtest.StartJoin(t, []string{server.RPCAddr()}, nomadagent.Config{Name: "orphan", Dir: filepath.Join(dataDir, NomadDir)})
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, DriverPlugin), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	err := Run(context.Background(), Options{Join: "hbj_test", API: &api.Config{Address: "http://127.0.0.1:1"}, DataDir: dataDir,
		PluginDir: plugins, NomadBinary: orphan.Config().Binary, Out: io.Discard})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("still runs with %s (pid [%d])", filepath.Join(dataDir, NomadDir), orphan.PID())) {
		t.Errorf("an earlier agent's Nomad client runs: %v", err)
	}
	if err := orphan.Stop(); err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), Options{Join: "hbj_test", API: &api.Config{Address: "http://127.0.0.1:1"}, DataDir: dataDir,
		PluginDir: plugins, NomadBinary: orphan.Config().Binary, Out: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "is the coordinator's address right") {
		t.Errorf("once it stopped: %v, want the agent to go on to join", err)
	}
}

// TestCoordinatorRedirectNotFollowed: a coordinator (or a proxy in front
// of it) that redirects the join elsewhere, plain HTTP included, must not
// get the join secret sent there: a 307 keeps the body.
func TestCoordinatorRedirectNotFollowed(t *testing.T) {
	var got atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(api.NodeJoinResponse{Donor: "uni-b", NodeName: "n1", NomadServers: []string{"10.0.0.1:4647"}})
	}))
	defer elsewhere.Close()
	coord := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer coord.Close()
	o := Options{Join: "hbj_test", API: &api.Config{Address: coord.URL}, DataDir: t.TempDir(), Name: "n1", Out: io.Discard}
	if _, err := joinAs(t, &o, nil); err == nil {
		t.Error("a redirected join succeeded")
	}
	if n := got.Load(); n != 0 {
		t.Errorf("the join was sent where the coordinator redirected it (%d requests)", n)
	}
}
