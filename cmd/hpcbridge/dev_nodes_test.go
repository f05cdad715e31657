package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// devRun is `hpcbridge dev` running in-process for a test.
type devRun struct {
	t       *testing.T
	dataDir string
	bind    string
	out     *watchedBuffer
	errc    chan error
	cancel  context.CancelFunc
	nomad   string // Nomad's API address, from the banner
}

// watchedBuffer collects what dev prints (from several goroutines) and
// closes running at the banner's first line.
type watchedBuffer struct {
	mu      sync.Mutex
	b       strings.Builder
	running chan struct{}
	seen    bool
}

func (w *watchedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if !w.seen && strings.Contains(w.b.String(), "hpcbridge dev is running.\n") && strings.Contains(w.b.String(), "Ctrl-C stops.\n") {
		w.seen = true
		close(w.running)
	}
	return len(p), nil
}

func (w *watchedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// buildPlugins builds the named plugins (cmd/<name>) into a plugin dir.
func buildPlugins(t *testing.T, names ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "plugins")
	for _, n := range names {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, n), "../"+n)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", n, err, b)
		}
	}
	return dir
}

// searchable is a new directory under the system's temporary directory
// with mode perm, removed at the end: pool uids cannot pass through the
// test's own 0700 temporary directories.
func searchable(t *testing.T, perm os.FileMode) string {
	t.Helper()
	d, err := os.MkdirTemp("", "hpcbridge-dev-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, perm); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var nomadAddrRE = regexp.MustCompile(`Nomad API:\s+(http://\S+)`)

// startDevRun runs runDev with o (ports and HOME filled in, and a new
// data dir unless o has one) and waits until it prints its banner.
func startDevRun(t *testing.T, o devOptions) *devRun {
	t.Helper()
	d := &devRun{t: t, dataDir: o.dataDir, bind: freeAddr(t),
		out: &watchedBuffer{running: make(chan struct{})}, errc: make(chan error, 1)}
	if d.dataDir == "" {
		d.dataDir = filepath.Join(searchable(t, 0o711), "dev")
	}
	o.dataDir, o.bind, o.raftBind = d.dataDir, d.bind, freeAddr(t)
	if o.logLevel == "" {
		o.logLevel = "warn"
	}
	var ctx context.Context
	ctx, d.cancel = context.WithCancel(context.Background())
	s := streams{out: d.out, err: d.out, env: []string{"HOME=" + t.TempDir()}}
	go func() { d.errc <- runDev(ctx, o, s) }()
	t.Cleanup(func() { d.stop() })
	select {
	case <-d.out.running:
	case err := <-d.errc:
		d.errc <- err
		t.Fatalf("hpcbridge dev ended before it ran: %v\n%s", err, d.out.String())
	case <-time.After(5 * time.Minute):
		t.Fatalf("hpcbridge dev did not start in 5 minutes:\n%s", d.out.String())
	}
	m := nomadAddrRE.FindStringSubmatch(d.out.String())
	if m == nil {
		t.Fatalf("no Nomad API address in the banner:\n%s", d.out.String())
	}
	d.nomad = m[1]
	return d
}

// stop ends dev as Ctrl-C does and waits until runDev has returned.
func (d *devRun) stop() error {
	d.cancel()
	err, ok := <-d.errc
	if ok {
		close(d.errc)
	}
	if err != nil {
		d.t.Errorf("hpcbridge dev: %v", err)
	}
	if d.t.Failed() {
		d.t.Logf("hpcbridge dev printed:\n%s", d.out.String())
	}
	return err
}

// sbatch submits a job to dev with its management token, in-process.
func (d *devRun) sbatch(args ...string) string {
	d.t.Helper()
	env := []string{"HOME=" + d.t.TempDir(), "HPCBRIDGE_ADDR=http://" + d.bind,
		"HPCBRIDGE_TOKEN_FILE=" + filepath.Join(d.dataDir, "management-token"), "PATH=/usr/bin:/bin"}
	code, out, errs := invoke(d.t, "sbatch", env, "", append([]string{"--parsable"}, args...)...)
	if code != exitOK {
		d.t.Fatalf("sbatch %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return strings.TrimSpace(out)
}

// nomadNode is what the test reads of a node from Nomad's HTTP API.
type nomadNode struct {
	ID, Name, Status string
	Meta             map[string]string
	Drivers          map[string]struct{ Detected, Healthy bool }
	NodeResources    struct {
		Devices []struct {
			Vendor, Type, Name string
			Attributes         map[string]struct {
				String *string
				Bool   *bool
			}
			Instances []struct {
				ID      string
				Healthy bool
			}
		}
	}
}

// nomadGet decodes a GET of Nomad's HTTP API.
func (d *devRun) nomadGet(path string, v any) {
	d.t.Helper()
	resp, err := http.Get(d.nomad + path)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		d.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		d.t.Fatalf("GET %s: %v", path, err)
	}
}

// nodes reads every node from Nomad's API, by name.
func (d *devRun) nodes() map[string]nomadNode {
	d.t.Helper()
	var stubs []struct{ ID string }
	d.nomadGet("/v1/nodes", &stubs)
	out := map[string]nomadNode{}
	for _, s := range stubs {
		var n nomadNode
		d.nomadGet("/v1/node/"+s.ID, &n)
		out[n.Name] = n
	}
	return out
}

// proc is a process by pid and start time (pids are reused).
type proc struct {
	pid   int
	start string
	cmd   string
}

// procStart is a process's start time (/proc/<pid>/stat field 22), its
// parent and its command line.
func procStart(pid int) (ppid int, start, cmd string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if i < 0 || len(f) < 20 {
		return 0, "", "", false
	}
	ppid, _ = strconv.Atoi(f[1])
	c, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return ppid, f[19], strings.ReplaceAll(string(c), "\x00", " "), true
}

// descendants lists the processes below this test process.
func descendants(t *testing.T) []proc {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	kids := map[int][]proc{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, start, cmd, ok := procStart(pid); ok {
			kids[ppid] = append(kids[ppid], proc{pid, start, cmd})
		}
	}
	var out []proc
	for queue := []int{os.Getpid()}; len(queue) > 0; queue = queue[1:] {
		for _, c := range kids[queue[0]] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
	}
	return out
}

// exitWatch holds a pidfd for each process of a snapshot, which becomes
// readable when the process exits (pidfds also pin the process, so a
// reused pid cannot be mistaken for it).
type exitWatch struct {
	procs []proc
	fds   []int
}

// watchExits opens a pidfd for each process of ps that still runs.
func watchExits(t *testing.T, ps []proc) *exitWatch {
	t.Helper()
	w := &exitWatch{}
	for _, p := range ps {
		fd, err := unix.PidfdOpen(p.pid, 0)
		if err != nil {
			continue // gone already
		}
		if _, start, _, ok := procStart(p.pid); !ok || start != p.start {
			unix.Close(fd)
			continue
		}
		w.procs, w.fds = append(w.procs, p), append(w.fds, fd)
	}
	t.Cleanup(func() {
		for _, fd := range w.fds {
			unix.Close(fd)
		}
	})
	return w
}

// running waits up to d for the watched processes to exit and returns
// those that did not.
func (w *exitWatch) running(d time.Duration) []proc {
	deadline := time.Now().Add(d)
	pfds := make([]unix.PollFd, len(w.fds))
	for i, fd := range w.fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	exited := make([]bool, len(w.fds))
	for {
		var left []unix.PollFd
		var idx []int
		for i, p := range pfds {
			if !exited[i] {
				left, idx = append(left, p), append(idx, i)
			}
		}
		wait := time.Until(deadline)
		if len(left) == 0 || wait <= 0 {
			var out []proc
			for i := range idx {
				out = append(out, w.procs[idx[i]])
			}
			return out
		}
		n, err := unix.Poll(left, int(wait.Milliseconds())+1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return w.procs
		}
		for j := 0; n > 0 && j < len(left); j++ {
			if left[j].Revents != 0 {
				exited[idx[j]] = true
			}
		}
	}
}

// fifoDir is a directory of named pipes a job of any uid can open.
func fifoDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := searchable(t, 0o755)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := syscall.Mkfifo(p, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o666); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	return dir
}

// openFIFO opens a named pipe, which blocks until the other end is
// opened, or fails the test when ctx ends first.
func openFIFO(t *testing.T, ctx context.Context, path string, flag int) *os.File {
	t.Helper()
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := os.OpenFile(path, flag, 0)
		ch <- result{f, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.f
	case <-ctx.Done():
		// Open the other end so the goroutine's open returns.
		other := os.O_WRONLY
		if flag != os.O_RDONLY {
			other = os.O_RDONLY
		}
		if f, err := os.OpenFile(path, other|syscall.O_NONBLOCK, 0); err == nil {
			if r := <-ch; r.f != nil {
				r.f.Close()
			}
			f.Close()
		}
		t.Fatalf("nothing opened %s: %v", path, ctx.Err())
		return nil
	}
}

// TestDevNodesRunJobsAtOnce: `hpcbridge dev --nodes 2 --gpu-backend none
// --run-as pool` starts a Nomad server and clients 127.0.1.101 and
// 127.0.1.102 (devNodeNames), each
// ready with its own task driver; a job pinned to each node runs on both
// at once, each as a pool uid of its own from the one range and lease dir
// the two clients' drivers share, and each sees its node's name as its
// host name (uname -n); Ctrl-C leaves no process behind.
//
// (With a lease dir per client this still passes: a driver also skips a
// uid that runs a process. But two leases taken at the same moment, before
// either job's first process, would then get one uid, and the end of one
// job would kill the other's processes; the shared dir's lock closes that
// window, which no test can time.)
func TestDevNodesRunJobsAtOnce(t *testing.T) {
	roottest.Require(t, "hpcbridge dev runs Nomad clients, which need root")
	nomadtest.Require(t)
	plugins := buildPlugins(t, driverBinaryName)
	pool := filepath.Join(t.TempDir(), "pool")
	d := startDevRun(t, devOptions{pluginDir: plugins, runAs: "pool", poolUIDs: "63170-63179", poolDir: pool,
		partition: "debug", nodes: 2, gpu: gpuFlags{backend: gpuBackendNone}})

	out := d.out.String()
	names := devNodeNames(2)
	for _, want := range []string{"Nodes:           " + names[0] + ", " + names[1] + " (", "GPUs:            none (--gpu-backend none)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the banner lacks %q:\n%s", want, out)
		}
	}
	nodes := d.nodes()
	if len(nodes) != 2 {
		t.Fatalf("Nomad has nodes %v, want %v", slices.Sorted(maps.Keys(nodes)), names)
	}
	for _, name := range names {
		n := nodes[name]
		if drv := n.Drivers["hpcbridge"]; n.Status != "ready" || !drv.Detected || !drv.Healthy {
			t.Errorf("node %s: status %q, driver %+v", name, n.Status, drv)
		}
		if n.Meta["hpcbridge.gpu_backend"] != "none" {
			t.Errorf("node %s: meta %v", name, n.Meta)
		}
		// Nomad's own drivers (exec, java, mock_driver) would run what any
		// Nomad API caller sends, outside hpcbridge's accounting.
		if others := slices.DeleteFunc(slices.Sorted(maps.Keys(n.Drivers)), func(d string) bool { return d == "hpcbridge" }); len(others) > 0 {
			t.Errorf("node %s offers drivers %v besides hpcbridge", name, others)
		}
	}

	// Each job writes its node and uid to its pipe, then waits for its
	// gate to close: both run at once, since neither can end before the
	// test has read both.
	dir := fifoDir(t, "id1", "id2", "gate1", "gate2")
	for _, i := range []string{"1", "2"} {
		d.sbatch("-w", names[i[0]-'1'], "-D", dir, "-o", "/dev/null", "--wrap",
			fmt.Sprintf(`echo "$SLURMD_NODENAME $(id -u) $(uname -n)" > %s/id%s && cat %s/gate%s`, dir, i, dir, i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var uids []string
	var gates []*os.File
	for _, i := range []string{"1", "2"} {
		r := openFIFO(t, ctx, filepath.Join(dir, "id"+i), os.O_RDONLY)
		b := make([]byte, 64)
		n, _ := r.Read(b)
		r.Close()
		f := strings.Fields(string(b[:n]))
		if node := names[i[0]-'1']; len(f) != 3 || f[0] != node || f[2] != node {
			t.Fatalf("job %s printed %q, want %s, its uid and %s as the host name", i, b[:n], node, node)
		}
		uids = append(uids, f[1])
		gates = append(gates, openFIFO(t, ctx, filepath.Join(dir, "gate"+i), os.O_WRONLY))
	}
	if uids[0] == uids[1] || !strings.HasPrefix(uids[0], "6317") || !strings.HasPrefix(uids[1], "6317") {
		t.Errorf("the jobs on %v ran as uids %v: want two different uids of the pool", names, uids)
	}
	running := watchExits(t, descendants(t))
	for _, g := range gates {
		g.Close()
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	// Stop has sent every process SIGKILL; the kernel ends them at once.
	if left := running.running(10 * time.Second); len(left) > 0 {
		t.Errorf("processes left after dev stopped: %+v", left)
	}
}

// gpuNode is what a node offers of nvidia/gpu devices, from Nomad's API.
type gpuNode struct {
	model, backend, fake, gresType string
	uuids                          []string
	healthy                        int
}

func gpusOfNode(n nomadNode) gpuNode {
	var g gpuNode
	str := func(a struct {
		String *string
		Bool   *bool
	}) string {
		switch {
		case a.String != nil:
			return *a.String
		case a.Bool != nil:
			return strconv.FormatBool(*a.Bool)
		}
		return ""
	}
	for _, d := range n.NodeResources.Devices {
		if d.Vendor != "nvidia" || d.Type != "gpu" {
			continue
		}
		g.model = d.Name
		g.backend, g.fake, g.gresType = str(d.Attributes["backend"]), str(d.Attributes["fake"]), str(d.Attributes["gres_type"])
		for _, in := range d.Instances {
			g.uuids = append(g.uuids, in.ID)
			if in.Healthy {
				g.healthy++
			}
		}
	}
	slices.Sort(g.uuids)
	return g
}

// TestDevNodesFakeGPUs: `hpcbridge dev --nodes 2 --gpu-backend fake
// --gpu-model a100,h100` starts its first node (127.0.1.101) with 8 fake
// A100s and its second with 8 fake H100s, as Nomad's API shows them, says loudly in its banner that
// they are fake and lists them; after a restart the nodes have the same
// GPU UUIDs (seeded with the node names); Ctrl-C leaves no process.
func TestDevNodesFakeGPUs(t *testing.T) {
	roottest.Require(t, "hpcbridge dev runs Nomad clients, which need root")
	nomadtest.Require(t)
	plugins := buildPlugins(t, driverBinaryName, gpuPluginName)
	o := devOptions{pluginDir: plugins, runAs: "submitter", partition: "debug", nodes: 2,
		gpu: gpuFlags{backend: gpuBackendFake, models: "a100,h100"}}
	names := devNodeNames(2)
	want := map[string]struct{ model, gres string }{
		names[0]: {"NVIDIA A100-SXM4-40GB", "a100"},
		names[1]: {"NVIDIA H100 80GB HBM3", "h100"},
	}
	var first map[string][]string
	for run := 1; run <= 2; run++ {
		d := startDevRun(t, o)
		o.dataDir = d.dataDir
		out := d.out.String()
		for _, line := range []string{"*** FAKE GPUs: go-nvml's mock, not real hardware ***",
			"    " + names[0] + ": 8 x NVIDIA A100-SXM4-40GB (gpu:a100:8, FAKE)\n",
			"    " + names[1] + ": 8 x NVIDIA H100 80GB HBM3 (gpu:h100:8, FAKE)\n"} {
			if !strings.Contains(out, line) {
				t.Errorf("run %d: the banner lacks %q:\n%s", run, line, out)
			}
		}
		uuids := map[string][]string{}
		nodes := d.nodes()
		for name, w := range want {
			n := nodes[name]
			g := gpusOfNode(n)
			if n.Status != "ready" || !n.Drivers["hpcbridge"].Healthy {
				t.Errorf("run %d: node %s is %q, driver %+v", run, name, n.Status, n.Drivers["hpcbridge"])
			}
			if g.model != w.model || g.gresType != w.gres || len(g.uuids) != 8 || g.healthy != 8 || g.backend != "fake" || g.fake != "true" {
				t.Errorf("run %d: node %s offers %+v, want 8 healthy fake %s (%s)", run, name, g, w.model, w.gres)
			}
			if n.Meta["hpcbridge.gpu_backend"] != "fake" {
				t.Errorf("run %d: node %s meta %v", run, name, n.Meta)
			}
			for _, u := range g.uuids {
				if !strings.Contains(out, "      "+u+"  ") {
					t.Errorf("run %d: the banner does not list %s's GPU %s", run, name, u)
				}
			}
			uuids[name] = g.uuids
		}
		if slices.ContainsFunc(uuids[names[0]], func(u string) bool { return slices.Contains(uuids[names[1]], u) }) {
			t.Errorf("run %d: %v share GPU UUIDs: %v", run, names, uuids)
		}
		if first == nil {
			first = uuids
		} else if !maps.EqualFunc(first, uuids, slices.Equal) {
			t.Errorf("the GPU UUIDs changed across a restart of dev:\n%v\n%v", first, uuids)
		}
		running := watchExits(t, descendants(t))
		if err := d.stop(); err != nil {
			t.Fatal(err)
		}
		if left := running.running(10 * time.Second); len(left) > 0 {
			t.Errorf("run %d: processes left after dev stopped: %+v", run, left)
		}
	}
}

// TestDevStopsWhenAnAgentDies: when one of dev's Nomad agents exits on its
// own, dev stops, names it and shows the end of its log, and leaves no
// process: not even the dead agent's plugins, which are no longer below it
// (nomadagent's Stop finds them by their working directory).
func TestDevStopsWhenAnAgentDies(t *testing.T) {
	roottest.Require(t, "hpcbridge dev runs Nomad clients, which need root")
	nomadtest.Require(t)
	plugins := buildPlugins(t, driverBinaryName)
	d := startDevRun(t, devOptions{pluginDir: plugins, runAs: "submitter", partition: "debug", nodes: 2, gpu: gpuFlags{backend: gpuBackendNone}})
	node2Name := devNodeNames(2)[1]
	config := filepath.Join(d.dataDir, "nomad", node2Name, "agent.hcl")
	var node2 []proc
	for _, p := range descendants(t) {
		if strings.Contains(p.cmd, " agent -config "+config) {
			node2 = append(node2, p)
		}
	}
	if len(node2) != 1 {
		t.Fatalf("node2's agent: %+v", node2)
	}
	running := watchExits(t, descendants(t))
	if err := syscall.Kill(node2[0].pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.errc:
		close(d.errc)
		if err == nil || !strings.Contains(err.Error(), `the Nomad agent "`+node2Name+`" exited`) || !strings.Contains(err.Error(), "last lines of "+filepath.Join(d.dataDir, "nomad", node2Name, "agent.log")) {
			t.Errorf("dev ended with %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("dev still runs 2 minutes after %s's agent died", node2Name)
	}
	if left := running.running(10 * time.Second); len(left) > 0 {
		t.Errorf("processes left after dev stopped: %+v", left)
	}
}

// runningFrom lists the processes whose executable is in dir.
func runningFrom(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && strings.HasPrefix(exe, dir+"/") {
			out = append(out, e.Name()+" "+exe)
		}
	}
	return out
}

// TestDevRefusedGPUModel: a fake model the device plugin does not know
// stops dev at start with the plugin's reason, and leaves no plugin
// running (the refusing agents had started some before they exited).
func TestDevRefusedGPUModel(t *testing.T) {
	roottest.Require(t, "hpcbridge dev runs Nomad clients, which need root")
	nomadtest.Require(t)
	plugins := buildPlugins(t, driverBinaryName, gpuPluginName)
	o := devOptions{dataDir: filepath.Join(searchable(t, 0o711), "dev"), bind: freeAddr(t), raftBind: freeAddr(t), logLevel: "warn",
		pluginDir: plugins, runAs: "submitter", partition: "debug", nodes: 2, gpu: gpuFlags{backend: gpuBackendFake, models: "a100,x100"}}
	out := &watchedBuffer{running: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := runDev(ctx, o, streams{out: out, err: out, env: []string{"HOME=" + t.TempDir()}})
	if err == nil || !strings.Contains(err.Error(), `fake model "x100"`) || !strings.Contains(err.Error(), `client agent "`+devNodeNames(2)[1]+`"`) {
		t.Errorf("dev with --gpu-model a100,x100: %v\n%s", err, out.String())
	}
	if left := runningFrom(t, plugins); len(left) > 0 {
		t.Errorf("plugins left running: %v", left)
		for _, l := range left {
			pid, _ := strconv.Atoi(strings.Fields(l)[0])
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
