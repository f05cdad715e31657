package apiserver

import (
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// A receipt's credit goes to the UTC days its credited interval spans, in
// proportion to its seconds on each side of midnight, and the days add up
// to the credit exactly (odd counts, uneven splits); what falls before
// the first day or after the last is not shown; the receipt counts on the
// day its interval ends.
func TestSplitDays(t *testing.T) {
	since := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	at := func(day, h, m int) time.Time {
		return since.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	for _, c := range []struct {
		name       string
		start, end time.Time
		gpuSecs    int64
		want       [3]int64 // GPU-seconds of the three days
		receipts   [3]int64
	}{
		{"within a day", at(1, 10, 0), at(1, 11, 0), 2 * 3600, [3]int64{0, 7200, 0}, [3]int64{0, 1, 0}},
		{"across midnight, even", at(0, 23, 0), at(1, 1, 0), 2 * 7200, [3]int64{3600 * 2, 3600 * 2, 0}, [3]int64{0, 1, 0}},
		{"across midnight, uneven and odd", at(0, 23, 50), at(1, 0, 20), 3 * 1800, [3]int64{3 * 600, 3 * 1200, 0}, [3]int64{0, 1, 0}},
		// A credit that is not GPUs x seconds (a record from an older
		// formula) still adds up: 1000 over 3 days' worth of seconds.
		{"rounding adds up", at(0, 8, 0), at(2, 8, 0), 1000, [3]int64{333, 500, 167}, [3]int64{0, 0, 1}},
		{"before the window", at(-1, 22, 0), at(0, 2, 0), 4 * 3600, [3]int64{2 * 3600, 0, 0}, [3]int64{1, 0, 0}},
		{"wholly before", at(-2, 1, 0), at(-2, 2, 0), 3600, [3]int64{0, 0, 0}, [3]int64{0, 0, 0}},
		{"after the last day", at(2, 23, 0), at(3, 1, 0), 7200, [3]int64{0, 0, 3600}, [3]int64{0, 0, 0}},
		{"empty interval", at(1, 5, 0), at(1, 5, 0), 0, [3]int64{0, 0, 0}, [3]int64{0, 1, 0}},
	} {
		days := make([]api.DonorDay, 3)
		splitDays(days, since, state.Credit{Start: c.start, End: c.end, GPUSeconds: c.gpuSecs, CPUSeconds: 2 * c.gpuSecs})
		for i := range days {
			if days[i].GPUSeconds != c.want[i] || days[i].CPUSeconds != 2*c.want[i] || days[i].Receipts != c.receipts[i] {
				t.Errorf("%s: day %d = %+v, want %d GPU-seconds, %d receipts", c.name, i, days[i], c.want[i], c.receipts[i])
			}
		}
	}
}

// latest keeps the n latest, the latest first, in bounded memory, and
// says when it cut.
func TestLatest(t *testing.T) {
	var l latest[int]
	base := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		l.add(i, base.Add(time.Duration((i*7919)%1000)*time.Second))
		if len(l.items) > 4*api.MaxDonorJobs {
			t.Fatalf("holds %d items", len(l.items))
		}
	}
	got, cut := l.list(3)
	if !cut || len(got) != 3 || (got[0]*7919)%1000 != 999 || (got[2]*7919)%1000 != 997 {
		t.Fatalf("latest 3: %v cut %v", got, cut)
	}
	var empty latest[string]
	if got, cut := empty.list(5); got == nil || len(got) != 0 || cut {
		t.Fatalf("empty: %#v %v", got, cut)
	}
}
