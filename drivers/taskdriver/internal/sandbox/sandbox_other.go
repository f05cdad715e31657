//go:build !linux

package sandbox

import (
	"errors"
	"os"
)

// Cloneflags: no namespaces off Linux.
const Cloneflags = 0

var errUnsupported = errors.New("sandbox: Linux only")

func memFile(string) (*os.File, error) { return nil, errUnsupported }

// Enter fails: the sandbox needs Linux.
func Enter(*Spec, string) error { return errUnsupported }

// Drop fails: the sandbox needs Linux.
func Drop(int, int) error { return errUnsupported }
