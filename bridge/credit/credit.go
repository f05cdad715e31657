// Package credit decides what a checkpoint receipt is worth. Given the
// receipt as the node signed it, the node's registered key, the allocation
// as the Nomad servers observed it, the run's previous receipt, the job and
// run the caller's run token is for, and the leader's clock, Verify opens
// and checks the receipt and refuses it when it is not the next receipt of
// that run on that allocation, signed by that node's current key; it then
// clamps the work the receipt claims to what was observed: the interval to
// the task's start and its finish (or now), the GPUs to those the
// allocation was given, the CPUs to its CPUs. What is credited is whole
// GPU-seconds and CPU-seconds; the clamp's reasons are returned with them.
//
// The package is pure: no clock, no I/O. The coordinator's API calls it on
// the leader and commits the result (raft/state CheckpointCmd).
package credit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// Refusals (wrapped by Verify's errors; use errors.Is).
var (
	// ErrKey: the node has no registered key, or it was revoked, or it is
	// another node's.
	ErrKey = errors.New("node key")
	// ErrSignature: the receipt does not open with the node's key (bad
	// signature, not canonical, bad fields).
	ErrSignature = errors.New("receipt signature")
	// ErrJob: the receipt is for another job or run than the token's.
	ErrJob = errors.New("receipt job or run")
	// ErrAlloc: the receipt names another allocation or node than the
	// one observed.
	ErrAlloc = errors.New("receipt allocation or node")
	// ErrSeq: the receipt is not the run's next.
	ErrSeq = errors.New("receipt sequence")
	// ErrInterval: the receipt's interval starts before the previous
	// receipt's end (work claimed twice), or the allocation was never
	// observed to start.
	ErrInterval = errors.New("receipt interval")
)

// Key is a node's registered key as the replicated state has it.
type Key struct {
	// NodeID is the Nomad node the key is registered to.
	NodeID string
	// Key is the public key (receipt.EncodeKey's form); empty: none.
	Key string
	// Revoked is true when a management token revoked it.
	Revoked bool
}

// Observed is a run's allocation as the Nomad servers observed it.
type Observed struct {
	// NodeID and Node are the node the allocation was placed on; AllocID
	// the allocation.
	NodeID, Node, AllocID string
	// Start is when the task started; Finish when it finished (zero
	// while it runs).
	Start, Finish time.Time
	// GPUs are the GPU UUIDs allocated to the task; CPUs its CPUs.
	GPUs []string
	CPUs int
	// GPUModel is the model of the task's GPUs: the name of the Nomad
	// device group they were allocated from (empty when unknown). The
	// reward rate is picked by it (raft/state RewardRates.GPURate). A
	// donor's client fingerprints its devices, so a donor names its
	// GPUs' model itself: rates trust it as they trust the donor.
	GPUModel string
	// StopGrace is how long the run's stop may take on the node (its
	// Nomad kill timeout, and the stop's way there): the work a stopped
	// run does after the run's end (Input.Ended), saving its checkpoint,
	// is credited up to it.
	StopGrace time.Duration
}

// Previous is the run's previous receipt, as committed.
type Previous struct {
	// Seq is its sequence number; End the end of the interval it claimed.
	Seq int
	End time.Time
	// CreditedEnd is the end it was credited to.
	CreditedEnd time.Time
}

// Input is what Verify judges.
type Input struct {
	// Signed is the receipt as the node sent it.
	Signed *receipt.Signed
	// Key is the registered key of the node the allocation is on.
	Key Key
	// Observed is the allocation.
	Observed Observed
	// Prev is the run's previous receipt (nil: this is its first).
	Prev *Previous
	// JobID and Run are what the run token is for.
	JobID uint64
	Run   int
	// Ended is when the coordinator recorded the run's end (zero while it
	// runs: state.Job.RunEnded). Nothing after it and the stop's grace
	// (Observed.StopGrace) is credited, whatever the node's client tells
	// the Nomad servers afterwards (a client may report its ended
	// allocation running, or finished later than it did).
	Ended time.Time
	// Now is the leader's clock.
	Now time.Time
}

// Result is a verified receipt and what it is credited.
type Result struct {
	// Receipt is the receipt as signed.
	Receipt *receipt.Receipt
	// Start and End are the credited interval; GPUs and CPUs the credited
	// counts.
	Start, End time.Time
	GPUs, CPUs int
	// GPUSeconds and CPUSeconds are the counts times the interval's whole
	// seconds.
	GPUSeconds, CPUSeconds int64
	// GPUModel is Observed.GPUModel when GPUs are credited, else empty.
	GPUModel string
	// Clamped says something the receipt claimed was cut; Note says what
	// and why ("; " between reasons).
	Clamped bool
	Note    string
}

// MaxNote bounds Result.Note.
const MaxNote = 1024

// Verify opens in.Signed with the node's key, refuses a receipt that is
// not the next of the token's run on the observed allocation, and clamps
// what it claims to what was observed.
func Verify(in Input) (*Result, error) {
	obs := in.Observed
	switch {
	case in.Key.Key == "":
		return nil, fmt.Errorf("%w: node %s has no registered key", ErrKey, obs.Node)
	case in.Key.Revoked:
		return nil, fmt.Errorf("%w: node %s's key is revoked", ErrKey, obs.Node)
	case in.Key.NodeID != obs.NodeID:
		return nil, fmt.Errorf("%w: the key is node %s's, the allocation runs on %s", ErrKey, in.Key.NodeID, obs.NodeID)
	}
	pub, err := receipt.DecodeKey(in.Key.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	r, err := receipt.Open(in.Signed, ed25519.PublicKey(pub))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	switch {
	case r.JobID != in.JobID || r.Run != in.Run:
		return nil, fmt.Errorf("%w: the receipt is for job %d run %d, the token for job %d run %d", ErrJob, r.JobID, r.Run, in.JobID, in.Run)
	case r.AllocID != obs.AllocID:
		return nil, fmt.Errorf("%w: the receipt names allocation %s, the run's is %s", ErrAlloc, r.AllocID, obs.AllocID)
	case r.NodeID != obs.NodeID || r.Node != obs.Node:
		return nil, fmt.Errorf("%w: the receipt names node %s (%s), the allocation is on %s (%s)", ErrAlloc, r.Node, r.NodeID, obs.Node, obs.NodeID)
	}
	next := 1
	if in.Prev != nil {
		next = in.Prev.Seq + 1
	}
	if r.Seq != next {
		return nil, fmt.Errorf("%w: checkpoint %d of run %d is not the next (%d)", ErrSeq, r.Seq, r.Run, next)
	}
	if in.Prev != nil && r.Start.Before(in.Prev.End) {
		return nil, fmt.Errorf("%w: it starts at %s, before the previous receipt's end %s", ErrInterval, stamp(r.Start), stamp(in.Prev.End))
	}
	if obs.Start.IsZero() {
		return nil, fmt.Errorf("%w: the Nomad servers have not seen allocation %s's task start", ErrInterval, obs.AllocID)
	}
	return clamp(r, in), nil
}

// clamp is what r is credited: its claim cut to what was observed.
func clamp(r *receipt.Receipt, in Input) *Result {
	obs := in.Observed
	res := &Result{Receipt: r, Start: r.Start, End: r.End}
	var notes []string
	if r.Start.Before(obs.Start) {
		res.Start = obs.Start
		notes = append(notes, fmt.Sprintf("start %s is before the task's start %s", stamp(r.Start), stamp(obs.Start)))
	}
	if in.Prev != nil && res.Start.Before(in.Prev.CreditedEnd) {
		res.Start = in.Prev.CreditedEnd // already credited to the previous receipt
	}
	limit, what := in.Now, "now"
	if !obs.Finish.IsZero() && obs.Finish.Before(limit) {
		limit, what = obs.Finish, "the task's finish"
	}
	if end := in.Ended.Add(max(obs.StopGrace, 0)); !in.Ended.IsZero() && end.Before(limit) {
		limit, what = end, "the run's end and its stop's grace"
	}
	if r.End.After(limit) {
		res.End = limit
		notes = append(notes, fmt.Sprintf("end %s is after %s %s", stamp(r.End), what, stamp(limit)))
	}
	if res.End.Before(res.Start) {
		res.End = res.Start
	}
	var extra []string
	for _, g := range slices.Compact(slices.Sorted(slices.Values(r.GPUs))) {
		if slices.Contains(obs.GPUs, g) {
			res.GPUs++
		} else {
			extra = append(extra, plain(g))
		}
	}
	if len(extra) > 0 {
		notes = append(notes, fmt.Sprintf("GPUs %s were not allocated to the task", strings.Join(extra, ",")))
	} else if len(r.GPUs) > res.GPUs {
		notes = append(notes, "GPUs named twice")
	}
	res.CPUs = r.CPUs
	if r.CPUs > obs.CPUs {
		res.CPUs = max(obs.CPUs, 0)
		notes = append(notes, fmt.Sprintf("%d CPUs claimed, %d allocated", r.CPUs, obs.CPUs))
	}
	secs := int64(0)
	if res.End.After(res.Start) {
		secs = int64(res.End.Sub(res.Start) / time.Second)
	}
	res.GPUSeconds, res.CPUSeconds = int64(res.GPUs)*secs, int64(res.CPUs)*secs
	if res.GPUs > 0 {
		res.GPUModel = obs.GPUModel
	}
	if len(notes) > 0 {
		res.Clamped = true
		res.Note = clip("clamped: "+strings.Join(notes, "; "), MaxNote)
	}
	return res
}

// plain is a node's string fit for a note: printable, and none of the
// characters JSON escapes or a list would split on (a note is shown in
// terminals and in JSON, and compared as it is).
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) || strings.ContainsRune("\"\\,<>&", r) {
			return '?'
		}
		return r
	}, s)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
