package jobspec_test

// The "slurm" fields record what real Slurm 22.05.8 said for each case;
// see values_test.go.

import (
	"math"
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in    string
		want  int64
		bad   bool
		slurm string
	}{
		{in: "0", want: 0, slurm: "mem=0?"},
		{in: "-0", want: 0, slurm: "mem=0?"},
		{in: "1", want: 1, slurm: "mem=1"},
		{in: "100", want: 100, slurm: "mem=100"},
		{in: "010", want: 10, slurm: "mem=10"},
		{in: "1K", want: 1, slurm: "mem=1"},
		{in: "1k", want: 1, slurm: "mem=1"},
		{in: "1023K", want: 1, slurm: "mem=1"},
		{in: "1024K", want: 1, slurm: "mem=1"},
		{in: "1025K", want: 2, slurm: "mem=2 (rounded up)"},
		{in: "2048K", want: 2, slurm: "mem=2"},
		{in: "1048576K", want: 1024, slurm: "mem=1G"},
		{in: "0K", want: 0, slurm: "mem=0?"},
		{in: "1M", want: 1, slurm: "mem=1"},
		{in: "1m", want: 1, slurm: "mem=1"},
		{in: "1G", want: 1024, slurm: "mem=1G"},
		{in: "1g", want: 1024, slurm: "mem=1G"},
		{in: "0G", want: 0, slurm: "mem=0?"},
		{in: "1T", want: 1 << 20, slurm: "mem=1T"},
		{in: "1t", want: 1 << 20, slurm: "mem=1T"},
		{in: "1KB", want: 1, slurm: "mem=1"},
		{in: "1kb", want: 1, slurm: "mem=1"},
		{in: "1MB", want: 1, slurm: "mem=1"},
		{in: "1mb", want: 1, slurm: "mem=1"},
		{in: "1GB", want: 1024, slurm: "mem=1G"},
		{in: "1Gb", want: 1024, slurm: "mem=1G"},
		{in: "1tb", want: 1 << 20, slurm: "mem=1T"},
		{in: " 1", want: 1, slurm: "mem=1"},
		{in: "\t1", want: 1, slurm: "mem=1"},
		{in: " +1", want: 1, slurm: "mem=1"},
		{in: "+5", want: 5, slurm: "mem=5"},
		{in: "100000000000", want: 100000000000, slurm: "mem=97656250G"},
		{in: "9223372036854775807", want: math.MaxInt64, slurm: "mem=9223372036854775807"},
		{in: "17179869184G", want: 1 << 44, slurm: "mem=16? (2^44 MiB)"},
		{in: "8796093022208T", want: math.MinInt64, slurm: "mem=8388608? (2^63, wrapped)"},
		{in: "9007199254740992G", want: math.MinInt64, slurm: "mem=8388608?"},
		{in: "18014398509481984G", want: 0, slurm: "mem=0? (2^64 wraps to 0)"},
		{in: "18014398509481985G", want: 1024, slurm: "mem=1G"},
		{in: "9223372036854775807K", want: -1 << 53, slurm: "mem=16769024?, MinMemoryCPU=8184?"},
		{in: "9223372036854774784K", want: 1<<53 - 1, slurm: "mem=9007199254740991"},
		{in: "9223372036854774785K", want: -1 << 53, slurm: "mem=16769024?"},
	}
	for _, in := range []string{
		"", "1P", "1.5G", "1.5", "0.5M", ".5G", "1e3", "-1", "-5", "1 ", "1G1", "1GiB", "1x",
		"0x10", "1.9999", "1.5K", "2.5K", "9223372036854775808", "99999999999999999999",
		"- 1", "1B", "1b", "1Bx", "1KBB", "+-1", "++1", "0b", "K", "B",
	} {
		tests = append(tests, struct {
			in    string
			want  int64
			bad   bool
			slurm string
		}{in: in, bad: true, slurm: "Invalid --mem specification"})
	}
	for _, tt := range tests {
		got, err := jobspec.ParseMemory(tt.in)
		switch {
		case tt.bad && err == nil:
			t.Errorf("ParseMemory(%q) = %d, want an error (slurm: %s)", tt.in, got, tt.slurm)
		case !tt.bad && (err != nil || got != tt.want):
			t.Errorf("ParseMemory(%q) = %d, %v; want %d (slurm: %s)", tt.in, got, err, tt.want, tt.slurm)
		}
	}
}
