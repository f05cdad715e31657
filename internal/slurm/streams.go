package slurm

import (
	"io"
)

// Exit codes shared by every command.
const (
	ExitOK       = 0
	ExitRejected = 1 // Slurm would reject the input, or the operation failed
	ExitUsage    = 2 // the command line itself is wrong
)

// Streams are a command's standard streams and environment, so that commands
// run in-process in tests.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
	Env      []string
}

// LookupEnv is the value of the last name=value in env.
func LookupEnv(env []string, name string) (string, bool) {
	v, ok := "", false
	for _, kv := range env {
		if len(kv) > len(name) && kv[:len(name)] == name && kv[len(name)] == '=' {
			v, ok = kv[len(name)+1:], true
		}
	}
	return v, ok
}
