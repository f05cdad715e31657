package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

func TestCPUList(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{
		{[]int{0}, "0"},
		{[]int{3, 0, 1, 2}, "0-3"},
		{[]int{0, 1, 2, 3, 8, 10, 11}, "0-3,8,10-11"},
	} {
		if got := cpuList(c.in); got != c.want {
			t.Errorf("cpuList(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	all, err := allowedCPUs()
	if err != nil || len(all) == 0 {
		t.Fatalf("allowedCPUs: %v, %v", all, err)
	}
	if s, err := firstCPUs(len(all)); err != nil || s != "" {
		t.Errorf("firstCPUs(all %d) = %q, %v; want no limit", len(all), s, err)
	}
	if _, err := firstCPUs(len(all) + 1); !errors.Is(err, ErrUsage) {
		t.Errorf("firstCPUs(more than there are) = %v, want a usage error", err)
	}
}

func TestStateRoundTripAndLock(t *testing.T) {
	dir := t.TempDir()
	if st, err := loadState(dir); st != nil || err != nil {
		t.Fatalf("empty dir: %v, %v", st, err)
	}
	st := &State{Coordinator: "http://c:4747", Donor: "uni-b", NodeName: "n1", Key: "ed25519:x",
		NomadServers: []string{"10.0.0.1:4647"}, Joined: time.Unix(1e9, 0).UTC()}
	if err := st.save(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, StateFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v, %v; want mode 0600", fi, err)
	}
	got, err := loadState(dir)
	if err != nil || got.NodeName != "n1" || got.Donor != "uni-b" || !got.Joined.Equal(st.Joined) || !got.Left.IsZero() {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(`{"node_name":"n1","bogus":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadState(dir); err == nil {
		t.Error("a state file with an unknown field was read")
	}
	big := `{"node_name":"` + strings.Repeat("x", maxStateBytes) + `"}`
	if err := os.WriteFile(filepath.Join(dir, StateFile), []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadState(dir); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("an oversized state file: %v", err)
	}
	l, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDir(dir); err == nil || !strings.Contains(err.Error(), "another hpcbridge agent") {
		t.Errorf("a second lock: %v", err)
	}
	l.Close()
	l, err = lockDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l.Close()
}

func TestOptionsChecked(t *testing.T) {
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, DriverPlugin), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	base := func() Options {
		return Options{API: &api.Config{Address: "http://127.0.0.1:1"}, DataDir: t.TempDir(), PluginDir: plugins}
	}
	if o := base(); o.check() != nil || o.SandboxUIDs != DefaultSandboxUIDs {
		t.Errorf("good options: %v, sandbox uids %q", o.check(), o.SandboxUIDs)
	}
	for what, mod := range map[string]func(*Options){
		"no data dir":         func(o *Options) { o.DataDir = "" },
		"no coordinator":      func(o *Options) { o.API = &api.Config{} },
		"not a join token":    func(o *Options) { o.Join = "s3cr3t" },
		"a bad name":          func(o *Options) { o.Name = "../etc" },
		"negative cpus":       func(o *Options) { o.CPUs = -1 },
		"a bad deadline":      func(o *Options) { o.LeaveDeadline = "soon" },
		"a negative deadline": func(o *Options) { o.LeaveDeadline = "-1m" },
		"no driver":           func(o *Options) { o.PluginDir = t.TempDir() },
	} {
		o := base()
		mod(&o)
		if err := o.check(); !errors.Is(err, ErrUsage) {
			t.Errorf("%s: %v, want a usage error", what, err)
		}
	}
}

// TestNomadConfig checks what the Nomad client of a joined node gets: the
// donor's meta (over the join's), the sandboxed driver with the node key,
// the join's region and datacenter.
func TestNomadConfig(t *testing.T) {
	o := Options{DataDir: t.TempDir(), PluginDir: t.TempDir(), SandboxUIDs: DefaultSandboxUIDs, Version: "v9", MemoryMiB: 2048}
	st := &State{Donor: "uni-b", NodeName: "n1", Region: "eu", Datacenter: "dc7",
		Meta: map[string]string{MetaDonor: "someone-else", "rack": "r1"}}
	keyPath := filepath.Join(o.DataDir, KeyFile)
	cfg, err := o.nomadConfig(st, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dir != filepath.Join(o.DataDir, NomadDir) || cfg.PluginDir != o.PluginDir || cfg.Name != "n1" || cfg.Region != "eu" || cfg.Datacenter != "dc7" || cfg.MemoryMiB != 2048 || cfg.ReservableCores != "" {
		t.Errorf("config %+v", cfg)
	}
	if h, _ := os.Hostname(); h != "n1" && os.Geteuid() == 0 && cfg.Hostname != "n1" {
		t.Errorf("host name %q, want the node's, n1", cfg.Hostname)
	}
	if cfg.Meta[MetaDonor] != "uni-b" || cfg.Meta["rack"] != "r1" || cfg.Meta[MetaAgentVersion] != "v9" {
		t.Errorf("meta %v", cfg.Meta)
	}
	if len(cfg.Plugins) != 1 || cfg.Plugins[0].Name != DriverPlugin {
		t.Fatalf("plugins %+v", cfg.Plugins)
	}
	drv := cfg.Plugins[0].Config
	if drv["sandbox"] != true || drv["sandbox_uids"] != DefaultSandboxUIDs || drv["node_key_file"] != keyPath || drv["run_as"] != nil {
		t.Errorf("driver config %v", drv)
	}
}

// TestDataDirMustBeOwn: the agent (root) writes into its data dir and
// trusts what is there, so a directory writable by others, a link, or
// one of another user is refused.
func TestDataDirMustBeOwn(t *testing.T) {
	own := t.TempDir()
	if err := os.Chmod(own, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := checkOwnDir(own); err != nil {
		t.Errorf("own 0700 dir: %v", err)
	}
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{open, link} {
		if err := checkOwnDir(d); err == nil {
			t.Errorf("%s accepted", d)
		}
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(t.TempDir(), "other")
		if err := os.Mkdir(other, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := checkOwnDir(other); err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
			t.Errorf("another user's dir: %v", err)
		}
	}
}

func TestJoinResponseChecked(t *testing.T) {
	good := api.NodeJoinResponse{Donor: "uni-b", NodeName: "n1", NomadServers: []string{"10.0.0.1:4647"}, Meta: map[string]string{"k": "v"}}
	if err := checkJoinResponse(&good, "n1"); err != nil {
		t.Fatal(err)
	}
	many := make([]string, maxNomadServers+1)
	for i := range many {
		many[i] = "10.0.0.1:4647"
	}
	for what, mod := range map[string]func(*api.NodeJoinResponse){
		"no servers":        func(r *api.NodeJoinResponse) { r.NomadServers = nil },
		"too many servers":  func(r *api.NodeJoinResponse) { r.NomadServers = many },
		"not host:port":     func(r *api.NodeJoinResponse) { r.NomadServers = []string{"nowhere"} },
		"multi-line region": func(r *api.NodeJoinResponse) { r.Region = "a\nb" },
		"long meta":         func(r *api.NodeJoinResponse) { r.Meta = map[string]string{"k": strings.Repeat("v", maxJoinString+1)} },
	} {
		r := good
		mod(&r)
		if err := checkJoinResponse(&r, "n1"); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}
