//go:build linux || darwin || freebsd

package api

import (
	"errors"
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// freeBytes is the space an unprivileged user may still write on the file
// system that dir is (or would be made) on: that of its nearest existing
// ancestor. ok is false when it cannot be told.
func freeBytes(dir string) (free int64, ok bool) {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		var st unix.Statfs_t
		err := unix.Statfs(p, &st)
		if err == nil {
			n := uint64(st.Bavail) * uint64(st.Bsize)
			if n > 1<<62 {
				n = 1 << 62
			}
			return int64(n), true
		}
		if !errors.Is(err, fs.ErrNotExist) || p == filepath.Dir(p) {
			return 0, false
		}
	}
}
