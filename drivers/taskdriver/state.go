package taskdriver

import (
	"sync"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	pstructs "github.com/hashicorp/nomad/plugins/shared/structs"
)

// TaskState is what the driver keeps in a task's handle, which Nomad
// stores and hands back to RecoverTask after a client or plugin restart.
type TaskState struct {
	ReattachConfig *pstructs.ReattachConfig
	TaskConfig     *drivers.TaskConfig
	Pid            int
	StartedAt      time.Time
	// PoolUID is the uid leased to the job on a run_as = "pool" node (0:
	// none); RecoverTask re-owns its lease.
	PoolUID int
	// Owner is who the job runs as. RecoverTask makes the task's
	// directories private to it again: a restarted Nomad client rebuilds
	// the allocation's shared directories with mode 0777.
	Owner *Owner
	// DeviceCgroup is the task's cgroup v1 devices cgroup ("" none), removed
	// when the task is over.
	DeviceCgroup string
	// PidsCgroup is a sandboxed task's cgroup v1 pids cgroup ("" none),
	// removed when the task is over.
	PidsCgroup string `json:",omitempty"`
	// Checkpoint is the task's checkpoint setup (nil: none); RecoverTask
	// serves its socket again.
	Checkpoint *CheckpointSetup
	// Staging is a staged task's (nil: none); its outputs go back at the
	// end, also after a restart (staging.go).
	Staging *StagingSetup
}

// Owner is the uid and gid a job runs as.
type Owner struct {
	UID, GID int
}

// taskStore is the driver's table of running tasks.
type taskStore struct {
	mu    sync.RWMutex
	store map[string]*taskHandle
}

func newTaskStore() *taskStore {
	return &taskStore{store: map[string]*taskHandle{}}
}

func (ts *taskStore) Set(id string, h *taskHandle) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.store[id] = h
}

func (ts *taskStore) Get(id string) (*taskHandle, bool) {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	h, ok := ts.store[id]
	return h, ok
}

func (ts *taskStore) Delete(id string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.store, id)
}
