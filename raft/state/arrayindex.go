package state

import (
	"encoding/binary"
	"fmt"
)

// arrayIndex indexes array records (base and tasks) by (ArrayJobID,
// ArrayTaskID); plain jobs are not in it, so that a queue of plain jobs
// does not pay for it on every insert. Query it with both values, or with
// the "array_prefix" form and the array job id alone for all of an array.
type arrayIndex struct{}

func arrayKey(arrayJobID uint64, task int) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, arrayJobID)
	binary.BigEndian.PutUint64(b[8:], uint64(int64(task)+1)) // NoTask sorts first
	return b
}

// FromObject implements memdb.SingleIndexer.
func (arrayIndex) FromObject(raw any) (bool, []byte, error) {
	j, ok := raw.(*Job)
	if !ok {
		return false, nil, fmt.Errorf("array index: %T is not a job", raw)
	}
	if j.ArrayJobID == 0 {
		return false, nil, nil
	}
	return true, arrayKey(j.ArrayJobID, j.ArrayTaskID), nil
}

// FromArgs implements memdb.Indexer: (arrayJobID uint64, task int).
func (arrayIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("array index: want an array job id and a task, got %d values", len(args))
	}
	id, ok1 := args[0].(uint64)
	task, ok2 := args[1].(int)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("array index: want (uint64, int), got (%T, %T)", args[0], args[1])
	}
	return arrayKey(id, task), nil
}

// PrefixFromArgs implements memdb.PrefixIndexer: (arrayJobID uint64).
func (arrayIndex) PrefixFromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("array index prefix: want an array job id, got %d values", len(args))
	}
	id, ok := args[0].(uint64)
	if !ok {
		return nil, fmt.Errorf("array index prefix: want uint64, got %T", args[0])
	}
	return arrayKey(id, 0)[:8], nil
}
