//go:build linux && (amd64 || arm64)

package proc

import (
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelSigaction is struct sigaction as the rt_sigaction system call takes
// it on amd64 and arm64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// DieBySignal ends the process by sig with the signal's default action, so
// that whoever waits for it sees "killed by sig", as it would have seen for
// the batch script. Go's runtime handles some signals itself (SIGQUIT prints
// goroutines, an asynchronous SIGSEGV is ignored), so the default action is
// restored with the raw system call. No core file is written. It returns
// only when sig's default action does not end a process (SIGCHLD, SIGSTOP,
// ...); the caller then exits by other means.
func DieBySignal(sig syscall.Signal) {
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	runtime.LockOSThread()
	if sig != syscall.SIGKILL && sig != syscall.SIGSTOP {
		dfl := kernelSigaction{} // SIG_DFL, no flags
		_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
			uintptr(unsafe.Pointer(&dfl)), 0, unsafe.Sizeof(dfl.mask), 0, 0)
		set := uint64(1) << (uint(sig) - 1)
		_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK,
			uintptr(unsafe.Pointer(&set)), 0, unsafe.Sizeof(set), 0, 0)
	}
	_ = unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
	runtime.UnlockOSThread()
}
