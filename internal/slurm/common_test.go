package slurm

import "testing"

func TestParseMiB(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "512M": 512, "4G": 4096, "1t": 1 << 20, "1536K": 2, "1K": 1} {
		if got, err := ParseMiB(in); err != nil || got != want {
			t.Errorf("ParseMiB(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "G", "-1", "4X", "99999999999999T", "1.5G"} {
		if got, err := ParseMiB(in); err == nil {
			t.Errorf("ParseMiB(%q) = %d, want an error", in, got)
		}
	}
}
