//go:build !unix

package raft

import "io"

// lockDataDir does nothing where flock is missing: the log stores' own
// file locks still keep a second server out (by waiting).
func lockDataDir(string) (io.Closer, error) { return nopCloser{}, nil }

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
