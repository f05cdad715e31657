// Package proc holds the process-level pieces shared by the hpcbridge task
// driver's personalities: signal names, the process table of a job, dying
// by a signal as the batch script did, and the exec trampoline that gives a
// task its own SLURM_TASK_PID.
//
// It is Linux-only by nature; the plugin runs on Linux Nomad clients.
package proc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxSignal is the highest signal number Linux knows (SIGRTMAX).
const maxSignal = 64

// ParseSignal reads a signal as kill(1) and scancel accept it: a name with or
// without the SIG prefix, in any case ("SIGUSR1", "usr1"), or a number
// ("10", also "SIG10"). Signal 0 is refused: it delivers nothing.
func ParseSignal(s string) (syscall.Signal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty signal name")
	}
	name := strings.ToUpper(s)
	if n, err := strconv.Atoi(strings.TrimPrefix(name, "SIG")); err == nil {
		if n < 1 || n > maxSignal {
			return 0, fmt.Errorf("signal number %d out of range 1-%d", n, maxSignal)
		}
		return syscall.Signal(n), nil
	}
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// SignalName names sig as "SIGUSR1"; a number without a name is written as
// "SIG<n>".
func SignalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return "SIG" + strconv.Itoa(int(sig))
}

// Strerror renders err as the C library's strerror does ("No such file or
// directory"), which is how Slurm prints errors: the errno inside err when
// there is one, capitalised (Go spells errno messages in lower case).
func Strerror(err error) string {
	msg := err.Error()
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg = errno.Error()
	}
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}
