package stepd

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
)

// identity is the run-as user stepd takes on to touch the job's files, so
// that the file system's permissions apply to the job as they would to the
// user (slurmstepd does the same with seteuid).
type identity struct {
	uid, gid int
	groups   []int
}

// as runs fn with the effective user, group and supplementary groups of
// id, then returns to root. Go applies these changes to every thread of
// the process. When stepd is not root (a test), fn runs unchanged.
func (id identity) as(fn func() error) error {
	if os.Geteuid() != 0 {
		return fn()
	}
	saved, err := syscall.Getgroups()
	if err != nil {
		return fmt.Errorf("read groups: %w", err)
	}
	if err := syscall.Setgroups(id.groups); err != nil {
		return fmt.Errorf("set groups: %w", err)
	}
	if err := syscall.Setegid(id.gid); err != nil {
		restore(saved)
		return fmt.Errorf("set effective group %d: %w", id.gid, err)
	}
	if err := syscall.Seteuid(id.uid); err != nil {
		restore(saved)
		return fmt.Errorf("set effective user %d: %w", id.uid, err)
	}
	defer restore(saved)
	return fn()
}

// restore returns to root. Carrying on with the wrong identity would be
// worse than crashing.
func restore(groups []int) {
	if err := syscall.Seteuid(0); err != nil {
		panic(fmt.Sprintf("hpcbridge stepd: cannot return to root: %v", err))
	}
	if err := syscall.Setegid(0); err != nil {
		panic(fmt.Sprintf("hpcbridge stepd: cannot return to group 0: %v", err))
	}
	if err := syscall.Setgroups(groups); err != nil {
		panic(fmt.Sprintf("hpcbridge stepd: cannot restore groups: %v", err))
	}
}

// stdio holds the job's standard files once opened.
type stdio struct {
	workdir string
	// warning is slurmstepd's message when the working directory could
	// not be used ("" when it could).
	warning string
	in      *os.File
	out     *os.File
	// err is out when the error and output files are the same file.
	err *os.File
}

func (s *stdio) close() {
	for _, f := range []*os.File{s.in, s.out, s.err} {
		if f != nil {
			f.Close()
		}
	}
}

// openStdio picks the working directory and opens the job's files as the
// run-as user. A failure is returned as slurmstepd's message for it.
func openStdio(c *jobdir.StepdConfig, id identity) (*stdio, error) {
	s := &stdio{}
	var failure error
	err := id.as(func() error {
		s.workdir, s.warning = pickWorkdir(c)
		// Relative names are resolved against the directory the job asked
		// for, as slurmstepd does: where it does not exist, the file
		// cannot be opened and the job fails to launch.
		base := s.workdir
		if c.Workdir != "" {
			base = c.Workdir
		}
		out := resolve(base, c.Output)
		errName := out
		if c.Error != "" {
			errName = resolve(base, c.Error)
		}
		for _, f := range []struct {
			what, path string
			input      bool
		}{{"stdout", out, false}, {"stderr", errName, false}} {
			if err := sandboxFile(c, f.path, f.input); err != nil {
				failure = fmt.Errorf("Could not open %s file %w", f.what, err)
				return nil
			}
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if c.Append {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		var err error
		if s.out, err = openJobFile(c, out, flags, 0o666); err != nil {
			failure = fmt.Errorf("Could not open stdout file %s: %s", out, proc.Strerror(err))
			return nil
		}
		s.err = s.out
		if filepath.Clean(errName) != filepath.Clean(out) {
			if s.err, err = openJobFile(c, errName, flags, 0o666); err != nil {
				failure = fmt.Errorf("Could not open stderr file %s: %s", errName, proc.Strerror(err))
				return nil
			}
		}
		in := os.DevNull
		if c.Input != "" {
			in = resolve(base, c.Input)
		}
		if err := sandboxFile(c, in, true); err != nil {
			failure = fmt.Errorf("Could not open stdin file %w", err)
			return nil
		}
		if s.in, err = openJobFile(c, in, os.O_RDONLY, 0); err != nil {
			failure = fmt.Errorf("Could not open stdin file %s: %s", in, proc.Strerror(err))
		}
		return nil
	})
	if err == nil {
		err = failure
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// fallbackWorkdir is where a job goes when it cannot enter its working
// directory, as with slurmstepd.
const fallbackWorkdir = "/tmp"

// pickWorkdir returns the directory the job runs in: the one it asked for
// when the user can enter it, else /tmp, with the warning slurmstepd
// prints when it falls back.
func pickWorkdir(c *jobdir.StepdConfig) (dir, warning string) {
	if c.Workdir == "" {
		return c.TaskDir, ""
	}
	err := unix.Faccessat(unix.AT_FDCWD, c.Workdir, unix.X_OK, unix.AT_EACCESS)
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(c.Workdir); err == nil && !fi.IsDir() {
			err = syscall.ENOTDIR
		}
	}
	if err == nil {
		return c.Workdir, ""
	}
	return fallbackWorkdir, fmt.Sprintf("couldn't chdir to `%s': %s: going to %s instead",
		c.Workdir, proc.Strerror(err), fallbackWorkdir)
}

// resolve makes name absolute against dir.
func resolve(dir, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}
