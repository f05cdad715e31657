package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// checkTrusted refuses a path that root is about to execute (Nomad, the
// plugins: Nomad runs every file of its plugin dir as root) or to write
// into and trust (the data dir) when anyone but root and this process's
// user could change what is there: the file or directory itself and every
// directory above it, on the path as given and on the path its links
// resolve to, must be owned by root or this user and writable by no one
// else. A directory above with the sticky bit (/tmp) may be writable by
// others: they cannot rename or remove entries they do not own, and the
// entry below it is checked in turn. what names the path in the error.
func checkTrusted(what, path string) error { return trusted(what, path, false) }

// checkTrustedAbove is checkTrusted for a directory that the path to
// check will be made in: it may be sticky (a data dir made in /tmp).
func checkTrustedAbove(what, path string) error { return trusted(what, path, true) }

func trusted(what, path string, above bool) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	seen := map[string]bool{}
	for _, p := range [...]string{abs, real} {
		for q := p; !seen[q]; q = filepath.Dir(q) {
			seen[q] = true
			if err := trustedEntry(q, above || q != p); err != nil {
				return fmt.Errorf("%s %s: %w: root runs or trusts what is there, so anyone who may change it may act as root; use a path that only root can change", what, path, err)
			}
			if q == filepath.Dir(q) {
				break
			}
		}
	}
	return nil
}

// trustedEntry checks one file or directory (followed if a link): owned
// by root or this user, writable by no one else; above says it is a
// directory above the checked path (the sticky bit then excuses others'
// write permission).
func trustedEntry(p string, above bool) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s belongs to uid %d", p, st.Uid)
	}
	if fi.Mode().Perm()&0o022 != 0 && !(above && fi.IsDir() && fi.Mode()&os.ModeSticky != 0) {
		return fmt.Errorf("%s is writable by others (mode %v)", p, fi.Mode())
	}
	return nil
}

// CheckPluginDir checks the plugin dir and every file in it, which Nomad
// runs as root to fingerprint them (and the agent's command runs the GPU
// plugin to probe NVML): see checkTrusted.
func CheckPluginDir(dir string) error {
	if err := checkTrusted("plugin dir", dir); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("plugin dir %s: %w", dir, err)
	}
	var errs []string
	for _, e := range entries {
		if err := checkTrusted("plugin", filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}
