package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Process is one row of the process table, as /proc/<pid>/stat has it.
type Process struct {
	PID, PPID, PGID, SID int
}

// procRoot is where the process table is read from.
const procRoot = "/proc"

// List reads the process table. Processes that exit while it is read are
// left out.
func List() ([]Process, error) {
	d, err := os.Open(procRoot)
	if err != nil {
		return nil, fmt.Errorf("read process table: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("read process table: %w", err)
	}
	procs := make([]Process, 0, len(names))
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		p, err := stat(pid)
		if err != nil {
			continue // gone, or a kernel thread we cannot read
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// stat parses /proc/<pid>/stat: "pid (comm) state ppid pgrp session ...";
// comm may contain spaces and parentheses, so fields are counted after the
// last ')'.
func stat(pid int) (Process, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return Process{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Process{}, errors.New("malformed stat")
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 4 {
		return Process{}, errors.New("malformed stat")
	}
	var n [3]int
	for k := range n {
		if n[k], err = strconv.Atoi(string(f[k+1])); err != nil {
			return Process{}, fmt.Errorf("malformed stat: %w", err)
		}
	}
	return Process{PID: pid, PPID: n[0], PGID: n[1], SID: n[2]}, nil
}

// Filter returns the processes for which keep is true.
func Filter(procs []Process, keep func(Process) bool) []Process {
	var out []Process
	for _, p := range procs {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// InSession selects the processes of session sid. The batch shell of a job
// leads its own session, so this is every process of the job that did not
// start a session of its own.
func InSession(sid int) func(Process) bool {
	return func(p Process) bool { return p.SID == sid }
}

// Signal sends sig to each process, skipping those that have already
// exited; it returns how many were signalled and the first other error.
func Signal(procs []Process, sig syscall.Signal) (int, error) {
	n := 0
	var first error
	for _, p := range procs {
		err := syscall.Kill(p.PID, sig)
		switch {
		case err == nil:
			n++
		case errors.Is(err, syscall.ESRCH):
		case first == nil:
			first = fmt.Errorf("signal %s to pid %d: %w", SignalName(sig), p.PID, err)
		}
	}
	return n, first
}

// WaitExited blocks until process pid (a child) has ended, without reaping
// it: until the caller reaps it, its pid cannot be reused, nor the process
// group and session numbered after it, so signalling them stays safe. ok
// reports an exit with status 0.
func WaitExited(pid int) (ok bool, err error) {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return false, err
		}
		// siginfo_t for SIGCHLD: si_pid, si_uid, then si_status at byte 24
		// (the same on every 64-bit Linux).
		status := *(*int32)(unsafe.Add(unsafe.Pointer(&info), 24))
		return info.Code == cldExited && status == 0, nil
	}
}

// cldExited is si_code CLD_EXITED: the child called exit.
const cldExited = 1
