package apiserver

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// A run token is bound to the node that runs its job (bridge/api
// runsign.go): every request with one must carry the node's signature
// over the request, the node and allocation it names, the time and the
// token's hash. checkRunRequest takes it only when the signature verifies
// with the key registered for that node (not revoked), the time is within
// api.RunRequestSkew of the leader's clock, and the Nomad servers place
// the allocation, one of the token's run's, on that node. The token is in
// the Nomad job spec, which any job may read from its Nomad agent where
// Nomad's ACLs are off: alone it is refused.

// maxRunAllocs bounds the cache of allocations seen on their nodes.
const maxRunAllocs = 4096

// runAlloc is an allocation the Nomad servers placed on a node for a run.
type runAlloc struct {
	job   uint64
	run   int
	alloc string
	node  string
}

// runAllocCache remembers the allocations observed for their run and node
// (an allocation never changes job or node), so that a run's blob uploads
// do not each ask Nomad.
type runAllocCache struct {
	mu   sync.Mutex
	seen map[runAlloc]bool
}

func (c *runAllocCache) has(k runAlloc) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[k]
}

func (c *runAllocCache) add(k runAlloc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil || len(c.seen) >= maxRunAllocs {
		c.seen = map[runAlloc]bool{}
	}
	c.seen[k] = true
}

// maxRunHeader bounds a node or allocation id in a signed request.
const maxRunHeader = 128

// checkRunRequest checks that a run token's request is signed by the node
// that runs one of the token's run's allocations.
func (s *Server) checkRunRequest(ctx context.Context, r *http.Request, tok *state.ACLToken) error {
	nodeID, allocID := r.Header.Get(api.HeaderRunNode), r.Header.Get(api.HeaderRunAlloc)
	ts, sig := r.Header.Get(api.HeaderRunTime), r.Header.Get(api.HeaderRunSig)
	if nodeID == "" || allocID == "" || ts == "" || sig == "" {
		return denied("run token of job %d: the request is not signed by the node that runs it (%s, %s, %s, %s); a run token is of no use elsewhere",
			tok.JobID, api.HeaderRunNode, api.HeaderRunAlloc, api.HeaderRunTime, api.HeaderRunSig)
	}
	if len(nodeID) > maxRunHeader || len(allocID) > maxRunHeader {
		return badRequest("%s or %s is over %d bytes", api.HeaderRunNode, api.HeaderRunAlloc, maxRunHeader)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return badRequest("%s %.40q: want Unix seconds", api.HeaderRunTime, ts)
	}
	now := s.now()
	if d := now.Sub(time.Unix(unix, 0)); d > api.RunRequestSkew || d < -api.RunRequestSkew {
		return denied("run token of job %d: the request's time %s is more than %s from the coordinator's %s (check the node's clock)",
			tok.JobID, time.Unix(unix, 0).UTC().Format(time.RFC3339), api.RunRequestSkew, now.UTC().Format(time.RFC3339))
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return denied("run token of job %d: %s is not an ed25519 signature", tok.JobID, api.HeaderRunSig)
	}
	v := s.cfg.Store.View()
	key := nodeKeyOf(v, nodeID)
	if key.Key == "" {
		return denied("run token of job %d: node %.128q has no registered key", tok.JobID, nodeID)
	}
	if key.Revoked {
		return denied("run token of job %d: node %s's key is revoked", tok.JobID, nodeID)
	}
	pub, err := receipt.DecodeKey(key.Key)
	if err != nil {
		return denied("run token of job %d: node %s's registered key: %v", tok.JobID, nodeID, err)
	}
	ok := false
	for _, uri := range []string{r.URL.RequestURI(), r.RequestURI} {
		if uri != "" && ed25519.Verify(pub, api.RunRequestMessage(r.Method, uri, ts, nodeID, allocID, tok.SecretHash), raw) {
			ok = true
			break
		}
	}
	if !ok {
		return denied("run token of job %d: the request's signature does not verify with node %s's key", tok.JobID, nodeID)
	}
	k := runAlloc{job: tok.JobID, run: tok.Run, alloc: allocID, node: nodeID}
	if s.runAllocs.has(k) {
		return nil
	}
	j := v.Job(tok.JobID)
	if j == nil {
		return denied("run token of job %d: no such job", tok.JobID)
	}
	if s.cfg.Observer == nil {
		e := api.Errorf(api.CodeInternal, "this coordinator has no execution backend to check a run token's allocation with")
		e.Status = http.StatusNotImplemented
		return e
	}
	obs, err := s.cfg.Observer.ObserveAlloc(ctx, j, tok.Run, allocID)
	if err != nil && !errors.Is(err, nomadexec.ErrNotObserved) {
		// Nomad could not be asked: the node tries again.
		e := api.Errorf(api.CodeInternal, "run token of job %s run %d: cannot check allocation %s with the Nomad servers now: %v; retry", j.SlurmID(), tok.Run, allocID, err)
		e.Status = http.StatusServiceUnavailable
		return e
	}
	if err != nil {
		s.log.Warn("run token request refused", "job", j.SlurmID(), "run", tok.Run, "node", nodeID, "alloc", allocID, "err", err)
		return denied("run token of job %s run %d: %v", j.SlurmID(), tok.Run, err)
	}
	if obs.NodeID != nodeID {
		s.log.Warn("run token request refused: allocation on another node", "job", j.SlurmID(), "run", tok.Run, "node", nodeID, "alloc", allocID, "alloc_node", obs.NodeID)
		return denied("run token of job %s run %d: allocation %s is not on node %s", j.SlurmID(), tok.Run, allocID, nodeID)
	}
	s.runAllocs.add(k)
	return nil
}
