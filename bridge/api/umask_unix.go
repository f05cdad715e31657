//go:build linux || darwin || freebsd

package api

import (
	"bufio"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

var umaskMu sync.Mutex

// processUmask is this process's umask, which FetchOutputs clears from
// the restored files' permission bits. Linux tells it in
// /proc/self/status; elsewhere it is read by setting it and setting it
// back, under a lock (a file created meanwhile by another goroutine of
// this process would get mode bits without the mask).
func processUmask() fs.FileMode {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return fs.FileMode(m) & fs.ModePerm
				}
			}
		}
	}
	umaskMu.Lock()
	defer umaskMu.Unlock()
	m := unix.Umask(0o077)
	unix.Umask(m)
	return fs.FileMode(m) & fs.ModePerm
}
