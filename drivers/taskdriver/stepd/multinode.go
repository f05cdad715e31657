package stepd

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/stepnet"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
)

// A multi-node job runs one stepd per node (one Nomad allocation each).
// Each listens on its node's step port, waits until Nomad's template lists
// every node of the job in the secrets directory and each answers an
// authenticated ping, then takes its role: the first node in hostlist
// order runs the batch script, as slurmd runs it on the allocation's first
// node; the others serve srun's steps until the job is stopped.

// peerPoll is how often, at most, the peers file is read again while
// waiting; the wait starts at firstPoll and doubles up to it, so that a
// node whose peers register a moment after it takes its role (and reports
// it) a moment after them, not up to a whole peerPoll later: a job shorter
// than that ended before its other nodes had their role.
const (
	firstPoll = 50 * time.Millisecond
	peerPoll  = time.Second
)

// Roles, as the driver's task event names them.
const (
	RoleBatch = "batch"
	RoleNode  = "node"
)

// errStopped means the job was stopped while stepd waited for its nodes.
var errStopped = errors.New("stopped while waiting for the job's nodes")

// multiStart starts this node's step service and waits for the job's
// nodes. On the batch node it returns batch = true with the batch
// environment completed; on any other node it serves steps until stopped
// and returns how it ended.
func (s *shim) multiStart(sigs <-chan os.Signal) (res jobdir.Result, batch bool) {
	c := s.cfg
	s.msgs = s.nomadErr
	fail := func(err error) (jobdir.Result, bool) {
		msg := fmt.Sprintf("multi-node job: %v", err)
		s.errorf("%s", msg)
		s.server.close()
		s.server = nil
		return jobdir.Result{ExitCode: 1, Error: msg}, false
	}
	key, auth, err := readStepKey(c.Multi.SecretsDir, s.layout.CtlDir(), c.Multi.PeerWait, sigs)
	if errors.Is(err, errStopped) {
		return jobdir.Result{}, false
	}
	if err != nil {
		return fail(err)
	}
	if s.server, err = newStepServer(c, auth, c.Multi.Listen, s.nomadErr); err != nil {
		return fail(err)
	}
	s.server.oomScore = s.jobScore
	s.server.start()
	peers, err := s.waitPeers(auth, sigs)
	if errors.Is(err, errStopped) {
		s.recordStoppedRole()
		s.server.close()
		s.server = nil
		return jobdir.Result{}, false
	}
	if err != nil {
		return fail(err)
	}
	nodeID := indexOf(peers, c.Node)
	env := multiEnv(c.Env, peers, nodeID)
	c.Env = env
	s.server.setEnv(env)
	role := jobdir.Role{Role: RoleNode, Nodes: hostlist.Compress(stepnet.Names(peers))}
	if nodeID == 0 {
		role.Role = RoleBatch
	}
	if err := s.handOver(key, peers, env); err != nil {
		return fail(err)
	}
	if err := jobdir.WriteJSON(s.layout.RoleFile(), role); err != nil {
		fmt.Fprintf(s.nomadErr, "hpcbridge stepd: record the role: %v\n", err)
	}
	if role.Role == RoleBatch {
		return jobdir.Result{}, true
	}
	return s.serveNode(sigs), false
}

// recordStoppedRole records the node role of a node stopped while it
// waited for its peers (a job whose batch script ended before this node's
// wait did: the batch node, done with its own wait, had already found this
// one answering) when the peers file lists every node of the job and this
// one is not the first: the node served the job's steps, and its role
// event says so. The batch role is never recorded here: no script ran.
func (s *shim) recordStoppedRole() {
	c := s.cfg
	b, err := jobdir.ReadSecret(c.Multi.SecretsDir, jobdir.PeersFile, stepnet.MaxPeersFile)
	if err != nil {
		return
	}
	peers, err := stepnet.ParsePeers(b)
	if err != nil || len(peers) != c.Multi.Nodes || indexOf(peers, c.Node) <= 0 {
		return
	}
	role := jobdir.Role{Role: RoleNode, Nodes: hostlist.Compress(stepnet.Names(peers))}
	if err := jobdir.WriteJSON(s.layout.RoleFile(), role); err != nil {
		fmt.Fprintf(s.nomadErr, "hpcbridge stepd: record the role: %v\n", err)
	}
}

// readStepKey reads the job run's step key from the secrets directory
// (root's file, as Nomad's template renders it), waiting for it as for
// the peers.
func readStepKey(dir, ctlDir string, wait time.Duration, sigs <-chan os.Signal) ([]byte, *stepnet.Auth, error) {
	var key []byte
	err := poll(wait, sigs, ctlDir, func() error {
		b, err := jobdir.ReadSecret(dir, jobdir.KeyFile, 4096)
		if err != nil {
			return err
		}
		key, err = stepnet.ParseKey(b)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("the step key (%s): %w", jobdir.KeyFile, err)
	}
	auth, err := stepnet.NewAuth(key)
	return key, auth, err
}

// waitPeers waits until the peers file lists the job's nodes, this one
// among them, and each answers an authenticated ping with its name.
func (s *shim) waitPeers(auth *stepnet.Auth, sigs <-chan os.Signal) ([]stepnet.Peer, error) {
	c := s.cfg
	var peers []stepnet.Peer
	err := poll(c.Multi.PeerWait, sigs, s.layout.CtlDir(), func() error {
		b, err := jobdir.ReadSecret(c.Multi.SecretsDir, jobdir.PeersFile, stepnet.MaxPeersFile)
		if err != nil {
			return err
		}
		if peers, err = stepnet.ParsePeers(b); err != nil {
			return err
		}
		if len(peers) != c.Multi.Nodes || indexOf(peers, c.Node) < 0 {
			return fmt.Errorf("%d of the job's %d nodes are listed (%s; this node is %s)",
				len(peers), c.Multi.Nodes, strings.Join(stepnet.Names(peers), ","), c.Node)
		}
		return pingAll(auth, peers)
	})
	return peers, err
}

// pingAll checks that every peer's step service answers with its name.
func pingAll(auth *stepnet.Auth, peers []stepnet.Peer) error {
	for _, p := range peers {
		pong, err := stepnet.Ping(context.Background(), auth, p.HostPort())
		if err != nil {
			return fmt.Errorf("node %s (%s) does not answer: %w", p.Name, p.HostPort(), err)
		}
		if pong.Node != p.Name {
			return fmt.Errorf("node %s (%s) answers as %q", p.Name, p.HostPort(), pong.Node)
		}
	}
	return nil
}

// poll calls try (every firstPoll at first, doubling up to every
// peerPoll) until it succeeds, wait has passed (its
// last error is returned) or a stop arrives (errStopped): a signal that
// stops the job, or the driver's stop request in ctlDir. A zero wait is
// jobdir.DefaultPeerWait.
func poll(wait time.Duration, sigs <-chan os.Signal, ctlDir string, try func() error) error {
	if wait <= 0 {
		wait = jobdir.DefaultPeerWait
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	every := firstPoll
	tick := time.NewTimer(every)
	defer tick.Stop()
	for {
		// A stop queued before stepd listened, or whose wake-up was lost.
		if stopSignal(jobdir.WakeSignal, ctlDir) {
			return errStopped
		}
		err := try()
		if err == nil {
			return nil
		}
		select {
		case <-deadline.C:
			return fmt.Errorf("gave up after %s: %w", wait, err)
		case sig := <-sigs:
			if stopSignal(sig, ctlDir) {
				return errStopped
			}
		case <-tick.C:
			every = min(2*every, peerPoll)
			tick.Reset(every)
		}
	}
}

// stopSignal reports whether sig, while stepd waits for the job's nodes,
// stops the job: a stopping signal, or a wake-up for a stop request (the
// requests are taken: nothing of the job runs yet to signal).
func stopSignal(sig os.Signal, ctlDir string) bool {
	switch sig {
	case syscall.SIGPIPE:
		return false
	case jobdir.WakeSignal:
		reqs, _ := jobdir.TakeRequests(ctlDir)
		for _, r := range reqs {
			if r.Kind == jobdir.KindStop {
				return true
			}
		}
		return false
	}
	return true
}

func indexOf(peers []stepnet.Peer, name string) int {
	for i, p := range peers {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// multiEnv sets the job-level variables that depend on the job's nodes,
// as slurmd sets them on node nodeID of the allocation.
func multiEnv(env []string, peers []stepnet.Peer, nodeID int) []string {
	get := func(k string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	n := len(peers)
	list := hostlist.Compress(stepnet.Names(peers))
	ntasks, _ := strconv.Atoi(get("SLURM_NTASKS"))
	perNode, _ := strconv.Atoi(get("SLURM_NTASKS_PER_NODE"))
	set := map[string]string{}
	if ntasks <= 0 {
		ntasks = max(perNode, 1) * n
		if perNode > 0 {
			// sbatch --ntasks-per-node without -n: the job has N x that
			// many tasks, and says so.
			set["SLURM_NTASKS"] = strconv.Itoa(ntasks)
			set["SLURM_NPROCS"] = strconv.Itoa(ntasks)
		}
	}
	for k, v := range map[string]string{
		"SLURM_JOB_NODELIST":   list,
		"SLURM_NODELIST":       list,
		"SLURM_NNODES":         strconv.Itoa(n),
		"SLURM_JOB_NUM_NODES":  strconv.Itoa(n),
		"SLURM_NODEID":         strconv.Itoa(nodeID),
		"SLURM_TASKS_PER_NODE": stepnet.CountList(stepnet.BlockCounts(ntasks, n, perNode)),
	} {
		set[k] = v
	}
	if cpus, err := strconv.Atoi(get("SLURM_CPUS_ON_NODE")); err == nil && cpus > 0 {
		same := make([]int, n)
		for i := range same {
			same[i] = cpus
		}
		set["SLURM_JOB_CPUS_PER_NODE"] = stepnet.CountList(same)
	}
	for _, k := range []string{"SLURM_JOB_NODELIST", "SLURM_NODELIST", "SLURM_NNODES", "SLURM_JOB_NUM_NODES",
		"SLURM_NODEID", "SLURM_TASKS_PER_NODE", "SLURM_JOB_CPUS_PER_NODE", "SLURM_NTASKS", "SLURM_NPROCS"} {
		if v, ok := set[k]; ok {
			env = withEnv(env, k, v)
		}
	}
	return env
}

// handOver gives srun (the run-as user) the job's nodes and step key: a
// file of the user's, 0400, in the driver's directory, which only root can
// change.
func (s *shim) handOver(key []byte, peers []stepnet.Peer, env []string) error {
	c := s.cfg
	sn := jobdir.StepNet{Job: c.JobID, Self: c.Node, Key: hex.EncodeToString(key), BinDir: filepath.Dir(c.Exec), TaskDir: c.TaskDir}
	for _, p := range peers {
		sn.Nodes = append(sn.Nodes, jobdir.NetNode{Name: p.Name, Addr: p.Addr, Port: p.Port})
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "SLURM_CPUS_ON_NODE="); ok {
			sn.CPUsPerNode, _ = strconv.Atoi(v)
		}
	}
	uid, gid := c.UID, c.GID
	if os.Geteuid() != 0 {
		uid, gid = os.Getuid(), os.Getgid()
	}
	if err := jobdir.WriteOwnedJSON(s.layout.StepNetFile(), sn, uid, gid); err != nil {
		return fmt.Errorf("hand the step service to srun: %w", err)
	}
	return nil
}

// serveNode is a node that does not run the batch script: it serves steps
// and the driver's requests until the job is stopped.
func (s *shim) serveNode(sigs <-chan os.Signal) jobdir.Result {
	defer func() {
		s.server.close()
		s.server = nil
	}()
	var killC <-chan time.Time
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case jobdir.WakeSignal:
				if stop, grace := s.nodeRequests(); stop {
					killC = time.After(grace)
				}
			case syscall.SIGPIPE:
			default:
				s.server.signalAll(syscall.SIGCONT)
				s.server.signalAll(sig.(syscall.Signal))
				killC = time.After(DefaultKillWait)
			}
			if killC != nil && !s.server.busy() {
				return jobdir.Result{}
			}
		case <-killC:
			return jobdir.Result{}
		case <-s.server.idle():
			if killC != nil {
				return jobdir.Result{}
			}
		}
	}
}

// nodeRequests carries out the driver's requests on a node without the
// batch script: signals go to the steps' tasks; a stop signals them and
// reports its grace.
func (s *shim) nodeRequests() (stop bool, grace time.Duration) {
	reqs, err := jobdir.TakeRequests(s.layout.CtlDir())
	if err != nil {
		fmt.Fprintf(s.nomadErr, "hpcbridge stepd: %v\n", err)
	}
	for _, r := range reqs {
		sig := syscall.Signal(r.Signal)
		switch r.Kind {
		case jobdir.KindSignal:
			if r.Scope != jobdir.ScopeBatch {
				s.server.signalAll(sig)
			}
		case jobdir.KindStop:
			s.server.signalAll(syscall.SIGCONT)
			s.server.signalAll(sig)
			stop, grace = true, max(r.Grace, 0)
		}
	}
	return stop, grace
}
