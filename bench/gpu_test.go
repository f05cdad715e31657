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
	spans := []taskSpan{
		{at(0), at(1000), "a"}, {at(1300), at(2000), "a"}, {at(2100), at(3000), "a"},
		{at(0), at(1500), "b"}, {at(2000), at(2500), "b"},
		{at(0), at(900), "c"},
	}
	got := handoffs(spans)
	want := []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 500 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Errorf("handoffs %v, want %v", got, want)
	}
}
