//go:build !(linux && (amd64 || arm64))

package proc

import (
	"os/signal"
	"syscall"
)

// DieBySignal ends the process by sig where Go's runtime lets it (see the
// Linux amd64/arm64 version for the exact one); it returns when it could not.
func DieBySignal(sig syscall.Signal) {
	signal.Reset(sig)
	_ = syscall.Kill(syscall.Getpid(), sig)
}
