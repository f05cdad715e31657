//go:build !unix

package slurmcli

// processUmask: no umask here.
func processUmask() (int, bool) { return 0, false }
