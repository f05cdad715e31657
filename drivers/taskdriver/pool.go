package taskdriver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
)

// killWait bounds how long the pool waits for a finished job's leftover
// processes to die before it gives up on the uid (it then stays leased,
// never handed to another job while something of the last one runs).
const killWait = 10 * time.Second

// scratchDirs are the world-writable directories where a pool job's files
// outlive it unless they are removed.
var scratchDirs = []string{"/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue"}

// uidPool hands out per-job uids from a range (run_as = "pool"), as
// HTCondor's slot users or systemd's DynamicUser. A lease is a root-owned
// file per uid in dir, so that a restarted plugin, or a second plugin on
// the same machine, never gives one uid to two running jobs; RecoverTask
// re-owns the lease recorded in the task's state.
type uidPool struct {
	first, last int
	dir         string

	mu sync.Mutex
}

// lease is what a lease file holds.
type lease struct {
	TaskID  string `json:"task_id"`
	TaskDir string `json:"task_dir"`
}

func newUIDPool(c Config) (*uidPool, error) {
	first, last, err := parseUIDRange(c.PoolUIDs)
	if err != nil {
		return nil, err
	}
	return &uidPool{first: first, last: last, dir: c.PoolDir}, nil
}

// size is how many uids the pool has.
func (p *uidPool) size() int { return p.last - p.first + 1 }

// lock serialises lease changes in this process and between processes.
func (p *uidPool) lock() (func(), error) {
	p.mu.Lock()
	if err := mkdirRootOnly(p.dir); err != nil {
		p.mu.Unlock()
		return nil, fmt.Errorf("uid pool: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(p.dir, ".lock"), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		p.mu.Unlock()
		return nil, fmt.Errorf("uid pool: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		p.mu.Unlock()
		return nil, fmt.Errorf("uid pool: lock: %w", err)
	}
	return func() { f.Close(); p.mu.Unlock() }, nil
}

// mkdirRootOnly makes dir (and its parents) and checks that it is a
// directory of root's that only root may write.
func mkdirRootOnly(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || st.Uid != 0 || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s must be a directory that only root can write", dir)
	}
	return nil
}

func (p *uidPool) leasePath(uid int) string { return filepath.Join(p.dir, strconv.Itoa(uid)) }

func (p *uidPool) read(uid int) (lease, error) {
	var l lease
	b, err := os.ReadFile(p.leasePath(uid))
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("lease %s: %w", p.leasePath(uid), err)
	}
	return l, nil
}

func (p *uidPool) write(uid int, l lease, exclusive bool) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC | syscall.O_NOFOLLOW
	if exclusive {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(p.leasePath(uid), flags, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// acquire leases a free uid to task taskID (task directory taskDir). A uid
// is free when no lease holds it, no account or group has it, and no
// process runs with it. A lease whose task directory is gone and whose uid
// runs nothing (its plugin died and Nomad collected the allocation) is
// stale: the uid is cleaned and reused.
func (p *uidPool) acquire(taskID, taskDir string) (int, error) {
	unlock, err := p.lock()
	if err != nil {
		return 0, err
	}
	defer unlock()
	for uid := p.first; uid <= p.last; uid++ {
		l, err := p.read(uid)
		switch {
		case err == nil:
			if l.TaskID == taskID {
				return uid, nil
			}
			if !p.stale(uid, l) {
				continue
			}
			if !scrub(uid) {
				continue
			}
			if err := os.Remove(p.leasePath(uid)); err != nil {
				continue
			}
		case !errors.Is(err, fs.ErrNotExist):
			continue
		}
		if named(uid) || running(uid) {
			continue
		}
		if err := p.write(uid, lease{TaskID: taskID, TaskDir: taskDir}, true); err != nil {
			continue
		}
		return uid, nil
	}
	return 0, fmt.Errorf("no free uid in this node's pool (pool_uids %d-%d: all %d are running jobs or belong to accounts)", p.first, p.last, p.size())
}

// stale reports whether a lease outlived its task.
func (p *uidPool) stale(uid int, l lease) bool {
	if l.TaskDir == "" {
		return false
	}
	if _, err := os.Lstat(l.TaskDir); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	return !running(uid)
}

// reown makes sure that uid's lease names taskID (RecoverTask: the plugin
// restarted while the job ran). It fails when another task holds it.
func (p *uidPool) reown(uid int, taskID, taskDir string) error {
	if uid < p.first || uid > p.last {
		return fmt.Errorf("the task runs as pool uid %d, outside this node's pool_uids %d-%d", uid, p.first, p.last)
	}
	unlock, err := p.lock()
	if err != nil {
		return err
	}
	defer unlock()
	l, err := p.read(uid)
	switch {
	case err == nil && l.TaskID == taskID:
		return nil
	case err == nil:
		return fmt.Errorf("pool uid %d is leased to task %s, not to this task %s", uid, l.TaskID, taskID)
	case errors.Is(err, fs.ErrNotExist):
		return p.write(uid, lease{TaskID: taskID, TaskDir: taskDir}, true)
	default:
		return err
	}
}

// finish cleans up after a task's job ended and gives its uid back: every
// process of the uid killed, its files in the scratch directories removed,
// what it left in the task's directories re-owned by root (kept for `nomad
// alloc fs`, out of reach of the uid's next job). Nothing happens unless
// taskID still holds the lease. The uid stays leased when a process of it
// survives.
func (p *uidPool) finish(uid int, taskID string, keep []string) error {
	unlock, err := p.lock()
	if err != nil {
		return err
	}
	defer unlock()
	l, err := p.read(uid)
	if err != nil || l.TaskID != taskID {
		return nil
	}
	if !scrub(uid, keep...) {
		return fmt.Errorf("pool uid %d: processes survive SIGKILL for %s, or its message queues or keyrings could not be removed; the uid stays leased", uid, killWait)
	}
	return os.Remove(p.leasePath(uid))
}

// scrub kills uid's processes, removes its System V IPC objects and what
// it owns anywhere below the scratch directories (also inside other users' directories there: the
// next job with this uid must not find it) and gives what it owns below
// each of keep to root, removes its POSIX message queues and empties its
// keyrings. It reports whether no process of uid is left and the queues
// and keyrings are gone.
func scrub(uid int, keep ...string) bool {
	if !killAll(uid) {
		return false
	}
	// What is kept goes to root first: a task directory may itself be
	// below a scratch directory (a Nomad data_dir in /tmp).
	for _, root := range keep {
		if ownedBy(root, uid) {
			_ = os.Lchown(root, 0, 0)
		}
		sweep(root, uid, func(dirfd int, name string, isDir bool) {
			_ = unix.Fchownat(dirfd, name, 0, 0, unix.AT_SYMLINK_NOFOLLOW)
		})
	}
	proc.RemoveIPC(uid)
	// Its POSIX message queues and keyrings (user, user-session,
	// persistent) outlive it too.
	if err := proc.Scrub("/proc/self/exe", uid, uid); err != nil {
		return false
	}
	for _, dir := range scratchDirs {
		sweep(dir, uid, func(dirfd int, name string, isDir bool) {
			if isDir {
				removeTreeAt(dirfd, name, 0)
				return
			}
			_ = unix.Unlinkat(dirfd, name, 0)
		})
	}
	return true
}

// maxSweepDepth bounds how deep sweep descends.
const maxSweepDepth = 64

// sweep calls found for every entry below root that uid owns (found
// decides what becomes of it; sweep then enters the directories found
// that are still there). Every
// directory is opened relative to its parent's descriptor, never following
// a symbolic link, so a path swapped for a link while sweep runs leads
// nowhere.
func sweep(root string, uid int, found func(dirfd int, name string, isDir bool)) {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	sweepAt(fd, uid, found, 0)
}

// sweepAt sweeps the directory open at fd and closes it.
func sweepAt(fd, uid int, found func(dirfd int, name string, isDir bool), depth int) {
	d := os.NewFile(uintptr(fd), "")
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue
		}
		isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if int(st.Uid) == uid {
			found(fd, name, isDir) // a directory found removed is not entered
		}
		if !isDir || depth >= maxSweepDepth {
			continue
		}
		child, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		sweepAt(child, uid, found, depth+1)
	}
}

// removeTreeAt removes name in the directory open at dirfd, with all it
// holds, through descriptors only. A directory it cannot empty (deeper
// than maxSweepDepth) becomes root's and private instead, so that what is
// left in it is out of reach of the uid's next job.
func removeTreeAt(dirfd int, name string, depth int) {
	if err := unix.Unlinkat(dirfd, name, 0); err == nil {
		return
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	d := os.NewFile(uintptr(fd), "")
	defer d.Close()
	if depth < maxSweepDepth {
		names, _ := d.Readdirnames(-1)
		for _, n := range names {
			removeTreeAt(fd, n, depth+1)
		}
	}
	if unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR) != nil {
		_ = unix.Fchown(fd, 0, 0)
		_ = unix.Fchmod(fd, 0o700)
	}
}

// ownedBy reports whether path itself (not what a link points to) is uid's.
func ownedBy(path string, uid int) bool {
	fi, err := os.Lstat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}

// killAll SIGKILLs every process of uid until none is left, for at most
// killWait.
func killAll(uid int) bool {
	deadline := time.Now().Add(killWait)
	for {
		pids, err := proc.OfUser(uid)
		if err == nil && len(pids) == 0 {
			return true
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether a process runs with uid.
func running(uid int) bool {
	pids, err := proc.OfUser(uid)
	return err != nil || len(pids) > 0
}

// named reports whether an account or group has id n (or whether that
// cannot be known): such a uid belongs to someone and is never leased.
func named(n int) bool {
	id := strconv.Itoa(n)
	if _, err := user.LookupId(id); !errors.As(err, new(user.UnknownUserIdError)) {
		return true
	}
	if _, err := user.LookupGroupId(id); !errors.As(err, new(user.UnknownGroupIdError)) {
		return true
	}
	return false
}
