package state

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// Checkpoints and receipts. A run of a job commits a checkpoint by sending
// the receipt its node signed (internal/receipt); the leader verifies it
// against the node's registered key (nodekeys.go) and what the Nomad
// servers observed of the run's allocation, clamps the work it claims
// (bridge/credit), and commits one Checkpoint entry with the receipt as
// sent and the credit it computed. Apply checks again what may have
// changed since (the job's run, the receipt's sequence, the node's key)
// and keeps:
//
//   - the receipt, in the receipts table keyed by (job, run, seq), with
//     its credit and the clamp's note; at most MaxReceiptsPerJob per job:
//     past it the job's oldest receipt is dropped from the table (its
//     credit stays in the job's and the node's totals, and
//     Checkpoints.Dropped counts it);
//   - the job's summary (Job.Checkpoints): the count, the last checkpoint's
//     digest, time and size (what a requeued run restores), the run's last
//     receipt (the next must be its Seq+1 and start no earlier than its
//     end), the credited totals;
//   - the node's credit (the credit table, by Nomad node id);
//   - from Checkpoint 2 on, the receipt's reward, accrued to the wallet
//     of the donor whose join registered the receipt's key (ledger.go).
//
// The same receipt sent again (a retry after a leader change lost the
// reply) is answered with the recorded credit and changes nothing: a
// receipt is never counted twice.

// Bounds of the checkpoint records.
const (
	// MaxReceiptsPerJob caps the receipt rows one job keeps (see above).
	MaxReceiptsPerJob = 1024
	// MaxCreditNote bounds a clamp's note.
	MaxCreditNote = 1024
)

// ErrReceipt: a receipt that cannot be recorded (its run is not the job's
// current one, its sequence is not the next, its interval overlaps the
// previous receipt's, its node's key is not current).
var ErrReceipt = errors.New("receipt refused")

// Checkpoints is a job's checkpoint summary, over all its runs.
type Checkpoints struct {
	// Count is the checkpoints committed, all runs together.
	Count int `json:"count"`
	// Digest, Time and Size are the last checkpoint's manifest digest,
	// commit time (the leader's) and total bytes: what a requeued run
	// restores.
	Digest string    `json:"digest"`
	Time   time.Time `json:"time"`
	Size   int64     `json:"size"`
	// Run and Seq are the last receipt's run and sequence; End the end of
	// the interval it claimed, CreditedEnd the end it was credited to.
	Run         int       `json:"run"`
	Seq         int       `json:"seq"`
	End         time.Time `json:"end"`
	CreditedEnd time.Time `json:"credited_end"`
	// GPUSeconds and CPUSeconds are the job's credited work, all runs.
	GPUSeconds int64 `json:"gpu_seconds"`
	CPUSeconds int64 `json:"cpu_seconds"`
	// Dropped counts receipts dropped from the table past
	// MaxReceiptsPerJob (their credit is in the totals).
	Dropped int `json:"dropped,omitempty"`
	// Reward is the sum of the job's receipts' rewards (token base units,
	// decimal; ledger.go); empty when none earned any.
	Reward string `json:"reward,omitempty"`
}

// Credit is what the leader credited for a receipt.
type Credit struct {
	// Start and End are the credited interval; GPUs and CPUs the credited
	// GPU and CPU counts.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	GPUs  int       `json:"gpus"`
	CPUs  int       `json:"cpus"`
	// GPUSeconds and CPUSeconds are the counts times the interval's whole
	// seconds.
	GPUSeconds int64 `json:"gpu_seconds"`
	CPUSeconds int64 `json:"cpu_seconds"`
	// Clamped says the receipt claimed more than was observed; Note says
	// what was cut and why.
	Clamped bool   `json:"clamped,omitempty"`
	Note    string `json:"note,omitempty"`
	// GPUModel is the model of the GPUs credited (the Nomad device
	// group's name of the allocation's GPUs): what the reward rate is
	// picked by (RewardRates.GPURate); empty for CPU work or unknown.
	GPUModel string `json:"gpu_model,omitempty"`
}

// check reports a credit over its bounds.
func (c *Credit) check() error {
	switch {
	case c.GPUs < 0 || c.GPUs > receipt.MaxGPUs || c.CPUs < 0 || c.CPUs > 1<<16:
		return fmt.Errorf("credit of %d GPUs, %d CPUs out of range", c.GPUs, c.CPUs)
	case c.GPUSeconds < 0 || c.CPUSeconds < 0:
		return errors.New("negative credit")
	case c.End.Before(c.Start):
		return errors.New("credited interval ends before it starts")
	case len(c.Note) > MaxCreditNote:
		return fmt.Errorf("credit note over %d bytes", MaxCreditNote)
	}
	return CheckGPUModel(c.GPUModel)
}

// ReceiptRecord is one committed checkpoint's receipt.
type ReceiptRecord struct {
	JobID uint64 `json:"job_id"`
	Run   int    `json:"run"`
	Seq   int    `json:"seq"`
	// User is the job's owner (who may read the record).
	User string `json:"user"`
	// NodeID, Node and AllocID are the receipt's (and the allocation's,
	// as the leader checked).
	NodeID  string `json:"node_id"`
	Node    string `json:"node"`
	AllocID string `json:"alloc_id"`
	// Key is the node key the receipt was verified with.
	Key string `json:"key"`
	// Signed is the receipt as the node sent and signed it.
	Signed receipt.Signed `json:"signed"`
	// Digest, Size, Uploaded and Trigger are the receipt's.
	Digest   string `json:"digest"`
	Size     int64  `json:"size"`
	Uploaded int64  `json:"uploaded"`
	Trigger  string `json:"trigger"`
	// ClaimStart, ClaimEnd, ClaimGPUs and ClaimCPUs are what it claimed.
	ClaimStart time.Time `json:"claim_start"`
	ClaimEnd   time.Time `json:"claim_end"`
	ClaimGPUs  int       `json:"claim_gpus"`
	ClaimCPUs  int       `json:"claim_cpus"`
	// Credit is what was credited.
	Credit Credit `json:"credit"`
	// Reward is what the receipt earned (token base units, decimal:
	// ledger.go) and Wallet the wallet it was credited to; both empty
	// when it earned nothing (its key joined no donor, the donor has no
	// wallet, or the entry is a Checkpoint 1).
	Reward string `json:"reward,omitempty"`
	Wallet string `json:"wallet,omitempty"`
	// Time is the leader's commit time; Index the log entry.
	Time  time.Time `json:"time"`
	Index uint64    `json:"index"`
}

// NodeCredit is the work credited to one Nomad node, all jobs together.
type NodeCredit struct {
	NodeID     string `json:"node_id"`
	Node       string `json:"node"`
	Receipts   int64  `json:"receipts"`
	GPUSeconds int64  `json:"gpu_seconds"`
	CPUSeconds int64  `json:"cpu_seconds"`
	// ModifyIndex is the last entry that credited it.
	ModifyIndex uint64 `json:"modify_index"`
}

// CheckpointCmd records a verified checkpoint receipt and its credit. The
// receipt's fields are carried beside its signed body (which Apply keeps
// as it came and does not parse).
type CheckpointCmd struct {
	// Time is the leader's clock when it verified the receipt.
	Time    time.Time      `json:"time"`
	JobID   uint64         `json:"job_id"`
	Run     int            `json:"run"`
	Seq     int            `json:"seq"`
	NodeID  string         `json:"node_id"`
	Node    string         `json:"node"`
	AllocID string         `json:"alloc_id"`
	Key     string         `json:"key"`
	Signed  receipt.Signed `json:"signed"`

	Digest     string    `json:"digest"`
	Size       int64     `json:"size"`
	Uploaded   int64     `json:"uploaded"`
	Trigger    string    `json:"trigger"`
	ClaimStart time.Time `json:"claim_start"`
	ClaimEnd   time.Time `json:"claim_end"`
	ClaimGPUs  int       `json:"claim_gpus"`
	ClaimCPUs  int       `json:"claim_cpus"`
	Credit     Credit    `json:"credit"`
}

// CheckpointResult is Apply's answer to a Checkpoint: the record as kept,
// and whether the entry was a receipt already recorded (then nothing
// changed).
type CheckpointResult struct {
	Record    *ReceiptRecord `json:"record"`
	Duplicate bool           `json:"duplicate,omitempty"`
}

// validate refuses a command over its bounds (Encode calls it; Apply
// again, so that a replayed entry is judged the same).
func (c CheckpointCmd) validate() error {
	switch {
	case c.JobID == 0 || c.Run < 0 || c.Run > 1<<20 || c.Seq < 1 || c.Seq > 1<<30:
		return fmt.Errorf("checkpoint of job %d run %d seq %d: out of range", c.JobID, c.Run, c.Seq)
	case c.NodeID == "" || len(c.NodeID) > MaxNodeIDLen || c.Node == "" || len(c.Node) > MaxNodeNameLen:
		return errors.New("checkpoint without its node, or node over its bounds")
	case c.AllocID == "" || len(c.AllocID) > 64:
		return errors.New("checkpoint without its allocation, or allocation id over 64 bytes")
	case len(c.Signed.Body) == 0 || len(c.Signed.Body) > receipt.MaxBytes || len(c.Signed.Sig) != ed25519.SignatureSize:
		return errors.New("checkpoint without a signed receipt, or one over its bounds")
	case !receipt.ValidDigest(c.Digest):
		return fmt.Errorf("checkpoint digest %.80q is not sha256:<64 hex>", c.Digest)
	case c.Size < 0 || c.Uploaded < 0 || len(c.Trigger) > 16 || len(c.Key) > 128:
		return errors.New("checkpoint size, trigger or key over its bounds")
	case c.ClaimGPUs < 0 || c.ClaimGPUs > receipt.MaxGPUs || c.ClaimCPUs < 0 || c.ClaimCPUs > 1<<16:
		return errors.New("checkpoint claim of GPUs or CPUs out of range")
	}
	return c.Credit.check()
}

// receiptIndex indexes receipts by (job, run, seq); "id_prefix" with the
// job id alone finds a job's.
type receiptIndex struct{}

func receiptKey(job uint64, run, seq int) []byte {
	b := make([]byte, 24)
	binary.BigEndian.PutUint64(b, job)
	binary.BigEndian.PutUint64(b[8:], uint64(run))
	binary.BigEndian.PutUint64(b[16:], uint64(seq))
	return b
}

// FromObject implements memdb.SingleIndexer.
func (receiptIndex) FromObject(raw any) (bool, []byte, error) {
	r, ok := raw.(*ReceiptRecord)
	if !ok {
		return false, nil, fmt.Errorf("receipt index: %T is not a receipt", raw)
	}
	return true, receiptKey(r.JobID, r.Run, r.Seq), nil
}

// FromArgs implements memdb.Indexer: (job uint64, run int, seq int).
func (receiptIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 3 {
		return nil, fmt.Errorf("receipt index: want job, run and seq, got %d values", len(args))
	}
	job, ok1 := args[0].(uint64)
	run, ok2 := args[1].(int)
	seq, ok3 := args[2].(int)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("receipt index: want (uint64, int, int), got (%T, %T, %T)", args[0], args[1], args[2])
	}
	return receiptKey(job, run, seq), nil
}

// PrefixFromArgs implements memdb.PrefixIndexer: (job uint64).
func (receiptIndex) PrefixFromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("receipt index prefix: want a job id, got %d values", len(args))
	}
	job, ok := args[0].(uint64)
	if !ok {
		return nil, fmt.Errorf("receipt index prefix: want uint64, got %T", args[0])
	}
	return receiptKey(job, 0, 0)[:8], nil
}

// checkpointTables are the tables of this file and nodekeys.go.
func checkpointTables() map[string]*memdb.TableSchema {
	return map[string]*memdb.TableSchema{
		tableNodeKeys: {Name: tableNodeKeys, Indexes: map[string]*memdb.IndexSchema{
			"id":   {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
			"node": {Name: "node", Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
			"name": {Name: "name", Indexer: &memdb.StringFieldIndex{Field: "Node"}},
		}},
		tableReceipts: {Name: tableReceipts, Indexes: map[string]*memdb.IndexSchema{
			"id":   {Name: "id", Unique: true, Indexer: receiptIndex{}},
			"node": {Name: "node", Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
			"user": {Name: "user", Indexer: &memdb.StringFieldIndex{Field: "User"}},
		}},
		tableCredit: {Name: tableCredit, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
		}},
	}
}

// checkpointRow is a new row of one of those tables, for Restore.
func checkpointRow(table string) any {
	switch table {
	case tableNodeKeys:
		return &NodeKey{}
	case tableReceipts:
		return &ReceiptRecord{}
	case tableCredit:
		return &NodeCredit{}
	}
	return nil
}

func (a *applier) receipt(job uint64, run, seq int) *ReceiptRecord {
	raw, err := a.txn.First(tableReceipts, "id", job, run, seq)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*ReceiptRecord)
}

// applyCheckpoint records a checkpoint receipt (version 1; version 2
// accrues its reward, ledger.go).
func applyCheckpoint(a *applier, version uint8, c *CheckpointCmd) *Result {
	if err := c.validate(); err != nil {
		return &Result{Err: fmt.Errorf("%w: %v", ErrReceipt, err)}
	}
	j := a.job(c.JobID)
	if j == nil || j.IsArrayBase() {
		return &Result{Err: fmt.Errorf("%d: %w", c.JobID, ErrNotFound)}
	}
	if old := a.receipt(c.JobID, c.Run, c.Seq); old != nil {
		if bytes.Equal(old.Signed.Body, c.Signed.Body) && bytes.Equal(old.Signed.Sig, c.Signed.Sig) {
			return &Result{Value: CheckpointResult{Record: old, Duplicate: true}}
		}
		return &Result{Err: fmt.Errorf("%w: job %d run %d already has checkpoint %d", ErrReceipt, c.JobID, c.Run, c.Seq)}
	}
	if !j.TakesReceipt(c.Run) {
		return &Result{Err: fmt.Errorf("%w: job %d run %d is neither running nor its last run (its run is %d, %s)", ErrReceipt, c.JobID, c.Run, j.RestartCount, j.State)}
	}
	var prev Checkpoints
	if j.Checkpoints != nil {
		prev = *j.Checkpoints
	}
	next := 1
	if j.Checkpoints != nil && prev.Run == c.Run {
		next = prev.Seq + 1
		if c.ClaimStart.Before(prev.End) {
			return &Result{Err: fmt.Errorf("%w: checkpoint %d starts at %s, before the end of checkpoint %d (%s)", ErrReceipt,
				c.Seq, c.ClaimStart.UTC().Format(time.RFC3339Nano), prev.Seq, prev.End.UTC().Format(time.RFC3339Nano))}
		}
	}
	if c.Seq != next {
		return &Result{Err: fmt.Errorf("%w: job %d run %d: checkpoint %d is not the next (%d)", ErrReceipt, c.JobID, c.Run, c.Seq, next)}
	}
	raw, err := a.txn.First(tableNodeKeys, "id", c.Key)
	if err != nil || raw == nil || raw.(*NodeKey).NodeID != c.NodeID || !raw.(*NodeKey).Current() {
		return &Result{Err: fmt.Errorf("%w: node %s's key is not its current key (revoked or replaced)", ErrReceipt, c.Node)}
	}
	rec := &ReceiptRecord{
		JobID: c.JobID, Run: c.Run, Seq: c.Seq, User: j.User,
		NodeID: c.NodeID, Node: c.Node, AllocID: c.AllocID, Key: c.Key,
		Signed: receipt.Signed{Body: slices.Clone(c.Signed.Body), Sig: slices.Clone(c.Signed.Sig)},
		Digest: c.Digest, Size: c.Size, Uploaded: c.Uploaded, Trigger: c.Trigger,
		ClaimStart: c.ClaimStart, ClaimEnd: c.ClaimEnd, ClaimGPUs: c.ClaimGPUs, ClaimCPUs: c.ClaimCPUs,
		Credit: c.Credit, Time: c.Time, Index: a.index,
	}
	if version >= 2 {
		rec.Reward, rec.Wallet = a.accrue(c)
	}
	if err := a.txn.Insert(tableReceipts, rec); err != nil {
		panic(fmt.Sprintf("state: insert receipt %d/%d/%d: %v", c.JobID, c.Run, c.Seq, err))
	}
	sum := prev
	sum.Count++
	sum.Digest, sum.Time, sum.Size = c.Digest, c.Time, c.Size
	sum.Run, sum.Seq, sum.End, sum.CreditedEnd = c.Run, c.Seq, c.ClaimEnd, c.Credit.End
	sum.GPUSeconds += c.Credit.GPUSeconds
	sum.CPUSeconds += c.Credit.CPUSeconds
	if rec.Reward != "" {
		sum.Reward = addDecimal(sum.Reward, rec.Reward)
	}
	if sum.Count-sum.Dropped > MaxReceiptsPerJob {
		it, err := a.txn.Get(tableReceipts, "id_prefix", c.JobID)
		if err != nil {
			panic(err)
		}
		if oldest := it.Next(); oldest != nil {
			if err := a.txn.Delete(tableReceipts, oldest); err != nil {
				panic(err)
			}
			sum.Dropped++
		}
	}
	cp := *j
	cp.Checkpoints = &sum
	a.put(&cp)
	a.credit(c)
	return &Result{Changed: []uint64{j.ID}, Value: CheckpointResult{Record: rec}}
}

// TakesReceipt reports whether j takes a receipt of run: its current run,
// once started, or the run a requeue just ended while the job waits to run
// again (the node commits a stopped run's last checkpoint after its end;
// the run's token stays usable for state.RunTokenGrace for that).
func (j *Job) TakesReceipt(run int) bool {
	if run == j.RestartCount {
		return j.State != StatePending
	}
	n := len(j.Runs)
	return run == j.RestartCount-1 && j.State == StatePending && n > 0 && j.Runs[n-1].RestartCount == run
}

// RunEnded is when the coordinator recorded the end of run (zero while it
// runs, or for a run that is neither the job's current one nor the one a
// requeue just ended): the current run's EndTime once the job is in a
// final state, or the requeue that ended the last run. A receipt is
// credited no later (bridge/credit Input.Ended), whatever a donor's
// client tells the Nomad servers after the run ended.
func (j *Job) RunEnded(run int) time.Time {
	if run == j.RestartCount {
		if j.State.Terminal() {
			return j.EndTime
		}
		return time.Time{}
	}
	if n := len(j.Runs); n > 0 && j.Runs[n-1].RestartCount == run {
		return j.Runs[n-1].EndTime
	}
	return time.Time{}
}

// credit adds a receipt's credit to its node's.
func (a *applier) credit(c *CheckpointCmd) {
	nc := &NodeCredit{NodeID: c.NodeID}
	if raw, err := a.txn.First(tableCredit, "id", c.NodeID); err == nil && raw != nil {
		cp := *raw.(*NodeCredit)
		nc = &cp
	}
	nc.Node = c.Node
	nc.Receipts++
	nc.GPUSeconds += c.Credit.GPUSeconds
	nc.CPUSeconds += c.Credit.CPUSeconds
	nc.ModifyIndex = a.index
	if err := a.txn.Insert(tableCredit, nc); err != nil {
		panic(fmt.Sprintf("state: credit node %s: %v", c.NodeID, err))
	}
}

// Receipt returns the receipt of (job, run, seq), or nil.
func (v *View) Receipt(job uint64, run, seq int) *ReceiptRecord {
	raw, err := v.txn.First(tableReceipts, "id", job, run, seq)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*ReceiptRecord)
}

// ReceiptsOfJob calls f for each receipt job keeps, by run and seq, until
// f returns false.
func (v *View) ReceiptsOfJob(job uint64, f func(*ReceiptRecord) bool) {
	it, err := v.txn.Get(tableReceipts, "id_prefix", job)
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !f(raw.(*ReceiptRecord)) {
			return
		}
	}
}

// EachReceipt calls f for each receipt, by job, run and seq, until f
// returns false.
func (v *View) EachReceipt(f func(*ReceiptRecord) bool) {
	it, err := v.txn.Get(tableReceipts, "id")
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !f(raw.(*ReceiptRecord)) {
			return
		}
	}
}

// ReceiptsOfUser calls f for each receipt of user's jobs until f returns
// false.
func (v *View) ReceiptsOfUser(user string, f func(*ReceiptRecord) bool) {
	it, err := v.txn.Get(tableReceipts, "user", user)
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !f(raw.(*ReceiptRecord)) {
			return
		}
	}
}

// Credits lists every node's credit, by node id.
func (v *View) Credits() []*NodeCredit {
	it, err := v.txn.Get(tableCredit, "id")
	if err != nil {
		return nil
	}
	var out []*NodeCredit
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*NodeCredit))
	}
	return out
}
