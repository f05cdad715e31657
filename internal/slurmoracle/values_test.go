package slurmoracle

import (
	"reflect"
	"testing"
	"time"
)

func TestNodeRange(t *testing.T) {
	tests := []struct {
		in       string
		explicit bool
		lo, hi   any
		wantErr  bool
	}{
		{"2", true, 2.0, 2.0, false},
		{"2", false, 2.0, nil, false},
		{"1-3", true, 1.0, 3.0, false},
		{"2-2", false, 2.0, 2.0, false},
		{"x", true, nil, nil, true},
	}
	for _, tt := range tests {
		lo, hi, err := nodeRange(tt.in, tt.explicit)
		if (err != nil) != tt.wantErr || lo != tt.lo || hi != tt.hi {
			t.Errorf("nodeRange(%q, %v) = %v, %v, %v; want %v, %v, err %v", tt.in, tt.explicit, lo, hi, err, tt.lo, tt.hi, tt.wantErr)
		}
	}
}

func TestMebibytes(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"4000", 4000.0}, {"100M", 100.0}, {"480G", 491520.0}, {"2T", 2097152.0},
		{"0?", 0.0}, {"2048K", 2.0}, {"1P", 1073741824.0},
		{"5?", nil}, {"G", nil}, {"1GB", nil}, {"-1", nil},
	}
	for _, tt := range tests {
		got, err := mebibytes(tt.in)
		if got != tt.want || (err != nil) != (tt.want == nil) {
			t.Errorf("mebibytes(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestMinutes(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"00:10:00", 10.0}, {"1-00:00:00", 1440.0}, {"5-00:00:00", 7200.0},
		{"UNLIMITED", "UNLIMITED"}, {"INFINITE", "UNLIMITED"},
		{"90", 90.0}, {"2:30", 3.0}, {"0:30", 1.0}, {"1:00:01", 61.0},
		{"2-12", 3600.0}, {"1-1:30", 1530.0},
		{"1:2:3:4", nil}, {"abc", nil}, {"x-1", nil},
	}
	for _, tt := range tests {
		got, err := minutes(tt.in)
		if got != tt.want || (err != nil) != (tt.want == nil) {
			t.Errorf("minutes(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestGPUList(t *testing.T) {
	tests := []struct {
		in    string
		count any
		types []string
	}{
		{"2", 2.0, nil},
		{"A100:1", 1.0, []string{"A100"}},
		{"a100:1,v100:2", 3.0, []string{"a100", "v100"}},
		{"gpu:a100:4", 4.0, []string{"a100"}},
	}
	for _, tt := range tests {
		n, types, err := gpuList(tt.in)
		if err != nil || n != tt.count || !reflect.DeepEqual(types, tt.types) {
			t.Errorf("gpuList(%q) = %v, %v, %v; want %v, %v", tt.in, n, types, err, tt.count, tt.types)
		}
	}
	if _, _, err := gpuList("a:b:c"); err == nil {
		t.Error("gpuList(a:b:c) accepted")
	}
}

func TestGresList(t *testing.T) {
	tests := []struct {
		in      string
		entries []any
		gpus    any
		types   []string
		hasGPU  bool
	}{
		{"gres:gpu:1", []any{"gpu:1"}, 1.0, nil, true},
		{"gres:gpu", []any{"gpu"}, 1.0, nil, true},
		{"gres:gpu:A100:1", []any{"gpu:A100:1"}, 1.0, []string{"A100"}, true},
		{"gres:gpu:a100", []any{"gpu:a100"}, 1.0, []string{"a100"}, true},
		{"gres:gpu:2,gres:tmp:5", []any{"gpu:2", "tmp:5"}, 2.0, nil, true},
		{"gres:tmp:5", []any{"tmp:5"}, 0.0, nil, false},
	}
	for _, tt := range tests {
		entries, gpus, types, hasGPU, err := gresList(tt.in)
		if err != nil || !reflect.DeepEqual(entries, tt.entries) || gpus != tt.gpus ||
			!reflect.DeepEqual(types, tt.types) || hasGPU != tt.hasGPU {
			t.Errorf("gresList(%q) = %v, %v, %v, %v, %v", tt.in, entries, gpus, types, hasGPU, err)
		}
	}
}

func TestArrayCount(t *testing.T) {
	tests := []struct {
		in              string
		count, throttle float64
		wantErr         bool
	}{
		{"1-12", 12, 0, false},
		{"0-1362%1", 1363, 1, false},
		{"100,200,300", 3, 0, false},
		{"2-3,7,10-11", 5, 0, false},
		{"1-999:2", 500, 0, false},
		{"0,4,8,12%3", 4, 3, false},
		{"1-3,5%2", 4, 2, false},
		{"0", 1, 0, false},
		{"3-1", 0, 0, true},
		{"1-5:0", 0, 0, true},
		{"a", 0, 0, true},
	}
	for _, tt := range tests {
		n, thr, err := arrayCount(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && (n != tt.count || thr != tt.throttle)) {
			t.Errorf("arrayCount(%q) = %v, %v, %v; want %v, %v, err %v", tt.in, n, thr, err, tt.count, tt.throttle, tt.wantErr)
		}
	}
}

func TestSignalSpec(t *testing.T) {
	sig := func(name string, secs float64, batch bool) map[string]any {
		return map[string]any{"signal": name, "seconds": secs, "batch_only": batch}
	}
	tests := []struct {
		in   string
		want map[string]any
	}{
		{"USR1", sig("USR1", 60, false)},
		{"B:USR1@120", sig("USR1", 120, true)},
		{"B:USR1", sig("USR1", 60, true)},
		{"R:USR2@30", sig("USR2", 30, false)},
		{"RB:TERM@5", sig("TERM", 5, true)},
		{"B:KILL", sig("KILL", 60, true)},
		{"10", sig("USR1", 60, false)},
		{"SIGUSR2@90", sig("USR2", 90, false)},
		{"X:USR1", nil},
		{"USR1@x", nil},
		{"99", nil},
	}
	for _, tt := range tests {
		got, err := signalSpec(tt.in)
		if (err != nil) != (tt.want == nil) || (tt.want != nil && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("signalSpec(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestBeginValue(t *testing.T) {
	submitted := time.Date(2026, 11, 21, 18, 4, 32, 700e6, time.UTC)
	tests := []struct{ in, want string }{
		{"2026-11-21T18:04:32", "now"},
		{"2026-11-21T18:04:33", "now"},
		{"2026-11-21T18:06:32", "now+120s"},
		{"2026-11-21T19:04:33", "now+3600s"},
		{"2026-11-21T18:05:02", "2026-11-21T18:05:02"},
		{"2023-10-20T09:00:00", "2023-10-20T09:00:00"},
	}
	for _, tt := range tests {
		got, err := beginValue(tt.in, submitted)
		if err != nil || got != tt.want {
			t.Errorf("beginValue(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if got, err := beginValue("2026-11-21T18:04:32", time.Time{}); err != nil || got != "2026-11-21T18:04:32" {
		t.Errorf("beginValue without submit time = %q, %v", got, err)
	}
	if _, err := beginValue("tomorrow", submitted); err == nil {
		t.Error("beginValue(tomorrow) accepted")
	}
}

func TestRelativeTo(t *testing.T) {
	tests := []struct{ path, prefix, want string }{
		{"/s/%j.out", "/s/", "%j.out"},
		{"/s/./logs/x.out", "/s/", "./logs/x.out"},
		{"/w//job_logs/x.log", "/w//", "job_logs/x.log"},
		{"/w/o.out", "/w//", "o.out"},
		{"/abs/err", "/s/", "/abs/err"},
		{"/abs/err", "/", "abs/err"},
	}
	for _, tt := range tests {
		if got := relativeTo(tt.path, tt.prefix); got != tt.want {
			t.Errorf("relativeTo(%q, %q) = %q, want %q", tt.path, tt.prefix, got, tt.want)
		}
	}
}

// FuzzValues checks that the value readers never panic on odd input.
func FuzzValues(f *testing.F) {
	for _, s := range []string{"1-999:2", "0,4,8%3", "RB:TERM@5", "gres:gpu:a100:1,gres:tmp", "1-00:00:00", "0?", "2-", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = nodeRange(s, true)
		_, _ = mebibytes(s)
		_, _ = minutes(s)
		_, _, _ = gpuList(s)
		_, _, _, _, _ = gresList(s)
		_, _, _ = arrayCount(s)
		_, _ = signalSpec(s)
		_, _ = beginValue(s, time.Now())
		_ = relativeTo(s, "/x/")
	})
}
