package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Checkpoints and receipts (docs/checkpoints.md, "Receipts and credit").
// A job's node commits a checkpoint with the run's token: the checkpoint's
// manifest and chunks are already in the store (the blob routes), and the
// request carries the receipt the node signed for it. The leader opens the
// receipt with the registered key of the node the allocation is on, reads
// the allocation from the Nomad servers, lets bridge/credit refuse or
// clamp it, checks the manifest is complete in the job owner's namespace
// and its size is the receipt's, and commits one Checkpoint entry. A
// refused or clamped receipt is logged (a donor's node claimed what it
// did not do).

// AllocObserver reads a run's allocation from the Nomad servers
// (nomadexec.Executor.ObserveAlloc).
type AllocObserver interface {
	// ObserveAlloc returns allocation allocID of run run of job j as the
	// Nomad servers have it, or an error when it is not one of the run's.
	ObserveAlloc(ctx context.Context, j *state.Job, run int, allocID string) (*credit.Observed, error)
}

// handleCheckpoint takes POST /v1/job/{ref}/checkpoints from a run token of
// the job (its current run, or the run a requeue just ended while the job
// waits: state.Job.TakesReceipt).
func (s *Server) handleCheckpoint(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	store, err := s.blobs()
	if err != nil {
		return err
	}
	if s.cfg.Observer == nil {
		e := api.Errorf(api.CodeInternal, "this coordinator has no execution backend to observe allocations with")
		e.Status = http.StatusNotImplemented
		return e
	}
	ref, err := api.ParseJobRef(r.PathValue("ref"))
	if err != nil {
		return badRequest("%v", err)
	}
	j, _ := lookup(s.cfg.Store.View(), ref)
	if j == nil || j.IsArrayBase() {
		return api.Errorf(api.CodeNotFound, "job %s: %v", ref, state.ErrNotFound)
	}
	if tok.Type != state.TokenRun || tok.JobID != j.ID || !j.TakesReceipt(tok.Run) {
		return denied("only the run token of job %s's current run may commit its checkpoints", j.SlurmID())
	}
	if sub := s.cfg.Store.View().Submission(j); sub != nil && sub.Spec != nil && sub.Spec.MinNodes() > 1 {
		// A multi-node run takes no checkpoints (the driver serves none);
		// a run's receipts are one sequence, which one node's receipts
		// would take from the others' allocations.
		return denied("job %s runs on %d nodes: a multi-node run commits no checkpoints", j.SlurmID(), sub.Spec.MinNodes())
	}
	var req api.CheckpointRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	sg := &req.Receipt
	// The claim, unverified: only to find the allocation to check it
	// against, and a retry of a receipt already recorded.
	var claim receipt.Receipt
	if len(sg.Body) == 0 || len(sg.Body) > receipt.MaxBytes || json.Unmarshal(sg.Body, &claim) != nil {
		return badRequest("receipt body missing, over %d bytes, or not a receipt", receipt.MaxBytes)
	}
	if old := s.cfg.Store.View().Receipt(j.ID, tok.Run, claim.Seq); old != nil &&
		bytes.Equal(old.Signed.Body, sg.Body) && bytes.Equal(old.Signed.Sig, sg.Sig) {
		writeJSON(w, http.StatusOK, checkpointReply(old)) // a retry: already counted
		return nil
	}
	obs, err := s.cfg.Observer.ObserveAlloc(r.Context(), j, tok.Run, claim.AllocID)
	if err != nil {
		s.log.Warn("checkpoint receipt refused", "job", j.SlurmID(), "run", tok.Run, "alloc", claim.AllocID, "err", err)
		return denied("receipt of job %s run %d: %v", j.SlurmID(), tok.Run, err)
	}
	v := s.cfg.Store.View()
	in := credit.Input{Signed: sg, Key: nodeKeyOf(v, obs.NodeID), Observed: *obs, JobID: j.ID, Run: tok.Run, Ended: j.RunEnded(tok.Run), Now: s.now().UTC()}
	if cp := j.Checkpoints; cp != nil && cp.Run == tok.Run {
		in.Prev = &credit.Previous{Seq: cp.Seq, End: cp.End, CreditedEnd: cp.CreditedEnd}
	}
	res, err := credit.Verify(in)
	if err != nil {
		s.log.Warn("checkpoint receipt refused", "job", j.SlurmID(), "run", tok.Run, "node", obs.Node, "alloc", obs.AllocID, "err", err)
		if errors.Is(err, credit.ErrSeq) || errors.Is(err, credit.ErrInterval) {
			return api.Errorf(api.CodeConflict, "receipt of job %s: %v", j.SlurmID(), err)
		}
		return denied("receipt of job %s: %v", j.SlurmID(), err)
	}
	rc := res.Receipt
	if err := checkpointComplete(r.Context(), store, j.User, rc.Digest, rc.Size); err != nil {
		s.log.Warn("checkpoint receipt refused", "job", j.SlurmID(), "run", tok.Run, "node", obs.Node, "digest", rc.Digest, "err", err)
		return err
	}
	if res.Clamped {
		s.log.Warn("checkpoint receipt clamped", "job", j.SlurmID(), "run", rc.Run, "seq", rc.Seq, "node", obs.Node, "note", res.Note,
			"gpu_seconds", res.GPUSeconds, "cpu_seconds", res.CPUSeconds)
	}
	cmd := state.CheckpointCmd{
		Time: in.Now, JobID: j.ID, Run: rc.Run, Seq: rc.Seq,
		NodeID: obs.NodeID, Node: obs.Node, AllocID: obs.AllocID, Key: in.Key.Key,
		Signed: *sg, Digest: rc.Digest, Size: rc.Size, Uploaded: rc.Uploaded, Trigger: rc.Trigger,
		ClaimStart: rc.Start.UTC(), ClaimEnd: rc.End.UTC(), ClaimGPUs: len(rc.GPUs), ClaimCPUs: rc.CPUs,
		Credit: state.Credit{
			Start: res.Start.UTC(), End: res.End.UTC(), GPUs: res.GPUs, CPUs: res.CPUs,
			GPUSeconds: res.GPUSeconds, CPUSeconds: res.CPUSeconds, Clamped: res.Clamped, Note: res.Note,
			GPUModel: res.GPUModel,
		},
	}
	out, idx, err := s.apply(r.Context(), state.CmdCheckpoint, cmd)
	if err != nil {
		return err
	}
	if out.Err != nil {
		s.log.Warn("checkpoint receipt refused at commit", "job", j.SlurmID(), "run", rc.Run, "seq", rc.Seq, "err", out.Err)
		if errors.Is(out.Err, state.ErrReceipt) {
			return api.Errorf(api.CodeConflict, "%v", out.Err)
		}
		return resultError(out.Err)
	}
	cr, _ := out.Value.(state.CheckpointResult)
	if cr.Record == nil {
		return fmt.Errorf("checkpoint of job %s committed without its record", j.SlurmID())
	}
	setIndex(w, idx)
	writeJSON(w, http.StatusOK, checkpointReply(cr.Record))
	return nil
}

func checkpointReply(rec *state.ReceiptRecord) *api.CheckpointReply {
	return &api.CheckpointReply{
		Seq: rec.Seq, GPUSeconds: rec.Credit.GPUSeconds, CPUSeconds: rec.Credit.CPUSeconds,
		Clamped: rec.Credit.Clamped, Note: rec.Credit.Note,
	}
}

// nodeKeyOf is node id's registered key as credit judges it: its current
// key, or its last one marked revoked, or none.
func nodeKeyOf(v *state.View, nodeID string) credit.Key {
	keys := v.NodeKeysOf(nodeID)
	for _, k := range keys {
		if k.Current() {
			return credit.Key{NodeID: k.NodeID, Key: k.Key}
		}
	}
	for _, k := range slices.Backward(keys) {
		if !k.Revoked.IsZero() && k.Superseded.IsZero() {
			return credit.Key{NodeID: k.NodeID, Key: k.Key, Revoked: true}
		}
	}
	return credit.Key{NodeID: nodeID}
}

// checkpointComplete checks that a checkpoint's manifest and every chunk
// it lists are in namespace ns, and that its files add up to size.
func checkpointComplete(ctx context.Context, store cas.Store, ns, digest string, size int64) error {
	if err := complete(ctx, store, ns, digest); err != nil {
		return err
	}
	m, err := cas.GetManifest(ctx, digest, cas.StoreRemote(store, ns))
	if err != nil {
		return fmt.Errorf("checkpoint manifest %s: %w", digest, err)
	}
	var total int64
	for _, f := range m.Files {
		total += f.Size
	}
	if total != size {
		return badRequest("receipt says the checkpoint is %d bytes; its manifest %s holds %d", size, digest, total)
	}
	return nil
}
