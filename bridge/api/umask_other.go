//go:build !(linux || darwin || freebsd)

package api

import "io/fs"

// processUmask: a umask cannot be read here; the usual 022 is assumed,
// so that fetched files are never writable by group or others.
func processUmask() fs.FileMode { return 0o022 }
