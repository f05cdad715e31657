package stepd

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/stepnet"
)

// maxConns bounds the step service's connections at once (pings and
// steps); more wait in the kernel's backlog.
const maxConns = 64

// stepServer is a node's step service: srun's launches (and the other
// nodes' pings) arrive here over TLS authenticated by the job run's step
// key. Tasks run as this node's run-as user for the job (the config's ids,
// never anything a request names), through the exec trampoline, children of
// stepd and so in the job's cgroups.
type stepServer struct {
	cfg      *jobdir.StepdConfig
	tlsConf  *tls.Config
	ln       net.Listener
	oomScore string
	log      io.Writer

	slots chan struct{}
	wg    sync.WaitGroup

	mu     sync.Mutex
	closed bool
	// env is this node's job environment (KEY=value): what a task gets
	// for the variables that differ between nodes. setEnv completes it
	// once the job's nodes are known, while steps may already arrive.
	env   []string
	steps map[*servedStep]bool
	// ended gets a value (if none is waiting) whenever a step ends.
	ended chan struct{}
}

// newStepServer listens on addr with the identity of auth.
func newStepServer(cfg *jobdir.StepdConfig, auth *stepnet.Auth, addr string, log io.Writer) (*stepServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("step service: listen on %s: %w", addr, err)
	}
	return &stepServer{
		cfg:     cfg,
		tlsConf: auth.ServerConfig(),
		ln:      ln,
		env:     cfg.Env,
		log:     log,
		slots:   make(chan struct{}, maxConns),
		steps:   map[*servedStep]bool{},
		ended:   make(chan struct{}, 1),
	}, nil
}

// setEnv sets this node's job environment (see env).
func (s *stepServer) setEnv(env []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.env = env
}

// start runs the accept loop; close ends it.
func (s *stepServer) start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.accept()
	}()
}

func (s *stepServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			fmt.Fprintf(s.log, "hpcbridge stepd: step service: accept: %v\n", err)
			time.Sleep(100 * time.Millisecond) // EMFILE and the like
			continue
		}
		s.slots <- struct{}{}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.slots }()
			defer c.Close()
			s.handle(c)
		}()
	}
}

// handle serves one connection: the handshake and first frame within
// HandshakeTimeout, then a ping's answer or one step.
func (s *stepServer) handle(raw net.Conn) {
	_ = raw.SetDeadline(time.Now().Add(stepnet.HandshakeTimeout))
	c := tls.Server(raw, s.tlsConf)
	if err := c.Handshake(); err != nil {
		fmt.Fprintf(s.log, "hpcbridge stepd: step service: refused %s: %v\n", raw.RemoteAddr(), err)
		return
	}
	f, err := stepnet.ReadFrame(c)
	if err != nil {
		return
	}
	_ = raw.SetDeadline(time.Time{})
	w := stepnet.NewConn(c)
	switch f.Kind {
	case stepnet.KindPing:
		_ = w.WriteJSON(stepnet.KindPong, 0, stepnet.Pong{Node: s.cfg.Node, Job: s.cfg.JobID})
	case stepnet.KindLaunch:
		var l stepnet.Launch
		if err := f.Decode(&l); err != nil {
			_ = w.WriteJSON(stepnet.KindLaunched, 0, stepnet.Launched{Error: err.Error()})
			return
		}
		s.runStep(c, w, &l)
	}
}

// runStep starts a launch's tasks, relays their streams, signals and exits
// until every task ended, then says Done. When srun goes away first, the
// step's tasks are killed.
func (s *stepServer) runStep(c *tls.Conn, w *stepnet.Conn, l *stepnet.Launch) {
	st, err := s.startStep(w, l)
	if err != nil {
		_ = w.WriteJSON(stepnet.KindLaunched, 0, stepnet.Launched{Error: err.Error()})
		return
	}
	if !s.track(st, true) {
		st.signal(syscall.SIGKILL)
	}
	defer s.track(st, false)
	_ = w.WriteJSON(stepnet.KindLaunched, 0, stepnet.Launched{})
	close(st.ready) // the tasks' output and exits may follow
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		st.readControl(c)
	}()
	st.wait()
	_ = w.Write(stepnet.KindDone, 0, nil)
	_ = c.CloseWrite()
	// srun closes its end after Done; a peer that does not is cut off.
	_ = c.SetReadDeadline(time.Now().Add(drainWait))
	<-readerDone
}

// track adds (or removes) a running step; it refuses new ones once the
// service is closing.
func (s *stepServer) track(st *servedStep, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.steps, st)
		select {
		case s.ended <- struct{}{}:
		default:
		}
		return true
	}
	s.steps[st] = true
	return !s.closed
}

// signalAll sends sig to every task of every step running on this node
// (the driver's "steps" signals, a stop).
func (s *stepServer) signalAll(sig syscall.Signal) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for st := range s.steps {
		st.signal(sig)
	}
}

// busy reports whether steps run on this node.
func (s *stepServer) busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.steps) > 0
}

// idle signals that a step ended (look at busy).
func (s *stepServer) idle() <-chan struct{} { return s.ended }

// close stops accepting, kills every task still running and waits for
// every connection's goroutines.
func (s *stepServer) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	_ = s.ln.Close()
	s.signalAll(syscall.SIGKILL)
	s.wg.Wait()
}

// servedStep is one launch on this node.
type servedStep struct {
	w     *stepnet.Conn
	node  string
	tasks []*servedTask
	// copiers copy the tasks' output to the connection.
	// ready is closed once the launch was answered: nothing of the
	// tasks is sent before (discard: the launch failed, nothing is).
	ready   chan struct{}
	discard bool
	copiers sync.WaitGroup
	waiters sync.WaitGroup
	// feeders write srun's stdin to the tasks (feed).
	feeders sync.WaitGroup
}

// stdinQueue bounds the stdin frames queued for one task (each at most
// stepnet.MaxStdin bytes, 4 MiB in all): beyond it (a task that does not
// read its stdin) the step's control reader waits.
const stdinQueue = 128

// servedTask is one task of a served step: the leader of a session of its
// own (its pid numbers its session and process group).
type servedTask struct {
	rank  int
	cmd   *exec.Cmd
	stdin *os.File
	// in queues srun's stdin for the task (nil: none), so that a task
	// that does not read it never holds up the step's signals.
	in chan []byte

	mu     sync.Mutex
	reaped bool
	// inClosed is set (under mu) once in is closed.
	inClosed bool
}

// feed writes the queued stdin to the task until the queue is closed;
// once a write fails (the task ended, or closed its stdin) the rest is
// discarded.
func (t *servedTask) feed() {
	failed := false
	for b := range t.in {
		if !failed {
			_, err := t.stdin.Write(b)
			failed = err != nil
		}
	}
	t.stdin.Close()
}

// queueIn queues stdin for the task, or closes its queue (eof).
func (t *servedTask) queueIn(b []byte, eof bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.in == nil || t.inClosed {
		return
	}
	if eof {
		t.inClosed = true
		close(t.in)
		return
	}
	t.in <- b // the feeder drains the queue whatever happens to the task
}

// startStep checks a launch and starts its tasks.
func (s *stepServer) startStep(w *stepnet.Conn, l *stepnet.Launch) (*servedStep, error) {
	if err := s.checkLaunch(l); err != nil {
		return nil, err
	}
	// The task starts in the node's task directory and, as the job's
	// user, changes to srun's (proc.EnvTaskCwd), which may not exist or
	// not be the user's on this node.
	cwd := s.cfg.TaskDir
	st := &servedStep{w: w, node: s.cfg.Node, ready: make(chan struct{})}
	s.mu.Lock()
	nodeEnv := s.env
	s.mu.Unlock()
	for _, t := range l.Tasks {
		task, err := s.startTask(st, t, cwd, stagedCwd(nodeEnv, t.Env, l.Cwd), l.SrunBin)
		if err != nil {
			st.discard = true
			close(st.ready)
			st.signal(syscall.SIGKILL)
			st.reapAll()
			st.wait()
			return nil, fmt.Errorf("%s: task %d: %s", proc.StepdName(s.cfg.Node), t.Rank, startHint(err))
		}
		st.tasks = append(st.tasks, task)
	}
	st.reapAll()
	return st, nil
}

// reapAll starts waiting for every task (reap).
func (st *servedStep) reapAll() {
	for _, t := range st.tasks {
		st.waiters.Add(1)
		go func() {
			defer st.waiters.Done()
			st.reap(t)
		}()
	}
}

// send sends a frame of the tasks' once the launch was answered.
func (st *servedStep) send(k stepnet.Kind, rank int, data []byte) {
	<-st.ready
	if !st.discard {
		_ = st.w.Write(k, rank, data)
	}
}

// checkLaunch bounds a launch and checks that it is for this job.
func (s *stepServer) checkLaunch(l *stepnet.Launch) error {
	switch {
	case l.Job != s.cfg.JobID:
		return fmt.Errorf("launch for job %q on a node of job %s", l.Job, s.cfg.JobID)
	case len(l.Tasks) == 0 || len(l.Tasks) > stepnet.MaxTasksPerNode:
		return fmt.Errorf("a launch has 1 to %d tasks per node, not %d", stepnet.MaxTasksPerNode, len(l.Tasks))
	}
	seen := map[int]bool{}
	for _, t := range l.Tasks {
		if len(t.Argv) == 0 || len(t.Argv) > stepnet.MaxArgs || t.Rank < 0 || seen[t.Rank] {
			return fmt.Errorf("task %d: bad rank or command", t.Rank)
		}
		seen[t.Rank] = true
	}
	return nil
}

// startTask starts one task as the node's run-as user, its streams piped
// to the connection.
func (s *stepServer) startTask(st *servedStep, t stepnet.Task, cwd, wantDir, srunBin string) (*servedTask, error) {
	c := s.cfg
	cmd := &exec.Cmd{
		Path:        c.Exec,
		Env:         s.taskEnv(t.Env, srunBin),
		Dir:         cwd,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if wantDir != "" {
		cmd.Env = append(cmd.Env, proc.EnvTaskCwd+"="+wantDir)
	} else {
		cmd.Env = withEnv(cmd.Env, "PWD", cwd)
	}
	closePayload, err := viaTrampoline(c, cmd, proc.ExecTask, "", s.oomScore, t.Argv, c.Groups)
	if err != nil {
		return nil, err
	}
	defer closePayload()
	task := &servedTask{rank: t.Rank, cmd: cmd}
	var childEnds []*os.File
	defer func() {
		for _, f := range childEnds {
			f.Close()
		}
	}()
	if t.Stdin {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		cmd.Stdin, task.stdin = r, w
		childEnds = append(childEnds, r)
	}
	var outs []*os.File
	for _, o := range []struct {
		want bool
		dst  *io.Writer
		kind stepnet.Kind
	}{{t.Stdout, &cmd.Stdout, stepnet.KindStdout}, {t.Stderr, &cmd.Stderr, stepnet.KindStderr}} {
		if !o.want {
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		*o.dst = w
		childEnds = append(childEnds, w)
		outs = append(outs, r)
		kind := o.kind
		st.copiers.Add(1)
		go func() {
			defer st.copiers.Done()
			defer r.Close()
			st.copyOut(r, kind, t.Rank)
		}()
	}
	if err := cmd.Start(); err != nil {
		for _, r := range outs {
			r.Close()
		}
		if task.stdin != nil {
			task.stdin.Close()
		}
		return nil, err
	}
	if task.stdin != nil {
		task.in = make(chan []byte, stdinQueue)
		st.feeders.Add(1)
		go func() {
			defer st.feeders.Done()
			task.feed()
		}()
	}
	return task, nil
}

// taskEnv is a task's environment: srun's choice, with what differs
// between nodes (the node's name, its directories, Nomad's variables)
// taken from this node's job environment.
func (s *stepServer) taskEnv(env []string, srunBin string) []string {
	local := map[string]string{}
	s.mu.Lock()
	nodeEnv := s.env
	s.mu.Unlock()
	for _, kv := range nodeEnv {
		k, v, _ := strings.Cut(kv, "=")
		if nodeLocal(k) || (k == "HOME" && v == s.cfg.TaskDir) ||
			(k == "SLURM_SUBMIT_DIR" && lookupEnv(nodeEnv, envSubmitDirOrigin) != "") {
			local[k] = v
		}
	}
	bin := filepath.Dir(s.cfg.Exec)
	out := make([]string, 0, len(env)+len(local))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := local[k]; ok || strings.HasPrefix(k, "NOMAD_") {
			continue
		}
		if k == "PATH" && srunBin != "" {
			v = replacePathEntry(v, srunBin, bin)
			kv = k + "=" + v
		}
		out = append(out, kv)
	}
	for k, v := range local {
		out = append(out, k+"="+v)
	}
	return out
}

// envSubmitDirOrigin is taskdriver.EnvSubmitDirOrigin: set in a staged
// job's environment, where SLURM_SUBMIT_DIR is each node's own restored
// copy of the submit directory (at a different path on every node).
const envSubmitDirOrigin = "HPCBRIDGE_SUBMIT_DIR_ORIGIN"

// stagedCwd is the directory a remote task of a staged job changes to:
// srun's working directory, moved from the calling node's copy of the
// submit directory (its SLURM_SUBMIT_DIR, in the task's environment) into
// this node's copy. Any other directory is kept.
func stagedCwd(nodeEnv, taskEnv []string, dir string) string {
	if dir == "" || lookupEnv(nodeEnv, envSubmitDirOrigin) == "" {
		return dir
	}
	own, caller := lookupEnv(nodeEnv, "SLURM_SUBMIT_DIR"), lookupEnv(taskEnv, "SLURM_SUBMIT_DIR")
	if own == "" || caller == "" || !filepath.IsAbs(caller) {
		return dir
	}
	rel, err := filepath.Rel(filepath.Clean(caller), filepath.Clean(dir))
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return dir
	}
	return filepath.Join(own, rel)
}

// lookupEnv is NAME's last value in a "NAME=value" list ("" when unset).
func lookupEnv(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// nodeLocal names the job variables whose value is this node's.
func nodeLocal(k string) bool {
	switch k {
	case "SLURMD_NODENAME", "HOSTNAME", "SLURM_TOPOLOGY_ADDR", jobdir.EnvStepsDir,
		"SLURM_JOB_UID", "SLURM_JOB_GID", "TMPDIR":
		return true
	}
	return strings.HasPrefix(k, "NOMAD_")
}

// replacePathEntry replaces the PATH entry from with to.
func replacePathEntry(path, from, to string) string {
	parts := strings.Split(path, ":")
	for i, p := range parts {
		if p == from {
			parts[i] = to
		}
	}
	return strings.Join(parts, ":")
}

// copyOut sends a task's stream to srun in frames.
func (st *servedStep) copyOut(r *os.File, kind stepnet.Kind, rank int) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			st.send(kind, rank, buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// reap waits for a task's end: once its leader exited, what it left in
// its session is killed (its output pipes close), then it is reaped and
// its status sent.
func (st *servedStep) reap(t *servedTask) {
	pid := t.cmd.Process.Pid
	_, _ = proc.WaitExited(pid)
	killSession(pid, syscall.SIGKILL)
	_ = t.cmd.Wait()
	t.mu.Lock()
	t.reaped = true
	t.mu.Unlock()
	if t.stdin != nil {
		t.stdin.Close() // a feeder blocked in a write returns
	}
	t.queueIn(nil, true)
	ws := t.cmd.ProcessState.Sys().(syscall.WaitStatus)
	b, _ := json.Marshal(stepnet.Exit{Status: int(ws)})
	st.send(stepnet.KindExit, t.rank, b)
}

// wait waits for every task and its output (bounded: a process that left
// the task's session may hold a pipe).
func (st *servedStep) wait() {
	st.waiters.Wait()
	st.feeders.Wait() // every task ended: their queues are closed
	done := make(chan struct{})
	go func() { st.copiers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainWait):
		<-done // the copiers end when the holders die with the job
	}
}

// signal sends sig to every task's process group that is not reaped.
func (st *servedStep) signal(sig syscall.Signal) {
	for _, t := range st.tasks {
		t.mu.Lock()
		if !t.reaped {
			_ = syscall.Kill(-t.cmd.Process.Pid, sig)
			if sig == syscall.SIGKILL {
				killSession(t.cmd.Process.Pid, sig)
			}
		}
		t.mu.Unlock()
	}
}

// readControl serves srun's stdin and signal frames until the connection
// ends; if it ends before the step did (srun is gone), the tasks die.
func (st *servedStep) readControl(c io.Reader) {
	for {
		f, err := stepnet.ReadFrame(c)
		if err != nil || (f.Kind == stepnet.KindStdin && len(f.Data) > stepnet.MaxStdin) {
			// srun is gone, or does not keep to the protocol (a stdin
			// frame of a MiB, queued 128 times per task, in root's memory).
			st.signal(syscall.SIGKILL)
			return
		}
		switch f.Kind {
		case stepnet.KindStdin, stepnet.KindStdinEOF:
			st.stdin(f)
		case stepnet.KindSignal:
			var sig stepnet.Signal
			if f.Decode(&sig) == nil && sig.Signal > 0 && sig.Signal < 65 {
				st.signal(syscall.Signal(sig.Signal))
			}
		}
	}
}

// stdin queues a Stdin frame for its task, or ends the task's stdin.
func (st *servedStep) stdin(f stepnet.Frame) {
	for _, t := range st.tasks {
		if t.rank == f.Rank {
			t.queueIn(f.Data, f.Kind == stepnet.KindStdinEOF)
		}
	}
}

// killSession sends sig to every process in session sid.
func killSession(sid int, sig syscall.Signal) {
	procs, err := proc.List()
	if err != nil {
		return
	}
	_, _ = proc.Signal(proc.Filter(procs, proc.InSession(sid)), sig)
}
