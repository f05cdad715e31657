package main

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestOccupancyOf(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	span := func(a, b float64) taskSpan { return taskSpan{start: at(a), end: at(b)} }
	for _, tc := range []struct {
		name        string
		spans       []taskSpan
		gpus        int
		all, steady float64
		window      time.Duration
	}{
		{"back to back", []taskSpan{span(0, 2), span(0, 2), span(2, 4), span(2, 4)}, 2, 1, 1, 2 * time.Second},
		// GPU 1 idles 1 s before its second job: 3 of 4 GPU-seconds.
		{"a gap", []taskSpan{span(0, 2), span(0, 1), span(2, 4)}, 2, 0.75, 0.75, 2 * time.Second},
		// The second GPU starts 1 s late: steady state counts from then.
		{"a slow ramp", []taskSpan{span(0, 4), span(1, 3), span(3, 5)}, 2, 5.0 / 6, 1, 3 * time.Second},
		{"nothing", nil, 8, 0, 0, 0},
	} {
		all, steady, window := occupancyOf(tc.spans, tc.gpus)
		if math.Abs(all-tc.all) > 1e-9 || math.Abs(steady-tc.steady) > 1e-9 || window != tc.window {
			t.Errorf("%s: occupancy %.3f steady %.3f window %v, want %.3f %.3f %v", tc.name, all, steady, window, tc.all, tc.steady, tc.window)
		}
	}
}

func TestHandoffs(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	// run on gpu from start to end, registered and placed at those times.
	run := func(gpu string, reg, placed, start, end int) taskSpan {
		return taskSpan{start: at(start), end: at(end), gpu: gpu, registered: at(reg), placed: at(placed)}
	}
	spans := []taskSpan{
		// a: registered at once, then after the first job ended (hpcbridge).
		run("a", 0, 0, 0, 1000), run("a", 1100, 1200, 1300, 2000),
		// b: all registered at once (Nomad directly).
		run("b", 0, 0, 0, 1500), run("b", 0, 1600, 2000, 2500),
		run("c", 0, 0, 0, 900),
	}
	got := handoffs(spans)
	want := []handoff{
		{total: 300 * time.Millisecond, toRegister: 100 * time.Millisecond, toPlace: 100 * time.Millisecond, toStart: 100 * time.Millisecond},
		{total: 500 * time.Millisecond, toPlace: 100 * time.Millisecond, toStart: 400 * time.Millisecond},
	}
	if !slices.Equal(got, want) {
		t.Errorf("handoffs %+v, want %+v", got, want)
	}
}
