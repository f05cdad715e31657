package jobspec_test

// The "slurm" fields record what real Slurm 22.05.8 said for each case;
// see values_test.go.

import (
	"errors"
	"testing"

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
