//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Cloneflags are the namespaces stepd starts the trampoline in: a mount
// namespace of its own (the sandbox is built there, the host never sees
// it).
const Cloneflags = syscall.CLONE_NEWNS

// oldRoot is where the host's root stays while the sandbox is built.
const oldRoot = "/.hpcbridge-host"

func memFile(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// Enter builds the sandbox in the calling process's mount namespace
// (which must be its own: stepd starts it with Cloneflags), makes it the
// process's root and changes to cwd there. It must run as root; the caller
// then drops to the job's ids (Drop) before it executes anything of the
// job's. Every failure leaves the process unfit to run the job: the
// caller must exit.
func Enter(s *Spec, cwd string) error {
	if err := s.Check(); err != nil {
		return err
	}
	// The sandbox's own directories get their modes as written; the job
	// gets back the umask it was started with (its SLURM_UMASK: 0077
	// would make the mount points' parents root's 0700, out of its reach).
	defer unix.Umask(unix.Umask(0))
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("sandbox: %s: %w", what, err)
		}
		return nil
	}
	// Nothing done here propagates to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return step("make the mount namespace private", err)
	}
	if err := unix.Mount("tmpfs", s.Root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=8m,nr_inodes=4096"); err != nil {
		return step("mount the root tmpfs on "+s.Root, err)
	}
	if err := os.Mkdir(filepath.Join(s.Root, oldRoot), 0o700); err != nil {
		return step("make the host's mount point", err)
	}
	if err := unix.PivotRoot(s.Root, filepath.Join(s.Root, oldRoot)); err != nil {
		return step("pivot_root", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return step("chdir /", err)
	}
	host := func(p string) string { return oldRoot + p }
	var tmpfss []string // made read-only at the end
	readOnly := uint64(unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV)

	// The system's tools, read-only.
	for _, d := range SystemDirs {
		fi, err := os.Lstat(host(d))
		switch {
		case err != nil:
			continue
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(host(d))
			if err != nil {
				return step("read link "+d, err)
			}
			if err := os.Symlink(target, d); err != nil {
				return step("link "+d, err)
			}
		case fi.IsDir():
			if err := bindDir(host(d), d, readOnly, true); err != nil {
				return step("bind "+d, err)
			}
		}
	}
	// Files of /etc that are links out of the system directories
	// (systemd-resolved's resolv.conf in /run): the file itself, read-only.
	for _, f := range linkedFiles {
		p, ok := resolveIn(oldRoot, f)
		if !ok || underSystemDir(p) {
			continue
		}
		if fi, err := os.Stat(host(p)); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return step("place "+p, err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return step("place "+p, err)
		}
		if err := unix.Mount(host(p), p, "", unix.MS_BIND, ""); err != nil {
			return step("bind "+p, err)
		}
		if err := setAttr(p, readOnly|unix.MOUNT_ATTR_NOEXEC, false); err != nil {
			return step("bind "+p, err)
		}
	}
	// What must not show through them.
	for _, p := range append(append([]string(nil), Secrets...), s.Hide...) {
		m, err := mask(p, host("/dev/null"))
		if err != nil {
			return step("hide "+p, err)
		}
		if m != "" {
			tmpfss = append(tmpfss, m)
		}
	}
	// A private /tmp (after the masks: nothing of the job's is masked by
	// path), before the job's directories: they may lie below /tmp on the
	// host (a Nomad data_dir there, as a pilot job's), and are placed in it.
	if err := os.MkdirAll("/tmp", 0o755); err != nil {
		return step("make /tmp", err)
	}
	if err := bindDir(host(s.Tmp), "/tmp", unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV, false); err != nil {
		return step("bind /tmp", err)
	}
	// The job's own directories.
	for _, b := range s.Binds {
		attr := readOnly
		if b.Write {
			attr = unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV
		}
		fi, err := os.Lstat(host(b.Path))
		if err != nil || !fi.IsDir() {
			if b.Optional && errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err == nil {
				err = errors.New("not a directory")
			}
			return step("bind "+b.Path, err)
		}
		// The mount point may be below the job's own /tmp (a Nomad
		// data_dir in /tmp), which a running job can change: placed
		// without following a link, mounted on through its descriptor.
		target, done, err := placeDir(b.Path)
		if err != nil {
			return step("place "+b.Path, err)
		}
		flags := uintptr(unix.MS_BIND)
		if b.Rec {
			flags |= unix.MS_REC
		}
		err = unix.Mount(host(b.Path), target, "", flags, "")
		done()
		if err != nil {
			return step("bind "+b.Path, err)
		}
		// Found again the same way: the mount just made.
		if target, done, err = placeDir(b.Path); err != nil {
			return step("bind "+b.Path, err)
		}
		err = setAttr(target, attr, b.Rec)
		done()
		if err != nil {
			return step("bind "+b.Path, err)
		}
	}
	for _, p := range s.Mask {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		target, done, err := placeDir(p)
		if err != nil {
			return step("mask "+p, err)
		}
		err = unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755,size=4k,nr_inodes=8")
		done()
		if err != nil {
			return step("mask "+p, err)
		}
		// Read-only now, found again the same way (the tmpfs just made).
		if target, done, err = placeDir(p); err != nil {
			return step("mask "+p, err)
		}
		err = unix.Mount("", target, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		done()
		if err != nil {
			return step("mask "+p, err)
		}
	}
	if err := makeDev(s, host); err != nil {
		return err
	}
	tmpfss = append(tmpfss, "/dev")
	// A fresh /proc: the job's own processes only.
	if err := os.Mkdir("/proc", 0o555); err != nil {
		return step("make /proc", err)
	}
	// Before Linux 5.8 procfs options are the pid namespace's, shared with
	// the host's /proc: there the job's /proc shows every process (as
	// without the sandbox) rather than change the host's.
	procFlags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount("proc", "/proc", "proc", procFlags, "hidepid=invisible"); err != nil {
		if err := unix.Mount("proc", "/proc", "proc", procFlags, ""); err != nil {
			return step("mount /proc", err)
		}
	}
	// The host goes.
	if err := unix.Unmount(oldRoot, unix.MNT_DETACH); err != nil {
		return step("detach the host's root", err)
	}
	if err := os.Remove(oldRoot); err != nil {
		return step("remove the host's mount point", err)
	}
	for _, m := range append(tmpfss, "/") {
		flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID)
		if m != "/dev" {
			flags |= unix.MS_NODEV
		}
		if err := unix.Mount("", m, "", flags, ""); err != nil {
			return step("make "+m+" read-only", err)
		}
	}
	if err := unix.Chdir(cwd); err != nil {
		return step("chdir "+cwd, err)
	}
	return nil
}

// linkedFiles are files of /etc a job needs that are often links out of
// the system directories.
var linkedFiles = []string{"/etc/resolv.conf", "/etc/hosts"}

// resolveIn follows path's links inside the tree at root (absolute links
// relative to root) and returns the final path, relative to root; ok is
// false when it is no link, or the chain is too long or broken.
func resolveIn(root, path string) (string, bool) {
	p, linked := path, false
	for range 8 {
		target, err := os.Readlink(root + p)
		if err != nil {
			return p, linked
		}
		linked = true
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = filepath.Clean(target)
	}
	return "", false
}

// underSystemDir reports whether p is in a directory the sandbox shows.
func underSystemDir(p string) bool {
	for _, d := range SystemDirs {
		if within(p, d) {
			return true
		}
	}
	return false
}

// placeDir makes directory path in the sandbox (mode 0755, root's) where
// it is missing, following no symbolic link, and returns a name that
// resolves to it whatever happens to path meanwhile (its descriptor in the
// host's /proc, still reachable while the sandbox is built).
func placeDir(path string) (string, func(), error) {
	flags := unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Open("/", flags, 0)
	if err != nil {
		return "", nil, err
	}
	for _, c := range strings.Split(filepath.Clean(path), "/") {
		if c == "" {
			continue
		}
		next, err := unix.Openat(fd, c, flags, 0)
		if errors.Is(err, unix.ENOENT) {
			if err = unix.Mkdirat(fd, c, 0o755); err == nil || errors.Is(err, unix.EEXIST) {
				next, err = unix.Openat(fd, c, flags, 0)
			}
		}
		unix.Close(fd)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w (each part must be a directory, not a link)", c, err)
		}
		fd = next
	}
	return oldRoot + "/proc/self/fd/" + strconv.Itoa(fd), func() { unix.Close(fd) }, nil
}

// bindDir binds src on dst (made if missing) with attr; rec takes the
// mounts below src along (read-only too when attr says so).
func bindDir(src, dst string, attr uint64, rec bool) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	flags := uintptr(unix.MS_BIND)
	if rec {
		flags |= unix.MS_REC
	}
	if err := unix.Mount(src, dst, "", flags, ""); err != nil {
		return err
	}
	return setAttr(dst, attr, rec)
}

// setAttr sets mount attributes on dst (and every mount below it when rec).
func setAttr(dst string, attr uint64, rec bool) error {
	flags := uint(0)
	if rec {
		flags = unix.AT_RECURSIVE
	}
	err := unix.MountSetattr(unix.AT_FDCWD, dst, flags, &unix.MountAttr{Attr_set: attr})
	if !errors.Is(err, unix.ENOSYS) {
		return err
	}
	// Before Linux 5.12: remount each mount, the deepest last.
	mounts := []string{dst}
	if rec {
		mounts = append(mounts, mountsBelow(dst)...)
	}
	f := uintptr(unix.MS_REMOUNT | unix.MS_BIND)
	if attr&unix.MOUNT_ATTR_RDONLY != 0 {
		f |= unix.MS_RDONLY
	}
	if attr&unix.MOUNT_ATTR_NOSUID != 0 {
		f |= unix.MS_NOSUID
	}
	if attr&unix.MOUNT_ATTR_NODEV != 0 {
		f |= unix.MS_NODEV
	}
	for _, m := range mounts {
		if err := unix.Mount("", m, "", f, ""); err != nil {
			return fmt.Errorf("remount %s: %w", m, err)
		}
	}
	return nil
}

// mountsBelow lists the mount points strictly below dir.
func mountsBelow(dir string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	return out
}

// mask hides p if it shows in the sandbox: a directory under an empty
// tmpfs (returned, to be made read-only once the job's directories are
// placed, which may lie below it), anything else under /dev/null.
func mask(p, devNull string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", nil
	}
	// A link (/etc/nomad.d -> /opt/nomad/etc) is followed, here in the
	// sandbox's view: what it ends at is hidden when the sandbox shows it
	// (mount follows the link to it); a link out of the sandbox ends
	// nowhere here.
	fi, err := os.Stat(p)
	if err != nil {
		return "", nil // not there: nothing to hide
	}
	if fi.IsDir() {
		return p, unix.Mount("tmpfs", p, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755,size=64k,nr_inodes=256")
	}
	if err := unix.Mount(devNull, p, "", unix.MS_BIND, ""); err != nil {
		return "", err
	}
	return "", setAttr(p, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC, false)
}

// makeDev mounts the job's /dev: a tmpfs with the base devices, its own
// device nodes, a fresh devpts, its /dev/shm.
func makeDev(s *Spec, host func(string) string) error {
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("sandbox: /dev: %s: %w", what, err)
		}
		return nil
	}
	if err := os.Mkdir("/dev", 0o755); err != nil {
		return step("make", err)
	}
	if err := unix.Mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,size=64k,nr_inodes=256"); err != nil {
		return step("mount", err)
	}
	node := func(src, name string) error {
		var st unix.Stat_t
		if err := unix.Stat(src, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR {
			return fmt.Errorf("%s is not a character device", src)
		}
		dst := "/dev/" + name
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		f.Close()
		if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
			return err
		}
		return setAttr(dst, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC, false)
	}
	for _, d := range baseDevices {
		if err := node(host("/dev/"+d), d); err != nil {
			return step(d, err)
		}
	}
	for _, d := range s.Devices {
		name := filepath.Base(d)
		if !filepath.IsAbs(d) || name == "." || name == "/" || name == "pts" || name == "shm" {
			return step("device "+d, errors.New("not a device path"))
		}
		if err := node(host(filepath.Clean(d)), name); err != nil {
			return step("device "+d, err)
		}
	}
	if err := os.Mkdir("/dev/pts", 0o755); err != nil {
		return step("make pts", err)
	}
	if err := unix.Mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return step("mount devpts", err)
	}
	if err := os.Mkdir("/dev/shm", 0o755); err != nil {
		return step("make shm", err)
	}
	if err := bindDir(host(s.Shm), "/dev/shm", unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV, false); err != nil {
		return step("bind shm", err)
	}
	for name, target := range map[string]string{
		"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, "/dev/"+name); err != nil {
			return step("link "+name, err)
		}
	}
	return nil
}

// Drop takes the job's ids for good: no supplementary groups, real,
// effective and saved ids the job's (every thread: Go's syscall package
// does that), no capabilities left, and no way back through a set-id or
// file-capability program (no_new_privs).
func Drop(uid, gid int) error {
	if uid <= 0 || gid <= 0 {
		return fmt.Errorf("sandbox: refusing uid %d gid %d", uid, gid)
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("sandbox: drop groups: %w", err)
	}
	if err := syscall.Setresgid(gid, gid, gid); err != nil {
		return fmt.Errorf("sandbox: set gid %d: %w", gid, err)
	}
	if err := syscall.Setresuid(uid, uid, uid); err != nil {
		return fmt.Errorf("sandbox: set uid %d: %w", uid, err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("sandbox: no_new_privs: %w", err)
	}
	if os.Getuid() != uid || os.Geteuid() != uid || os.Getgid() != gid || os.Getegid() != gid {
		return fmt.Errorf("sandbox: still uid %d/%d gid %d/%d after dropping privileges", os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid())
	}
	return nil
}
