package jobspec_test

// The "slurm" fields record what real Slurm 22.05.8 said for each case;
// see values_test.go.

import (
	"reflect"
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

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
