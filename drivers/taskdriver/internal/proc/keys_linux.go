//go:build linux

package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/sandbox"
)

// The kernel's key retention service keeps state per uid that outlives
// every process of the uid: the user keyring (@u), the user-session
// keyring (@us, also what a process without a session keyring of its own
// finds as @s) and the persistent keyring. A job that leaves a key there
// hands it to the next job leased the same uid (a stranger's), and a job
// started with its parent's session keyring possesses root's keys there.

// ScrubArg is the trampoline's first argument for removing what a uid
// left in the kernel beyond files and System V IPC: `hpcbridge-exec
// --scrub UID GID`, started as root with an empty environment, removes the
// uid's POSIX message queues (through an mqueue file system of its own: the
// host may mount none at /dev/mqueue, where the pool's sweep looks), then
// drops to the uid and empties its keyrings.
const ScrubArg = "--scrub"

// newSessionKeyring gives the calling thread (locked: the one that then
// executes the job) a new, empty, anonymous session keyring of the job's
// uid: the job never possesses the keys of the session it was started
// from (root's, for stepd), nor finds its uid's user-session keyring as
// @s. An error means the job must not run (its @s would be shared);
// ENOSYS and EPERM (a kernel without keys, a seccomp filter that refuses
// keyctl, as Docker's) leave the job no keyring to reach either.
func newSessionKeyring() error {
	_, _, e := unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0)
	if e != 0 && !noKeys(e) {
		return fmt.Errorf("new session keyring: %w", e)
	}
	return nil
}

// lockThread keeps the trampoline's goroutine on its thread: the session
// keyring is a per-thread credential, and execve keeps the calling
// thread's.
func lockThread() { runtime.LockOSThread() }

// Scrub removes uid's POSIX message queues and empties its keyrings (after
// every process of the uid ended, before the uid is leased again), through
// the plugin binary (exe) as the trampoline: the keyrings only a process of
// the uid reaches.
func Scrub(exe string, uid, gid int) error {
	if uid <= 0 || gid <= 0 {
		return fmt.Errorf("scrub: refusing uid %d gid %d", uid, gid)
	}
	cmd := exec.Command(exe, ScrubArg, strconv.Itoa(uid), strconv.Itoa(gid))
	cmd.Args[0] = ExecName
	cmd.Env = []string{}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scrub uid %d: %w: %s", uid, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// scrubMain is `hpcbridge-exec --scrub UID GID`.
func scrubMain(args []string) int {
	if len(args) != 2 {
		fmt.Fprintf(os.Stderr, "%s %s: want UID GID, got %q\n", ExecName, ScrubArg, args)
		return 1
	}
	uid, err1 := strconv.Atoi(args[0])
	gid, err2 := strconv.Atoi(args[1])
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", ExecName, ScrubArg, err)
		return 1
	}
	// The mount namespace made for the queues is this thread's.
	lockThread()
	if err := removeMqueues(uid); err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: uid %d: POSIX message queues: %v\n", ExecName, ScrubArg, uid, err)
		return 1
	}
	// Never root's keyrings: the ids first (every thread), and a process
	// keyring of the uid's own to link the persistent keyring into.
	if err := sandbox.Drop(uid, gid); err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", ExecName, ScrubArg, err)
		return 1
	}
	var errs []error
	for _, ring := range []int{unix.KEY_SPEC_USER_KEYRING, unix.KEY_SPEC_USER_SESSION_KEYRING} {
		if _, err := unix.KeyctlInt(unix.KEYCTL_CLEAR, ring, 0, 0, 0); err != nil && !noKeys(err) {
			errs = append(errs, fmt.Errorf("clear keyring %d: %w", ring, err))
		}
	}
	// The persistent keyring (CONFIG_PERSISTENT_KEYRINGS), where present.
	id, err := unix.KeyctlInt(unix.KEYCTL_GET_PERSISTENT, -1, unix.KEY_SPEC_PROCESS_KEYRING, 0, 0)
	switch {
	case err == nil:
		if _, err := unix.KeyctlInt(unix.KEYCTL_CLEAR, id, 0, 0, 0); err != nil {
			errs = append(errs, fmt.Errorf("clear the persistent keyring: %w", err))
		}
	case err != unix.EOPNOTSUPP && !noKeys(err):
		errs = append(errs, fmt.Errorf("persistent keyring: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: uid %d: %v\n", ExecName, ScrubArg, uid, err)
		return 1
	}
	return 0
}

// noKeys reports a kernel without the key service, or one a seccomp
// filter keeps from the process (and from the job alike).
func noKeys(err error) bool { return errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) }

// removeMqueues unlinks the POSIX message queues that uid owns, in an
// mqueue file system of the host's IPC namespace mounted in a mount
// namespace of the calling (locked) thread's own, on /tmp there.
func removeMqueues(uid int) error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("mount namespace: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make the mount namespace private: %w", err)
	}
	const dir = "/tmp"
	if err := unix.Mount("mqueue", dir, "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return nil // a kernel without POSIX message queues
		}
		return fmt.Errorf("mount mqueue: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		var st unix.Stat_t
		if err := unix.Lstat(dir+"/"+e.Name(), &st); err != nil || int(st.Uid) != uid {
			continue
		}
		if err := unix.Unlink(dir + "/" + e.Name()); err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("remove queue /%s: %w", e.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// EnvHelperIDs names the variable (UID:GID) with which the sandbox
// trampoline starts the file helper as root; DropHelper takes the ids.
const EnvHelperIDs = "HPCBRIDGE_HELPER_IDS"

// DropHelper is the file helper's first act: started as root by the
// sandbox trampoline (EnvHelperIDs set), it drops to the job's ids for
// good, which leaves it not dumpable (the kernel's rule for a process
// whose ids change; made explicit for a host with fs.suid_dumpable = 1).
// Without the variable it changes nothing (a helper started as the job's
// uid, outside a sandbox).
func DropHelper() error {
	v, ok := os.LookupEnv(EnvHelperIDs)
	if !ok {
		return nil
	}
	_ = os.Unsetenv(EnvHelperIDs)
	u, g, _ := strings.Cut(v, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("%s=%q: %w", EnvHelperIDs, v, err)
	}
	if err := sandbox.Drop(uid, gid); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("not dumpable: %w", err)
	}
	return nil
}
