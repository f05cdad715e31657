package srun

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/stepnet"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
)

// In a multi-node job srun launches every task, on its own node too,
// through the nodes' step services (stepd, root): it reads the job's nodes
// and step key from the file stepd handed it, lays the step out, sends
// each node its tasks, and relays stdin, output, signals and exits.

// maxStepNetFile bounds the file stepd hands srun.
const maxStepNetFile = 1 << 20

// readStepNet reads the job's step service hand-over, next to the steps
// directory; ok is false in a one-node job (no such file).
func readStepNet(stepsDir string) (sn *jobdir.StepNet, ok bool, err error) {
	path := jobdir.Layout{TaskDir: filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(stepsDir))), filepath.Base(filepath.Dir(stepsDir)))}.StepNetFile()
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("read the job's nodes: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxStepNetFile+1))
	if err == nil && len(b) > maxStepNetFile {
		err = errors.New("too large")
	}
	if err != nil {
		return nil, true, fmt.Errorf("read the job's nodes from %s: %w", path, err)
	}
	sn = &jobdir.StepNet{}
	if err := json.Unmarshal(b, sn); err != nil {
		return nil, true, fmt.Errorf("read the job's nodes from %s: %w", path, err)
	}
	if len(sn.Nodes) == 0 {
		return nil, true, fmt.Errorf("read the job's nodes from %s: no nodes", path)
	}
	return sn, true, nil
}

// remote is one node's connection of a step.
type remote struct {
	node  jobdir.NetNode
	index int // in the step
	conn  net.Conn
	w     *stepnet.Conn
	// failed is set when the node's connection broke before Done.
	failed bool
}

// multiStep is a running multi-node step.
type multiStep struct {
	*step
	sn      *jobdir.StepNet
	lay     layout
	remotes []*remote
	// per rank: the node's connection, and the task's streams.
	rankRemote []*remote
	cmds       []*exec.Cmd
	argv       [][]string

	mu       sync.Mutex
	statuses []syscall.WaitStatus
	exited   []bool
	killed   bool
}

// runMulti runs one step of a multi-node job.
func runMulti(o *options, job, stepsDir string, sn *jobdir.StepNet, stdin io.Reader, stdout, stderr io.Writer) int {
	ms, err := newMultiStep(o, job, sn)
	if err != nil {
		fmt.Fprintf(stderr, "srun: error: %v\n", err)
		return 1
	}
	if ms.id, err = jobdir.NextStepID(stepsDir); err != nil {
		fmt.Fprintf(stderr, "srun: error: Unable to create step for job %s: %v\n", job, err)
		return 1
	}
	writeStart(stepsDir, ms.id, o.stepName(), hostlist.Compress(ms.lay.names()), len(ms.lay.nodes), ms.ntasks)
	code, nodeFail := ms.run(stdin, stdout, stderr)
	writeEnd(stepsDir, ms.id, code, nodeFail)
	return code
}

// newMultiStep lays the step out and checks it fits the job's CPUs and
// GPUs on each node.
func newMultiStep(o *options, job string, sn *jobdir.StepNet) (*multiStep, error) {
	lay, err := planLayout(o, sn.Nodes, os.Getenv)
	if err != nil {
		return nil, err
	}
	st := &step{opts: o, job: job, node: sn.Self, nodeNames: lay.names()}
	for i, r := range lay.ranks {
		st.ntasks += len(r)
		for range r {
			st.rankNode = append(st.rankNode, i)
		}
	}
	st.cpus = o.cpusPerTask
	if st.cpus == 0 {
		st.cpus = envInt("SLURM_CPUS_PER_TASK", 1)
	}
	most := 0
	for _, c := range lay.counts() {
		most = max(most, c)
	}
	if have := sn.CPUsPerNode; have > 0 && !o.overcommit && most*st.cpus > have {
		return nil, fmt.Errorf("Unable to create step for job %s: More processors requested than permitted", job)
	}
	if st.gpus, err = planGPUs(o, most, job, os.Getenv); err != nil {
		return nil, err
	}
	ms := &multiStep{step: st, sn: sn, lay: lay}
	if o.multiProg {
		if ms.argv, err = multiProg(o.command[0], st.ntasks); err != nil {
			return nil, err
		}
	} else {
		for range st.ntasks {
			ms.argv = append(ms.argv, o.command)
		}
	}
	return ms, nil
}

// run launches the step on its nodes and relays it until every task ended.
// It returns srun's exit status and whether a node was lost.
func (ms *multiStep) run(stdin io.Reader, stdout, stderr io.Writer) (int, bool) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGCONT)
	defer signal.Stop(sigs)

	tio := newTaskIO(ms.ntasks, ms.opts.label, stdin, stdout, stderr)
	tio.unbuffered, tio.frames = ms.opts.unbuffered, true
	dir := ms.opts.chdir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	tio.redirect(ms.opts.input, ms.opts.output, ms.opts.errorPat, ms.fileVars, newStepFiles(dir, openAppend(ms.opts.openMode)))
	ms.cmds = make([]*exec.Cmd, ms.ntasks)
	for rank := range ms.cmds {
		ms.cmds[rank] = &exec.Cmd{} // holds the task's streams only
		if err := tio.attach(ms.cmds[rank], rank); err != nil {
			fmt.Fprintf(stderr, "srun: error: %v\n", err)
			tio.close()
			return 1, false
		}
	}
	// The stdin pipe ends a local task would hold are read here instead.
	ends, files := tio.childEnds, tio.files
	tio.childEnds, tio.files = nil, nil
	defer func() {
		for _, f := range ends {
			f.Close()
		}
		if files != nil {
			files.close()
		}
		tio.close()
	}()
	if err := ms.connect(dir); err != nil {
		fmt.Fprintf(stderr, "srun: error: %v\n", err)
		ms.hangUp()
		return 1, false
	}
	tio.started()
	ms.relay(sigs, ends)
	return ms.finish(stderr)
}

// connect dials every node of the step and launches its tasks; on any
// failure the nodes already launched are hung up (their stepd kills the
// tasks).
func (ms *multiStep) connect(dir string) error {
	key, err := hex.DecodeString(ms.sn.Key)
	if err != nil {
		return fmt.Errorf("the job's step key: %w", err)
	}
	auth, err := stepnet.NewAuth(key)
	if err != nil {
		return err
	}
	ms.rankRemote = make([]*remote, ms.ntasks)
	ms.statuses = make([]syscall.WaitStatus, ms.ntasks)
	ms.exited = make([]bool, ms.ntasks)
	for i, nd := range ms.lay.nodes {
		r := &remote{node: nd, index: i}
		ms.remotes = append(ms.remotes, r)
		for _, rank := range ms.lay.ranks[i] {
			ms.rankRemote[rank] = r
		}
	}
	errs := make([]error, len(ms.remotes))
	var wg sync.WaitGroup
	for i, r := range ms.remotes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ms.launchOn(auth, r, dir)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// launchOn sends node r its tasks and waits for its answer.
func (ms *multiStep) launchOn(auth *stepnet.Auth, r *remote, dir string) error {
	addr := net.JoinHostPort(r.node.Addr, strconv.Itoa(r.node.Port))
	c, err := stepnet.Dial(context.Background(), auth, addr)
	if err != nil {
		return fmt.Errorf("Unable to launch step %s.%d on node %s (%s): %w", ms.job, ms.id, r.node.Name, addr, err)
	}
	r.conn, r.w = c, stepnet.NewConn(c)
	l := stepnet.Launch{Job: ms.job, StepID: ms.id, Cwd: dir, SrunBin: ms.sn.BinDir}
	if dir == ms.sn.TaskDir {
		l.Cwd = "" // this node's task directory: each node's own
	}
	for _, rank := range ms.lay.ranks[r.index] {
		cmd := ms.cmds[rank]
		l.Tasks = append(l.Tasks, stepnet.Task{
			Rank: rank, Argv: ms.argv[rank], Env: ms.taskEnv(rank, r.index),
			Stdin: cmd.Stdin != nil, Stdout: cmd.Stdout != nil, Stderr: cmd.Stderr != nil,
		})
	}
	if err := r.w.WriteJSON(stepnet.KindLaunch, 0, l); err != nil {
		return fmt.Errorf("launch on node %s: %w", r.node.Name, err)
	}
	f, err := stepnet.ReadFrame(c)
	if err != nil {
		return fmt.Errorf("launch on node %s: %w", r.node.Name, err)
	}
	var ans stepnet.Launched
	if f.Kind != stepnet.KindLaunched || f.Decode(&ans) != nil {
		return fmt.Errorf("launch on node %s: unexpected answer", r.node.Name)
	}
	if ans.Error != "" {
		return fmt.Errorf("task launch failed on node %s: %s", r.node.Name, ans.Error)
	}
	return nil
}

// hangUp closes every node's connection.
func (ms *multiStep) hangUp() {
	for _, r := range ms.remotes {
		if r.conn != nil {
			r.conn.Close()
		}
	}
}

// relay copies the nodes' output and exits in, and srun's stdin and
// signals out, until every node is done (or lost).
func (ms *multiStep) relay(sigs <-chan os.Signal, ends []*os.File) {
	var readers sync.WaitGroup
	done := make(chan struct{})
	for _, r := range ms.remotes {
		readers.Add(1)
		go func() {
			defer readers.Done()
			ms.read(r)
		}()
	}
	go func() { readers.Wait(); close(done) }()
	// stdin: each task's reader is forwarded to its node. A reader on
	// srun's own stdin may block for ever; it is left to srun's exit.
	for rank, cmd := range ms.cmds {
		if cmd.Stdin != nil {
			go ms.forwardStdin(rank, cmd.Stdin)
		}
	}
	for {
		select {
		case sig := <-sigs:
			ms.signalAll(sig.(syscall.Signal))
		case <-done:
			for _, f := range ends {
				if f != nil {
					f.Close()
				}
			}
			ms.hangUp()
			return
		}
	}
}

// read handles one node's frames until it says Done or is lost; then
// the unfinished last lines of its tasks are passed on.
func (ms *multiStep) read(r *remote) {
	defer func() {
		for _, rank := range ms.lay.ranks[r.index] {
			for _, w := range []io.Writer{ms.cmds[rank].Stdout, ms.cmds[rank].Stderr} {
				if lw, ok := w.(*lineWriter); ok {
					lw.flush()
				}
			}
		}
	}()
	for {
		f, err := stepnet.ReadFrame(r.conn)
		if err != nil {
			ms.mu.Lock()
			r.failed = true
			ms.mu.Unlock()
			return
		}
		if f.Kind == stepnet.KindDone {
			return
		}
		if f.Rank < 0 || f.Rank >= ms.ntasks || ms.rankRemote[f.Rank] != r {
			continue
		}
		switch f.Kind {
		case stepnet.KindStdout:
			if w := ms.cmds[f.Rank].Stdout; w != nil {
				_, _ = w.Write(f.Data)
			}
		case stepnet.KindStderr:
			if w := ms.cmds[f.Rank].Stderr; w != nil {
				_, _ = w.Write(f.Data)
			}
		case stepnet.KindExit:
			var e stepnet.Exit
			if f.Decode(&e) == nil {
				ms.taskExited(f.Rank, syscall.WaitStatus(e.Status))
			}
		}
	}
}

// taskExited records a task's end; with -K a failed task kills the step.
func (ms *multiStep) taskExited(rank int, ws syscall.WaitStatus) {
	ms.mu.Lock()
	ms.statuses[rank], ms.exited[rank] = ws, true
	kill := ms.opts.killOnBad && !ms.killed && (ws.Signaled() || ws.ExitStatus() != 0)
	if kill {
		ms.killed = true
	}
	ms.mu.Unlock()
	if kill {
		ms.signalAll(syscall.SIGKILL)
	}
}

// signalAll sends sig to every task of the step, on every node.
func (ms *multiStep) signalAll(sig syscall.Signal) {
	for _, r := range ms.remotes {
		_ = r.w.WriteJSON(stepnet.KindSignal, 0, stepnet.Signal{Signal: int(sig)})
	}
}

// forwardStdin copies one task's stdin to its node.
func (ms *multiStep) forwardStdin(rank int, in io.Reader) {
	r := ms.rankRemote[rank]
	buf := make([]byte, stepnet.MaxStdin)
	for {
		n, err := in.Read(buf)
		if n > 0 && r.w.Write(stepnet.KindStdin, rank, buf[:n]) != nil {
			return
		}
		if err != nil {
			_ = r.w.Write(stepnet.KindStdinEOF, rank, nil)
			return
		}
	}
}

// finish reports the step as srun does; a lost node's tasks count as
// killed.
func (ms *multiStep) finish(stderr io.Writer) (int, bool) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	nodeFail := false
	for _, r := range ms.remotes {
		if r.failed {
			nodeFail = true
			fmt.Fprintf(stderr, "srun: error: Node failure on %s\n", r.node.Name)
		}
	}
	for rank, ok := range ms.exited {
		if !ok {
			ms.statuses[rank] = syscall.WaitStatus(syscall.SIGKILL)
		}
	}
	nodeOf := func(rank int) string { return ms.rankRemote[rank].node.Name }
	return ms.reportStatus(ms.statuses, nodeOf, stderr), nodeFail
}

// taskEnv is task rank's environment on the step's node index.
func (ms *multiStep) taskEnv(rank, node int) []string {
	local := 0
	for i, r := range ms.lay.ranks[node] {
		if r == rank {
			local = i
		}
	}
	env := ms.env(local) // the one-node variables, indexed per node
	gtids := make([]string, len(ms.lay.ranks[node]))
	for i, r := range ms.lay.ranks[node] {
		gtids[i] = strconv.Itoa(r)
	}
	list := hostlist.Compress(ms.lay.names())
	perNode := stepnet.CountList(ms.lay.counts())
	self := ms.sn.Self
	launchIP := ""
	for _, nd := range ms.sn.Nodes {
		if nd.Name == self {
			launchIP = nd.Addr
		}
	}
	set := map[string]string{
		"SLURM_PROCID":              strconv.Itoa(rank),
		"SLURM_LOCALID":             strconv.Itoa(local),
		"SLURM_NODEID":              strconv.Itoa(node),
		"SLURM_GTIDS":               strings.Join(gtids, ","),
		"SLURM_STEP_NODELIST":       list,
		"SLURM_NODELIST":            list,
		"SLURM_STEP_NUM_NODES":      strconv.Itoa(len(ms.lay.nodes)),
		"SLURM_NNODES":              strconv.Itoa(len(ms.lay.nodes)),
		"SLURM_STEP_TASKS_PER_NODE": perNode,
		"SLURM_TASKS_PER_NODE":      perNode,
		"SLURM_CPUS_ON_NODE":        strconv.Itoa(len(ms.lay.ranks[node]) * ms.cpus),
		"SLURMD_NODENAME":           ms.lay.nodes[node].Name,
		"SLURM_TOPOLOGY_ADDR":       ms.lay.nodes[node].Name,
		"SLURM_DISTRIBUTION":        "block",
		"SLURM_LAUNCH_NODE_IPADDR":  launchIP,
		"SLURM_SRUN_COMM_HOST":      launchIP,
	}
	if len(ms.lay.nodes) == 1 && ms.ntasks == 1 {
		set["SLURM_DISTRIBUTION"] = "cyclic"
	}
	if ms.opts.multiProg {
		set["SLURM_MULTI_PROG"] = "1"
	}
	out := env[:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}
