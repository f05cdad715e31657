package fairshare

import (
	"math"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// decayed integrates the rate over the interval with weight
// 2^(-(t-s)/h): an interval that ended one half-life ago counts half, one
// still running counts its full recent part; without a half-life nothing
// decays.
func TestDecayed(t *testing.T) {
	h := time.Hour
	for _, tc := range []struct {
		name     string
		rate     float64
		a, b, at time.Time
		h        time.Duration
		want     float64
	}{
		{"no decay", 2, t0, t0.Add(time.Hour), t0.Add(10 * time.Hour), 0, 7200},
		{"cut at t", 1, t0, t0.Add(time.Hour), t0.Add(30 * time.Minute), 0, 1800},
		{"empty", 1, t0, t0, t0.Add(time.Hour), h, 0},
		{"reversed", 1, t0.Add(time.Hour), t0, t0.Add(time.Hour), h, 0},
		{"zero start", 1, time.Time{}, t0, t0, h, 0},
		// ∫_0^1h 2^-(1h-s)/1h ds = 1h/ln2 · (1 - 1/2)
		{"one half-life", 1, t0, t0.Add(h), t0.Add(h), h, 3600 / math.Ln2 * 0.5},
		// the same interval a half-life later: half of it
		{"a half-life later", 1, t0, t0.Add(h), t0.Add(2 * h), h, 3600 / math.Ln2 * 0.25},
	} {
		if got := decayed(tc.rate, tc.a, tc.b, tc.at, tc.h); !near(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// A short interval is worth about its length times the weight at its end.
	got := decayed(1, t0, t0.Add(time.Second), t0.Add(7*24*time.Hour+time.Second), 7*24*time.Hour)
	if !near(math.Round(got*1e6)/1e6, 0.5) {
		t.Errorf("a second a half-life ago: %v, want 0.5", got)
	}
}

func TestRawShares(t *testing.T) {
	for _, tc := range []struct {
		donated, hours float64
		want           uint32
	}{
		{0, 1, 1}, {-5, 1, 1}, {1799, 1, 1}, {1800, 1, 2}, {7200, 1, 3}, {7200, 2, 2}, {1e30, 1, MaxRawShares}, {100, 0, 1},
	} {
		if got := rawShares(tc.donated, tc.hours); got != tc.want {
			t.Errorf("rawShares(%v, %v) = %d, want %d", tc.donated, tc.hours, got, tc.want)
		}
	}
}

// Job: the age factor grows to 1 at MaxAge and stops at the start; the
// fair-share factor is the account's; the priority is the truncated
// weighted sum less nice, at least 1, and 0 held.
func TestJobFactors(t *testing.T) {
	c := DefaultConfig()
	tab := &Table{Accounts: map[string]*Account{"a": {Name: "a", FairShare: 0.5}}}
	j := &state.Job{ID: 3, User: "u", Account: "a", Partition: "p", State: state.StatePending, SubmitTime: t0, ArrayTaskID: state.NoTask}
	f := c.Job(tab, j, t0.Add(c.MaxAge/2))
	if !near(f.Age, 0.5) || f.FairShare != 0.5 || f.WAge != 500 || f.WFairShare != 5000 || f.Priority != 5500 || f.SlurmID != "3" {
		t.Errorf("half max age: %+v", f)
	}
	if f := c.Job(tab, j, t0.Add(3*c.MaxAge)); f.Age != 1 || f.Priority != 6000 {
		t.Errorf("past max age: %+v", f)
	}
	if f := c.Job(tab, j, t0.Add(-time.Hour)); f.Age != 0 {
		t.Errorf("before submit: %+v", f)
	}
	nice := *j
	nice.Nice = 100
	if f := c.Job(tab, &nice, t0.Add(c.MaxAge/2)); f.Priority != 5400 || f.Nice != 100 {
		t.Errorf("nice 100: %+v", f)
	}
	nice.Nice = 1 << 20
	if f := c.Job(tab, &nice, t0); f.Priority != 1 {
		t.Errorf("a huge nice: %+v", f)
	}
	held := *j
	held.Hold = state.HoldUser
	if f := c.Job(tab, &held, t0); f.Priority != 0 {
		t.Errorf("held: %+v", f)
	}
	begin := *j
	begin.Begin = t0.Add(c.MaxAge / 2)
	if f := c.Job(tab, &begin, t0.Add(c.MaxAge)); !near(f.Age, 0.5) {
		t.Errorf("--begin: age %v, want 0.5", f.Age)
	}
	running := *j
	running.State, running.StartTime = state.StateRunning, t0.Add(c.MaxAge/4)
	if f := c.Job(tab, &running, t0.Add(c.MaxAge)); !near(f.Age, 0.25) {
		t.Errorf("running: age %v, want 0.25", f.Age)
	}
	// An account the table does not know has used nothing.
	other := *j
	other.Account = "new"
	if f := c.Job(tab, &other, t0); f.FairShare != 1 || f.Priority != 10000 {
		t.Errorf("unknown account: %+v", f)
	}
	// Truncation: 1000·0.0004 + 10000·0.5 = 5000.4 -> 5000.
	if f := c.Job(tab, j, t0.Add(time.Duration(0.0004*float64(c.MaxAge)))); f.Priority != 5000 {
		t.Errorf("truncation: %+v", f)
	}
}

// CalcTime: every server computing within one period computes at the same
// time; Priorities recomputes only when it moves.
func TestCalcTimeAndCache(t *testing.T) {
	c := DefaultConfig()
	at := t0.Add(7*time.Minute + 3*time.Second)
	if got := c.CalcTime(at); !got.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("CalcTime %v", got)
	}
	s := state.New()
	p := NewPriorities(c)
	a := p.Table(s.View(), at)
	if b := p.Table(s.View(), at.Add(time.Minute)); a != b {
		t.Error("a second table within one period")
	}
	if b := p.Table(s.View(), at.Add(3*time.Minute)); a == b || !b.Time.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("no new table in the next period: %v", b.Time)
	}
	if f := NewPriorities(Config{Type: Basic}).Func(s.View(), at); f(&state.Job{ID: 5, ArrayTaskID: state.NoTask}) != (&state.Job{ID: 5}).Priority() {
		t.Error("priority/basic does not order by state.Job.Priority")
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Check(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultConfig()
	bad.Type, bad.HalfLife, bad.MaxAge, bad.CalcPeriod, bad.Weights.Age, bad.BillingGPU, bad.ShareGPUHours = "priority/x", -1, 0, 0, MaxWeight+1, math.NaN(), 0
	err := bad.Check()
	for _, want := range []string{"priority type", "half-life", "max age", "calc period", "weight age", "billing", "GPU-hours"} {
		if err == nil || !contains(err.Error(), want) {
			t.Errorf("Check: %v, want %q", err, want)
		}
	}
	for in, want := range map[string]time.Duration{"7-0": 7 * 24 * time.Hour, "14-0": 14 * 24 * time.Hour, "12:00:00": 12 * time.Hour,
		"90": 90 * time.Minute, "0": 0, "UNLIMITED": 0, "168h": 168 * time.Hour, "1-12": 36 * time.Hour} {
		if got, err := ParseTime(in); err != nil || got != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-5h", "7-0:x"} {
		if _, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) took it", in)
		}
	}
	if got := FormatTime(36*time.Hour + 61*time.Second); got != "1-12:01:01" {
		t.Errorf("FormatTime %q", got)
	}
	if cpu, gpu, err := ParseBillingWeights("CPU=0.5, GRES/gpu=4"); err != nil || cpu != 0.5 || gpu != 4 {
		t.Errorf("billing: %v %v %v", cpu, gpu, err)
	}
	for _, in := range []string{"Mem=1G", "CPU", "CPU=-1", "CPU=x", "GRES/gpu=1e9"} {
		if _, _, err := ParseBillingWeights(in); err == nil {
			t.Errorf("billing %q taken", in)
		}
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub))
}

// Priority is Job's priority.
func TestPriorityIsJobs(t *testing.T) {
	c := DefaultConfig()
	tab := &Table{Accounts: map[string]*Account{"a": {Name: "a", FairShare: 0.37}}}
	for i, j := range []*state.Job{
		{ID: 1, Account: "a", State: state.StatePending, SubmitTime: t0, ArrayTaskID: state.NoTask},
		{ID: 2, Account: "b", State: state.StatePending, SubmitTime: t0, Nice: 77, ArrayTaskID: state.NoTask},
		{ID: 3, Account: "a", State: state.StatePending, SubmitTime: t0, Hold: state.HoldAdmin, ArrayTaskID: state.NoTask},
		{ID: 4, Account: "a", State: state.StateRunning, SubmitTime: t0, StartTime: t0.Add(time.Hour), ArrayTaskID: state.NoTask},
	} {
		now := t0.Add(time.Duration(i+1) * 17 * time.Hour)
		if a, b := c.Priority(tab, j, now), c.Job(tab, j, now).Priority; a != b {
			t.Errorf("job %d: Priority %d, Job %d", j.ID, a, b)
		}
	}
}

// BenchmarkPriorityFunc is a pass's ordering cost per pending job, the
// table computed (one account per 100 jobs).
func BenchmarkPriorityFunc(b *testing.B) {
	c := DefaultConfig()
	tab := &Table{Accounts: map[string]*Account{}}
	jobs := make([]*state.Job, 20000)
	for i := range jobs {
		acct := "acct" + string(rune('a'+i%26))
		tab.Accounts[acct] = &Account{Name: acct, FairShare: 0.5}
		jobs[i] = &state.Job{ID: uint64(i + 1), Account: acct, State: state.StatePending, SubmitTime: t0, ArrayTaskID: state.NoTask}
	}
	now := t0.Add(time.Hour)
	b.ResetTimer()
	for range b.N {
		for _, j := range jobs {
			_ = c.Priority(tab, j, now)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(jobs)), "ns/job")
}
