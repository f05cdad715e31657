package jobspec_test

// The "slurm" fields record what real Slurm 22.05.8 said for each case;
// see values_test.go.

import (
	"math"
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

func TestParseNodes(t *testing.T) {
	tests := []struct {
		in       string
		min, max int
		bad      bool
		slurm    string
	}{
		{in: "1", min: 1, max: 1, slurm: "nodes=1"},
		{in: "2", min: 2, max: 2, slurm: "nodes=2"},
		{in: "0", min: 0, max: 0, slurm: "nodes=0, NumNodes=0"},
		{in: "0-0", min: 0, max: 0, slurm: "nodes=0"},
		{in: "0--0", min: 0, max: 0, slurm: "nodes=0"},
		{in: "1-1", min: 1, max: 1, slurm: "nodes=1"},
		{in: "1-2", min: 1, max: 2, slurm: "nodes=1-2"},
		{in: "0-1", min: 0, max: 1, slurm: "nodes=0-1, NumNodes=0-1"},
		{in: "1-0", min: 1, max: 0, slurm: "nodes=1-0, NumNodes=1 (0 = no maximum)"},
		{in: "1--0", min: 1, max: 0, slurm: "nodes=1-0"},
		{in: "3-0", min: 3, max: 0, slurm: "nodes=3-0, NumNodes=3"},
		{in: "-1", min: 1, max: 1, slurm: "nodes=1"},
		{in: "-0", min: 1, max: 0, slurm: "nodes=1-0"},
		{in: "-5", min: 1, max: 5, slurm: "nodes=1-5, NumNodes=1-5 (also after -N 3)"},
		{in: "-2k", min: 1, max: 2048, slurm: "nodes=1-2048"},
		{in: "2147483648-5", min: 1, max: 5, slurm: "nodes=1-5"},
		{in: "1k", min: 1024, max: 1024, slurm: "nodes=1024"},
		{in: "1K", min: 1024, max: 1024, slurm: "nodes=1024"},
		{in: "2k", min: 2048, max: 2048, slurm: "nodes=2048"},
		{in: "1M", min: 1 << 20, max: 1 << 20, slurm: "nodes=1048576"},
		{in: "1m", min: 1 << 20, max: 1 << 20, slurm: "nodes=1048576"},
		{in: "1-2k", min: 1, max: 2048, slurm: "nodes=1-2048"},
		{in: "1-1M", min: 1, max: 1 << 20, slurm: "nodes=1-1048576"},
		{in: " 1", min: 1, max: 1, slurm: "nodes=1"},
		{in: "1 ", min: 1, max: 1, slurm: "nodes=1"},
		{in: "1\t", min: 1, max: 1, slurm: "nodes=1"},
		{in: "1k ", min: 1024, max: 1024, slurm: "nodes=1024"},
		{in: "01", min: 1, max: 1, slurm: "nodes=1"},
		{in: "+1", min: 1, max: 1, slurm: "nodes=1"},
		{in: "1- 2", min: 1, max: 2, slurm: "nodes=1-2"},
		{in: "1 -2", min: 1, max: 2, slurm: "nodes=1-2"},
		{in: "1-+2", min: 1, max: 2, slurm: "nodes=1-2"},
		{in: "99999999999", min: 1215752191, max: 1215752191, slurm: "nodes=1215752191 (low 32 bits)"},
		{in: "2147483647", min: math.MaxInt32, max: math.MaxInt32, slurm: "nodes=2147483647"},
		{in: "2097151k", min: 2147482624, max: 2147482624, slurm: "nodes=2147482624"},
		{in: "4194304k", min: 0, max: 0, slurm: "nodes=0 (2^32 wraps)"},
		{in: "4194305k", min: 1024, max: 1024, slurm: "nodes=1024"},
		{in: "1-99999999999", min: 1, max: 1215752191, slurm: "nodes=1-1215752191"},
	}
	for _, in := range []string{
		"2-", "1-", "0-", "-", "3-2", "1--1", "1--2", "1- -3", "1-2147483648", "1-4294967295",
		"1-2097152k", "1--2147483648", "", "a", "1,2", "1-2-3", "1x", "1.5", "2147483648",
		"4294967295", "2097152k", "1G", "1g", "3k5", "1 k", "-5-6", "1-2k5", "x-5", "1x-5", "-x", "1:2",
	} {
		tests = append(tests, struct {
			in       string
			min, max int
			bad      bool
			slurm    string
		}{in: in, bad: true, slurm: "not a valid node count / maximum less than minimum"})
	}
	for _, tt := range tests {
		lo, hi, err := jobspec.ParseNodes(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseNodes(%q) = %d, %v; want an error (slurm: %s)", tt.in, lo, hi, tt.slurm)
			}
			continue
		}
		if err != nil || lo != tt.min || hi == nil || *hi != tt.max {
			t.Errorf("ParseNodes(%q) = %d, %v, %v; want %d-%d (slurm: %s)", tt.in, lo, derefInt(hi), err, tt.min, tt.max, tt.slurm)
		}
	}
}

func derefInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
