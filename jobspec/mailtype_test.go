package jobspec_test

// The "slurm" fields record what real Slurm 22.05.8 said for each case;
// see values_test.go.

import (
	"reflect"
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

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
