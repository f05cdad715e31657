//go:build unix

package slurmcli

import "syscall"

// processUmask reads this process's umask (setting it and back: call it
// before other goroutines create files).
func processUmask() (int, bool) {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return m, true
}
