package jobspec_test

// Every expectation below was checked against real Slurm 22.05.8 (the
// oracle in ../shared/slurm-oracle): the "slurm" column records what it
// said -- sbatch -v's option dump, the job record of a held submission
// (scontrol show job), or the rejection message.

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

const unlimitedMins = -1 // want.minutes for UNLIMITED

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		minutes int // unlimitedMins for UNLIMITED
		bad     bool
		slurm   string
	}{
		// The six forms.
		{in: "90", minutes: 90, slurm: "time=01:30:00"},
		{in: "2:30", minutes: 3, slurm: "time=00:03:00 (seconds round up)"},
		{in: "1:00:30", minutes: 61, slurm: "time=01:01:00"},
		{in: "1-2", minutes: 1560, slurm: "time=1-02:00:00"},
		{in: "1-2:3", minutes: 1563, slurm: "time=1-02:03:00"},
		{in: "1-2:3:4", minutes: 1564, slurm: "time=1-02:04:00"},
		// Rounding and zero.
		{in: "0", minutes: unlimitedMins, slurm: "time=UNLIMITED, TimeLimit=UNLIMITED"},
		{in: "0:0", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
		{in: "0-0", minutes: unlimitedMins, slurm: "time=UNLIMITED"},
		{in: "00:00:30", minutes: 1, slurm: "time=00:01:00"},
		{in: "0:30", minutes: 1, slurm: "time=00:01:00"},
		{in: "0:0:1", minutes: 1, slurm: "time=00:01:00"},
		{in: "0-0:0:1", minutes: 1, slurm: "time=00:01:00"},
		{in: "1-0:0:1", minutes: 1441, slurm: "time=1-00:01:00"},
		{in: "1-0", minutes: 1440, slurm: "time=1-00:00:00"},
		{in: "1-", minutes: 1440, slurm: "TimeLimit=1-00:00:00"},
		{in: "00-", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
		{in: "90:00", minutes: 90, slurm: "time=01:30:00"},
		{in: "1:60", minutes: 2, slurm: "time=00:02:00"},
		{in: "1:99:99", minutes: 161, slurm: "time=02:41:00"},
		{in: "1-25", minutes: 2940, slurm: "time=2-01:00:00"},
		{in: "01", minutes: 1, slurm: "time=00:01:00"},
		{in: "010", minutes: 10, slurm: "time=00:10:00"},
		{in: "00000000000000001", minutes: 1, slurm: "TimeLimit=00:01:00"},
		// Unlimited spellings.
		{in: "UNLIMITED", minutes: unlimitedMins, slurm: "time=UNLIMITED"},
		{in: "unlimited", minutes: unlimitedMins, slurm: "time=UNLIMITED"},
		{in: "infinite", minutes: unlimitedMins, slurm: "time=UNLIMITED"},
		{in: "Infinite", minutes: unlimitedMins, slurm: "time=UNLIMITED"},
		{in: "-1", minutes: unlimitedMins, slurm: "time=UNLIMITED"},
		{in: "-0", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
		// Negative days and 32-bit overflow, as Slurm computes them.
		{in: "-5", minutes: 4294960097, slurm: "TimeLimit=2982611-04:17:00"},
		{in: "-01", minutes: 4294965857, slurm: "TimeLimit=2982615-04:17:00"},
		{in: "-12", minutes: 4294950017, slurm: "TimeLimit=2982604-04:17:00"},
		{in: "-99999999999", minutes: 17097598, slurm: "TimeLimit=11873-07:58:00"},
		{in: "99999999", minutes: 28417211, slurm: "TimeLimit=19734-04:11:00"},
		{in: "35791393", minutes: 35791393, slurm: "largest exact value (computed)"},
		{in: "35791394", minutes: 4259175903, slurm: "TimeLimit=2957761-01:03:00"},
		{in: "35791395", minutes: 4259175904, slurm: "TimeLimit=2957761-01:04:00"},
		{in: "71582788", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
		{in: "71582789", minutes: 1, slurm: "TimeLimit=00:01:00"},
		{in: "2147483647", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
		{in: "4294967295", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
		{in: "4294967296", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
		{in: "4294967297", minutes: 1, slurm: "TimeLimit=00:01:00"},
		{in: "1000000000000", minutes: 4283415212, slurm: "TimeLimit=2974593-21:32:00"},
		{in: "99999999999999999999", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
		{in: "1:99999999999999999999", minutes: 1, slurm: "TimeLimit=00:01:00"},
		{in: "1-99999999999", minutes: 2271657, slurm: "TimeLimit=1577-12:57:00"},
		{in: "1073741821", bad: true, slurm: "Invalid --time specification (result is NO_VAL)"},
		{in: "1073741822", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
		{in: "1073741823", minutes: unlimitedMins, slurm: "TimeLimit=UNLIMITED"},
	}
	for _, in := range []string{
		"", " 5", "5 ", "5m", "1.5", "+5", "1:-1", "-1:5", "-", ":", "1:", ":1", "1::2",
		"1:2:3:4", "1-2:3:4:5", "0:0:0:0", "abc", "5x", "0x10", "1e3", "--2", "-2-3", "2--3",
		"1-2-3", "1-:5", "1-2:", "-2:30", "-1-0", "1--1", "1-x", "1-2x", "x-1", " 1-2",
		"1 -2", "1- 2", "1-2 ", "1: 2", "1-+2", "1:+2", "-2-", "-2:", "-2:30:00", "-2-3:4",
		"-1-", "1-2-", "-:", "-:1", "1:2-3", "1:2:3-4", "1-2:3:4:", "1-2::3",
	} {
		tests = append(tests, struct {
			in      string
			minutes int
			bad     bool
			slurm   string
		}{in: in, bad: true, slurm: "Invalid --time specification"})
	}
	for _, tt := range tests {
		got, err := jobspec.ParseTime(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseTime(%q) = %+v, want an error (slurm: %s)", tt.in, got, tt.slurm)
			} else if !errors.Is(err, jobspec.ErrInvalidValue) {
				t.Errorf("ParseTime(%q) error %v does not wrap ErrInvalidValue", tt.in, err)
			}
			continue
		}
		want := jobspec.TimeLimit{Minutes: tt.minutes}
		if tt.minutes == unlimitedMins {
			want = jobspec.TimeLimit{Unlimited: true}
		}
		if err != nil || got != want {
			t.Errorf("ParseTime(%q) = %+v, %v; want %+v (slurm: %s)", tt.in, got, err, want, tt.slurm)
		}
	}
}

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

type arrayCase struct {
	in       string
	spec     string // "" with !bad: not an array (nil)
	count    int
	throttle int
	bad      bool
	slurm    string
}

func TestParseArray(t *testing.T) {
	tests := []arrayCase{
		// Normalisation: scontrol show job's ArrayTaskId.
		{in: "1-1000:2", spec: "1-999:2", count: 500, slurm: "ArrayTaskId=1-999:2"},
		{in: "[1-3,5]%2", spec: "1-3,5%2", count: 4, throttle: 2, slurm: "ArrayTaskId=1-3,5%2 ArrayTaskThrottle=2"},
		{in: "5,1-3,2", spec: "1-3,5", count: 4, slurm: "ArrayTaskId=1-3,5"},
		{in: "7", spec: "7", count: 1, slurm: "ArrayTaskId=7"},
		{in: "0", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "1-1", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		{in: "1-10:1", spec: "1-10", count: 10, slurm: "ArrayTaskId=1-10"},
		{in: "1-3,2-5", spec: "1-5", count: 5, slurm: "ArrayTaskId=1-5"},
		{in: "1,1,1", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		{in: "3,2,1", spec: "1-3", count: 3, slurm: "ArrayTaskId=1-3"},
		{in: "1-5,7,9-11", spec: "1-5,7,9-11", count: 9, slurm: "ArrayTaskId=1-5,7,9-11"},
		{in: "1-10:3,2", spec: "1-2,4,7,10", count: 5, slurm: "ArrayTaskId=1-2,4,7,10"},
		{in: "1-2,4-5,3", spec: "1-5", count: 5, slurm: "ArrayTaskId=1-5"},
		{in: "2,4,6", spec: "2,4,6", count: 3, slurm: "ArrayTaskId=2,4,6"},
		{in: "1-5:2,2-6:2", spec: "1-6", count: 6, slurm: "ArrayTaskId=1-6"},
		{in: "1-10:20", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		{in: "1-200:150", spec: "1,151", count: 2, slurm: "ArrayTaskId=1,151"},
		// When a progression prints as A-B:STEP.
		{in: "0-15:4", spec: "0,4,8,12", count: 4, slurm: "ArrayTaskId=0,4,8,12"},
		{in: "1-3:2", spec: "1,3", count: 2, slurm: "ArrayTaskId=1,3"},
		{in: "1-9:2", spec: "1,3,5,7,9", count: 5, slurm: "ArrayTaskId=1,3,5,7,9"},
		{in: "1-12:2", spec: "1,3,5,7,9,11", count: 6, slurm: "ArrayTaskId=1,3,5,7,9,11"},
		{in: "2-12:2", spec: "2,4,6,8,10,12", count: 6, slurm: "ArrayTaskId=2,4,6,8,10,12"},
		{in: "1-14:2", spec: "1-13:2", count: 7, slurm: "ArrayTaskId=1-13:2"},
		{in: "1-20:2", spec: "1-19:2", count: 10, slurm: "ArrayTaskId=1-19:2"},
		{in: "1-13:3", spec: "1,4,7,10,13", count: 5, slurm: "ArrayTaskId=1,4,7,10,13"},
		{in: "1-16:3", spec: "1-16:3", count: 6, slurm: "ArrayTaskId=1-16:3"},
		{in: "10-50:10", spec: "10,20,30,40,50", count: 5, slurm: "ArrayTaskId=10,20,30,40,50"},
		{in: "10-70:10", spec: "10-70:10", count: 7, slurm: "ArrayTaskId=10-70:10"},
		{in: "100-400:100", spec: "100,200,300,400", count: 4, slurm: "ArrayTaskId=100,200,300,400"},
		{in: "100-600:100", spec: "100-600:100", count: 6, slurm: "ArrayTaskId=100-600:100"},
		{in: "10001-10013:2", spec: "10001-10013:2", count: 7, slurm: "ArrayTaskId=10001-10013:2"},
		{in: "1-1000:3", spec: "1-1000:3", count: 334, slurm: "ArrayTaskId=1-1000:3"},
		{in: "1,3,5,7,9,11,13", spec: "1-13:2", count: 7, slurm: "whole set one progression (rule above)"},
		{in: "1-5,10-40:2", spec: "1-5,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40", count: 21,
			slurm: "ArrayTaskId=1-5,10,12,...,40 (mixed sets never use :STEP)"},
		{in: "1-200:3,1000", count: 68, slurm: "SLURM_BITSTR_LEN=0 scontrol: full list; default cuts at 64",
			spec: "1,4,7,10,13,16,19,22,25,28,31,34,37,40,43,46,49,52,55,58,61,64,67,70,73,76,79,82,85," +
				"88,91,94,97,100,103,106,109,112,115,118,121,124,127,130,133,136,139,142,145,148,151,154,157," +
				"160,163,166,169,172,175,178,181,184,187,190,193,196,199,1000"},
		// Throttle.
		{in: "1-10%0", spec: "1-10", count: 10, slurm: "ArrayTaskId=1-10 (no throttle)"},
		{in: "1-10%1", spec: "1-10%1", count: 10, throttle: 1, slurm: "ArrayTaskThrottle=1"},
		{in: "1-10%", spec: "1-10", count: 10, slurm: "ArrayTaskId=1-10"},
		{in: "1-10:2%3", spec: "1,3,5,7,9%3", count: 5, throttle: 3, slurm: "ArrayTaskId=1,3,5,7,9%3"},
		{in: "1-20:2%3", spec: "1-19:2%3", count: 10, throttle: 3, slurm: "ArrayTaskId=1-19:2%3"},
		{in: "1-3%2%3", spec: "1-3%2", count: 3, throttle: 2, slurm: "ArrayTaskThrottle=2"},
		{in: "1-3%x", spec: "1-3", count: 3, slurm: "no throttle"},
		{in: "1-3%-1", spec: "1-3", count: 3, slurm: "no throttle"},
		{in: "1-3% 2", spec: "1-3%2", count: 3, throttle: 2, slurm: "ArrayTaskThrottle=2"},
		{in: "1-3%2 ", spec: "1-3%2", count: 3, throttle: 2, slurm: "ArrayTaskThrottle=2"},
		{in: "1-3%+2", spec: "1-3%2", count: 3, throttle: 2, slurm: "ArrayTaskThrottle=2"},
		{in: "1-3%02", spec: "1-3%2", count: 3, throttle: 2, slurm: "ArrayTaskThrottle=2"},
		{in: "1-3%2x", spec: "1-3%2", count: 3, throttle: 2, slurm: "ArrayTaskThrottle=2"},
		{in: "1-3%99999999999", spec: "1-3%1215752191", count: 3, throttle: 1215752191, slurm: "ArrayTaskThrottle=1215752191"},
		{in: "1-3%2147483647", spec: "1-3%2147483647", count: 3, throttle: 2147483647, slurm: "ArrayTaskThrottle=2147483647"},
		{in: "1-3%2147483648", spec: "1-3", count: 3, slurm: "no throttle"},
		{in: "1-3%4294967295", spec: "1-3", count: 3, slurm: "no throttle"},
		{in: "1%%2", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		{in: "1%2,5", spec: "1,5%2", count: 2, throttle: 2, slurm: "ArrayTaskId=1,5%2 (an item ends at %)"},
		{in: "1-3%2,7-9", spec: "1-3,7-9%2", count: 6, throttle: 2, slurm: "ArrayTaskId=1-3,7-9%2"},
		{in: "1%2, 3", spec: "1,3%2", count: 2, throttle: 2, slurm: "ArrayTaskId=1,3%2"},
		{in: "1%,2", spec: "1-2", count: 2, slurm: "ArrayTaskId=1-2"},
		{in: "1%x,2", spec: "1-2", count: 2, slurm: "ArrayTaskId=1-2"},
		{in: "1-3:2%", spec: "1,3", count: 2, slurm: "ArrayTaskId=1,3"},
		// Brackets, empty items, strtol.
		{in: "[1-3", spec: "1-3", count: 3, slurm: "ArrayTaskId=1-3"},
		{in: "1-3]", spec: "1-3", count: 3, slurm: "ArrayTaskId=1-3"},
		{in: "[1-3]%2", spec: "1-3%2", count: 3, throttle: 2, slurm: "ArrayTaskId=1-3%2"},
		{in: "[1-3%2]", spec: "1-3%2", count: 3, throttle: 2, slurm: "ArrayTaskId=1-3%2"},
		{in: "1-3]%2]", spec: "1-3%2", count: 3, throttle: 2, slurm: "ArrayTaskId=1-3%2"},
		{in: "[1-3],5", spec: "1-3,5", count: 4, slurm: "ArrayTaskId=1-3,5"},
		{in: "[1-3,[5]", spec: "1-3,5", count: 4, slurm: "ArrayTaskId=1-3,5"},
		{in: "1,[3", spec: "1,3", count: 2, slurm: "ArrayTaskId=1,3"},
		{in: "1],3", spec: "1,3", count: 2, slurm: "ArrayTaskId=1,3"},
		{in: "[1],[3]", spec: "1,3", count: 2, slurm: "ArrayTaskId=1,3"},
		{in: "1]-3", spec: "1-3", count: 3, slurm: "ArrayTaskId=1-3"},
		{in: "[1-3:2]", spec: "1,3", count: 2, slurm: "ArrayTaskId=1,3"},
		{in: "[1-3:2],7", spec: "1,3,7", count: 3, slurm: "ArrayTaskId=1,3,7"},
		{in: "1-8]:2", spec: "1,3,5,7", count: 4, slurm: "ArrayTaskId=1,3,5,7"},
		{in: "[1%2]", spec: "1%2", count: 1, throttle: 2, slurm: "ArrayTaskId=1%2"},
		{in: "1]%2", spec: "1%2", count: 1, throttle: 2, slurm: "ArrayTaskId=1%2"},
		{in: "[1]", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		{in: "[", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "]", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "[]", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "[]%2", spec: "0%2", count: 1, throttle: 2, slurm: "ArrayTaskId=0%2"},
		{in: "%", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "%%", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "%2", spec: "0%2", count: 1, throttle: 2, slurm: "ArrayTaskId=0%2"},
		{in: "%2%", spec: "0%2", count: 1, throttle: 2, slurm: "ArrayTaskId=0%2"},
		{in: ",%2", spec: "0%2", count: 1, throttle: 2, slurm: "ArrayTaskId=0%2"},
		{in: "1,%2", spec: "0-1%2", count: 2, throttle: 2, slurm: "ArrayTaskId=0-1%2"},
		{in: "%,2", spec: "0,2", count: 2, slurm: "ArrayTaskId=0,2"},
		{in: "[,1]", spec: "0-1", count: 2, slurm: "ArrayTaskId=0-1"},
		{in: "[1,]", spec: "0-1", count: 2, slurm: "ArrayTaskId=0-1"},
		{in: "],1", spec: "0-1", count: 2, slurm: "ArrayTaskId=0-1"},
		{in: "1,],3", spec: "0-1,3", count: 3, slurm: "ArrayTaskId=0-1,3"},
		{in: "1,,2", spec: "1-2", count: 2, slurm: "ArrayTaskId=1-2"},
		{in: "1,", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		{in: ",1", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		{in: "1,,,", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		{in: "1-3,", spec: "1-3", count: 3, slurm: "ArrayTaskId=1-3"},
		{in: " 1-3", spec: "1-3", count: 3, slurm: "ArrayTaskId=1-3"},
		{in: " 1, 2", spec: "1-2", count: 2, slurm: "ArrayTaskId=1-2"},
		{in: "1- 3", spec: "1-3", count: 3, slurm: "ArrayTaskId=1-3"},
		{in: "1-3: 2", spec: "1,3", count: 2, slurm: "ArrayTaskId=1,3"},
		{in: "1-3:+2", spec: "1,3", count: 2, slurm: "ArrayTaskId=1,3"},
		{in: "1-+3", spec: "1-3", count: 3, slurm: "ArrayTaskId=1-3"},
		{in: "+1", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		{in: "010", spec: "10", count: 1, slurm: "ArrayTaskId=10"},
		{in: "00", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "-0", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "+0", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "0-0", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "-", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "0-", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "[-]", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		{in: "0-:1", spec: "0", count: 1, slurm: "ArrayTaskId=0"},
		// Limits (MaxArraySize=100001 on the oracle).
		{in: "100000", spec: "100000", count: 1, slurm: "ArrayTaskId=100000"},
		{in: "100000-100000", spec: "100000", count: 1, slurm: "ArrayTaskId=100000"},
		{in: "1-100000", spec: "1-100000", count: 100000, slurm: "ArrayTaskId=1-100000"},
		{in: "1-3:100000", spec: "1", count: 1, slurm: "ArrayTaskId=1"},
		// No items: an ordinary job.
		{in: "", slurm: "no ArrayJobId"},
		{in: ",", slurm: "no ArrayJobId"},
		{in: ",,", slurm: "no ArrayJobId"},
	}
	for _, in := range []string{
		"1-10:0", "5-5:0", "5-1", "3-1:1", "1-0", "1-", "1-100001", "100001", "-1", "1--5", "a",
		"1,-3", "1-3:-1", "1:2", "1-3:2:1", "1-3-5", "1-0x10", "1x", "1-3x", "1-3:2x", "1-3 ",
		"1-3 ,5", "1 ,5", "[[1-3]]", "]1-3", "1-]3", "1-3]5", "[1]-[3]", "1[-3", "1-[3", "[1-3]]",
		"1-8:]2", "1]]", "]]", "[[", "]1", "[]1", "][", "1-3][", "[ ]", " ", " %2", " [1",
		"1%2,x", "1%2,-3", "1-%2", "1-3:%2", "1-3:", ":", "-:", "4294967296", "4294967297",
		"4294967296-4294967297", "99999999999999999999", "1-3:4294967298", "1-3:100001",
		"1-3:2147483647", "0-100001:100000", "0-100002:100001", "1-100001:2", "0-99999999999:50000",
		"1-3:99999999999999999999",
	} {
		tests = append(tests, arrayCase{in: in, bad: true, slurm: "Invalid job array specification"})
	}
	for _, tt := range tests {
		checkArray(t, tt, 100001)
	}
	// The default MaxArraySize of 1001 (the rule index < MaxArraySize was
	// checked at the oracle's 100001).
	checkArray(t, arrayCase{in: "1000", spec: "1000", count: 1}, jobspec.DefaultMaxArraySize)
	checkArray(t, arrayCase{in: "1-1001", bad: true}, 0)
}

func checkArray(t *testing.T, tt arrayCase, max int) {
	t.Helper()
	got, err := jobspec.ParseArray(tt.in, max)
	switch {
	case tt.bad:
		if err == nil {
			t.Errorf("ParseArray(%q) = %+v, want an error (slurm: %s)", tt.in, got, tt.slurm)
		}
	case err != nil:
		t.Errorf("ParseArray(%q): %v (slurm: %s)", tt.in, err, tt.slurm)
	case tt.spec == "":
		if got != nil {
			t.Errorf("ParseArray(%q) = %+v, want nil (slurm: %s)", tt.in, got, tt.slurm)
		}
	case got == nil:
		t.Errorf("ParseArray(%q) = nil, want %q (slurm: %s)", tt.in, tt.spec, tt.slurm)
	default:
		thr := 0
		if got.Throttle != nil {
			thr = *got.Throttle
		}
		if got.Spec != tt.spec || got.Count != tt.count || thr != tt.throttle {
			t.Errorf("ParseArray(%q) = %q count %d throttle %d; want %q count %d throttle %d (slurm: %s)",
				tt.in, got.Spec, got.Count, thr, tt.spec, tt.count, tt.throttle, tt.slurm)
		}
	}
}

func TestParseArrayRanges(t *testing.T) {
	got, err := jobspec.ParseArray("[5,1-10:4,3-3]", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []jobspec.ArrayRange{{First: 5, Last: 5, Step: 1}, {First: 1, Last: 9, Step: 4}, {First: 3, Last: 3, Step: 1}}
	if !reflect.DeepEqual(got.Ranges, want) {
		t.Errorf("Ranges = %+v, want %+v", got.Ranges, want)
	}
}

// depJob is a DepJob shorthand: id, task (-1 none), delay.
func depJob(id int64, task, delay int) jobspec.DepJob {
	return jobspec.DepJob{JobID: id, Task: task, DelayMin: delay}
}

func depCond(typ string, jobs ...jobspec.DepJob) jobspec.DepCondition {
	return jobspec.DepCondition{Type: typ, Jobs: jobs}
}

func TestParseDependency(t *testing.T) {
	// The oracle's job ids differ per run; A=11, B=22 (an array), C=33
	// stand for the held jobs the expressions named.
	tests := []struct {
		in    string
		any   bool
		conds []jobspec.DepCondition // nil with !bad: no dependency
		bad   bool
		slurm string
	}{
		{in: "afterok:11", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0))}, slurm: "afterok:A(unfulfilled)"},
		{in: "AFTEROK:11", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0))}, slurm: "afterok:A"},
		{in: "Afterok:11", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0))}, slurm: "afterok:A"},
		{in: "afterany:11", conds: []jobspec.DepCondition{depCond("afterany", depJob(11, -1, 0))}, slurm: "afterany:A"},
		{in: "afternotok:11", conds: []jobspec.DepCondition{depCond("afternotok", depJob(11, -1, 0))}, slurm: "afternotok:A"},
		{in: "aftercorr:22", conds: []jobspec.DepCondition{depCond("aftercorr", depJob(22, -1, 0))}, slurm: "aftercorr:B_*"},
		{in: "afterburstbuffer:11", conds: []jobspec.DepCondition{depCond("afterburstbuffer", depJob(11, -1, 0))}, slurm: "afterburstbuffer:A"},
		{in: "singleton", conds: []jobspec.DepCondition{{Type: "singleton"}}, slurm: "singleton"},
		{in: "SINGLETON", conds: []jobspec.DepCondition{{Type: "singleton"}}, slurm: "singleton"},
		{in: "afterok:11:33", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0), depJob(33, -1, 0))}, slurm: "afterok:A,afterok:C"},
		{in: "after:11+5", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 5))}, slurm: "after:A+5"},
		{in: "afterok:11+5", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 5))}, slurm: "afterok:A+5"},
		{in: "afterany:11+5", conds: []jobspec.DepCondition{depCond("afterany", depJob(11, -1, 5))}, slurm: "afterany:A+5"},
		{in: "after:11+05", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 5))}, slurm: "after:A+5"},
		{in: "after:11+ 5", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 5))}, slurm: "after:A+5"},
		{in: "after:11+1 ", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 1))}, slurm: "after:A+1"},
		{in: "after:11+1:33+2", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 1), depJob(33, -1, 2))}, slurm: "after:A+1,after:C+2"},
		{in: "after:11:33+2", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 0), depJob(33, -1, 2))}, slurm: "after:A,after:C+2"},
		{in: "afterok:11+5:33", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 5), depJob(33, -1, 5))}, slurm: "afterok:A+5,afterok:C+5 (delay carries on)"},
		{in: "after:11+5,after:33", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 5)), depCond("after", depJob(33, -1, 0))}, slurm: "after:A+5,after:C"},
		{in: "after:11+1073741824", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 0))}, slurm: "after:A (2^30 min = 0 s)"},
		{in: "after:11+4294967297", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 1))}, slurm: "after:A+1"},
		{in: "after:11+71582789", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 0))}, slurm: "after:A+0"},
		{in: "after:11+99999999999", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 70427578))}, slurm: "after:A+70427578"},
		{in: "after:11+1x", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 1))}, slurm: "after:A+1"},
		{in: "after:11+1x:33", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 1))}, slurm: "after:A+1 (rest ignored)"},
		{in: "after:11+1x,afterok:33", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 1))}, slurm: "after:A+1 (rest ignored)"},
		{in: "afterok:11+5_2", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 5))}, slurm: "afterok:A+5"},
		{in: "afterok:22_2", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 2, 0))}, slurm: "afterok:B_2"},
		{in: "afterok:22_7", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 7, 0))}, slurm: "afterok:B_7"},
		{in: "afterok:22_", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 0, 0))}, slurm: "afterok:B_0"},
		{in: "afterok:22_*", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, -1, 0))}, slurm: "afterok:B_*"},
		{in: "afterok:22_-1", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, -1, 0))}, slurm: "afterok:B_*"},
		{in: "afterok:11_-2", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0))}, slurm: "afterok:A"},
		{in: "afterok:11_+3", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, 3, 0))}, slurm: "afterok:A_3"},
		{in: "afterok:11_ 3", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, 3, 0))}, slurm: "afterok:A_3"},
		{in: "afterok:22_*+5", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, -1, 5))}, slurm: "afterok:B_*+5"},
		{in: "afterok:22_2+5", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 2, 5))}, slurm: "afterok:B_2+5"},
		{in: "afterok:22_99999999999", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 1215752191, 0))}, slurm: "afterok:B_1215752191"},
		{in: "afterok:22_2:22_3", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 2, 0), depJob(22, 3, 0))}, slurm: "afterok:B_2,afterok:B_3"},
		{in: "afterok:22_[2]", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 2, 0))}, slurm: "afterok:B_2"},
		{in: "afterok:22_[1-2]", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 1, 0), depJob(22, 2, 0))}, slurm: "afterok:B_1,afterok:B_2"},
		{in: "afterok:22_[1,3]", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 1, 0), depJob(22, 3, 0))}, slurm: "afterok:B_1,afterok:B_3"},
		{in: "afterok:22_[ 1 ]", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 1, 0))}, slurm: "afterok:B_1"},
		{in: "afterok:22_[01]", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 1, 0))}, slurm: "afterok:B_1"},
		{in: "afterok:22_[1-3]+5", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 1, 0), depJob(22, 2, 0), depJob(22, 3, 5))}, slurm: "B_1,B_2,B_3+5"},
		{in: "afterok:22_[1-2]+5:33", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 1, 0), depJob(22, 2, 5), depJob(33, -1, 5))}, slurm: "B_1,B_2+5,C+5"},
		{in: "afterok:22_[1-3]:33", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 1, 0), depJob(22, 2, 0), depJob(22, 3, 0), depJob(33, -1, 0))}, slurm: "B_1,B_2,B_3,C"},
		{in: "afterok: 11", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0))}, slurm: "afterok:A"},
		{in: "afterok:+11", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0))}, slurm: "afterok:A"},
		{in: "afterok:011", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0))}, slurm: "afterok:A"},
		{in: "afterok:-1", conds: []jobspec.DepCondition{depCond("afterok", depJob(4294967295, -1, 0))}, slurm: "afterok:4294967295"},
		{in: "afterok:4294967295", conds: []jobspec.DepCondition{depCond("afterok", depJob(4294967295, -1, 0))}, slurm: "afterok:4294967295"},
		{in: "afterok:99999999999", conds: []jobspec.DepCondition{depCond("afterok", depJob(1215752191, -1, 0))}, slurm: "afterok:1215752191"},
		{in: "afterok:1", conds: []jobspec.DepCondition{depCond("afterok", depJob(1, -1, 0))}, slurm: "accepted for a finished job (existence is the controller's)"},
		// Any and all.
		{in: "afterok:11?afterany:33", any: true, conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterany", depJob(33, -1, 0))}, slurm: "afterok:A?afterany:C"},
		{in: "afterok:11,afterany:33", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterany", depJob(33, -1, 0))}, slurm: "afterok:A,afterany:C"},
		{in: "afterok:11,afterany:33?after:11", any: true, conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterany", depJob(33, -1, 0)), depCond("after", depJob(11, -1, 0))}, slurm: "afterok:A?afterany:C?after:A (a mix is all '?')"},
		{in: "afterok:11?afterok:33,afterok:11", any: true, conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterok", depJob(33, -1, 0))}, slurm: "afterok:A?afterok:C"},
		{in: "afterok:11?afterok:33?singleton", any: true, conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterok", depJob(33, -1, 0)), {Type: "singleton"}}, slurm: "...?singleton"},
		{in: "afterany:11,singleton", conds: []jobspec.DepCondition{depCond("afterany", depJob(11, -1, 0)), {Type: "singleton"}}, slurm: "afterany:A,singleton"},
		{in: "singleton?afterok:11", any: true, conds: []jobspec.DepCondition{{Type: "singleton"}, depCond("afterok", depJob(11, -1, 0))}, slurm: "singleton?afterok:A"},
		// Duplicates.
		{in: "afterok:11,afterok:11", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0))}, slurm: "afterok:A"},
		{in: "afterok:11:11", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0))}, slurm: "afterok:A"},
		{in: "singleton,singleton", conds: []jobspec.DepCondition{{Type: "singleton"}}, slurm: "singleton"},
		{in: "afterok:11,afterany:11", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterany", depJob(11, -1, 0))}, slurm: "afterok:A,afterany:A"},
		{in: "after:11+5,after:11+6", conds: []jobspec.DepCondition{depCond("after", depJob(11, -1, 5))}, slurm: "after:A+5"},
		{in: "afterok:22,afterok:22_1", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, -1, 0)), depCond("afterok", depJob(22, 1, 0))}, slurm: "afterok:B_*,afterok:B_1"},
		{in: "afterok:5,afterok:5_*", conds: []jobspec.DepCondition{depCond("afterok", depJob(5, -1, 0)), depCond("afterok", depJob(5, -1, 0))}, slurm: "afterok:5,afterok:5_* (kept apart)"},
		{in: "afterok:5_-1,afterok:5_*", conds: []jobspec.DepCondition{depCond("afterok", depJob(5, -1, 0))}, slurm: "afterok:5_*"},
		{in: "afterok:5_-2,afterok:5", conds: []jobspec.DepCondition{depCond("afterok", depJob(5, -1, 0))}, slurm: "afterok:5"},
		{in: "afterok:22_[1-2],afterok:22_2", conds: []jobspec.DepCondition{depCond("afterok", depJob(22, 1, 0), depJob(22, 2, 0))}, slurm: "afterok:B_1,afterok:B_2"},
		// Bare job ids.
		{in: "11", conds: []jobspec.DepCondition{depCond("afterany", depJob(11, -1, 0))}, slurm: "afterany:A"},
		{in: "11,33", conds: []jobspec.DepCondition{depCond("afterany", depJob(11, -1, 0)), depCond("afterany", depJob(33, -1, 0))}, slurm: "afterany:A,afterany:C"},
		{in: "22_1", conds: []jobspec.DepCondition{depCond("afterany", depJob(22, 1, 0))}, slurm: "afterany:B_1"},
		{in: "22_*", conds: []jobspec.DepCondition{depCond("afterany", depJob(22, -1, 0))}, slurm: "afterany:B_*"},
		{in: "11_", conds: []jobspec.DepCondition{depCond("afterany", depJob(11, 0, 0))}, slurm: "afterany:A_0"},
		{in: "11_-2", conds: []jobspec.DepCondition{depCond("afterany", depJob(11, -1, 0))}, slurm: "afterany:A"},
		{in: "afterok:11,33", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterany", depJob(33, -1, 0))}, slurm: "afterok:A,afterany:C"},
		{in: "afterok:11,33_1", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterany", depJob(33, 1, 0))}, slurm: "afterok:A,afterany:C_1"},
		{in: "afterok:11,22_*", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterany", depJob(22, -1, 0))}, slurm: "afterok:A,afterany:B_*"},
		{in: "afterok:11?33", any: true, conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("afterany", depJob(33, -1, 0))}, slurm: "afterok:A?afterany:C"},
		{in: "singleton,11", conds: []jobspec.DepCondition{{Type: "singleton"}, depCond("afterany", depJob(11, -1, 0))}, slurm: "singleton,afterany:A"},
		{in: "afterok:11,after:33+5,11", conds: []jobspec.DepCondition{depCond("afterok", depJob(11, -1, 0)), depCond("after", depJob(33, -1, 5)), depCond("afterany", depJob(11, -1, 0))}, slurm: "afterok:A,after:C+5,afterany:A"},
		// No dependency.
		{in: "", slurm: "Dependency=(null)"},
		{in: "0", slurm: "Dependency=(null)"},
	}
	for _, in := range []string{
		"afterok:abc", "afterok:", "afterok", "after", "foo:1", "afterok:0", "afterok:4294967296",
		"after:11+", "after:11+x", "after:11+0", "after:11+-1", "after:11+2147483648", "after:11+4294967296",
		"singleton:1", "singleton+5", "expand:11", "afterok:1x", "afterok::1", "afterok:1:", "afterok:1,",
		",afterok:1", "afterok:1??afterok:2", "afterok:1?", "?afterok:1", "afterok:11 afterany:33",
		"afterok:11 ", "afterok:22_1 ", "afterok:11_x", "afterok:22_2_3", "afterok:22_2x",
		"afterok:22_*_1", "afterok:22_[", "afterok:22_[2", "afterok:22_[2]x", "afterok:22_[]",
		"afterok:22_[3-1]", "afterok:22_[1]%2", "afterok:22_[1-]", "afterok:22_[,1]", "afterok:22_[5:7]",
		"afterok:22_[1-3]_1", "afterokk:11", "afteranyx:11", "after_ok:11", "afterok :11", " afterok:11",
		"afterok:*", "11:33", "11?33", "11+5", "11,afterok:33", "11,", "11,,33", "11, 33", " 11", "+11",
		"11,22_[1-2]", "afterok:11,22_[1-2]", "afterok:11, 33", "afterok:11,+33", "afterok:11,x",
		"afterok:11,33+5", "afterok:11,33:11", "afterok:11,,afterok:33", "afterok:11+5,0", "11,0", "0,11",
		"afterok:11,0",
	} {
		tests = append(tests, struct {
			in    string
			any   bool
			conds []jobspec.DepCondition
			bad   bool
			slurm string
		}{in: in, bad: true, slurm: "Job dependency problem"})
	}
	for _, tt := range tests {
		got, err := jobspec.ParseDependency(tt.in)
		switch {
		case tt.bad:
			if err == nil {
				t.Errorf("ParseDependency(%q) = %+v, want an error (slurm: %s)", tt.in, got, tt.slurm)
			}
		case err != nil:
			t.Errorf("ParseDependency(%q): %v (slurm: %s)", tt.in, err, tt.slurm)
		case tt.conds == nil:
			if got != nil {
				t.Errorf("ParseDependency(%q) = %+v, want nil (slurm: %s)", tt.in, got, tt.slurm)
			}
		case got == nil:
			t.Errorf("ParseDependency(%q) = nil (slurm: %s)", tt.in, tt.slurm)
		default:
			want := &jobspec.Dependency{Raw: tt.in, Any: tt.any, Conditions: tt.conds}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseDependency(%q) =\n  %+v\nwant\n  %+v (slurm: %s)", tt.in, got, want, tt.slurm)
			}
		}
	}
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in        string
		name      string
		num, secs int
		b, r      bool
		bad       bool
		slurm     string
	}{
		{in: "USR1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "SIGUSR1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "usr1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "sigusr1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "SigUsr1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "SIGusr1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "SIGKILL", name: "KILL", num: 9, secs: 60, slurm: "signal=KILL"},
		{in: "10", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "010", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "+10", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: " 10", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "10 ", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "USR1 ", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: " USR1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "1", name: "HUP", num: 1, secs: 60, slurm: "signal=HUP"},
		{in: "2", name: "INT", num: 2, secs: 60, slurm: "signal=INT"},
		{in: "3", name: "QUIT", num: 3, secs: 60, slurm: "signal=QUIT"},
		{in: "6", name: "ABRT", num: 6, secs: 60, slurm: "signal=ABRT"},
		{in: "12", name: "USR2", num: 12, secs: 60, slurm: "signal=USR2"},
		{in: "13", name: "13", num: 13, secs: 60, slurm: "signal=13 (PIPE is not a name sbatch knows)"},
		{in: "14", name: "ALRM", num: 14, secs: 60, slurm: "signal=ALRM"},
		{in: "15", name: "TERM", num: 15, secs: 60, slurm: "signal=TERM"},
		{in: "17", name: "17", num: 17, secs: 60, slurm: "signal=17"},
		{in: "18", name: "CONT", num: 18, secs: 60, slurm: "signal=CONT"},
		{in: "19", name: "STOP", num: 19, secs: 60, slurm: "signal=STOP"},
		{in: "20", name: "TSTP", num: 20, secs: 60, slurm: "signal=TSTP"},
		{in: "21", name: "TTIN", num: 21, secs: 60, slurm: "signal=TTIN"},
		{in: "22", name: "TTOU", num: 22, secs: 60, slurm: "signal=TTOU"},
		{in: "23", name: "URG", num: 23, secs: 60, slurm: "signal=URG"},
		{in: "24", name: "XCPU", num: 24, secs: 60, slurm: "signal=XCPU"},
		{in: "25", name: "25", num: 25, secs: 60, slurm: "signal=25"},
		{in: "64", name: "64", num: 64, secs: 60, slurm: "signal=64"},
		{in: "99", name: "99", num: 99, secs: 60, slurm: "signal=99"},
		{in: "65535", name: "65535", num: 65535, secs: 60, slurm: "signal=65535"},
		{in: "65537", name: "HUP", num: 1, secs: 60, slurm: "signal=HUP (16 bits)"},
		{in: "131082", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "4294967306", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "99999999999", name: "59391", num: 59391, secs: 60, slurm: "signal=59391"},
		{in: "-1", name: "65535", num: 65535, secs: 60, slurm: "signal=65535"},
		{in: "-10", name: "65526", num: 65526, secs: 60, slurm: "signal=65526"},
		{in: "TERM", name: "TERM", num: 15, secs: 60, slurm: "signal=TERM"},
		{in: "KILL", name: "KILL", num: 9, secs: 60, slurm: "signal=KILL"},
		{in: "HUP", name: "HUP", num: 1, secs: 60, slurm: "signal=HUP"},
		{in: "INT", name: "INT", num: 2, secs: 60, slurm: "signal=INT"},
		{in: "QUIT", name: "QUIT", num: 3, secs: 60, slurm: "signal=QUIT"},
		{in: "CONT", name: "CONT", num: 18, secs: 60, slurm: "signal=CONT"},
		{in: "STOP", name: "STOP", num: 19, secs: 60, slurm: "signal=STOP"},
		{in: "TSTP", name: "TSTP", num: 20, secs: 60, slurm: "signal=TSTP"},
		{in: "USR2", name: "USR2", num: 12, secs: 60, slurm: "signal=USR2"},
		{in: "ALRM", name: "ALRM", num: 14, secs: 60, slurm: "signal=ALRM"},
		{in: "URG", name: "URG", num: 23, secs: 60, slurm: "signal=URG"},
		{in: "XCPU", name: "XCPU", num: 24, secs: 60, slurm: "signal=XCPU"},
		{in: "ABRT", name: "ABRT", num: 6, secs: 60, slurm: "signal=ABRT"},
		{in: "TTIN", name: "TTIN", num: 21, secs: 60, slurm: "signal=TTIN"},
		{in: "TTOU", name: "TTOU", num: 22, secs: 60, slurm: "signal=TTOU"},
		{in: "B:USR1", name: "USR1", num: 10, secs: 60, b: true, slurm: "signal=B:USR1"},
		{in: "b:USR1", name: "USR1", num: 10, secs: 60, b: true, slurm: "signal=B:USR1"},
		{in: "R:USR1", name: "USR1", num: 10, secs: 60, r: true, slurm: "signal=R:USR1"},
		{in: "r:usr1", name: "USR1", num: 10, secs: 60, r: true, slurm: "signal=R:USR1"},
		{in: "RB:USR1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: "BR:USR1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: "rb:usr1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: "Rb:1", name: "HUP", num: 1, secs: 60, b: true, r: true, slurm: "signal=RB:HUP"},
		{in: "RR:USR1", name: "USR1", num: 10, secs: 60, r: true, slurm: "signal=R:USR1"},
		{in: "RBR:USR1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: ":USR1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "B: USR1", name: "USR1", num: 10, secs: 60, b: true, slurm: "signal=B:USR1"},
		{in: "USR1@120", name: "USR1", num: 10, secs: 120, slurm: "signal=USR1@120"},
		{in: "B:USR1@120", name: "USR1", num: 10, secs: 120, b: true, slurm: "signal=B:USR1@120"},
		{in: "B:10@5", name: "USR1", num: 10, secs: 5, b: true, slurm: "signal=B:USR1@5"},
		{in: "10@5", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "R:1@5", name: "HUP", num: 1, secs: 5, r: true, slurm: "signal=R:HUP@5"},
		{in: "USR1@0", name: "USR1", num: 10, secs: 0, slurm: "signal=USR1@0"},
		{in: "USR1@", name: "USR1", num: 10, secs: 0, slurm: "signal=USR1@0"},
		{in: "USR1@65535", name: "USR1", num: 10, secs: 65535, slurm: "signal=USR1@65535"},
		{in: "USR1@+5", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "USR1@ 5", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "USR1@05", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "USR1 @5", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "R6", name: "ABRT", num: 6, secs: 60, r: true, slurm: "signal=R:ABRT (no ':' needed)"},
		{in: "B95", name: "95", num: 95, secs: 60, b: true, slurm: "signal=B:95"},
		{in: "rTERM", name: "TERM", num: 15, secs: 60, r: true, slurm: "signal=R:TERM"},
		{in: "r usr1", name: "USR1", num: 10, secs: 60, r: true, slurm: "signal=R:USR1"},
		{in: "RBusr1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: "RKILL", name: "KILL", num: 9, secs: 60, r: true, slurm: "signal=R:KILL"},
		{in: "r655366", name: "ABRT", num: 6, secs: 60, r: true, slurm: "signal=R:ABRT"},
		{in: "B-1@", name: "65535", num: 65535, secs: 0, b: true, slurm: "signal=B:65535@0"},
	}
	for _, in := range []string{
		"USR1@-1", "USR1@65536", "USR1@99999", "USR1@4294967296", "USR1@4294967306", "@60", "B:", "B:@5",
		"FOO", "0", "65536", "2147483648", "RTMIN", "SIGRTMIN", "PIPE", "CHLD", "IO", "POLL", "WINCH", "PWR",
		"SYS", "SEGV", "BUS", "FPE", "ILL", "TRAP", "PROF", "VTALRM", "XFSZ", "STKFLT", "IOT", "CLD", "EMT",
		"SIG", "0x10", "USR1@1x", "USR1@5 ", "USR1@@5", "B:USR1@5@6", "X:USR1", "BB:USR1", "bB:1", "BRB:1",
		"RBB:1", "RRR:1", "RRRR:1", "BRR:1", "RRB:1", "RRRB:1", "B:R:USR1", "B:B:USR1", "Bx:USR1",
		"B :USR1", " B:USR1", "USR1:5", "US R1", "sig usr1", "SIG USR1", "-USR1", "- 10", "+ 10", "1 0",
		"10x", "1-0", "",
	} {
		tests = append(tests, struct {
			in        string
			name      string
			num, secs int
			b, r      bool
			bad       bool
			slurm     string
		}{in: in, bad: true, slurm: "Invalid --signal specification"})
	}
	for _, tt := range tests {
		got, err := jobspec.ParseSignal(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseSignal(%q) = %+v, want an error (slurm: %s)", tt.in, got, tt.slurm)
			}
			continue
		}
		want := &jobspec.Signal{Signal: tt.name, Number: tt.num, Seconds: tt.secs, BatchOnly: tt.b, Reservation: tt.r}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseSignal(%q) = %+v, %v; want %+v (slurm: %s)", tt.in, got, err, want, tt.slurm)
		}
	}
}

func TestParseGres(t *testing.T) {
	g := func(name, typ string, n int64) jobspec.GresEntry {
		return jobspec.GresEntry{Name: name, Type: typ, Count: n}
	}
	tests := []struct {
		in    string
		want  []jobspec.GresEntry
		bad   bool
		slurm string
	}{
		{in: "gpu", want: []jobspec.GresEntry{g("gpu", "", 1)}, slurm: "gres=gres:gpu"},
		{in: "gres:gpu", want: []jobspec.GresEntry{g("gpu", "", 1)}, slurm: "gres=gres:gpu"},
		{in: "gpu:2", want: []jobspec.GresEntry{g("gpu", "", 2)}, slurm: "gres=gres:gpu:2"},
		{in: "gres:gpu:2", want: []jobspec.GresEntry{g("gpu", "", 2)}, slurm: "gres=gres:gpu:2"},
		{in: "gpu:a100", want: []jobspec.GresEntry{g("gpu", "a100", 1)}, slurm: "gres=gres:gpu:a100"},
		{in: "gpu:a100:2", want: []jobspec.GresEntry{g("gpu", "a100", 2)}, slurm: "gres=gres:gpu:a100:2"},
		{in: "gpu:A100:2", want: []jobspec.GresEntry{g("gpu", "A100", 2)}, slurm: "accepted (types match in any case)"},
		{in: "gpu:0", want: []jobspec.GresEntry{g("gpu", "", 0)}, slurm: "TresPerNode=gres:gpu:0"},
		{in: "gpu:a100:0", want: []jobspec.GresEntry{g("gpu", "a100", 0)}, slurm: "TresPerNode=gres:gpu:a100:0"},
		{in: "gpu:0k", want: []jobspec.GresEntry{g("gpu", "", 0)}, slurm: "accepted"},
		{in: "gpu:0kb", want: []jobspec.GresEntry{g("gpu", "", 0)}, slurm: "accepted"},
		{in: "gpu:a100:0k", want: []jobspec.GresEntry{g("gpu", "a100", 0)}, slurm: "accepted"},
		{in: "gpu:1k", want: []jobspec.GresEntry{g("gpu", "", 1024)}, slurm: "not available (1024 > 240 GPUs)"},
		{in: "gpu:1K", want: []jobspec.GresEntry{g("gpu", "", 1024)}, slurm: "not available"},
		{in: "gpu:1kb", want: []jobspec.GresEntry{g("gpu", "", 1024)}, slurm: "not available"},
		{in: "gpu:2M", want: []jobspec.GresEntry{g("gpu", "", 2<<20)}, slurm: "not available"},
		{in: "gpu:1G", want: []jobspec.GresEntry{g("gpu", "", 1<<30)}, slurm: "not available"},
		{in: "gpu:1T", want: []jobspec.GresEntry{g("gpu", "", 1<<40)}, slurm: "not available"},
		{in: "gpu:1p", want: []jobspec.GresEntry{g("gpu", "", 1<<50)}, slurm: "not available"},
		{in: "gpu:a100:1k", want: []jobspec.GresEntry{g("gpu", "a100", 1024)}, slurm: "not available"},
		{in: "gpu:+2", want: []jobspec.GresEntry{g("gpu", "", 2)}, slurm: "accepted"},
		{in: "gpu:02", want: []jobspec.GresEntry{g("gpu", "", 2)}, slurm: "accepted"},
		{in: "gpu: 2", want: []jobspec.GresEntry{g("gpu", "", 2)}, slurm: "accepted"},
		{in: "gpu:a100:+2", want: []jobspec.GresEntry{g("gpu", "a100", 2)}, slurm: "accepted"},
		{in: "gpu:a100: 2", want: []jobspec.GresEntry{g("gpu", "a100", 2)}, slurm: "accepted"},
		{in: "gpu:x2", want: []jobspec.GresEntry{g("gpu", "x2", 1)}, slurm: "not available (type x2)"},
		{in: "gpu:-1", want: []jobspec.GresEntry{g("gpu", "-1", 1)}, slurm: "not available (type -1)"},
		{in: "gpu:-a", want: []jobspec.GresEntry{g("gpu", "-a", 1)}, slurm: "not available (type -a)"},
		{in: "gpu: 2 ", want: []jobspec.GresEntry{g("gpu", " 2 ", 1)}, slurm: "not available (a type)"},
		{in: "gpu:2:2", want: []jobspec.GresEntry{g("gpu", "2", 2)}, slurm: "not available (type 2)"},
		{in: "gpu:nonexist:2", want: []jobspec.GresEntry{g("gpu", "nonexist", 2)}, slurm: "not available"},
		{in: "gpu:a100:2,gpu:h100:2", want: []jobspec.GresEntry{g("gpu", "a100", 2), g("gpu", "h100", 2)}, slurm: "accepted"},
		{in: "gpu:a100:2,gpu:a100:3", want: []jobspec.GresEntry{g("gpu", "a100", 2), g("gpu", "a100", 3)}, slurm: "accepted"},
		{in: "gpu:2,gpu:3", want: []jobspec.GresEntry{g("gpu", "", 2), g("gpu", "", 3)}, slurm: "accepted"},
		{in: "gpu,gpu:2", want: []jobspec.GresEntry{g("gpu", "", 1), g("gpu", "", 2)}, slurm: "accepted"},
		{in: "none", slurm: "gres=none"},
		{in: "NONE", slurm: "gres=NONE"},
	}
	for _, in := range []string{
		"gpu:2,gpu:a100:1", "gpu:1,gpu:a100:0", "gpu:2,", ",gpu:2", "gres:", "gpu:a100:2:3", "gpu::2",
		"gpu:", "gpu:1.5", "gpu:2x", "gpu:1b", "gpu:1kx", "gpu:0x", "gpu:0b", "gpu:2 ", "gpu:1e3",
		"gpu:a100:-1", "gpu:a100:x", "gpu:a100:1b", "gpu:a100:2x", "gpu:a100:1.5", "gpu:a100:2:no_consume",
		"gpu:a100:no_consume:2", "gpu:a100:2(S:0)", "gpu:99999999999999999999", "gpu:a100:99999999999999999999",
		"none,gpu:2", "gpu:2,none", "help", "",
	} {
		tests = append(tests, struct {
			in    string
			want  []jobspec.GresEntry
			bad   bool
			slurm string
		}{in: in, bad: true, slurm: "invalid gres / TRES specification"})
	}
	for _, tt := range tests {
		got, err := jobspec.ParseGres(tt.in)
		switch {
		case tt.bad && err == nil:
			t.Errorf("ParseGres(%q) = %+v, want an error (slurm: %s)", tt.in, got, tt.slurm)
		case !tt.bad && (err != nil || !reflect.DeepEqual(got, tt.want)):
			t.Errorf("ParseGres(%q) = %+v, %v; want %+v (slurm: %s)", tt.in, got, err, tt.want, tt.slurm)
		}
	}
}

func TestParseGPUs(t *testing.T) {
	tests := []struct {
		in    string
		typ   string
		n     int
		bad   bool
		slurm string
	}{
		{in: "2", n: 2, slurm: "gpus=2"},
		{in: " 2", n: 2, slurm: "accepted"},
		{in: "0", n: 0, slurm: "TresPerJob=gres:gpu:0"},
		{in: "a100:2", typ: "a100", n: 2, slurm: "gpus=a100:2"},
		{in: "A100:2", typ: "A100", n: 2, slurm: "accepted"},
		{in: "a100", typ: "a100", n: 1, slurm: "TresPerJob=gres:gpu:a100"},
		{in: "a100:0", typ: "a100", n: 0, slurm: "accepted"},
		{in: "1k", n: 1024, slurm: "not available"},
		{in: "gpu:2", typ: "gpu", n: 2, slurm: "not available (type gpu)"},
		{in: "-1", typ: "-1", n: 1, slurm: "not available (type -1)"},
		{in: "", slurm: "accepted, no GPU request"},
		{in: "a100:2,h100:2", bad: true, slurm: "accepted by Slurm; a list is ParseGPUList's"},
	}
	for _, in := range []string{"gpu:a100:2", "2,a100:1", "2x", "a100:", ":2"} {
		tests = append(tests, struct {
			in    string
			typ   string
			n     int
			bad   bool
			slurm string
		}{in: in, bad: true, slurm: "invalid gres / TRES specification"})
	}
	for _, tt := range tests {
		typ, n, err := jobspec.ParseGPUs(tt.in)
		switch {
		case tt.bad && err == nil:
			t.Errorf("ParseGPUs(%q) = %q, %d; want an error (slurm: %s)", tt.in, typ, n, tt.slurm)
		case !tt.bad && (err != nil || typ != tt.typ || n != tt.n):
			t.Errorf("ParseGPUs(%q) = %q, %d, %v; want %q, %d (slurm: %s)", tt.in, typ, n, err, tt.typ, tt.n, tt.slurm)
		}
	}
	list, err := jobspec.ParseGPUList("a100:2,h100:1")
	want := []jobspec.GresEntry{{Name: "gpu", Type: "a100", Count: 2}, {Name: "gpu", Type: "h100", Count: 1}}
	if err != nil || !reflect.DeepEqual(list, want) {
		t.Errorf("ParseGPUList = %+v, %v; want %+v (slurm: TresPerNode=gres:gpu:a100:2,gres:gpu:h100:1)", list, err, want)
	}
}

func TestParseMailType(t *testing.T) {
	all := []string{"INVALID_DEPEND", "BEGIN", "END", "FAIL", "REQUEUE", "STAGE_OUT"}
	tests := []struct {
		in   string
		want []string // nil: error
	}{
		{"NONE", []string{"NONE"}},
		{"none", []string{"NONE"}},
		{"BEGIN", []string{"BEGIN"}},
		{"Begin", []string{"BEGIN"}},
		{"END", []string{"END"}},
		{"FAIL", []string{"FAIL"}},
		{"REQUEUE", []string{"REQUEUE"}},
		{"INVALID_DEPEND", []string{"INVALID_DEPEND"}},
		{"STAGE_OUT", []string{"STAGE_OUT"}},
		{"TIME_LIMIT", []string{"TIME_LIMIT"}},
		{"TIME_LIMIT_90", []string{"TIME_LIMIT_90"}},
		{"TIME_LIMIT_80", []string{"TIME_LIMIT_80"}},
		{"TIME_LIMIT_50", []string{"TIME_LIMIT_50"}},
		{"ARRAY_TASKS", []string{"ARRAY_TASKS"}},
		{"ALL", all},
		{"begin,end", []string{"BEGIN", "END"}},
		{"END,BEGIN", []string{"BEGIN", "END"}},
		{"begin,,end", []string{"BEGIN", "END"}},
		{"BEGIN,", []string{"BEGIN"}},
		{",BEGIN", []string{"BEGIN"}},
		{"ALL,TIME_LIMIT", append(append([]string(nil), all...), "TIME_LIMIT")},
		{"ALL,ARRAY_TASKS", append([]string{"ARRAY_TASKS"}, all...)},
		{"ARRAY_TASKS,TIME_LIMIT_50", []string{"ARRAY_TASKS", "TIME_LIMIT_50"}},
		{"TIME_LIMIT_50,TIME_LIMIT_80,TIME_LIMIT_90,TIME_LIMIT,ARRAY_TASKS,REQUEUE,FAIL,END,BEGIN,INVALID_DEPEND,STAGE_OUT",
			[]string{"ARRAY_TASKS", "INVALID_DEPEND", "BEGIN", "END", "FAIL", "REQUEUE", "STAGE_OUT",
				"TIME_LIMIT_50", "TIME_LIMIT_80", "TIME_LIMIT_90", "TIME_LIMIT"}},
		{"NONE,BEGIN", []string{"NONE"}},
		{"BEGIN,NONE", []string{"NONE"}},
		{"foo,NONE", []string{"NONE"}},
		{"BEGIN,foo", []string{"BEGIN"}},
		{"foo", nil},
		{"foo,bar", nil},
		{"", nil},
		{",", nil},
		{"BEGIN ", nil},
		{" BEGIN", nil},
		{"TIME_LIMIT_70", nil},
		{"TIMELIMIT", nil},
		{"time_limit_9", nil},
		{"ARRAY_TASK", nil},
		{"BEGIN;END", nil},
		{"BEGIN END", nil},
	}
	for _, tt := range tests {
		got, err := jobspec.ParseMailType(tt.in)
		switch {
		case tt.want == nil && err == nil:
			t.Errorf("ParseMailType(%q) = %v, want an error (slurm: Invalid --mail-type specification)", tt.in, got)
		case tt.want != nil && (err != nil || !reflect.DeepEqual(got, tt.want)):
			t.Errorf("ParseMailType(%q) = %v, %v; want %v (slurm: sbatch -v mail-type)", tt.in, got, err, tt.want)
		}
	}
}

func TestMergeMailTypes(t *testing.T) {
	tests := []struct {
		a, b, want []string
		slurm      string
	}{
		{[]string{"BEGIN"}, []string{"END"}, []string{"BEGIN", "END"}, "--mail-type=BEGIN --mail-type=END: BEGIN,END"},
		{[]string{"BEGIN"}, []string{"NONE"}, []string{"BEGIN"}, "BEGIN then NONE: BEGIN"},
		{[]string{"NONE"}, []string{"END"}, []string{"END"}, "NONE then END: END"},
		{[]string{"NONE"}, []string{"NONE"}, []string{"NONE"}, "NONE"},
		{nil, []string{"NONE"}, []string{"NONE"}, "NONE"},
		{nil, nil, nil, "not given"},
		{[]string{"END", "FAIL"}, []string{"BEGIN", "END"}, []string{"BEGIN", "END", "FAIL"}, "ORed, Slurm's order"},
	}
	for _, tt := range tests {
		if got := jobspec.MergeMailTypes(tt.a, tt.b); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("MergeMailTypes(%v, %v) = %v, want %v (slurm: %s)", tt.a, tt.b, got, tt.want, tt.slurm)
		}
	}
}

func TestParseBegin(t *testing.T) {
	// The oracle ran at about 2026-11-21 18:10 UTC; results are Slurm's
	// for that moment (sbatch -v's begin).
	now := time.Date(2026, 11, 21, 18, 10, 2, 0, time.UTC)
	at := func(s string) time.Time {
		t, err := time.Parse("2006-01-02T15:04:05", s)
		if err != nil {
			panic(err)
		}
		return t
	}
	tests := []struct {
		in   string
		want string // "" for an error
	}{
		{"16:00", "2026-11-22T16:00:00"},
		{"16:00:30", "2026-11-22T16:00:30"},
		{"23:59", "2026-11-21T23:59:00"},
		{"23:59:59", "2026-11-21T23:59:59"},
		{"00:00", "2026-11-22T00:00:00"},
		{"0:00", "2026-11-22T00:00:00"},
		{"00:00:00", "2026-11-22T00:00:00"},
		{"9:05", "2026-11-22T09:05:00"},
		{"09:05:07", "2026-11-22T09:05:07"},
		{"18:10", "2026-11-22T18:10:00"},    // this minute: tomorrow
		{"18:10:59", "2026-11-22T18:10:59"}, // still this minute
		{"18:11", "2026-11-21T18:11:00"},
		{"18:09", "2026-11-22T18:09:00"},
		{" 16:00", "2026-11-22T16:00:00"},
		{"16:00 ", "2026-11-22T16:00:00"},
		{"T10:00", "2026-11-22T10:00:00"},
		{"TT10:00", "2026-11-22T10:00:00"},
		{"4:00pm", "2026-11-22T16:00:00"},
		{"4:00 pm", "2026-11-22T16:00:00"},
		{"4:00PM", "2026-11-22T16:00:00"},
		{"2:00 PM", "2026-11-22T14:00:00"},
		{"12:30am", "2026-11-22T00:30:00"},
		{"12:00am", "2026-11-22T00:00:00"},
		{"12:00pm", "2026-11-22T12:00:00"},
		{"0:30am", "2026-11-22T00:30:00"},
		{"00:30pm", "2026-11-22T12:30:00"},
		{"1:00am", "2026-11-22T01:00:00"},
		{"11:59:59pm", "2026-11-21T23:59:59"},
		{"midnight", "2026-11-22T00:00:00"},
		{"Midnight", "2026-11-22T00:00:00"},
		{"MIDNIGHT", "2026-11-22T00:00:00"},
		{"noon", "2026-11-22T12:00:00"},
		{"Noon", "2026-11-22T12:00:00"},
		{"NOON", "2026-11-22T12:00:00"},
		{"fika", "2026-11-22T15:00:00"},
		{"Fika", "2026-11-22T15:00:00"},
		{"FIKA", "2026-11-22T15:00:00"},
		{"teatime", "2026-11-22T16:00:00"},
		{"today", "2026-11-21T00:00:00"},
		{"tOdAy", "2026-11-21T00:00:00"},
		{"toDAY", "2026-11-21T00:00:00"},
		{"tomorrow", "2026-11-22T00:00:00"},
		{"tomorroW", "2026-11-22T00:00:00"},
		{"today 16:00", "2026-11-21T16:00:00"},
		{"16:00 today", "2026-11-21T16:00:00"},
		{"today 23:00", "2026-11-21T23:00:00"},
		{"16:00 tomorrow", "2026-11-22T16:00:00"},
		{"tomorrow 16:00", "2026-11-22T16:00:00"},
		{"noon tomorrow", "2026-11-22T12:00:00"},
		{"tomorrow noon", "2026-11-22T12:00:00"},
		{"noon today", "2026-11-21T12:00:00"},
		{"today noon", "2026-11-21T12:00:00"},
		{"midnight today", "2026-11-21T00:00:00"},
		{"teatime tomorrow", "2026-11-22T16:00:00"},
		{"today tomorrow", "2026-11-22T00:00:00"},
		{"16:00 17:00", "2026-11-22T17:00:00"},
		{"noon fika", "2026-11-22T15:00:00"},
		{"2027-01-02", "2027-01-02T00:00:00"},
		{"2027-01-02T10:00", "2027-01-02T10:00:00"},
		{"2027-01-02T10:00:30", "2027-01-02T10:00:30"},
		{"2027-12-25T", "2027-12-25T00:00:00"},
		{"2027-12-25T1:00", "2027-12-25T01:00:00"},
		{"2027-12-25T10:00pm", "2027-12-25T22:00:00"},
		{"2027-12-25T01:00:00pm", "2027-12-25T13:00:00"},
		{"2027-12-25 16:00", "2027-12-25T16:00:00"},
		{"16:00 2027-12-25", "2027-12-25T16:00:00"},
		{"2027-12-25 T 10:00", "2027-12-25T10:00:00"},
		{"2027-12-25T10:00 16:00", "2027-12-25T16:00:00"},
		{"2027-01-31", "2027-01-31T00:00:00"},
		{"2027-04-31", "2027-05-01T00:00:00"},
		{"2027-02-30", "2027-03-02T00:00:00"},
		{"2020-01-01", "2020-01-01T00:00:00"},
		{"1969-12-31", "1969-12-31T00:00:00"},
		{"1900-01-01", "1900-01-01T00:00:00"},
		{"9999-12-31", "9999-12-31T00:00:00"},
		{"010227", "2027-01-02T00:00:00"},
		{"122527", "2027-12-25T00:00:00"},
		{"122599", "2099-12-25T00:00:00"},
		{"123169", "2069-12-31T00:00:00"},
		{"123170", "2070-12-31T00:00:00"},
		{"1225", "2026-12-25T00:00:00"},
		{"1121", "2027-11-21T00:00:00"},
		{"01/02/27", "2027-01-02T00:00:00"},
		{"01.02.27", "2027-01-02T00:00:00"},
		{"12/25", "2026-12-25T00:00:00"},
		{"12/25/27", "2027-12-25T00:00:00"},
		{"01/01/20", "2020-01-01T00:00:00"},
		{"01/01/69", "2069-01-01T00:00:00"},
		{"01/01/70", "2070-01-01T00:00:00"},
		{"01/01/00", "2027-01-01T00:00:00"}, // 00 is no year
		{"01/01", "2027-01-01T00:00:00"},
		{"01/01 00:00", "2027-01-01T00:00:00"},
		{"02/30", "2027-03-02T00:00:00"},
		{"02/30/27", "2027-03-02T00:00:00"},
		{"11/21", "2027-11-21T00:00:00"},
		{"11/21 23:00", "2026-11-21T23:00:00"},
		{"11/21 10:00", "2027-11-21T10:00:00"},
		{"11/21 18:10:02", "2027-11-21T18:10:02"},
		{"11/21 18:10:53", "2027-11-21T18:10:53"},
		{"11/21 18:11:33", "2026-11-21T18:11:33"},
		{"11.22", "2026-11-22T00:00:00"},
		{"11.22.27", "2027-11-22T00:00:00"},
		{"12/25 01/01", "2027-01-01T00:00:00"},
		{"12/25 today", "2026-11-21T00:00:00"},
		{"today 12/25", "2026-12-25T00:00:00"},
		{"noon 12/25", "2026-12-25T12:00:00"},
		{"16:00 12/25/27", "2027-12-25T16:00:00"},
		{"12/25/27 16:00", "2027-12-25T16:00:00"},
		{"now", "2026-11-21T18:10:02"},
		{"NOW", "2026-11-21T18:10:02"},
		{"now+1", "2026-11-21T18:10:03"},
		{"Now+1", "2026-11-21T18:10:03"},
		{"nOW+1", "2026-11-21T18:10:03"},
		{"now +1", "2026-11-21T18:10:03"},
		{"now+ 1", "2026-11-21T18:10:03"},
		{"now+60", "2026-11-21T18:11:02"},
		{"now+60 ", "2026-11-21T18:11:02"},
		{"now+0", "2026-11-21T18:10:02"},
		{"now-1", "2026-11-21T18:10:01"},
		{"now+1second", "2026-11-21T18:10:03"},
		{"now+1seconds", "2026-11-21T18:10:03"},
		{"now+30seconds", "2026-11-21T18:10:32"},
		{"now+1minute", "2026-11-21T18:11:02"},
		{"now+1minutes", "2026-11-21T18:11:02"},
		{"now+1hour", "2026-11-21T19:10:02"},
		{"now+1Hour", "2026-11-21T19:10:02"},
		{"now+1hours", "2026-11-21T19:10:02"},
		{"now+1HOURS", "2026-11-21T19:10:02"},
		{"now+1 hour", "2026-11-21T19:10:02"},
		{"now + 1 hour", "2026-11-21T19:10:02"},
		{"now+2hours", "2026-11-21T20:10:02"},
		{"now-1hour", "2026-11-21T17:10:02"},
		{"now+1day", "2026-11-22T18:10:02"},
		{"now+1days", "2026-11-22T18:10:02"},
		{"now+2days", "2026-11-23T18:10:02"},
		{"now+1week", "2026-11-28T18:10:02"},
		{"now+1weeks", "2026-11-28T18:10:02"},
		{"now+99999999999", "5195-10-07T03:56:41"},
		{"now+1hour 16:00", "2026-11-21T16:00:00"},
		{"now+1 hour 16:00", "2026-11-21T16:00:00"},
		{"now+1 hour tomorrow", "2026-11-22T19:10:02"},
		{"now+1hour today", "2026-11-21T19:10:02"},
		{"now+1hour 12/25", "2026-12-25T19:10:02"},
		{"now+1hour 2027-12-25", "2027-12-25T19:10:02"},
		// Parts need no white space between them; a year set once is kept.
		{"midnight9:05", "2026-11-22T09:05:00"},
		{"midnightfika", "2026-11-22T15:00:00"},
		{"fikamidnight", "2026-11-22T00:00:00"},
		{"teatimetoday", "2026-11-21T16:00:00"},
		{"4:00pmfika", "2026-11-22T15:00:00"},
		{"4:00amtoday", "2026-11-21T04:00:00"},
		{"18:30:1512/25", "2026-12-25T18:30:15"},
		{"12/25/2712/26", "2027-12-26T00:00:00"},
		{"today122527", "2027-12-25T00:00:00"},
		{"now+1minutesfika", "2026-11-21T15:00:00"},
		{"now+1hourS", "2026-11-21T19:10:02"},
		{"now-2daysmidnight", "2026-11-19T00:00:00"},
		{"now+1hour12:30 am", "2026-11-21T00:30:00"},
		{"now-1days 11/20", "2026-11-20T18:10:02"},
		{"today 11/20", "2026-11-20T00:00:00"},
		{"tomorrow 1120", "2026-11-20T00:00:00"},
		{"11/20 today", "2026-11-21T00:00:00"},
		{"2027-01-01 11/20", "2027-11-20T00:00:00"},
		{"2027-01-01 1120", "2027-11-20T00:00:00"},
		{"11/20/27 11/20", "2027-11-20T00:00:00"},
		{"122527 1225", "2027-12-25T00:00:00"},
		{"2027-12-25T10:00 12/25", "2027-12-25T10:00:00"},
		{"01/02/27 12/25/00", "2027-12-25T00:00:00"},
		{"noon9:05-", "2026-11-22T09:05:00"},
		{"noon-", "2026-11-22T12:00:00"},
		{"-teatimeteatime", "2026-11-22T16:00:00"},
		{"11.22-12/25/00", "2026-12-25T00:00:00"},
		{"2027-01-01- ", "2027-01-01T00:00:00"},
		{"-2027-12-25T10:00", "2027-12-25T10:00:00"},
		{"16:00-1225", "2026-12-25T16:00:00"},
		{"11/2012midnight", "2012-11-20T00:00:00"},
		{"11.2212", "2012-11-22T00:00:00"},
		{"T11.2218:30", ""}, {"11/202027-12-25T10:00", ""}, {"12/251225", ""}, {"today11/209:05", ""},
		{"11/201120", ""}, {"11/2000:00", ""}, {"11/2001/02/27", ""}, {"9:05T11.221120", ""},
		{"2027-02-3012/251120", ""}, {"11.2218:3023:59:594:00pm", ""},
		{"now+1 11/20", ""}, {"noonx", ""}, {"todayfoo", ""}, {"now+1hours5", ""}, {"now+2weeksx", ""},
		{"9:0512", ""}, {"nownoon", ""}, {"noonnow", ""},
		// Rejected by sbatch: "Invalid --begin specification".
		{"", ""}, {" ", ""}, {"T", ""}, {"1970-01-01", ""},
		{"now+30sec", ""}, {"now+5min", ""}, {"now+2h", ""}, {"now+1d", ""}, {"now+1w", ""},
		{"now+1s", ""}, {"now+1sec", ""}, {"now+1mins", ""}, {"now+1hr", ""}, {"now+1wk", ""},
		{"now+", ""}, {"now+-1", ""}, {"now+x", ""}, {"now+1hour+1minute", ""}, {"now+1hourx", ""},
		{" now+1", ""}, {"now now", ""}, {"now 16:00", ""}, {"16:00 now", ""}, {"today now", ""},
		{"tomorrow now", ""}, {"2027-12-25 now", ""}, {"tomorrow+1", ""}, {"today+1", ""},
		{"elevenses", ""}, {"Today", ""}, {"TOMORROW", ""}, {"Teatime", ""}, {"TEATIME", ""},
		{"4pm", ""}, {"4PM", ""}, {"12am", ""}, {"12pm", ""}, {"13pm", ""}, {"0am", ""}, {"13:00pm", ""},
		{"16:00:30pm", ""}, {"2:00P", ""}, {"2:00pmx", ""}, {"2:00 p.m.", ""}, {"25:00", ""}, {"23:60", ""},
		{"23:59:60", ""}, {"1:2", ""}, {"9:5", ""}, {"10:0", ""}, {"10:00:0", ""}, {"100:00", ""},
		{"010:00", ""}, {"12/25/2027", ""}, {"2027-12-25T10", ""}, {"2027-12-25T01", ""},
		{"2027-12-25T10:00:00:00", ""}, {"2027-1-2", ""}, {"27-01-02", ""}, {"12252027", ""},
		{"2027-13-01", ""}, {"2027-00-10", ""}, {"2027-12-00", ""}, {"2027-01-32", ""},
		{"2027-12-25T25:00", ""}, {"2027-12-25T23:60", ""}, {"2027-12-25t10:00", ""}, {"00/10", ""},
		{"12/00", ""}, {"13/01", ""},
	}
	for _, tt := range tests {
		got, err := jobspec.ParseBegin(tt.in, now)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseBegin(%q) = %v, want an error (slurm: Invalid --begin specification)", tt.in, got.At)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseBegin(%q): %v, want %s", tt.in, err, tt.want)
			continue
		}
		if !got.At.Equal(at(tt.want)) || got.Raw != tt.in {
			t.Errorf("ParseBegin(%q) = %v (raw %q), want %s (slurm: sbatch -v begin)", tt.in, got.At, got.Raw, tt.want)
		}
	}
}

func TestParseBeginLocation(t *testing.T) {
	loc := time.FixedZone("X", 3*3600)
	now := time.Date(2026, 11, 21, 18, 10, 2, 0, loc)
	got, err := jobspec.ParseBegin("16:00", now)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 22, 16, 0, 0, 0, loc); !got.At.Equal(want) || got.At.Location() != loc {
		t.Errorf("ParseBegin in %v = %v, want %v", loc, got.At, want)
	}
}

func TestValueErrors(t *testing.T) {
	_, err := jobspec.ParseTime("5m")
	var ve *jobspec.ValueError
	if !errors.As(err, &ve) || ve.Value != "5m" || ve.What != "time limit" {
		t.Fatalf("ParseTime error = %#v, want a *ValueError for 5m", err)
	}
	if !errors.Is(err, jobspec.ErrInvalidValue) {
		t.Errorf("%v does not wrap ErrInvalidValue", err)
	}
	want := `invalid time limit "5m": use minutes, minutes:seconds, hours:minutes:seconds, days-hours, ` +
		`days-hours:minutes, days-hours:minutes:seconds or UNLIMITED`
	if err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
	for name, f := range map[string]func() error{
		"memory":     func() error { _, err := jobspec.ParseMemory("x"); return err },
		"nodes":      func() error { _, _, err := jobspec.ParseNodes("x"); return err },
		"array":      func() error { _, err := jobspec.ParseArray("x", 0); return err },
		"dependency": func() error { _, err := jobspec.ParseDependency("x"); return err },
		"signal":     func() error { _, err := jobspec.ParseSignal("x"); return err },
		"gres":       func() error { _, err := jobspec.ParseGres("gpu::1"); return err },
		"gpus":       func() error { _, _, err := jobspec.ParseGPUs("2x"); return err },
		"begin":      func() error { _, err := jobspec.ParseBegin("x", time.Unix(1e9, 0)); return err },
		"mail":       func() error { _, err := jobspec.ParseMailType("x"); return err },
	} {
		if err := f(); !errors.Is(err, jobspec.ErrInvalidValue) {
			t.Errorf("%s: error %v does not wrap ErrInvalidValue", name, err)
		}
	}
}

func ExampleParseTime() {
	for _, s := range []string{"90", "2:30", "1-12", "0", "UNLIMITED"} {
		t, err := jobspec.ParseTime(s)
		fmt.Println(s, "->", t, err)
	}
	// Output:
	// 90 -> 90 <nil>
	// 2:30 -> 3 <nil>
	// 1-12 -> 2160 <nil>
	// 0 -> UNLIMITED <nil>
	// UNLIMITED -> UNLIMITED <nil>
}

func ExampleParseArray() {
	for _, s := range []string{"1-1000:2", "[1-3,5]%2", "5,1-3,2", "0-15:4"} {
		a, err := jobspec.ParseArray(s, jobspec.DefaultMaxArraySize)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s, "->", a.Spec, a.Count)
	}
	_, err := jobspec.ParseArray("1-2000", jobspec.DefaultMaxArraySize)
	fmt.Println(err)
	// Output:
	// 1-1000:2 -> 1-999:2 500
	// [1-3,5]%2 -> 1-3,5%2 4
	// 5,1-3,2 -> 1-3,5 4
	// 0-15:4 -> 0,4,8,12 4
	// invalid array "1-2000": index 2000 is not below MaxArraySize (1001)
}

// Fuzz targets: no panics, and every accepted value renders (String) to an
// argument that parses back to the same value.

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"90", "2:30", "1:00:30", "1-2", "1-2:3", "1-2:3:4", "0", "-5", "UNLIMITED", "1-", "99999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := jobspec.ParseTime(s)
		if err != nil {
			return
		}
		if v.Minutes > (math.MaxInt32-59)/60 {
			return // only reachable through Slurm's overflow; not writable
		}
		back, err := jobspec.ParseTime(v.String())
		if err != nil || back != v {
			t.Fatalf("ParseTime(%q) = %+v; String %q parses to %+v, %v", s, v, v.String(), back, err)
		}
	})
}

func FuzzParseArray(f *testing.F) {
	for _, s := range []string{"1-1000:2", "[1-3,5]%2", "5,1-3,2", "0-15:4", "1,%2", "[,1]", "1-8]:2", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := jobspec.ParseArray(s, 2000)
		if err != nil || a == nil {
			return
		}
		back, err := jobspec.ParseArray(a.String(), 2000)
		if err != nil || back == nil || back.Spec != a.Spec || back.Count != a.Count ||
			!reflect.DeepEqual(back.Throttle, a.Throttle) {
			t.Fatalf("ParseArray(%q) = %+v; String %q parses to %+v, %v", s, a, a.String(), back, err)
		}
	})
}

func FuzzParseDependency(f *testing.F) {
	for _, s := range []string{
		"afterok:11", "afterok:11:33?afterany:22_[1-3]+5", "singleton", "11,33", "after:1+5x,afterok:2",
		"afterok:22_*", "0", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := jobspec.ParseDependency(s)
		if err != nil || d == nil {
			return
		}
		back, err := jobspec.ParseDependency(d.String())
		if err != nil || !reflect.DeepEqual(back, d) {
			t.Fatalf("ParseDependency(%q) = %+v; String %q parses to %+v, %v", s, d, d.String(), back, err)
		}
	})
}

// FuzzParseValues runs the other value parsers on arbitrary text: none may
// panic, a signal renders to an argument that parses back to it, and a
// begin time renders to an absolute one.
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{
		"B:USR1@120", "rTERM", "gpu:a100:2,gpu:1k", "1-2k", "1025K", "ALL,TIME_LIMIT", "now+1hour 16:00",
		"12/25/2712/26", "midnight9:05", "%5j-%A_%a\\x",
	} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 21, 18, 10, 2, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = jobspec.ParseMemory(s)
		_, _, _ = jobspec.ParseNodes(s)
		_, _ = jobspec.ParseGres(s)
		_, _, _ = jobspec.ParseGPUs(s)
		_, _ = jobspec.ParseMailType(s)
		_ = jobspec.ExpandPattern(s, jobspec.PatternVars{JobID: 7, ArrayTaskID: -1, StepID: jobspec.BatchStepID})
		if sig, err := jobspec.ParseSignal(s); err == nil {
			back, err := jobspec.ParseSignal(sig.String())
			if err != nil || !reflect.DeepEqual(back, sig) {
				t.Fatalf("ParseSignal(%q) = %+v; String %q parses to %+v, %v", s, sig, sig.String(), back, err)
			}
		}
		if b, err := jobspec.ParseBegin(s, now); err == nil && b.At.Year() >= 1000 && b.At.Year() <= 9999 {
			back, err := jobspec.ParseBegin(b.String(), now)
			if err != nil || !back.At.Equal(b.At) {
				t.Fatalf("ParseBegin(%q) = %v; String %q parses to %+v, %v", s, b.At, b.String(), back, err)
			}
		}
	})
}
