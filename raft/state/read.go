package state

import (
	"strconv"

	memdb "github.com/hashicorp/go-memdb"
)

// View is a read-only, consistent snapshot of the store. Records it returns
// are shared: never modify them.
type View struct {
	txn *memdb.Txn
}

// View opens a read snapshot.
func (s *Store) View() *View { return &View{txn: s.memdb().Txn(false)} }

// LatestIndex is the Raft index of the last applied command.
func (v *View) LatestIndex() uint64 {
	n, _ := strconv.ParseUint(v.Meta(MetaLastIndex), 10, 64)
	return n
}

// Meta returns a replicated key ("" when unset).
func (v *View) Meta(key string) string {
	raw, err := v.txn.First(tableMeta, "id", key)
	if err != nil || raw == nil {
		return ""
	}
	return raw.(*metaRow).Value
}

// Job returns a job by id, or nil.
func (v *View) Job(id uint64) *Job {
	raw, err := v.txn.First(tableJobs, "id", id)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Job)
}

// Task returns the materialised record of arrayJobID_task, or nil.
func (v *View) Task(arrayJobID uint64, task int) *Job {
	raw, err := v.txn.First(tableJobs, "array", arrayJobID, task)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Job)
}

// ArrayTasks returns the materialised tasks of an array (not its base).
func (v *View) ArrayTasks(arrayJobID uint64) []*Job {
	it, err := v.txn.Get(tableJobs, "array_prefix", arrayJobID)
	if err != nil {
		return nil
	}
	var out []*Job
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if j := raw.(*Job); j.ArrayTaskID != NoTask {
			out = append(out, j)
		}
	}
	return out
}

// Submission returns the submission a job runs (an array task's is its base's).
func (v *View) Submission(j *Job) *Submission {
	if j.Submission != nil || j.ArrayJobID == 0 {
		return j.Submission
	}
	if base := v.Job(j.ArrayJobID); base != nil {
		return base.Submission
	}
	return nil
}

// EachJob calls f for every job in id order until f returns false.
func (v *View) EachJob(f func(*Job) bool) {
	it, err := v.txn.Get(tableJobs, "id")
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !f(raw.(*Job)) {
			return
		}
	}
}

// EachJobInState calls f for every job in state st until f returns false.
func (v *View) EachJobInState(st JobState, f func(*Job) bool) {
	it, err := v.txn.Get(tableJobs, "state", string(st))
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !f(raw.(*Job)) {
			return
		}
	}
}

// EachJobModifiedAfter calls f, in the order of their last change, for
// every job a command after log index idx changed, until f returns false.
func (v *View) EachJobModifiedAfter(idx uint64, f func(*Job) bool) {
	it, err := v.txn.LowerBound(tableJobs, "modify", idx+1)
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !f(raw.(*Job)) {
			return
		}
	}
}

// EachJobOfUser calls f for every job of user until f returns false.
func (v *View) EachJobOfUser(user string, f func(*Job) bool) {
	it, err := v.txn.Get(tableJobs, "user", user)
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if !f(raw.(*Job)) {
			return
		}
	}
}

// TokenBySecretHash returns the token whose secret hashes to h, or nil.
func (v *View) TokenBySecretHash(h string) *ACLToken {
	raw, err := v.txn.First(tableTokens, "secret", h)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*ACLToken)
}

// Token returns a token by accessor id, or nil.
func (v *View) Token(accessorID string) *ACLToken {
	raw, err := v.txn.First(tableTokens, "id", accessorID)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*ACLToken)
}

// Tokens returns every token.
func (v *View) Tokens() []*ACLToken {
	it, err := v.txn.Get(tableTokens, "id")
	if err != nil {
		return nil
	}
	var out []*ACLToken
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*ACLToken))
	}
	return out
}

// WatchJobs returns a channel closed when the jobs table changes after this
// view was opened (for blocking queries).
func (s *Store) WatchJobs() <-chan struct{} {
	txn := s.memdb().Txn(false)
	ch, _, _ := txn.FirstWatch(tableMeta, "id", MetaLastIndex)
	return ch
}
