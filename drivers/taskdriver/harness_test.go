package taskdriver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/client/lib/cgroupslib"
	"github.com/hashicorp/nomad/client/lib/fifo"
	"github.com/hashicorp/nomad/client/lib/numalib"
	"github.com/hashicorp/nomad/helper/uuid"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	dtestutil "github.com/hashicorp/nomad/plugins/drivers/testutils"

	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// TestMain lets the test binary play the plugin's other parts: Nomad's
// executor (handled by the executor package's init), stepd, srun and the
// exec trampoline, exactly as the plugin binary does.
func TestMain(m *testing.M) {
	if code, ok := Dispatch(os.Args); ok {
		os.Exit(code)
	}
	// The executors this binary starts are race-detector builds too: do
	// not let each sleep a second at exit to report late races.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

// taskWait bounds every wait for a task in these tests.
const taskWait = 60 * time.Second

var (
	topologyOnce sync.Once
	topology     *numalib.Topology
	cgroupsErr   error
)

// requireRoot skips tests that run real jobs, or fails them with
// HPCBRIDGE_REQUIRE_ROOT=1 (make test): they need root on Linux (stepd
// switches users; the executor writes cgroups).
func requireRoot(t *testing.T) {
	t.Helper()
	roottest.Require(t, "running jobs needs root (the driver runs them as another user)")
}

// setup scans the node once and creates Nomad's parent cgroups, as the
// Nomad client does at start.
func setup(t *testing.T) *numalib.Topology {
	t.Helper()
	topologyOnce.Do(func() {
		topology = numalib.Scan(numalib.PlatformScanners(true))
		if cgroupslib.GetMode() != cgroupslib.OFF {
			cgroupsErr = cgroupslib.Init(hclog.NewNullLogger(), topology.UsableCores().String())
		}
	})
	if cgroupsErr != nil {
		t.Fatalf("init Nomad cgroups: %v", cgroupsErr)
	}
	return topology
}

// testDriver is a driver behind Nomad's plugin harness.
type testDriver struct {
	*dtestutil.DriverHarness
	d      *Driver
	cancel context.CancelFunc
	conf   Config
}

func newTestDriver(t *testing.T, conf Config) *testDriver {
	t.Helper()
	requireRoot(t)
	topo := setup(t)
	if conf.RunAs == "" {
		// The tests' default: jobs run as their task's user, nobody
		// (newJob sets it, as the coordinator sets the job's owner).
		conf.RunAs = RunAsSubmitter
	}
	if conf.NodeKeyFile == "" {
		conf.NodeKeyFile = filepath.Join(t.TempDir(), "node.key")
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := New(ctx, hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Warn, Output: testWriter{t}}))
	h := dtestutil.NewDriverHarness(t, d)
	var data []byte
	if err := base.MsgPackEncode(&data, &conf); err != nil {
		t.Fatal(err)
	}
	err := h.SetConfig(&base.Config{
		PluginConfig: data,
		AgentConfig:  &base.AgentConfig{Driver: &base.ClientDriverConfig{Topology: topo}},
	})
	if err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	td := &testDriver{DriverHarness: h, d: d, cancel: cancel, conf: conf}
	// The harness's connection is closed by MkAllocDir's cleanup (closing
	// it twice, or Kill after it, races inside go-plugin).
	t.Cleanup(cancel)
	return td
}

// testWriter sends the driver's log to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// job is one batch job under test.
type job struct {
	t    *testing.T
	td   *testDriver
	cfg  *drivers.TaskConfig
	dir  string // a directory the run-as user can write: the job's workdir
	logs *nomadLogs
}

// newJob makes the task config, its alloc dir and cgroups, and Nomad log
// fifos that the test reads. env holds the coordinator's variables.
func (td *testDriver) newJob(t *testing.T, tc TaskConfig, env map[string]string) *job {
	t.Helper()
	allocID := uuid.Generate()
	topo := setup(t)
	perCore := int64(topo.TotalCompute()) / int64(topo.NumCores())
	cfg := &drivers.TaskConfig{
		ID:      uuid.Generate(),
		AllocID: allocID,
		Name:    "batch",
		User:    "nobody",
		Env:     map[string]string{},
		Resources: &drivers.Resources{
			NomadResources: &structs.AllocatedTaskResources{
				Memory: structs.AllocatedMemoryResources{MemoryMB: 256},
				Cpu:    structs.AllocatedCpuResources{CpuShares: 4 * perCore},
			},
			LinuxResources: &drivers.LinuxResources{
				MemoryLimitBytes: 256 << 20,
				CPUShares:        4 * perCore,
				CpusetCgroupPath: cgroupslib.LinuxResourcesPath(allocID, "batch", false),
			},
		},
	}
	for k, v := range env {
		cfg.Env[k] = v
	}
	if _, ok := cfg.Env["PATH"]; !ok {
		cfg.Env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
	}
	// stepd and srun are this race-detector binary here: without this,
	// each sleeps a second before exiting 0, to report late races.
	cfg.Env["GORACE"] = "atexit_sleep_ms=0"
	j := &job{t: t, td: td, cfg: cfg, dir: sharedDir(t)}
	if tc.Workdir == "" {
		tc.Workdir = j.dir
	}
	if err := cfg.EncodeConcreteDriverConfig(&tc); err != nil {
		t.Fatal(err)
	}
	cleanup := td.MkAllocDir(cfg, false)
	// The harness removes the alloc dir but leaves its temporary parent.
	t.Cleanup(func() { os.Remove(filepath.Dir(cfg.AllocDir)) })
	t.Cleanup(cleanup)
	// MkAllocDir's temporary parent is 0700; Nomad's alloc dir is 0711.
	if err := os.Chmod(filepath.Dir(cfg.AllocDir), 0o711); err != nil {
		t.Fatal(err)
	}
	td.MakeTaskCgroup(allocID, "batch")
	j.logs = newNomadLogs(t, cfg)
	return j
}

// sharedDir is a fresh directory that the run-as user can use.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hpcbridge-driver-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// start starts the job and returns its wait channel.
func (j *job) start() <-chan *drivers.ExitResult {
	j.t.Helper()
	if _, _, err := j.td.StartTask(j.cfg); err != nil {
		j.t.Fatalf("StartTask: %v", err)
	}
	// The driver itself, not the harness: the harness's connection is
	// closed by the cleanup of the test's last newJob, which runs before
	// this one when a test has several jobs, and a DestroyTask that never
	// reached the driver left the job's executor running.
	j.t.Cleanup(func() { _ = j.td.d.DestroyTask(j.cfg.ID, true) })
	ch, err := j.td.WaitTask(context.Background(), j.cfg.ID)
	if err != nil {
		j.t.Fatalf("WaitTask: %v", err)
	}
	return ch
}

// wait waits for the job's end.
func (j *job) wait(ch <-chan *drivers.ExitResult) *drivers.ExitResult {
	j.t.Helper()
	select {
	case res := <-ch:
		if res == nil {
			j.t.Fatal("WaitTask channel closed without a result")
		}
		return res
	case <-time.After(taskWait):
		j.t.Fatalf("job did not end within %s", taskWait)
	}
	return nil
}

// run starts the job and waits for its end.
func (j *job) run() *drivers.ExitResult {
	j.t.Helper()
	return j.wait(j.start())
}

// file reads a file of the job's (relative names: in its workdir).
func (j *job) file(name string) string {
	j.t.Helper()
	if !filepath.IsAbs(name) {
		name = filepath.Join(j.dir, name)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		j.t.Fatalf("read job file: %v", err)
	}
	return string(b)
}

// taskDir is the job's Nomad task directory.
func (j *job) taskDir() string { return j.cfg.TaskDir().Dir }

// nomadLogs reads what the task writes to Nomad's log fifos (what logmon
// would read), up to the writers' end.
type nomadLogs struct {
	t              *testing.T
	stdout, stderr chan string
}

func newNomadLogs(t *testing.T, cfg *drivers.TaskConfig) *nomadLogs {
	dir := filepath.Join(cfg.AllocDir, "alloc", "logs")
	cfg.StdoutPath = filepath.Join(dir, ".batch.stdout.fifo")
	cfg.StderrPath = filepath.Join(dir, ".batch.stderr.fifo")
	l := &nomadLogs{t: t, stdout: make(chan string, 1), stderr: make(chan string, 1)}
	for path, ch := range map[string]chan string{cfg.StdoutPath: l.stdout, cfg.StderrPath: l.stderr} {
		open, err := fifo.CreateAndRead(path)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			r, err := open()
			if err != nil {
				ch <- "open fifo: " + err.Error()
				return
			}
			defer r.Close()
			b, _ := io.ReadAll(r)
			ch <- string(b)
		}()
	}
	return l
}

// collect returns everything written to Nomad's stdout and stderr; call it
// after the job ended.
func (l *nomadLogs) collect() (stdout, stderr string) {
	l.t.Helper()
	for _, p := range []struct {
		ch  chan string
		dst *string
	}{{l.stdout, &stdout}, {l.stderr, &stderr}} {
		select {
		case *p.dst = <-p.ch:
		case <-time.After(taskWait):
			l.t.Fatal("Nomad log fifo was not closed")
		}
	}
	return stdout, stderr
}

// events are two fifos between the test and the job's processes: they
// write lines to events (EVENTS in their environment) so that the test
// knows when they reached a point (trap installed, step started); they
// read lines the test sends from control (CONTROL).
type events struct {
	t       *testing.T
	path    string
	ctlPath string
	r       *bufio.Reader
	ctl     *os.File
	// job, when set, is described when an event does not come.
	job *job
}

func newEvents(t *testing.T) *events {
	t.Helper()
	dir := sharedDir(t)
	e := &events{t: t, path: filepath.Join(dir, "events"), ctlPath: filepath.Join(dir, "control")}
	var files [2]*os.File
	for i, path := range []string{e.path, e.ctlPath} {
		if err := syscall.Mkfifo(path, 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o666); err != nil {
			t.Fatal(err)
		}
		// O_RDWR: opening does not wait for the other end, and the job's
		// processes never see a fifo without a reader.
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		files[i] = f
	}
	e.r, e.ctl = bufio.NewReader(files[0]), files[1]
	return e
}

// env adds EVENTS and CONTROL to a job's environment.
func (e *events) env(env map[string]string) map[string]string {
	env["EVENTS"], env["CONTROL"] = e.path, e.ctlPath
	return env
}

// send writes a line to the control fifo.
func (e *events) send(line string) {
	e.t.Helper()
	if _, err := fmt.Fprintln(e.ctl, line); err != nil {
		e.t.Fatal(err)
	}
}

// line reads the next line the job's processes wrote.
func (e *events) line() string {
	e.t.Helper()
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := e.r.ReadString('\n')
		ch <- line{strings.TrimSpace(s), err}
	}()
	select {
	case l := <-ch:
		if l.err != nil {
			e.t.Fatalf("read events: %v", l.err)
		}
		return l.s
	case <-time.After(taskWait):
		e.t.Fatalf("waited %s for an event\n%s", taskWait, e.job.describe())
	}
	return ""
}

// expect reads n lines and checks that each is one of want.
func (e *events) expect(n int, want ...string) []string {
	e.t.Helper()
	var got []string
	for len(got) < n {
		s := e.line()
		if !contains(want, s) {
			e.t.Fatalf("event %q, want one of %q (so far %q)", s, want, got)
		}
		got = append(got, s)
	}
	return got
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mustContain fails unless every want is in s.
func mustContain(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// mustNotContain fails if any of bad is in s.
func mustNotContain(t *testing.T, what, s string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(s, b) {
			t.Errorf("%s has %q:\n%s", what, b, s)
		}
	}
}

func describe(r *drivers.ExitResult) string {
	return fmt.Sprintf("exit %d signal %d oom %v err %v", r.ExitCode, r.Signal, r.OOMKilled, r.Err)
}

// describe says what a job left behind, for a failure message.
func (j *job) describe() string {
	if j == nil {
		return ""
	}
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(j.dir, "*"))
	more, _ := filepath.Glob(filepath.Join(j.taskDir(), "*"))
	for _, f := range append(files, more...) {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() && fi.Size() < 1<<16 {
			c, _ := os.ReadFile(f)
			fmt.Fprintf(&b, "== %s\n%s\n", f, c)
		}
	}
	ps, _ := exec.Command("ps", "-eo", "pid,ppid,pgid,sid,user,stat,args").Output()
	fmt.Fprintf(&b, "== ps\n%s", ps)
	return b.String()
}
