package s3test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestBinary(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "no-weed"))
	if _, err := Binary(); !errors.Is(err, ErrNoBinary) {
		t.Fatalf("Binary with %s naming nothing: %v, want ErrNoBinary", EnvBinary, err)
	}
	exe := filepath.Join(t.TempDir(), "weed")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBinary, exe)
	if got, err := Binary(); err != nil || got != exe {
		t.Fatalf("Binary = %q, %v; want %q", got, err, exe)
	}
}

// The server answers S3 with the keys it returned and refuses anonymous
// requests; Stop is idempotent.
func TestStart(t *testing.T) {
	s := Start(t)
	if ok, err := refusesAnonymous(t.Context(), s.Endpoint, s.Bucket); !ok {
		t.Fatalf("anonymous request not refused: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	default:
		t.Fatal("weed still running after Stop")
	}
}
