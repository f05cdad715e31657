// Package fairshare computes job priorities the way Slurm's
// priority/multifactor plugin describes them, with one addition: an
// account affiliated with a donor organisation gets shares in proportion
// to what the organisation donated (reciprocal fair share).
//
// Per account, at the calculation time T (the last multiple of the
// calculation period):
//
//	donated   = Σ over receipts of the donor's nodes: credited GPU-seconds, decayed
//	RawShares = 1 + round(donated / (3600 · GPU-hours per share))  (1: unaffiliated)
//	RawUsage  = Σ over the account's runs: (CPUs·wCPU + GPUs·wGPU) · seconds, decayed
//	NormShares = RawShares / Σ RawShares,  NormUsage = RawUsage / Σ RawUsage
//	FairShare = 2^(−NormUsage / NormShares)
//
// where a quantity at time s is weighted 2^(−(T−s)/half-life), integrated
// over each interval. A job's priority is
//
//	⌊wAge·age + wFairShare·FairShare + wPartition·1⌋ − nice, at least 1
//
// with age = min(time eligible, max age) / max age. docs/fairshare.md is
// the user's account of it.
//
// The package is pure: it reads a state.View and a time, and returns
// numbers. The scheduler, the API (sprio, sshare) and its tests call it.
package fairshare

import (
	"math"
	"sort"
	"time"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// NullAccount is the account jobs without one are charged to.
const NullAccount = ""

// Account is one account's share of the cluster at a Table's time.
type Account struct {
	Name string `json:"account"`
	// Donor is the donor organisation the account is affiliated with
	// ("": none).
	Donor string `json:"donor,omitempty"`
	// Donated is the donor's credited GPU-seconds, decayed.
	Donated float64 `json:"donated_gpu_seconds"`
	// RawShares is 1 plus a share per donated unit; NormShares its
	// fraction of all accounts' shares.
	RawShares  uint32  `json:"raw_shares"`
	NormShares float64 `json:"norm_shares"`
	// RawUsage is the account's billed TRES-seconds, decayed; NormUsage
	// its fraction of all usage (EffectvUsage: the hierarchy is flat).
	RawUsage  float64 `json:"raw_usage"`
	NormUsage float64 `json:"norm_usage"`
	// FairShare is the factor, 2^(-NormUsage/NormShares).
	FairShare float64 `json:"fairshare"`
	// Users are the users who ran jobs under the account, by name.
	Users []*User `json:"users,omitempty"`
}

// User is a user's usage under an account; the user's shares are the
// account's (Slurm's Shares=parent).
type User struct {
	Name      string  `json:"user"`
	RawUsage  float64 `json:"raw_usage"`
	NormUsage float64 `json:"norm_usage"`
}

// Table is every account's share at Time.
type Table struct {
	Time     time.Time           `json:"time"`
	Accounts map[string]*Account `json:"-"`
	// TotalShares and TotalUsage are the sums the norms divide by.
	TotalShares float64 `json:"total_shares"`
	TotalUsage  float64 `json:"total_usage"`
}

// Sorted is the accounts by name.
func (t *Table) Sorted() []*Account {
	out := make([]*Account, 0, len(t.Accounts))
	for _, a := range t.Accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FairShare is the account's factor; an account the table does not know
// has used nothing, and its factor is 1.
func (t *Table) FairShare(account string) float64 {
	if t == nil {
		return 1
	}
	if a := t.Accounts[account]; a != nil {
		return a.FairShare
	}
	return 1
}

// CalcTime is the calculation time for now: the last multiple of the
// period (every server computing at now gets the same T).
func (c Config) CalcTime(now time.Time) time.Time {
	if c.CalcPeriod <= 0 {
		return now
	}
	return now.Truncate(c.CalcPeriod)
}

// decayed is the integral over [a, b] of rate·2^(−(t−s)/h) ds, the
// interval cut at t; without a half-life, rate·(b−a).
func decayed(rate float64, a, b, t time.Time, h time.Duration) float64 {
	if b.After(t) {
		b = t
	}
	if rate == 0 || a.IsZero() || !b.After(a) {
		return 0
	}
	if h <= 0 {
		return rate * b.Sub(a).Seconds()
	}
	hs := h.Seconds()
	wb := math.Exp2(-t.Sub(b).Seconds() / hs)
	wa := math.Exp2(-t.Sub(a).Seconds() / hs)
	return rate * hs / math.Ln2 * (wb - wa)
}

// Compute is every account's share at t (use CalcTime): the donations of
// the donors' nodes, the usage of every run, the factors.
func Compute(v *state.View, c Config, t time.Time) *Table {
	affiliated := map[string]string{} // account -> donor, the first by name
	for _, d := range v.Donors() {
		for _, a := range d.Accounts {
			if _, ok := affiliated[a]; !ok {
				affiliated[a] = d.Name
			}
		}
	}
	tab := &Table{Time: t, Accounts: map[string]*Account{}}
	account := func(name string) *Account {
		a := tab.Accounts[name]
		if a == nil {
			a = &Account{Name: name, Donor: affiliated[name]}
			tab.Accounts[name] = a
		}
		return a
	}
	users := map[[2]string]*User{}
	v.EachJob(func(j *state.Job) bool {
		// Every account with a job is a row (Slurm's association), also
		// one whose jobs only wait: its shares count among its siblings'.
		a := account(j.Account)
		if j.IsArrayBase() {
			return true // its tasks run as jobs of their own
		}
		u := jobUsage(v, c, j, t)
		if u == 0 && j.StartTime.IsZero() && len(j.Runs) == 0 {
			return true
		}
		a.RawUsage += u
		k := [2]string{j.Account, j.User}
		if users[k] == nil {
			users[k] = &User{Name: j.User}
			a.Users = append(a.Users, users[k])
		}
		users[k].RawUsage += u
		return true
	})
	for name := range affiliated {
		account(name)
	}
	donated := donations(v, c, t)
	for _, a := range tab.Accounts {
		a.Donated = donated[a.Donor]
		a.RawShares = rawShares(a.Donated, c.ShareGPUHours)
		tab.TotalShares += float64(a.RawShares)
		tab.TotalUsage += a.RawUsage
	}
	for _, a := range tab.Accounts {
		a.NormShares = float64(a.RawShares) / tab.TotalShares
		if tab.TotalUsage > 0 {
			a.NormUsage = a.RawUsage / tab.TotalUsage
			for _, u := range a.Users {
				u.NormUsage = u.RawUsage / tab.TotalUsage
			}
		}
		a.FairShare = math.Exp2(-a.NormUsage / a.NormShares)
		sort.Slice(a.Users, func(i, j int) bool { return a.Users[i].Name < a.Users[j].Name })
	}
	return tab
}

// rawShares is 1 plus one share per donated unit, to the nearest.
func rawShares(donated, gpuHours float64) uint32 {
	if gpuHours <= 0 || donated <= 0 {
		return 1
	}
	extra := math.Round(donated / (gpuHours * 3600))
	return uint32(min(1+extra, MaxRawShares))
}

// jobUsage is a job's billed usage at t, decayed: every run's CPUs and
// GPUs from its start to its end (to t while it runs).
func jobUsage(v *state.View, c Config, j *state.Job, t time.Time) float64 {
	cpus := 1
	if sub := v.Submission(j); sub != nil {
		cpus = sub.Spec.CPUCount()
	}
	var u float64
	for _, r := range j.Runs {
		end := r.EndTime
		if !r.FinishTime.IsZero() {
			end = r.FinishTime
		}
		rate := c.BillingCPU*float64(cpus) + c.BillingGPU*float64(r.GPU.Count())
		u += decayed(rate, r.StartTime, end, t, c.HalfLife)
	}
	if j.State != state.StatePending && !j.StartTime.IsZero() {
		end := t
		if j.State.Terminal() && !j.EndTime.IsZero() {
			end = j.EndTime
		}
		rate := c.BillingCPU*float64(cpus) + c.BillingGPU*float64(j.GPU.Count())
		u += decayed(rate, j.StartTime, end, t, c.HalfLife)
	}
	return u
}

// donations is each donor's credited GPU-seconds at t, decayed over each
// receipt's credited interval; a receipt's donor is the donor whose join
// registered the key that signed it (every receipt is signed with its
// node's registered key), never the donor of a node by its name: a donor
// could join a node under a name another node had, and take its credit.
func donations(v *state.View, c Config, t time.Time) map[string]float64 {
	out := map[string]float64{}
	v.EachReceipt(func(r *state.ReceiptRecord) bool {
		if r.Credit.GPUSeconds <= 0 {
			return true
		}
		d := v.DonorOfKey(r.Key)
		if d == "" {
			return true
		}
		s, e := r.Credit.Start, r.Credit.End
		if e.After(t) {
			return true // not yet donated as of t
		}
		if secs := e.Sub(s).Seconds(); secs >= 1 {
			out[d] += decayed(float64(r.Credit.GPUSeconds)/secs, s, e, t, c.HalfLife)
		} else {
			out[d] += float64(r.Credit.GPUSeconds) * weight(e, t, c.HalfLife)
		}
		return true
	})
	return out
}

// weight is the decay of an instant s seen at t.
func weight(s, t time.Time, h time.Duration) float64 {
	if h <= 0 || !t.After(s) {
		return 1
	}
	return math.Exp2(-t.Sub(s).Seconds() / h.Seconds())
}
