package main

import (
	"io"
)

// Exit codes shared by every command.
const (
	exitOK       = 0
	exitRejected = 1 // Slurm would reject the input, or the operation failed
	exitUsage    = 2 // the command line itself is wrong
)

// streams are a command's standard streams and environment, so that commands
// run in-process in tests.
type streams struct {
	in       io.Reader
	out, err io.Writer
	env      []string
}

func lookupEnv(env []string, name string) (string, bool) {
	v, ok := "", false
	for _, kv := range env {
		if len(kv) > len(name) && kv[:len(name)] == name && kv[len(name)] == '=' {
			v, ok = kv[len(name)+1:], true
		}
	}
	return v, ok
}
