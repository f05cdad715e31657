package nomadagent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/nomad/api"
)

// Files in Config.Dir.
const (
	ConfigFile = "agent.hcl"
	ExtraFile  = "extra.hcl"
	LogFile    = "agent.log"
	DataDir    = "data"
)

// startedLine is what `nomad agent` prints once its HTTP listeners are bound.
const startedLine = "Nomad agent started!"

// ErrExited is returned (wrapped) when the agent process exits before it is
// ready.
var ErrExited = errors.New("nomad agent exited")

// Agent is a running Nomad agent process. Its address, ports, directory and
// node stay the same across Restart. Its methods are safe for concurrent use.
type Agent struct {
	cfg       Config
	role      role
	ports     ports
	servers   []string    // RPC addresses a client-only agent joins
	serverAPI *api.Client // the server a client-only agent joined
	api       *api.Client

	mu        sync.Mutex
	proc      *process // nil while not running
	orphans   []proc   // tasks left running by Crash or Restart
	nodeID    string
	nodeIndex uint64 // the node's ModifyIndex when last seen ready
}

// process is one run of the agent binary.
type process struct {
	role    role // what this run serves; a dev agent may first run as a server
	cmd     *exec.Cmd
	started chan struct{} // closed when startedLine was printed
	done    chan struct{} // closed when the process has exited
	err     error         // cmd.Wait's result, set before done is closed
	logDone chan struct{} // closed when its output reached EOF
}

// StartDev starts one agent that is both server and client, as `nomad agent
// -dev` does (loopback, one node), but with its state in cfg.Dir so that
// Restart keeps jobs and the node. It returns once a leader is elected, the
// keyring is ready and the node is ready with cfg.Drivers healthy.
func StartDev(ctx context.Context, cfg Config) (*Agent, error) {
	return start(ctx, roleDev, cfg, nil, nil)
}

// StartServer starts a server-only agent (bootstrap_expect = 1) and returns
// once it is the leader and its keyring is ready. Clients join it with
// StartClient.
func StartServer(ctx context.Context, cfg Config) (*Agent, error) {
	return start(ctx, roleServer, cfg, nil, nil)
}

// StartClient starts a client-only agent that joins server and returns once
// its node is ready with cfg.Drivers healthy. Each client needs its own Dir
// and Name.
func StartClient(ctx context.Context, server *Agent, cfg Config) (*Agent, error) {
	if server == nil || !server.role.server() {
		return nil, errors.New("nomadagent: StartClient needs a server agent")
	}
	return start(ctx, roleClient, cfg, []string{server.RPCAddr()}, server.api)
}

// StartJoin starts a client-only agent that joins the Nomad servers at
// servers (their RPC addresses, host:port), which another process or
// machine runs: `hpcbridge agent` joins the servers a join token's answer
// names. It returns once the node is ready with cfg.Drivers healthy. Stop
// stops the client alone; the servers are not this package's.
func StartJoin(ctx context.Context, servers []string, cfg Config) (*Agent, error) {
	if len(servers) == 0 {
		return nil, errors.New("nomadagent: StartJoin needs the servers' RPC addresses")
	}
	for _, s := range servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return nil, fmt.Errorf("nomadagent: server %q: want host:port: %w", s, err)
		}
	}
	return start(ctx, roleClient, cfg, slices.Clone(servers), nil)
}

// start starts an agent of role r; a client-only agent joins servers
// (their RPC addresses), and serverAPI, when not nil, is a server's API.
func start(ctx context.Context, r role, cfg Config, servers []string, serverAPI *api.Client) (*Agent, error) {
	// Free ports are found by binding and releasing them, so another
	// process can take one before Nomad binds it: try again with new ones.
	const attempts = 3
	for i := 1; ; i++ {
		p, err := freePorts()
		if err != nil {
			return nil, err
		}
		c, err := cfg.withDefaults(r, p)
		if err != nil {
			return nil, err
		}
		a := &Agent{cfg: c, role: r, ports: p}
		a.servers, a.serverAPI = servers, serverAPI
		if a.api, err = api.NewClient(&api.Config{Address: a.Addr(), Region: c.Region}); err != nil {
			return nil, fmt.Errorf("nomadagent: %w", err)
		}
		a.mu.Lock()
		err = a.launch(ctx)
		a.mu.Unlock()
		if err == nil {
			return a, nil
		}
		if i == attempts || !errors.Is(err, errPortInUse) {
			return nil, err
		}
	}
}

var errPortInUse = errors.New("a port was taken")

// freePorts picks three free TCP ports on 127.0.0.1.
func freePorts() (ports, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var n [3]int
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("nomadagent: finding a free port: %w", err)
		}
		ls = append(ls, l)
		n[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports{HTTP: n[0], RPC: n[1], Serf: n[2]}, nil
}

// Name is the agent's name (the client's node name).
func (a *Agent) Name() string { return a.cfg.Name }

// Config is the agent's configuration with defaults filled in.
func (a *Agent) Config() Config { return a.cfg }

// Addr is the HTTP API address, http://127.0.0.1:<port>.
func (a *Agent) Addr() string { return "http://127.0.0.1:" + strconv.Itoa(a.ports.HTTP) }

// UIURL is the address of the web UI.
func (a *Agent) UIURL() string { return a.Addr() + "/ui/" }

// RPCAddr is the server RPC address clients join, 127.0.0.1:<port>.
func (a *Agent) RPCAddr() string { return "127.0.0.1:" + strconv.Itoa(a.ports.RPC) }

// API is a client of this agent's HTTP API.
func (a *Agent) API() *api.Client { return a.api }

// Dir is the agent's directory (Config.Dir).
func (a *Agent) Dir() string { return a.cfg.Dir }

// LogPath is the file that holds everything the agent printed.
func (a *Agent) LogPath() string { return filepath.Join(a.cfg.Dir, LogFile) }

// NodeID is the client's node ID, or "" for a server-only agent.
func (a *Agent) NodeID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nodeID
}

// PID is the agent's process id, or 0 while it is not running.
func (a *Agent) PID() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.proc == nil {
		return 0
	}
	return a.proc.cmd.Process.Pid
}

// Exited returns a channel that is closed when the agent process running
// now exits, for whatever reason (a nil channel, which never fires, while
// none runs). `hpcbridge dev` watches it to notice a Nomad that died.
func (a *Agent) Exited() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.proc == nil {
		return nil
	}
	return a.proc.done
}

// LogTail returns the last n lines of the agent's log.
func (a *Agent) LogTail(n int) string {
	b, err := os.ReadFile(a.LogPath())
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	b = bytes.TrimRight(b, "\n")
	i := len(b)
	for ; n > 0 && i > 0; n-- {
		i = bytes.LastIndexByte(b[:i], '\n')
		if i < 0 {
			i = 0
		}
	}
	return strings.TrimLeft(string(b[i:]), "\n")
}

// launch starts the agent and waits until it is ready. a.mu is held.
//
// A dev agent whose data dir holds no Raft snapshot first runs as a server
// alone until its keyring exists, and stops with a snapshot. Otherwise its
// own client registers before the new leader has a key to sign (first
// start) or to check (restart from the log alone) the node's identity, and
// waits out Nomad's 15-30 s registration retry (`nomad agent -dev` retries
// every second, but keeps its state in memory).
func (a *Agent) launch(ctx context.Context) error {
	if a.role == roleDev && !a.hasSnapshot() {
		if err := a.run(ctx, roleServer); err != nil {
			return err
		}
		a.interrupt()
	}
	return a.run(ctx, a.role)
}

// hasSnapshot reports whether the server's Raft data holds a snapshot
// (Nomad keeps them in data/server/raft/snapshots/<id>/meta.json).
func (a *Agent) hasSnapshot() bool {
	m, _ := filepath.Glob(filepath.Join(a.cfg.Dir, DataDir, "server", "raft", "snapshots", "*", "meta.json"))
	return len(m) > 0
}

// run writes the configuration for role r, starts the process and waits
// until it is ready. a.mu is held.
func (a *Agent) run(ctx context.Context, r role) error {
	dataDir := filepath.Join(a.cfg.Dir, DataDir)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("nomadagent: %w", err)
	}
	args, err := a.writeConfig(r)
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(a.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("nomadagent: %w", err)
	}
	fmt.Fprintf(logf, "==> nomadagent: %s: %s %s (%s)\n", time.Now().Format(time.RFC3339), a.cfg.Binary, strings.Join(args, " "), r)
	pr, pw, err := os.Pipe()
	if err != nil {
		logf.Close()
		return fmt.Errorf("nomadagent: %w", err)
	}
	cmd := exec.Command(a.cfg.Binary, args...)
	cmd.SysProcAttr = sysProcAttr()
	if a.cfg.Hostname != "" {
		if cmd, err = withHostname(cmd, a.cfg.Hostname); err != nil {
			pr.Close()
			pw.Close()
			logf.Close()
			return err
		}
	}
	cmd.Dir = a.cfg.Dir
	cmd.Env = append(os.Environ(), a.cfg.Env...)
	cmd.Stdout, cmd.Stderr = pw, pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		logf.Close()
		return fmt.Errorf("nomadagent: starting %s: %w", a.cfg.Binary, err)
	}
	p := &process{role: r, cmd: cmd, started: make(chan struct{}), done: make(chan struct{}), logDone: make(chan struct{})}
	go p.copyLog(pr, logf)
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	a.proc = p
	if err := a.waitReady(ctx, p); err != nil {
		killTree(cmd.Process.Pid)
		<-p.done
		// An agent that failed on its own (a plugin's config refused)
		// may have left plugins it had started; but not when tasks of an
		// earlier run wait to be re-attached (Crash, then Restart): their
		// executors look the same, and a later Restart may still succeed.
		if len(a.orphans) == 0 {
			a.killStrays()
		}
		p.flushLog()
		a.proc = nil
		return fmt.Errorf("nomadagent: %s agent %q (%s) not ready: %w\n--- last lines of %s ---\n%s",
			r, a.cfg.Name, a.Addr(), err, a.LogPath(), a.LogTail(40))
	}
	return nil
}

// writeConfig writes agent.hcl for role r (and extra.hcl) and returns the
// agent's command-line arguments.
func (a *Agent) writeConfig(r role) ([]string, error) {
	text, err := a.cfg.render(r, a.ports, a.servers, loopbackInterface())
	if err != nil {
		return nil, err
	}
	main := filepath.Join(a.cfg.Dir, ConfigFile)
	if err := os.WriteFile(main, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("nomadagent: %w", err)
	}
	args := []string{"agent", "-config", main}
	extra := filepath.Join(a.cfg.Dir, ExtraFile)
	if a.cfg.ExtraHCL == "" {
		if err := os.Remove(extra); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("nomadagent: %w", err)
		}
		return args, nil
	}
	if err := os.WriteFile(extra, []byte(a.cfg.ExtraHCL), 0o644); err != nil {
		return nil, fmt.Errorf("nomadagent: %w", err)
	}
	return append(args, "-config", extra), nil
}

// copyLog copies the agent's output to its log file and closes started at
// the line that says the agent is listening.
func (p *process) copyLog(r io.ReadCloser, logf *os.File) {
	defer close(p.logDone)
	defer logf.Close()
	defer r.Close()
	br := bufio.NewReader(r)
	seen := false
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			_, _ = logf.Write(line)
			if !seen && bytes.Contains(line, []byte(startedLine)) {
				seen = true
				close(p.started)
			}
		}
		if err != nil {
			return
		}
	}
}

// exitError describes how the process ended; call after done is closed.
func (p *process) exitError() error {
	if p.err != nil {
		return fmt.Errorf("%w: %v", ErrExited, p.err)
	}
	return fmt.Errorf("%w with status 0", ErrExited)
}

// Stop stops the agent and everything it started: SIGINT, SIGKILL after
// Config.StopGrace, then SIGKILL for the executors, plugins and tasks left
// behind (Nomad leaves tasks running when a client stops), also those of an
// agent that died on its own (strays), and unmounts what Nomad mounted
// under Dir so that Dir can be removed. It may be called on an agent that
// is not running (after Kill) to clean up.
func (a *Agent) Stop() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.proc != nil {
		a.interrupt()
	}
	for _, p := range a.orphans {
		killProc(p)
	}
	a.orphans = nil
	a.killStrays()
	removeCgroups(filepath.Join(a.cfg.Dir, DataDir, "alloc"))
	if err := unmountUnder(filepath.Join(a.cfg.Dir, DataDir)); err != nil {
		return fmt.Errorf("nomadagent: stopping %q: %w", a.cfg.Name, err)
	}
	return nil
}

// killStrays kills what an agent that died on its own left behind
// (strays) and everything below it.
func (a *Agent) killStrays() {
	dir := a.cfg.Dir
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		dir = r
	}
	for _, pid := range strays(dir, a.executables()) {
		killTree(pid)
	}
}

// executables are the files Nomad runs its helpers and plugins from: the
// nomad binary and every file in the plugin dir, with links resolved as
// /proc shows them.
func (a *Agent) executables() []string {
	files := []string{a.cfg.Binary}
	if a.cfg.PluginDir != "" {
		ents, _ := os.ReadDir(a.cfg.PluginDir)
		for _, e := range ents {
			files = append(files, filepath.Join(a.cfg.PluginDir, e.Name()))
		}
	}
	var out []string
	for _, f := range files {
		if abs, err := filepath.Abs(f); err == nil {
			if r, err := filepath.EvalSymlinks(abs); err == nil {
				out = append(out, r)
			}
		}
	}
	return out
}

// interrupt sends SIGINT and waits up to StopGrace for the agent to exit,
// then kills it. A server first takes a Raft snapshot. The processes below
// the agent, which outlive it, are added to a.orphans. a.mu is held and
// a.proc is set.
func (a *Agent) interrupt() {
	p := a.proc
	a.proc = nil
	a.orphans = append(a.orphans, descendants(p.cmd.Process.Pid)...)
	if p.role.server() {
		a.snapshot()
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	t := time.NewTimer(a.cfg.StopGrace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		a.note("did not exit %v after SIGINT; killing it", a.cfg.StopGrace)
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
	p.flushLog()
}

// flushLog waits until the exited agent's last output is in its log file,
// or a second at most: a leftover process may still hold the pipe.
func (p *process) flushLog() {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-p.logDone:
	case <-t.C:
	}
}

// snapshot makes the server write a Raft snapshot, so that its next start
// restores the state, keyring included, before it serves RPCs. Otherwise
// the state comes back only from the log, after the election: a client
// that re-registers in between (the dev agent's own, at once) has its node
// identity refused for want of the key and waits out Nomad's 15-30 s
// registration retry. Failures only cost that wait.
func (a *Agent) snapshot() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := a.api.Operator().Snapshot((&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		a.note("no Raft snapshot before stopping: %v", err)
		return
	}
	defer r.Close()
	if _, err := io.Copy(io.Discard, r); err != nil {
		a.note("no Raft snapshot before stopping: %v", err)
	}
}

// note appends a line of this package's own to the agent's log.
func (a *Agent) note(format string, args ...any) {
	f, err := os.OpenFile(a.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "==> nomadagent: %s: %s\n", time.Now().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

// Kill SIGKILLs the agent and every process below it (plugins, executors,
// tasks), as if its machine had died. Dir is kept: Restart brings the same
// node back. Stop still cleans up afterwards.
func (a *Agent) Kill() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p := a.detach("kill: SIGKILL to the agent and every process below it"); p != nil {
		killTree(p.cmd.Process.Pid)
		<-p.done
	}
}

// Crash SIGKILLs the agent process alone, as if it had crashed: its tasks
// keep running and a Restart re-attaches to them.
func (a *Agent) Crash() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p := a.detach("crash: SIGKILL to the agent alone"); p != nil {
		a.orphans = append(a.orphans, descendants(p.cmd.Process.Pid)...)
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// detach forgets the running process, noting why in the log, and returns
// it, or nil when none runs. a.mu is held.
func (a *Agent) detach(why string) *process {
	p := a.proc
	if p != nil {
		a.proc = nil
		a.note("%s", why)
	}
	return p
}

// Restart stops a running agent as an operator would (SIGINT; its tasks
// keep running), starts it again with the same Dir, ports and name, and
// waits until it is ready as the first start did. It also brings back an
// agent after Kill or Crash.
func (a *Agent) Restart(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.role.client() {
		a.nodeIndex = max(a.nodeIndex, a.currentNodeIndex(ctx))
	}
	if a.proc != nil {
		a.interrupt()
	}
	return a.launch(ctx)
}
