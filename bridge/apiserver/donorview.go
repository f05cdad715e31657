package apiserver

import (
	"cmp"
	"math/bits"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/hostlist"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// handleDonorSummary answers GET /v1/donor/{name}/summary?days=N: what a
// donor gave (hpcbridge donor show). A management token may read any
// donor's, a donor-admin token only its own donor's: anyone else is
// refused before the name is looked up, so that the answer does not say
// which donors exist. The nodes come from the node source (Nomad), as
// sinfo's; the rest from this server's replica.
func (s *Server) handleDonorSummary(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	name := r.PathValue("name")
	if len(name) > state.MaxDonorNameLen {
		return badRequest("donor name over %d bytes", state.MaxDonorNameLen)
	}
	if !mayAdminDonor(tok, name) {
		return denied("only a management token or %s's donor-admin token may read donor %s's summary", name, name)
	}
	days, err := intParam(r.URL.Query(), "days")
	if err != nil {
		return err
	}
	if days == 0 {
		days = api.DefaultDonorDays
	}
	if days > api.MaxDonorDays {
		return badRequest("days=%d: at most %d", days, api.MaxDonorDays)
	}
	v := s.cfg.Store.View()
	d := v.Donor(name)
	if d == nil {
		return api.Errorf(api.CodeNotFound, "donor %s not found", name)
	}
	var nodes []api.Node
	src, nodeErr := "", ""
	if s.cfg.Nodes != nil {
		// Nomad unreachable: the credit is still worth showing.
		if nodes, err = s.cfg.Nodes.Nodes(r.Context()); err != nil {
			nodeErr = "cannot list nodes from Nomad: " + err.Error()
		} else {
			src = "nomad"
			withReclaims(v, nodes)
		}
	}
	out := donorSummary(v, d, nodes, s.now().UTC(), days)
	out.NodeSource, out.NodeError = src, nodeErr
	writeJSON(w, http.StatusOK, out)
	return nil
}

// donorSummary adds up what donor d gave: its nodes (joined with nodes,
// Nomad's list), the runs of jobs on them, the credit of their receipts
// (all time, and per UTC day of the days up to now) and the clamps.
func donorSummary(v *state.View, d *state.Donor, nodes []api.Node, now time.Time, days int) *api.DonorSummary {
	today := now.Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -(days - 1))
	out := &api.DonorSummary{
		Donor: d.Name, Wallet: d.Wallet, Accounts: slices.Clone(d.Accounts), Registered: d.CreateTime,
		Now: now, Since: since, Days: days, Nodes: []api.DonorNodeView{}, Clamps: []api.DonorClamp{},
		Jobs: api.DonorJobs{Recent: []api.DonorJobRun{}, ByState: map[string]int{}},
	}
	joined := v.DonorNodes(d.Name)
	byName := make(map[string]*api.Node, len(nodes))
	for i := range nodes {
		byName[nodes[i].Name] = &nodes[i]
	}
	reclaimed := map[string]bool{}
	for _, rc := range v.Reclaims() { // by name and by Nomad node id
		reclaimed[rc.Node] = true
		reclaimed[rc.NodeID] = true
	}
	for _, dn := range joined {
		nv := api.DonorNodeView{Name: dn.NodeName, Key: dn.Key, Joined: dn.Joined, Left: dn.Left}
		n := byName[dn.NodeName]
		if k := v.NodeKey(dn.Key); k != nil {
			// The Nomad node the KeyWatcher bound the key to: its
			// name there may differ from the name it joined as.
			nv.NodeID = k.NodeID
			if n == nil {
				n = byName[k.Node]
			}
		}
		if n != nil {
			nv.State, nv.Flags, nv.Reason = n.State, slices.Clone(n.Flags), n.Reason
			nv.CPUs, nv.MemMiB, nv.GPUs, nv.Jobs = n.CPUs, n.MemMiB, slices.Clone(n.GPUs), n.Jobs
		}
		switch {
		case !dn.Left.IsZero():
			nv.Status = api.DonorNodeLeft
		case n == nil:
			nv.Status = api.DonorNodeMissing
		case reclaimed[dn.NodeName] || nv.NodeID != "" && reclaimed[nv.NodeID]:
			nv.Status = api.DonorNodeReclaimed
		case n.State == api.NodeDown || n.HasFlag(api.FlagNotResponding):
			nv.Status = api.DonorNodeDown
		default:
			nv.Status = api.DonorNodeUp
		}
		out.Nodes = append(out.Nodes, nv)
	}
	slices.SortStableFunc(out.Nodes, func(a, b api.DonorNodeView) int { return strings.Compare(a.Name, b.Name) })
	byKey := make(map[string]int, len(out.Nodes))
	for i, nv := range out.Nodes {
		byKey[nv.Key] = i
	}
	donorCredit(v, out, byKey, since, days)
	donorJobs(v, out, joined, since)
	return out
}

// donorCredit adds up the receipts signed with the donor's nodes' keys:
// the totals, each node's, each day's, and the clamped ones.
func donorCredit(v *state.View, out *api.DonorSummary, byKey map[string]int, since time.Time, days int) {
	c := &out.Credit
	c.Days = make([]api.DonorDay, days)
	for i := range c.Days {
		c.Days[i].Day = since.AddDate(0, 0, i).Format(time.DateOnly)
	}
	var clamps latest[api.DonorClamp]
	seen := map[string]bool{}
	for _, nv := range out.Nodes {
		if nv.NodeID == "" || seen[nv.NodeID] {
			continue
		}
		seen[nv.NodeID] = true
		v.ReceiptsOfNode(nv.NodeID, func(rec *state.ReceiptRecord) bool {
			i, ok := byKey[rec.Key]
			if !ok { // signed before the node joined the donor, with another key
				return true
			}
			cr := rec.Credit
			n := &out.Nodes[i]
			n.Receipts++
			n.GPUSeconds += cr.GPUSeconds
			n.CPUSeconds += cr.CPUSeconds
			c.Receipts++
			c.GPUSeconds += cr.GPUSeconds
			c.CPUSeconds += cr.CPUSeconds
			splitDays(c.Days, since, cr)
			if !cr.Clamped {
				return true
			}
			claimed := state.GPUSeconds(rec.ClaimGPUs, rec.ClaimStart, rec.ClaimEnd)
			c.Clamped++
			c.ClampedGPUSeconds += max(claimed-cr.GPUSeconds, 0)
			if !rec.Time.Before(since) {
				clamps.add(api.DonorClamp{JobID: rec.JobID, Run: rec.Run, Seq: rec.Seq, Node: rec.Node, Time: rec.Time,
					ClaimedGPUSeconds: claimed, GPUSeconds: cr.GPUSeconds, Note: cr.Note}, rec.Time)
			}
			return true
		})
	}
	out.Clamps, out.ClampsTruncated = clamps.list(api.MaxDonorClamps)
}

// splitDays adds a receipt's credit to the days its credited interval
// spans, split at UTC midnights in proportion to the seconds on each
// side (so that the days add up to the credit exactly); the receipt
// counts on the day its interval ends. Days before since or after the
// last are not kept.
func splitDays(days []api.DonorDay, since time.Time, cr state.Credit) {
	dayOf := func(t time.Time) int {
		if t.Before(since) {
			return -1
		}
		return int(t.Sub(since) / (24 * time.Hour))
	}
	if i := dayOf(cr.End); i >= 0 && i < len(days) {
		days[i].Receipts++
	}
	total := int64(cr.End.Sub(cr.Start) / time.Second)
	if total <= 0 {
		if i := dayOf(cr.End); i >= 0 && i < len(days) {
			days[i].GPUSeconds += cr.GPUSeconds
			days[i].CPUSeconds += cr.CPUSeconds
		}
		return
	}
	// cum(t) is the whole seconds from the start to t, and a day's share
	// of n is n*cum(its end)/total - n*cum(its start)/total.
	share := func(n, upTo int64) int64 {
		hi, lo := bits.Mul64(uint64(n), uint64(upTo))
		q, _ := bits.Div64(hi, lo, uint64(total))
		return int64(q)
	}
	cur := cr.Start
	if cur.Before(since) {
		cur = since
	}
	for cur.Before(cr.End) {
		i := dayOf(cur)
		if i >= len(days) {
			return
		}
		next := cur.Truncate(24 * time.Hour).Add(24 * time.Hour)
		if next.After(cr.End) {
			next = cr.End
		}
		a, b := int64(cur.Sub(cr.Start)/time.Second), int64(next.Sub(cr.Start)/time.Second)
		if !next.Before(cr.End) {
			b = total
		}
		days[i].GPUSeconds += share(cr.GPUSeconds, b) - share(cr.GPUSeconds, a)
		days[i].CPUSeconds += share(cr.CPUSeconds, b) - share(cr.CPUSeconds, a)
		cur = next
	}
}

// donorJobs counts the runs of jobs on the donor's nodes (a node's runs
// while it was the donor's: from its join to its leave) and lists the
// latest of those that started since.
func donorJobs(v *state.View, out *api.DonorSummary, joined []*state.DonorNode, since time.Time) {
	if len(joined) == 0 {
		return
	}
	// A name a node whose current key no join registered also has (a
	// home node that came up under the name after the donor's node joined
	// as it) is nobody's: its runs could be either's, and listing them
	// would show the donor the home node's jobs. (A retired node's revoked
	// key does not count: the runs are taken from the join on.)
	shared := func(name string) bool {
		return slices.ContainsFunc(v.NodeKeysNamed(name), func(k *state.NodeKey) bool { return k.Current() && v.DonorOfKey(k.Key) == "" })
	}
	byName := map[string][]*state.DonorNode{}
	for _, dn := range joined {
		if !shared(dn.NodeName) {
			byName[dn.NodeName] = append(byName[dn.NodeName], dn)
		}
		if k := v.NodeKey(dn.Key); k != nil && k.Node != dn.NodeName && !shared(k.Node) {
			byName[k.Node] = append(byName[k.Node], dn)
		}
	}
	jobs := &out.Jobs
	var recent latest[api.DonorJobRun]
	onDonor := func(nodeList string, start time.Time) []string {
		if nodeList == "" || start.IsZero() {
			return nil
		}
		names := []string{nodeList}
		if strings.ContainsAny(nodeList, "[,") {
			var err error
			if names, err = hostlist.Expand(nodeList); err != nil {
				return nil
			}
		}
		var mine []string
		for _, n := range names {
			if slices.ContainsFunc(byName[n], func(dn *state.DonorNode) bool {
				return !start.Before(dn.Joined) && (dn.Left.IsZero() || !start.After(dn.Left))
			}) {
				mine = append(mine, n)
			}
		}
		return mine
	}
	v.EachJob(func(j *state.Job) bool {
		if j.IsArrayBase() {
			return true
		}
		counted := false
		add := func(run int, st state.JobState, nodeList string, start, end time.Time, gpu *state.GPUUse) {
			mine := onDonor(nodeList, start)
			if len(mine) == 0 {
				return
			}
			jobs.Runs++
			jobs.ByState[string(st)]++
			if !counted {
				jobs.Jobs++
				counted = true
			}
			if st == state.StateRunning {
				jobs.Running++
			}
			if start.Before(since) {
				return
			}
			jobs.RecentRuns++
			recent.add(api.DonorJobRun{JobID: j.SlurmID(), Run: run, Name: j.Name, User: j.User, Account: j.Account,
				State: string(st), Nodes: mine, GPUs: gpu.Count(), Start: start, End: end}, start)
		}
		for _, r := range j.Runs {
			end := r.EndTime
			if r.Finished != "" && !r.FinishTime.IsZero() {
				end = r.FinishTime
			}
			add(r.RestartCount, r.State, r.NodeList, r.StartTime, end, r.GPU)
		}
		if j.State != state.StatePending {
			var end time.Time
			if j.State.Terminal() {
				end = j.EndTime
			}
			add(j.RestartCount, j.State, j.NodeList, j.StartTime, end, j.GPU)
		}
		return true
	})
	jobs.Recent, jobs.Truncated = recent.list(api.MaxDonorJobs)
}

// latest keeps the n latest of what it is given, in bounded memory.
type latest[T any] struct {
	items []T
	times []time.Time
	cut   bool
}

func (l *latest[T]) add(item T, t time.Time) {
	l.items = append(l.items, item)
	l.times = append(l.times, t)
	if len(l.items) > 4*max(api.MaxDonorJobs, api.MaxDonorClamps) {
		l.trim(max(api.MaxDonorJobs, api.MaxDonorClamps))
	}
}

// trim keeps the n latest, the latest first.
func (l *latest[T]) trim(n int) {
	idx := make([]int, len(l.items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(l.times[b].UnixNano(), l.times[a].UnixNano()) })
	if len(idx) > n {
		idx, l.cut = idx[:n], true
	}
	items, times := make([]T, len(idx)), make([]time.Time, len(idx))
	for k, i := range idx {
		items[k], times[k] = l.items[i], l.times[i]
	}
	l.items, l.times = items, times
}

// list returns the n latest, the latest first, and whether there were more.
func (l *latest[T]) list(n int) ([]T, bool) {
	l.trim(n)
	if l.items == nil {
		l.items = []T{}
	}
	return l.items, l.cut
}
