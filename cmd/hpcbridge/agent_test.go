package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseSizeMiB(t *testing.T) {
	for in, want := range map[string]int{"4096": 4096, "512M": 512, "4G": 4096, "1t": 1 << 20, "1536K": 2, "1K": 1} {
		if got, err := parseSizeMiB(in); err != nil || got != want {
			t.Errorf("parseSizeMiB(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "G", "-1", "4X", "99999999999999T", "1.5G"} {
		if got, err := parseSizeMiB(in); err == nil {
			t.Errorf("parseSizeMiB(%q) = %d, want an error", in, got)
		}
	}
}

// TestAgentUsage: wrong flags exit 2 with a message, before anything is
// written or started.
func TestAgentUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"agent"}, "--coordinator is required"},
		{[]string{"agent", "--coordinator", "http://127.0.0.1:1", "--memory", "lots"}, `--memory "lots"`},
		{[]string{"agent", "--coordinator", "http://127.0.0.1:1", "stray"}, "unexpected argument"},
	} {
		var out, errb bytes.Buffer
		code := run(append([]string{"hpcbridge"}, c.args...), strings.NewReader(""), &out, &errb, []string{"HOME=" + t.TempDir()})
		if code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("hpcbridge %v: exit %d, %q; want %d and %q", c.args, code, errb.String(), exitUsage, c.want)
		}
	}
}
