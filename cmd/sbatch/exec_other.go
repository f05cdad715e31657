//go:build !unix

package main

import (
	"errors"
	"os"
	"os/exec"
)

// execAs runs the program at path with argv (argv[0] is the name it sees)
// and env, with this process's standard streams, and exits with its exit
// status.
func execAs(path string, argv, env []string) error {
	cmd := &exec.Cmd{Path: path, Args: argv, Env: env, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	err := cmd.Run()
	var ee *exec.ExitError
	if err == nil || errors.As(err, &ee) {
		os.Exit(cmd.ProcessState.ExitCode())
	}
	return err
}
