package main

import (
	"bytes"
	"strings"
	"testing"
)

// hpcbridge checkpoint outside a job says where it runs, with the usage
// exit status; its help is the command's.
func TestCheckpointCommandOutsideAJob(t *testing.T) {
	var out, errw bytes.Buffer
	if code := run([]string{"hpcbridge", "checkpoint", "model.pt"}, strings.NewReader(""), &out, &errw, nil); code != exitUsage {
		t.Fatalf("exit %d, stderr %q", code, errw.String())
	}
	if !strings.Contains(errw.String(), "HPCBRIDGE_CHECKPOINT_SOCKET is not set") {
		t.Errorf("stderr %q", errw.String())
	}
	out.Reset()
	if code := run([]string{"hpcbridge", "checkpoint", "--help"}, strings.NewReader(""), &out, &errw, nil); code != exitOK {
		t.Fatalf("--help: exit %d", code)
	}
	if !strings.HasPrefix(out.String(), "usage: hpcbridge checkpoint") {
		t.Errorf("help %q", out.String())
	}
}
