package nomadagent

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// EnvBinary names an environment variable holding the path of the nomad
// executable to use; it wins over every other place.
const EnvBinary = "NOMAD_BIN"

// ErrNoBinary is returned (maybe wrapped) by Binary when no nomad
// executable is found, or $NOMAD_BIN names none; its text says how to get
// one.
var ErrNoBinary = errors.New("no nomad binary: run `make nomad` (builds Nomad v1.11.3 from its Go module into bin/) or set " + EnvBinary)

// Binary returns the path of the nomad executable to run, looking, in order,
// at $NOMAD_BIN, at bin/nomad in the repository (the nearest directory with a
// go.mod above the working directory that has one), at a nomad next to the
// running executable (bin/hpcbridge beside bin/nomad), and on $PATH.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %v (%w)", EnvBinary, p, err, ErrNoBinary)
		}
		return filepath.Abs(p)
	}
	if wd, err := os.Getwd(); err == nil {
		if p, ok := repoBinary(wd); ok {
			return p, nil
		}
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "nomad")
		if executable(p) == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("nomad"); err == nil {
		return filepath.Abs(p)
	}
	return "", ErrNoBinary
}

// repoBinary walks up from dir and returns bin/nomad of the first directory
// that has both a go.mod and an executable bin/nomad. It does not stop at the
// first go.mod: tools/nomad has its own module inside the repository.
func repoBinary(dir string) (string, bool) {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			p := filepath.Join(d, "bin", "nomad")
			if executable(p) == nil {
				return p, true
			}
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}
