package taskdriver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
)

// poolConfig is a pool of four uids with its leases in a directory of the
// test's own.
func poolConfig(t *testing.T) Config {
	return Config{RunAs: RunAsPool, PoolUIDs: "62940-62943", PoolDir: filepath.Join(t.TempDir(), "pool")}
}

// poolVictim is job A: it leaves a private file in its home (the task
// directory), a file in /tmp and a process outside its session, tells the
// test about them, and waits.
const poolVictim = `#!/bin/sh
echo secret-of-a > "$HOME/secret"
echo tmp-of-a > "/tmp/hpcbridge-pool-test-$SLURM_JOB_ID"
mkdir "$SHARED/sub" && echo deep-of-a > "$SHARED/sub/file" && echo of-a > "$SHARED/file"
ipcmk -M 4096 >/dev/null 2>&1; ipcmk -S 1 >/dev/null 2>&1; ipcmk -Q >/dev/null 2>&1
setsid sleep 300 < /dev/null > /dev/null 2>&1 &
echo "$(id -u) $$ $! $HOME $(pwd)" > "$EVENTS"
read x < "$CONTROL"
echo done
`

// poolIntruder is job B: it tries to read, write and signal what job A
// owns, and reports each attempt.
const poolIntruder = `#!/bin/sh
try() { what=$1; shift; if "$@" >/dev/null 2>&1; then echo "$what: yes"; else echo "$what: no"; fi; }
echo "uid $(id -u)"
try read-own cat "$HOME/slurm_script"
try signal-own kill -0 $$
try read-secret cat "$A_HOME/secret"
try read-output cat "$A_HOME/slurm-1.out"
try read-script cat "$A_HOME/slurm_script"
try list-home ls "$A_HOME"
try write-home touch "$A_HOME/planted"
try signal-shell kill -0 "$A_SHELL"
try signal-child kill -0 "$A_CHILD"
try stop-shell kill -STOP "$A_SHELL"
`

// TestPoolJobsAreIsolated runs two users' jobs at once on a run_as = pool
// node: each gets a uid of its own, neither can read, write or signal what
// the other owns, and when a job ends its uid's processes are gone (even
// one that left the job's session), its /tmp files removed, its task files
// given to root and its lease returned.
func TestPoolJobsAreIsolated(t *testing.T) {
	conf := poolConfig(t)
	td := newTestDriver(t, conf)
	ev := newEvents(t)
	envA := ev.env(coordinatorEnv("1"))
	envA["SLURM_JOB_USER"] = "alice"
	// A world-writable directory of someone else's in /tmp, as /tmp itself.
	shared, err := os.MkdirTemp("/tmp", "hpcbridge-pool-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shared) })
	if err := os.Chmod(shared, 0o1777); err != nil {
		t.Fatal(err)
	}
	envA["SHARED"] = shared
	a := td.newJob(t, TaskConfig{Script: poolVictim}, envA)
	a.cfg.User = "alice"
	ev.job = a
	chA := a.start()
	f := strings.Fields(ev.line())
	if len(f) != 5 {
		t.Fatalf("job A reported %q", f)
	}
	uidA, _ := strconv.Atoi(f[0])
	shellA, child, homeA, pwdA := f[1], f[2], f[3], f[4]
	if uidA < 62940 || uidA > 62943 {
		t.Fatalf("job A runs as uid %d, outside the pool 62940-62943", uidA)
	}
	if homeA != a.taskDir() || pwdA != a.taskDir() {
		t.Errorf("job A: HOME %s, cwd %s; want its task directory %s", homeA, pwdA, a.taskDir())
	}
	if n := proc.CountIPC(uidA); n != 3 {
		t.Errorf("job A made %d System V IPC objects, want 3 (ipcmk -M, -S, -Q)", n)
	}
	tmpA := "/tmp/hpcbridge-pool-test-1"
	t.Cleanup(func() { os.Remove(tmpA) })

	envB := coordinatorEnv("2")
	envB["SLURM_JOB_USER"] = "bob"
	envB["A_HOME"], envB["A_SHELL"], envB["A_CHILD"] = homeA, shellA, child
	b := td.newJob(t, TaskConfig{Script: poolIntruder}, envB)
	b.cfg.User = "bob"
	if res := b.run(); !res.Successful() {
		t.Fatalf("job B: %s\n%s", describe(res), b.describe())
	}
	outB := b.file(filepath.Join(b.taskDir(), "slurm-2.out"))
	uidB := -1
	fmt.Sscanf(outB, "uid %d", &uidB)
	if uidB == uidA || uidB < 62940 || uidB > 62943 {
		t.Errorf("job B runs as uid %d (job A: %d): want another uid of the pool", uidB, uidA)
	}
	for _, what := range []string{"read-own", "signal-own"} {
		if !strings.Contains(outB, what+": yes\n") {
			t.Errorf("job B cannot %s: the probes prove nothing\n%s", what, outB)
		}
	}
	if b, err := os.ReadFile(filepath.Join(homeA, "secret")); err != nil || string(b) != "secret-of-a\n" {
		t.Errorf("job A's secret: %q %v", b, err)
	}
	for _, what := range []string{"read-secret", "read-output", "read-script", "list-home", "write-home", "signal-shell", "signal-child", "stop-shell"} {
		if !strings.Contains(outB, what+": no\n") {
			t.Errorf("job B could %s of job A:\n%s", what, outB)
		}
	}
	// B is over: its uid is back in the pool.
	if _, err := os.Lstat(filepath.Join(conf.PoolDir, strconv.Itoa(uidB))); err == nil {
		t.Errorf("uid %d is still leased after job B ended", uidB)
	}

	ev.send("go")
	if res := a.wait(chA); !res.Successful() {
		t.Fatalf("job A: %s\n%s", describe(res), a.describe())
	}
	if out := a.file(filepath.Join(a.taskDir(), "slurm-1.out")); out != "done\n" {
		t.Errorf("job A's output in its task directory: %q", out)
	}
	if pids, err := proc.OfUser(uidA); err != nil || len(pids) > 0 {
		t.Errorf("processes of job A's uid %d survive the job: %v %v", uidA, pids, err)
	}
	if n := proc.CountIPC(uidA); n > 0 {
		t.Errorf("%d System V IPC objects of job A's uid survive the job", n)
	}
	for _, f := range []string{tmpA, filepath.Join(shared, "file"), filepath.Join(shared, "sub")} {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("job A's %s survives the job: the uid's next job would find it", f)
		}
	}
	for _, name := range []string{"secret", "slurm-1.out", "slurm_script", ""} {
		fi, err := os.Lstat(filepath.Join(a.taskDir(), name))
		if err != nil {
			t.Errorf("job A's task files: %v", err)
			continue
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 0 {
			t.Errorf("%s still belongs to uid %d after the job: the uid's next job could reach it", fi.Name(), uid)
		}
	}
	if _, err := os.Lstat(filepath.Join(conf.PoolDir, strconv.Itoa(uidA))); err == nil {
		t.Errorf("uid %d is still leased after job A ended", uidA)
	}
}

// TestPoolLeaseSurvivesPluginRestart: a new plugin instance re-owns the
// uid of a running job (from the task's state), so it never hands that uid
// to another job, and still cleans up after the job.
func TestPoolLeaseSurvivesPluginRestart(t *testing.T) {
	conf := poolConfig(t)
	conf.PoolUIDs = "62944-62945"
	td := newTestDriver(t, conf)
	ev := newEvents(t)
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\nid -u > \"$EVENTS\"\nread x < \"$CONTROL\"\n"}, ev.env(coordinatorEnv("3")))
	ev.job = j
	handle, _, err := td.StartTask(j.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = td.d.DestroyTask(j.cfg.ID, true) })
	uid, _ := strconv.Atoi(ev.line())
	td.cancel()

	// The lease file is lost (say, a pool_dir on tmpfs after a crash):
	// RecoverTask takes it back from the task's state.
	if err := os.Remove(filepath.Join(conf.PoolDir, strconv.Itoa(uid))); err != nil {
		t.Fatal(err)
	}
	// A restarted Nomad client rebuilds the allocation's shared
	// directories 0777.
	data := filepath.Join(j.cfg.AllocDir, "alloc", "data")
	if err := os.Chmod(data, 0o777); err != nil {
		t.Fatal(err)
	}
	td2 := newTestDriver(t, conf)
	if err := td2.RecoverTask(handle); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("alloc/data after RecoverTask: %v %v, want private (0700) again", fi.Mode(), err)
	}
	t.Cleanup(func() { _ = td2.d.DestroyTask(j.cfg.ID, true) })
	if _, err := os.Lstat(filepath.Join(conf.PoolDir, strconv.Itoa(uid))); err != nil {
		t.Fatalf("RecoverTask did not re-own uid %d: %v", uid, err)
	}
	other := td2.newJob(t, TaskConfig{Script: "#!/bin/sh\nid -u\n"}, coordinatorEnv("4"))
	if res := other.run(); !res.Successful() {
		t.Fatalf("other job: %s", describe(res))
	}
	if got := strings.TrimSpace(other.file(filepath.Join(other.taskDir(), "slurm-4.out"))); got == strconv.Itoa(uid) {
		t.Errorf("a second job got uid %s, which the recovered job still runs as", got)
	}
	ch, err := td2.WaitTask(t.Context(), j.cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	ev.send("go")
	if res := j.wait(ch); !res.Successful() {
		t.Fatalf("recovered job: %s", describe(res))
	}
	if _, err := os.Lstat(filepath.Join(conf.PoolDir, strconv.Itoa(uid))); err == nil {
		t.Errorf("uid %d is still leased after the recovered job ended", uid)
	}
}

// TestPoolLeases: a uid is never leased twice; a lease whose task
// directory is gone and whose uid runs nothing (its plugin died, Nomad
// collected the allocation) is reclaimed; an account's uid is skipped.
func TestPoolLeases(t *testing.T) {
	requireRoot(t)
	p, err := newUIDPool(Config{PoolUIDs: "62960-62961", PoolDir: filepath.Join(t.TempDir(), "pool")})
	if err != nil {
		t.Fatal(err)
	}
	live := t.TempDir()
	a, err := p.acquire("task-a", live)
	if err != nil || a != 62960 {
		t.Fatalf("first lease: %d %v", a, err)
	}
	if again, err := p.acquire("task-a", live); err != nil || again != a {
		t.Errorf("the same task asking again: %d %v, want %d", again, err, a)
	}
	gone := filepath.Join(t.TempDir(), "collected")
	b, err := p.acquire("task-b", gone)
	if err != nil || b != 62961 {
		t.Fatalf("second lease: %d %v", b, err)
	}
	// task-b's directory never existed: its lease is stale, and the uid
	// goes to the next task; task-a's is live.
	c, err := p.acquire("task-c", live)
	if err != nil || c != b {
		t.Errorf("stale lease: got %d %v, want uid %d back", c, err, b)
	}
	if _, err := p.acquire("task-d", live); err == nil || !strings.Contains(err.Error(), "no free uid") {
		t.Errorf("a full pool: %v", err)
	}
	if err := p.finish(a, "task-b", nil); err != nil {
		t.Fatal(err)
	}
	if l, err := p.read(a); err != nil || l.TaskID != "task-a" {
		t.Errorf("another task's finish freed uid %d: %+v %v", a, l, err)
	}
	if err := p.finish(a, "task-a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := p.read(a); err == nil {
		t.Errorf("uid %d still leased after its task finished", a)
	}
	// nobody's uid is an account's: never leased.
	q, err := newUIDPool(Config{PoolUIDs: "65534-65534", PoolDir: filepath.Join(t.TempDir(), "pool")})
	if err != nil {
		t.Fatal(err)
	}
	if uid, err := q.acquire("task-e", live); err == nil {
		t.Errorf("leased uid %d, which belongs to an account", uid)
	}
}

// BenchmarkScrub is the clean-up after a pool job that left nothing: the
// sweep of the scratch directories and the System V IPC tables.
func BenchmarkScrub(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	for i := 0; i < b.N; i++ {
		if !scrub(62999) {
			b.Fatal("processes of uid 62999 survive")
		}
	}
}

// TestScrubLeavesNothingTooDeep: a tree deeper than the sweep goes is
// not left behind for the uid's next job (old code left it the uid's).
func TestScrubLeavesNothingTooDeep(t *testing.T) {
	requireRoot(t)
	const uid = 62997
	scratch := t.TempDir()
	saved := scratchDirs
	scratchDirs = []string{scratch}
	t.Cleanup(func() { scratchDirs = saved })
	top := filepath.Join(scratch, "deep")
	p := top
	for i := 0; i < maxSweepDepth+8; i++ {
		if err := os.Mkdir(p, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
		p = filepath.Join(p, "d")
	}
	if !scrub(uid) {
		t.Fatal("processes survive")
	}
	fi, err := os.Lstat(top)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("%s left with owner %d, mode %v: the uid's next job finds it", top, st.Uid, fi.Mode())
	}
}

// TestPoolFinishTakesBackStepsDir: srun's steps directory, beside the task
// directory, goes back to root with the task's files (old code left it the
// uid's, reachable by the uid's next job).
func TestPoolFinishTakesBackStepsDir(t *testing.T) {
	requireRoot(t)
	saved := scratchDirs
	scratchDirs = nil // the test's directories are below /tmp
	t.Cleanup(func() { scratchDirs = saved })
	conf := Config{RunAs: RunAsPool, PoolUIDs: "62950-62950", PoolDir: filepath.Join(t.TempDir(), "pool")}
	pool, err := newUIDPool(conf)
	if err != nil {
		t.Fatal(err)
	}
	d := &Driver{pool: pool, logger: hclog.NewNullLogger()}
	cfg := &drivers.TaskConfig{ID: "task-steps", Name: "batch", AllocDir: t.TempDir()}
	uid, err := pool.acquire(cfg.ID, cfg.TaskDir().Dir)
	if err != nil {
		t.Fatal(err)
	}
	steps := jobdir.Layout{TaskDir: cfg.TaskDir().Dir}.StepsDir()
	if err := os.MkdirAll(steps, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(steps, uid, uid); err != nil {
		t.Fatal(err)
	}
	d.poolFinisher(uid, cfg)()
	fi, err := os.Lstat(steps)
	if err != nil {
		t.Fatal(err)
	}
	if owner := fi.Sys().(*syscall.Stat_t).Uid; owner != 0 {
		t.Errorf("%s still belongs to uid %d after the job", steps, owner)
	}
}
