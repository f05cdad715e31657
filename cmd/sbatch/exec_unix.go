//go:build unix

package main

import "syscall"

// execAs replaces the process with the program at path, run with argv
// (argv[0] is the name it sees) and env.
func execAs(path string, argv, env []string) error { return syscall.Exec(path, argv, env) }
