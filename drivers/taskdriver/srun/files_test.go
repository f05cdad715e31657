package srun

import (
	"errors"
	"testing"
)

func TestIOOptions(t *testing.T) {
	o, err := parseArgs([]string{"-o", "out-%t", "--error=e.%j", "-i", "none", "--open-mode=a", "cmd"})
	if err != nil {
		t.Fatal(err)
	}
	if o.output != "out-%t" || o.errorPat != "e.%j" || o.input != "none" || o.openMode != "append" {
		t.Errorf("parsed %+v", *o)
	}
	if _, err := parseArgs([]string{"--open-mode=sideways", "x"}); !errors.Is(err, errUsage) {
		t.Errorf("bad --open-mode: %v", err)
	}
	for v, want := range map[string]ioMode{
		"":          {kind: ioAll},
		"all":       {kind: ioAll},
		"none":      {kind: ioNone},
		"3":         {kind: ioTask, task: 3},
		"f-%t.out":  {kind: ioFile, pattern: "f-%t.out"},
		"-1":        {kind: ioFile, pattern: "-1"},
		"/dev/null": {kind: ioFile, pattern: "/dev/null"},
	} {
		if got := parseIOMode(v); got != want {
			t.Errorf("parseIOMode(%q) = %+v, want %+v", v, got, want)
		}
	}
}
