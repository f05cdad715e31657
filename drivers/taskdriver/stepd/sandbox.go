package stepd

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/sandbox"
)

// viaTrampoline makes cmd (Path the trampoline, Env the job's, Dir where
// it starts, SysProcAttr set) run argv through the exec trampoline as the
// job's user. Without a sandbox the process is started with the user's
// ids. In a sandbox it is started as root, in a mount namespace of its
// own, with stepd's own fixed environment; the job's environment and the
// sandbox's spec reach it on a descriptor, and it drops to the job's uid
// once the sandbox is built. The returned function closes stepd's copy of
// that descriptor (call it after Start).
func viaTrampoline(c *jobdir.StepdConfig, cmd *exec.Cmd, mode, script, oom string, argv []string, groups []int) (func(), error) {
	if c.Sandbox == nil {
		cmd.Args = append([]string{proc.ExecName}, proc.ExecArgs(mode, script, oom, argv)...)
		if os.Geteuid() == 0 {
			gs := make([]uint32, len(groups))
			for i, g := range groups {
				gs[i] = uint32(g)
			}
			cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(c.UID), Gid: uint32(c.GID), Groups: gs}
		}
		return func() {}, nil
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("sandbox: stepd is not root, so it cannot build the job's sandbox")
	}
	f, err := sandbox.WritePayload(&sandbox.Payload{Spec: *c.Sandbox, Env: cmd.Env})
	if err != nil {
		return nil, err
	}
	cwd := cmd.Dir
	if cwd == "" {
		cwd = c.TaskDir
	}
	cmd.Args = append([]string{proc.ExecName}, proc.SandboxArgs(cwd, mode, script, oom, argv)...)
	cmd.Env = os.Environ() // stepd's own: the fixed one (jobdir.StepdEnv)
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{f} // sandbox.PayloadFD
	cmd.SysProcAttr.Cloneflags |= sandbox.Cloneflags
	return func() { f.Close() }, nil
}

// sandboxFile reports whether a sandboxed job may have its output, error
// or input file at path: only in its own writable directories (stepd opens
// them on the host, outside the sandbox).
func sandboxFile(c *jobdir.StepdConfig, path string, input bool) error {
	if c.Sandbox == nil || (input && path == os.DevNull) || c.Sandbox.Writable(path) {
		return nil
	}
	return fmt.Errorf("%s: Permission denied (outside the job's sandbox: its task directory and the allocation's data and tmp)", path)
}

// openJobFile opens one of the job's standard files (stepd has the job's
// effective ids). In a sandbox it is opened beneath the writable directory
// of the job's that holds it, following no link out of it: the job could
// have left a link there (a task Nomad restarts reuses its directory) to a
// file of the host's that its uid may open, which stepd, in the host's
// view, would otherwise open for it.
func openJobFile(c *jobdir.StepdConfig, path string, flags int, perm uint32) (*os.File, error) {
	if c.Sandbox == nil || path == os.DevNull {
		return os.OpenFile(path, flags, os.FileMode(perm))
	}
	base := c.Sandbox.WritableDir(path)
	if base == "" {
		return nil, &os.PathError{Op: "open", Path: path, Err: syscall.EACCES}
	}
	dirfd, err := unix.Open(base, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: base, Err: err}
	}
	defer unix.Close(dirfd)
	rel, err := filepath.Rel(base, filepath.Clean(path))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: syscall.EACCES}
	}
	fd, err := unix.Openat2(dirfd, rel, &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Mode:    uint64(perm),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	})
	if errors.Is(err, unix.ENOSYS) {
		fd, err = openNoLinks(dirfd, rel, flags, perm) // before Linux 5.6
	}
	if errors.Is(err, unix.EXDEV) || errors.Is(err, unix.ELOOP) {
		err = syscall.EACCES // a link out of the job's directories
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openNoLinks opens rel below dirfd following no symbolic link at all,
// one part at a time (openat2's RESOLVE_BENEATH, without it).
func openNoLinks(dirfd int, rel string, flags int, perm uint32) (int, error) {
	parts := strings.Split(rel, "/")
	fd, err := unix.Openat(dirfd, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	for i, p := range parts {
		if p == ".." {
			unix.Close(fd)
			return -1, unix.EXDEV
		}
		last := i == len(parts)-1
		f, m := unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(0)
		if last {
			f, m = flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm
		}
		next, err := unix.Openat(fd, p, f, m)
		unix.Close(fd)
		if err != nil {
			return -1, err
		}
		fd = next
	}
	return fd, nil
}

// applyLimits enforces a sandboxed job's limits on the cgroups stepd runs
// in (the task's, made by Nomad's executor; on cgroup v1 the driver's pids
// cgroup for the task, which stepd joins), before anything of the job
// exists: its processes are born there. Every limit must take, or the job
// does not start.
func applyLimits(l *jobdir.Limits) error {
	if l == nil {
		return nil
	}
	cg, err := readOwnCgroups()
	if err != nil {
		return err
	}
	if cg.unified != "" && len(cg.v1) == 0 {
		return cg.applyV2(l)
	}
	return cg.applyV1(l)
}

// ownCgroups is stepd's place in the cgroup hierarchies.
type ownCgroups struct {
	// v1: controller -> (mount directory name, path).
	v1      map[string][2]string
	unified string
	// root is where the hierarchies are mounted (cgroupRoot).
	root string
}

func readOwnCgroups() (ownCgroups, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ownCgroups{}, fmt.Errorf("cgroup limits: %w", err)
	}
	cg := ownCgroups{v1: map[string][2]string{}, root: cgroupRoot}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[0] == "0" && f[1] == "" {
			cg.unified = f[2]
			continue
		}
		for _, ctrl := range strings.Split(f[1], ",") {
			if ctrl != "" && !strings.HasPrefix(ctrl, "name=") {
				cg.v1[ctrl] = [2]string{f[1], f[2]}
			}
		}
	}
	return cg, nil
}

// dirV1 is the directory of stepd's cgroup for controller.
func (cg ownCgroups) dirV1(ctrl string) (string, error) {
	e, ok := cg.v1[ctrl]
	if !ok {
		return "", fmt.Errorf("cgroup limits: no %s controller", ctrl)
	}
	for _, mount := range []string{e[0], ctrl} {
		dir := filepath.Join(cg.root, mount, e[1])
		if _, err := os.Stat(dir); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("cgroup limits: %s cgroup %s not found under %s", ctrl, e[1], cg.root)
}

func writeLimit(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		return fmt.Errorf("cgroup limits: %s = %s: %w", filepath.Join(dir, file), value, err)
	}
	return nil
}

const cfsPeriod = 100000 // µs

func (cg ownCgroups) applyV1(l *jobdir.Limits) error {
	mem, err := cg.dirV1("memory")
	if err != nil {
		return err
	}
	if cg.v1["memory"][1] == "/" {
		return errors.New("cgroup limits: stepd is in the root memory cgroup, not the task's")
	}
	bytes := strconv.FormatInt(l.MemoryBytes, 10)
	if err := writeLimit(mem, "memory.limit_in_bytes", bytes); err != nil {
		return err
	}
	// No swap on top of the job's memory: memory+swap capped at the same
	// figure where the kernel accounts swap, else swappiness 0.
	if _, err := os.Stat(filepath.Join(mem, "memory.memsw.limit_in_bytes")); err == nil {
		if err := writeLimit(mem, "memory.memsw.limit_in_bytes", bytes); err != nil {
			return err
		}
	} else if err := writeLimit(mem, "memory.swappiness", "0"); err != nil {
		return err
	}
	if l.CPUs > 0 {
		cpu, err := cg.dirV1("cpu")
		if err != nil {
			return err
		}
		if err := writeLimit(cpu, "cpu.cfs_period_us", strconv.Itoa(cfsPeriod)); err != nil {
			return err
		}
		if err := writeLimit(cpu, "cpu.cfs_quota_us", strconv.Itoa(l.CPUs*cfsPeriod)); err != nil {
			return err
		}
	}
	if l.Pids <= 0 {
		return nil
	}
	// Nomad makes no pids cgroup on v1: the driver made one for the task
	// (pids.max set), which stepd joins: the job's processes are born
	// there and, unprivileged, cannot leave it.
	if l.PidsCgroup == "" {
		return errors.New("cgroup limits: no pids cgroup for the job (cgroup v1)")
	}
	return writeLimit(l.PidsCgroup, "cgroup.procs", strconv.Itoa(os.Getpid()))
}

func (cg ownCgroups) applyV2(l *jobdir.Limits) error {
	if cg.unified == "/" {
		return errors.New("cgroup limits: stepd is in the root cgroup, not the task's")
	}
	dir := filepath.Join(cg.root, cg.unified)
	if err := writeLimit(dir, "memory.max", strconv.FormatInt(l.MemoryBytes, 10)); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "memory.swap.max")); err == nil {
		if err := writeLimit(dir, "memory.swap.max", "0"); err != nil {
			return err
		}
	}
	if l.CPUs > 0 {
		if err := writeLimit(dir, "cpu.max", fmt.Sprintf("%d %d", l.CPUs*cfsPeriod, cfsPeriod)); err != nil {
			return err
		}
	}
	if l.Pids > 0 {
		if err := writeLimit(dir, "pids.max", strconv.FormatInt(l.Pids, 10)); err != nil {
			return err
		}
	}
	return nil
}
