package jobspec_test

// The "slurm" fields record what real Slurm 22.05.8 said for each case;
// see values_test.go.

import (
	"reflect"
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

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
