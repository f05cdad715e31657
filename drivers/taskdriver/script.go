package taskdriver

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxShebang is how much of the #! line the kernel reads (Linux 5.1+).
const maxShebang = 256

// interpreter splits the script's #! line as the kernel does: the
// interpreter up to the first blank, then everything else, trimmed, as one
// argument. A script without a #! line (or with nothing after #!) runs
// with /bin/sh, as Slurm runs a --wrap script.
func interpreter(script string) []string {
	if !strings.HasPrefix(script, "#!") {
		return []string{"/bin/sh"}
	}
	line := script[2:]
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if len(line) > maxShebang-2 {
		line = line[:maxShebang-2]
	}
	line = strings.Trim(line, " \t")
	if line == "" {
		return []string{"/bin/sh"}
	}
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return []string{line}
	}
	interp, arg := line[:i], strings.Trim(line[i+1:], " \t")
	if arg == "" {
		return []string{interp}
	}
	return []string{interp, arg}
}

// writeScript writes the batch script into the task directory, owned by
// the run-as user with mode 0700 (as slurmd stores slurm_script). The task
// directory is writable by the job's user, so whatever a previous run left
// at that name is removed, never followed.
func writeScript(path, text string, uid, gid int) error {
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("remove old %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o700)
	if err != nil {
		return fmt.Errorf("write batch script: %w", err)
	}
	_, werr := io.WriteString(f, text)
	cerr := f.Chown(uid, gid)
	if err := f.Close(); werr == nil && cerr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("write batch script %s: %w", path, werr)
	}
	if cerr != nil {
		return fmt.Errorf("chown batch script %s: %w", path, cerr)
	}
	return nil
}

// installSrun puts the plugin binary at dst, in the job's PATH as srun,
// executable by the run-as user: a hard link when dst is on the same file
// system, else a symbolic link when anyone may execute the binary, else a
// copy.
func installSrun(self, dst string) error {
	if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("install srun: %w", err)
	}
	if err := os.Link(self, dst); err == nil {
		return nil
	}
	if executableByAll(self) {
		if err := os.Symlink(self, dst); err == nil {
			return nil
		}
	}
	if err := copyFile(self, dst, 0o755); err != nil {
		return fmt.Errorf("install srun: %w", err)
	}
	return nil
}

// executableByAll reports whether others may execute path: the file has
// o+x and every directory above it o+x.
func executableByAll(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o001 == 0 {
		return false
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		di, err := os.Stat(dir)
		if err != nil || di.Mode().Perm()&0o001 == 0 {
			return false
		}
		if dir == filepath.Dir(dir) {
			return true
		}
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// executorPath is bin as Nomad's executor must be given it. The executor
// looks for its command in <task dir>/local/ and <task dir>/ first
// (lookupBin joins the command's path to those), directories the job can
// write: a plain absolute path would let an earlier run of the task plant a
// program there that the executor then starts as root. With enough "/.." in
// front, both joins clean back to bin itself.
func executorPath(taskDir, bin string) string {
	return strings.Repeat("/..", strings.Count(filepath.Clean(taskDir), "/")+2) + filepath.Clean(bin)
}

// lockDown makes the job's directories its own and private (0700): the task
// directory and the allocation's shared data and tmp directories, which
// Nomad makes 0777 (any local user, any other job, could read or plant
// files there). The allocation's log directory, where the executor opens
// the log fifos as root, and the shared directory above it become root's. Each directory is changed through
// a descriptor opened without following a symbolic link.
func lockDown(taskDir, allocDir string, a account) error {
	shared := filepath.Join(allocDir, "alloc")
	dirs := []struct {
		path     string
		uid, gid int
		mode     uint32
		optional bool
	}{
		{taskDir, a.uid, a.gid, 0o700, false},
		// Nomad makes the shared directory 0777: the job could rename
		// logs (below) away and put a directory of its own in its place.
		{shared, 0, 0, 0o755, true},
		{filepath.Join(shared, "data"), a.uid, a.gid, 0o700, true},
		{filepath.Join(shared, "tmp"), a.uid, a.gid, 0o700, true},
		{filepath.Join(shared, "logs"), 0, 0, 0o700, true},
	}
	for _, d := range dirs {
		err := chownDir(d.path, d.uid, d.gid, d.mode)
		if err != nil && !(d.optional && errors.Is(err, syscall.ENOENT)) {
			return fmt.Errorf("secure %s: %w", d.path, err)
		}
	}
	return nil
}

// chownDir sets the owner and mode of directory path, never following a
// symbolic link.
func chownDir(path string, uid, gid int, mode uint32) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fchown(fd, uid, gid); err != nil {
		return err
	}
	return unix.Fchmod(fd, mode)
}

// rootFifo checks that path (a log fifo the executor opens as root) is
// still root's named pipe: whoever could write the logs directory before
// lockDown could have put a link in its place. An empty path is no fifo.
func rootFifo(path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("log fifo: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); fi.Mode().Type() != os.ModeNamedPipe || !ok || st.Uid != 0 {
		return fmt.Errorf("log fifo %s is not root's named pipe (%v): refusing to start the task", path, fi.Mode())
	}
	return nil
}
