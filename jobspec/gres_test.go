package jobspec_test

// The "slurm" fields record what real Slurm 22.05.8 said for each case;
// see values_test.go.

import (
	"reflect"
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

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
