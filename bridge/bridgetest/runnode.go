package bridgetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// A run token's requests must be signed by the node that runs the job, on
// an allocation of its run that the Nomad servers place on that node
// (apiserver runsign.go). The test server plays both: RunToken places the
// run on the server's test node (TestNodeID, whose key is registered the
// first time) in an allocation of its own, and Client signs the requests
// of a token RunToken minted as that node. A test that runs a real driver
// registers its node's key (RegisterNodeKey) and places its allocation
// (PlaceAlloc). Options.Observer, when set, answers for the allocations
// the test server did not place.

// TestNodeID is the Nomad node id of the test server's node.
const TestNodeID = "00000000-0000-4000-8000-00000000b71d"

// runNodes is the test server's node, its placements and its run tokens.
type runNodes struct {
	now  func() time.Time
	next apiserver.AllocObserver

	mu         sync.Mutex
	key        ed25519.PrivateKey
	registered bool
	allocs     map[string]placed         // by allocation id
	signers    map[string]*api.RunSigner // by run token secret
}

type placed struct {
	job    uint64
	run    int
	nodeID string
}

// ObserveAlloc answers for the allocations placed here, and asks the
// test's observer for the others.
func (n *runNodes) ObserveAlloc(ctx context.Context, j *state.Job, run int, allocID string) (*credit.Observed, error) {
	n.mu.Lock()
	p, ok := n.allocs[allocID]
	n.mu.Unlock()
	if !ok {
		if n.next != nil {
			return n.next.ObserveAlloc(ctx, j, run, allocID)
		}
		return nil, fmt.Errorf("%w: bridgetest: no allocation %s", nomadexec.ErrNotObserved, allocID)
	}
	if p.job != j.ID || p.run != run {
		return nil, fmt.Errorf("%w: bridgetest: allocation %s is job %d run %d's, not job %d run %d's", nomadexec.ErrNotObserved, allocID, p.job, p.run, j.ID, run)
	}
	return &credit.Observed{NodeID: p.nodeID, Node: p.nodeID, AllocID: allocID}, nil
}

// PlaceAlloc records allocation allocID of job jobID's run run on node
// nodeID, as the Nomad servers would have it.
func (s *Server) PlaceAlloc(jobID uint64, run int, allocID, nodeID string) {
	s.nodes.mu.Lock()
	defer s.nodes.mu.Unlock()
	s.nodes.allocs[allocID] = placed{job: jobID, run: run, nodeID: nodeID}
}

// RegisterNodeKey registers pub as the key of node nodeID (named name), as
// the leader does when it first sees the node's attribute.
func (s *Server) RegisterNodeKey(t testing.TB, nodeID, name string, pub ed25519.PublicKey) {
	t.Helper()
	if err := s.registerNodeKey(nodeID, name, pub); err != nil {
		t.Fatalf("bridgetest: %v", err)
	}
}

func (s *Server) registerNodeKey(nodeID, name string, pub ed25519.PublicKey) error {
	cmd, err := state.Encode(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: time.Now(), NodeID: nodeID, Node: name,
		Key: receipt.EncodeKey(pub)})
	if err != nil {
		return err
	}
	res, _, err := s.Raft.Apply(context.Background(), cmd)
	if err != nil {
		return err
	}
	if res.Err != nil {
		return fmt.Errorf("register node %s's key: %w", nodeID, res.Err)
	}
	return nil
}

// TestNodeKey is the test node's key (registered by the first RunToken).
func (s *Server) TestNodeKey() ed25519.PrivateKey {
	s.nodes.mu.Lock()
	defer s.nodes.mu.Unlock()
	return s.nodes.key
}

// RunSigner returns the signer of a run token RunToken minted: the test
// node, on the allocation RunToken placed (nil for another secret).
func (s *Server) RunSigner(secret string) *api.RunSigner {
	s.nodes.mu.Lock()
	defer s.nodes.mu.Unlock()
	return s.nodes.signers[secret]
}

// placeRun places job j's current run on the test node and returns the
// signer of its token secret.
func (s *Server) placeRun(j *state.Job, secret string) error {
	s.nodes.mu.Lock()
	reg := !s.nodes.registered
	s.nodes.registered = true
	s.nodes.mu.Unlock()
	if reg {
		if err := s.registerNodeKey(TestNodeID, "bridgetest-node", s.nodes.key.Public().(ed25519.PublicKey)); err != nil {
			return err
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	alloc := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	s.PlaceAlloc(j.ID, j.RestartCount, alloc, TestNodeID)
	s.nodes.mu.Lock()
	defer s.nodes.mu.Unlock()
	s.nodes.signers[secret] = &api.RunSigner{NodeID: TestNodeID, AllocID: alloc, Key: s.nodes.key, Now: s.nodes.now}
	return nil
}

func newRunNodes(now func() time.Time, next apiserver.AllocObserver) *runNodes {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &runNodes{now: now, next: next, key: key, allocs: map[string]placed{}, signers: map[string]*api.RunSigner{}}
}
