package state

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// JobFiles are a staged job's manifests (docs/files.md): the submit
// directory sbatch uploaded, and what the job created or changed, as the
// node that ran it sent it back. Digests are "sha256:<hex>" of manifest
// blobs in the job owner's namespace of the coordinator's blob store.
// Records are shared with readers: replace, never change one in place.
type JobFiles struct {
	// Input is the submit directory's manifest (JobSubmit 3).
	Input string `json:"input,omitempty"`
	// Output is the outputs' manifest (JobFiles 1), of run OutputRun,
	// committed at OutputTime; empty until the run's node sent it.
	Output     string    `json:"output,omitempty"`
	OutputRun  int       `json:"output_run,omitempty"`
	OutputTime time.Time `json:"output_time,omitzero"`
}

// JobFilesCmd records the outputs' manifest of a staged job's run. The
// API commits it for the run's token once every blob it names is in the
// store; Apply takes it only for the job's current run.
type JobFilesCmd struct {
	Time   time.Time `json:"time"`
	JobID  uint64    `json:"job_id"`
	Run    int       `json:"run"`
	Output string    `json:"output"`
}

// RunTokenCmd creates a run token (ACLToken of type TokenRun): the leader's
// executor mints one for each run it renders. Apply refuses it (ErrState)
// unless Token.JobID is RUNNING in run Token.Run, so that a token is never
// made for a run that has ended.
type RunTokenCmd struct {
	Token ACLToken `json:"token"`
}

// TokenRun is the type of a run's token: it acts for one run of one job,
// on the routes that take it only (the API's run routes).
const TokenRun = "run"

// RunTokenGrace is how long a run token stays usable after Slurm ended its
// run (scancel, time limit, requeue): the node may still be stopping the
// job and sending back its outputs or a last checkpoint. Apply deletes the
// token once the executor saw the run end (JobFinish), or when the job
// starts a later run.
const RunTokenGrace = 15 * time.Minute

// Usable reports whether a run token may act at now: not ended, or ended
// less than RunTokenGrace ago. Other tokens are always usable.
func (t *ACLToken) Usable(now time.Time) bool {
	return t.Type != TokenRun || t.Ended.IsZero() || now.Before(t.Ended.Add(RunTokenGrace))
}

var digestRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha256:[0-9a-f]{64}$`) })

// ValidDigest reports whether d is "sha256:" and 64 lower-case hex digits.
func ValidDigest(d string) bool { return digestRE().MatchString(d) }

func (c JobFilesCmd) validate() error {
	if !ValidDigest(c.Output) {
		return fmt.Errorf("output manifest %q is not a sha256 digest", c.Output)
	}
	if c.Run < 0 {
		return fmt.Errorf("run %d", c.Run)
	}
	return nil
}

func (c RunTokenCmd) validate() error {
	t := c.Token
	if t.Type != TokenRun || t.JobID == 0 || t.Run < 0 || t.AccessorID == "" || t.SecretHash == "" || t.User == "" {
		return fmt.Errorf("run token for job %d run %d: needs type %q, job, run, user, accessor and secret hash", t.JobID, t.Run, TokenRun)
	}
	return nil
}

// applyJobFiles records a run's outputs (JobFilesCmd).
func applyJobFiles(a *applier, _ uint8, c *JobFilesCmd) *Result {
	j := a.job(c.JobID)
	if j == nil {
		return &Result{Err: fmt.Errorf("%d: %w", c.JobID, ErrNotFound)}
	}
	if j.IsArrayBase() || j.RestartCount != c.Run || j.State == StatePending {
		return &Result{Err: fmt.Errorf("%d: run %d is not the job's current run: %w", c.JobID, c.Run, ErrState)}
	}
	if j.Files == nil || j.Files.Input == "" {
		return &Result{Err: fmt.Errorf("%d is not a staged job: %w", c.JobID, ErrState)}
	}
	cp := *j
	f := *j.Files
	f.Output, f.OutputRun, f.OutputTime = c.Output, c.Run, c.Time
	cp.Files = &f
	a.put(&cp)
	return &Result{Changed: []uint64{j.ID}}
}

// applyRunToken stores a run token for a running run (RunTokenCmd).
func applyRunToken(a *applier, _ uint8, c *RunTokenCmd) *Result {
	t := c.Token
	j := a.job(t.JobID)
	if j == nil {
		return &Result{Err: fmt.Errorf("%d: %w", t.JobID, ErrNotFound)}
	}
	if j.State != StateRunning || j.RestartCount != t.Run {
		return &Result{Err: fmt.Errorf("%d run %d is not running (%s, run %d): %w", t.JobID, t.Run, j.State, j.RestartCount, ErrState)}
	}
	t.Ended = time.Time{}
	return a.insertToken(t)
}

// runTokens are the run tokens of a job, in accessor order.
func (a *applier) runTokens(jobID uint64) []*ACLToken {
	it, err := a.txn.Get(tableTokens, "job", jobID)
	if err != nil {
		panic(fmt.Sprintf("state: run tokens of %d: %v", jobID, err))
	}
	var out []*ACLToken
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*ACLToken))
	}
	slices.SortFunc(out, func(x, y *ACLToken) int { return strings.Compare(x.AccessorID, y.AccessorID) })
	return out
}

// endRunTokens marks the job's run tokens ended at t: Slurm ended the run
// (cancel, time limit, requeue), the node may still be stopping it. They
// stay usable for RunTokenGrace (ACLToken.Usable).
func (a *applier) endRunTokens(jobID uint64, t time.Time) {
	for _, tok := range a.runTokens(jobID) {
		if !tok.Ended.IsZero() {
			continue
		}
		cp := *tok
		cp.Ended = t
		if err := a.txn.Insert(tableTokens, &cp); err != nil {
			panic(fmt.Sprintf("state: end run token: %v", err))
		}
	}
}

// dropRunTokens deletes the job's run tokens of runs before run, and with
// all set those of every run.
func (a *applier) dropRunTokens(jobID uint64, run int, all bool) {
	for _, tok := range a.runTokens(jobID) {
		if all || tok.Run < run {
			if err := a.txn.Delete(tableTokens, tok); err != nil {
				panic(fmt.Sprintf("state: delete run token: %v", err))
			}
		}
	}
}

// sweepRunTokens deletes run tokens whose run ended RunTokenGrace or more
// before now (at most maxSweep per call, oldest first): a run whose Nomad
// end the executor never reports (it stopped a cancelled run itself) would
// leave its token for ever. Called by commands that carry a time.
func (a *applier) sweepRunTokens(now time.Time) {
	it, err := a.txn.Get(tableTokens, "ended")
	if err != nil {
		panic(fmt.Sprintf("state: ended run tokens: %v", err))
	}
	var old []*ACLToken
	for raw := it.Next(); raw != nil && len(old) < maxSweep; raw = it.Next() {
		t := raw.(*ACLToken)
		if now.Before(t.Ended.Add(RunTokenGrace)) {
			break
		}
		old = append(old, t)
	}
	for _, t := range old {
		if err := a.txn.Delete(tableTokens, t); err != nil {
			panic(fmt.Sprintf("state: delete run token: %v", err))
		}
	}
}

// maxSweep bounds the tokens one command deletes.
const maxSweep = 64

// endedTokenIndex indexes ended run tokens by their end ("ended").
type endedTokenIndex struct{}

func (endedTokenIndex) FromObject(obj any) (bool, []byte, error) {
	t, ok := obj.(*ACLToken)
	if !ok || t.Type != TokenRun || t.Ended.IsZero() {
		return false, nil, nil
	}
	return true, append(uintKey(uint64(t.Ended.UnixNano())), []byte(t.AccessorID)...), nil
}

func (endedTokenIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 0 {
		return nil, fmt.Errorf("ended token index takes no arguments")
	}
	return nil, nil
}

// runTokenIndex indexes run tokens by job id ("job"); other tokens are not
// in it.
type runTokenIndex struct{}

func (runTokenIndex) FromObject(obj any) (bool, []byte, error) {
	t, ok := obj.(*ACLToken)
	if !ok || t.Type != TokenRun || t.JobID == 0 {
		return false, nil, nil
	}
	return true, uintKey(t.JobID), nil
}

func (runTokenIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("run token index takes one job id")
	}
	id, ok := args[0].(uint64)
	if !ok {
		return nil, fmt.Errorf("run token index: job id %T", args[0])
	}
	return uintKey(id), nil
}

func uintKey(v uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

// RunTokens returns a job's run tokens.
func (v *View) RunTokens(jobID uint64) []*ACLToken {
	it, err := v.txn.Get(tableTokens, "job", jobID)
	if err != nil {
		return nil
	}
	var out []*ACLToken
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*ACLToken))
	}
	return out
}

// HashSecret is how a token's secret is kept: hex SHA-256.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// NewRunToken makes the token of a job's run and its secret, for the
// leader to commit (RunTokenCmd) and hand to the run's node only. It reads
// randomness: never call it from Apply.
func NewRunToken(j *Job, now time.Time) (ACLToken, string) {
	secret, accessor := randomUUID(), randomUUID()
	return ACLToken{
		AccessorID: accessor,
		SecretHash: HashSecret(secret),
		Name:       fmt.Sprintf("run %d of job %s", j.RestartCount, j.SlurmID()),
		Type:       TokenRun,
		User:       j.User,
		JobID:      j.ID,
		Run:        j.RestartCount,
		CreateTime: now.UTC(),
	}, secret
}

// randomUUID returns a random (version 4) UUID.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
