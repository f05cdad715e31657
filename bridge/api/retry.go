package api

import (
	"errors"
	"net"
	"syscall"
)

// Retryable reports whether a write failed before any server applied it,
// so that sending it again cannot apply it twice: the server was not
// reachable at all, or it answered not_leader (no leader to take it). A
// timeout, a reset connection or outcome_unknown may have been applied:
// check before retrying.
func Retryable(err error) bool {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code == CodeNotLeader
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && !op.Timeout()
}
