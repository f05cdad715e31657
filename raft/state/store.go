package state

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"

	memdb "github.com/hashicorp/go-memdb"
)

// Sentinel errors returned in Result.Err (use errors.Is).
var (
	// ErrNotFound: no such job, array task or token.
	ErrNotFound = errors.New("invalid job id specified")
	// ErrPermission: the actor may not change this job.
	ErrPermission = errors.New("access/permission denied")
	// ErrState: the job is not in a state that allows the change.
	ErrState = errors.New("job state does not allow this operation")
	// ErrDisabled: the job forbids the operation (e.g. --no-requeue).
	ErrDisabled = errors.New("requested operation is presently disabled")
	// ErrBootstrapped: ACL bootstrap has already been done.
	ErrBootstrapped = errors.New("ACL bootstrap already done")
	// ErrDependency: the dependency would make jobs wait for each other
	// for ever (a job on itself, A on B on A), as slurmctld's "Job
	// dependency problem".
	ErrDependency = errors.New("job dependency problem")
)

// Table names.
const (
	tableJobs   = "jobs"
	tableTokens = "tokens"
	tableMeta   = "meta"
	// checkpoint.go, nodekeys.go
	tableNodeKeys = "node_keys"
	tableReceipts = "receipts"
	tableCredit   = "credit"
)

// metaRow is one replicated key/value.
type metaRow struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Meta keys.
const (
	MetaNextJobID       = "next_job_id"
	MetaACLBootstrapped = "acl_bootstrapped"
	MetaLastIndex       = "last_index"
)

func schema() *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		tableJobs: {Name: tableJobs, Indexes: map[string]*memdb.IndexSchema{
			"id":    {Name: "id", Unique: true, Indexer: &memdb.UintFieldIndex{Field: "ID"}},
			"array": {Name: "array", Unique: true, AllowMissing: true, Indexer: arrayIndex{}},
			"user":  {Name: "user", Indexer: &memdb.StringFieldIndex{Field: "User"}},
			"state": {Name: "state", Indexer: &memdb.StringFieldIndex{Field: "State"}},
			// "modify" finds the jobs a stretch of the log changed.
			"modify": {Name: "modify", Indexer: &memdb.UintFieldIndex{Field: "ModifyIndex"}},
		}},
		tableTokens: {Name: tableTokens, Indexes: map[string]*memdb.IndexSchema{
			"id":     {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "AccessorID"}},
			"secret": {Name: "secret", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "SecretHash"}},
			// "job": run tokens by job id (files.go).
			"job": {Name: "job", AllowMissing: true, Indexer: runTokenIndex{}},
			// "ended": ended run tokens by their end (files.go).
			"ended": {Name: "ended", AllowMissing: true, Indexer: endedTokenIndex{}},
		}},
		tableMeta: {Name: tableMeta, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
		}},
	}}
	maps.Copy(s.Tables, checkpointTables())
	maps.Copy(s.Tables, donorTables())
	maps.Copy(s.Tables, ledgerTables())
	return s
}

// Store is the replicated state. Reads are lock-free snapshots; Apply is
// called by one goroutine (the Raft FSM).
type Store struct {
	mu sync.RWMutex // guards db replacement on Restore
	db *memdb.MemDB
}

// New returns an empty store.
func New() *Store {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		panic(fmt.Sprintf("state: schema: %v", err)) // a programming error
	}
	return &Store{db: db}
}

func (s *Store) memdb() *memdb.MemDB {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db
}

// Apply applies one log entry at the given Raft index and returns a
// *Result. It panics on bytes it cannot decode or a command type or version
// this build does not know: skipping an entry would diverge from the other
// replicas.
func (s *Store) Apply(index uint64, data []byte) *Result {
	if len(data) < 2 {
		panic(fmt.Sprintf("state: log entry %d is %d bytes: too short to hold a command", index, len(data)))
	}
	c, v, err := lookup(data)
	if err != nil {
		panic(fmt.Sprintf("state: log entry %d: %v: upgrade this server", index, err))
	}
	payload, err := c.decode(data[2:])
	if err != nil {
		// A replica that skipped the entry would diverge: stop instead.
		panic(fmt.Sprintf("state: log entry %d: undecodable %s payload: %v", index, c.name, err))
	}
	txn := s.memdb().Txn(true)
	defer txn.Abort()
	res := c.apply(&applier{txn: txn, index: index}, v, payload)
	if err := txn.Insert(tableMeta, &metaRow{Key: MetaLastIndex, Value: fmt.Sprint(index)}); err != nil {
		panic(fmt.Sprintf("state: entry %d: %v", index, err))
	}
	txn.Commit()
	return res
}

// snapshotRecord is one line of a snapshot.
type snapshotRecord struct {
	Table string          `json:"t"`
	Row   json.RawMessage `json:"r"`
}

// Snapshot returns a point-in-time copy that can be written out while
// Apply goes on.
func (s *Store) Snapshot() *Snapshot {
	return &Snapshot{txn: s.memdb().Txn(false)}
}

// Snapshot is a consistent view of the store being persisted.
type Snapshot struct {
	txn *memdb.Txn
}

// Persist writes the snapshot as JSON lines.
func (sn *Snapshot) Persist(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	for _, table := range []string{tableMeta, tableTokens, tableJobs, tableNodeKeys, tableReceipts, tableCredit,
		tableDonors, tableDonorNodes, tableJoinTokens, tableRewardRates, tableWalletCredit, tableEpochs, tableEpochLeaves} {
		it, err := sn.txn.Get(table, "id")
		if err != nil {
			return fmt.Errorf("state: snapshot %s: %w", table, err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			row, err := json.Marshal(raw)
			if err != nil {
				return fmt.Errorf("state: snapshot %s: %w", table, err)
			}
			if err := enc.Encode(snapshotRecord{Table: table, Row: row}); err != nil {
				return fmt.Errorf("state: snapshot: %w", err)
			}
		}
	}
	return bw.Flush()
}

// Restore replaces the whole state with a snapshot written by Persist.
func (s *Store) Restore(r io.Reader) error {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return err
	}
	txn := db.Txn(true)
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	for {
		var rec snapshotRecord
		if err := dec.Decode(&rec); err == io.EOF {
			break
		} else if err != nil {
			txn.Abort()
			return fmt.Errorf("state: restore: %w", err)
		}
		var row any
		switch rec.Table {
		case tableJobs:
			row = &Job{}
		case tableTokens:
			row = &ACLToken{}
		case tableMeta:
			row = &metaRow{}
		case tableNodeKeys, tableReceipts, tableCredit:
			row = checkpointRow(rec.Table)
		case tableDonors, tableDonorNodes, tableJoinTokens:
			row = donorRow(rec.Table)
		case tableRewardRates, tableWalletCredit, tableEpochs, tableEpochLeaves:
			row = ledgerRow(rec.Table)
		default:
			txn.Abort()
			return fmt.Errorf("state: restore: unknown table %q", rec.Table)
		}
		if err := json.Unmarshal(rec.Row, row); err != nil {
			txn.Abort()
			return fmt.Errorf("state: restore %s: %w", rec.Table, err)
		}
		if err := txn.Insert(rec.Table, row); err != nil {
			txn.Abort()
			return fmt.Errorf("state: restore %s: %w", rec.Table, err)
		}
	}
	txn.Commit()
	s.mu.Lock()
	old := s.db
	s.db = db
	s.mu.Unlock()
	// Wake whoever watches the replaced database (blocking queries), so
	// that they read the restored one now rather than at their timeout.
	wake := old.Txn(true)
	if err := wake.Delete(tableMeta, &metaRow{Key: MetaLastIndex}); err != nil && !errors.Is(err, memdb.ErrNotFound) {
		wake.Abort()
		return fmt.Errorf("state: restore: %w", err)
	}
	wake.Commit()
	return nil
}
