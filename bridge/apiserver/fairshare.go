package apiserver

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// maxFilterItems bounds the names one sprio/sshare filter lists.
const maxFilterItems = 1000

// priorities is the server's priority configuration (the scheduler's,
// given as Config.Priority; nil: priority/basic).
func (s *Server) priorities() *fairshare.Priorities {
	if s.cfg.Priority == nil {
		return fairshare.NewPriorities(fairshare.Config{Type: fairshare.Basic})
	}
	return s.cfg.Priority
}

// filterOf reads a comma-separated query parameter (at most
// maxFilterItems names of at most 256 bytes).
func filterOf(r *http.Request, key string) ([]string, error) {
	raw := r.URL.Query().Get(key)
	if raw == "" {
		return nil, nil
	}
	l := strings.Split(raw, ",")
	if len(l) > maxFilterItems {
		return nil, badRequest("%s: more than %d names", key, maxFilterItems)
	}
	for _, n := range l {
		if len(n) > 256 {
			return nil, badRequest("%s: a name over 256 bytes", key)
		}
	}
	return l, nil
}

// handlePriorities answers GET /v1/priorities?job=&user=&partition=
// (sprio): each pending, unheld job's priority and factors, as the
// scheduler computes them, by job id; with running=true the running
// jobs' too (squeue, scontrol). Any token may read it, as squeue
// shows every job's priority.
func (s *Server) handlePriorities(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	jobs, err := filterOf(r, "job")
	if err != nil {
		return err
	}
	users, err := filterOf(r, "user")
	if err != nil {
		return err
	}
	parts, err := filterOf(r, "partition")
	if err != nil {
		return err
	}
	jobSet, userSet, partSet := setOf(jobs), setOf(users), setOf(parts)
	p := s.priorities()
	cfg := p.Config()
	out := api.PriorityList{Type: cfg.Type, Weights: cfg.Weights, Jobs: []fairshare.Factors{}}
	if !cfg.Enabled() {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	now := s.now()
	v := s.cfg.Store.View()
	tab := p.Table(v, now)
	out.CalcTime = tab.Time
	add := func(j *state.Job) bool {
		if j.Hold != state.HoldNone || (userSet != nil && !userSet[j.User]) ||
			(partSet != nil && !partSet[j.Partition]) || (jobSet != nil && !jobNamed(jobSet, j)) {
			return true
		}
		if len(out.Jobs) == api.MaxPriorities {
			out.Truncated = true
			return false
		}
		out.Jobs = append(out.Jobs, cfg.Job(tab, j, now))
		return true
	}
	v.EachJobInState(state.StatePending, add)
	if r.URL.Query().Get("running") == "true" && !out.Truncated {
		v.EachJobInState(state.StateRunning, add)
	}
	slices.SortFunc(out.Jobs, func(a, b fairshare.Factors) int { return cmp.Compare(a.JobID, b.JobID) })
	writeJSON(w, http.StatusOK, out)
	return nil
}

// jobNamed reports whether names (123, 123_4) holds j: its id, its
// array's id, or its Slurm id.
func jobNamed(names map[string]bool, j *state.Job) bool {
	if names[strconv.FormatUint(j.ID, 10)] || names[j.SlurmID()] {
		return true
	}
	return j.ArrayJobID != 0 && names[strconv.FormatUint(j.ArrayJobID, 10)]
}

// handleShares answers GET /v1/shares?account=&user= (sshare): every
// account's shares, usage and fair-share factor, with its users' usage.
func (s *Server) handleShares(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	accounts, err := filterOf(r, "account")
	if err != nil {
		return err
	}
	users, err := filterOf(r, "user")
	if err != nil {
		return err
	}
	accountSet, userSet := setOf(accounts), setOf(users)
	p := s.priorities()
	cfg := p.Config()
	out := api.ShareList{Type: cfg.Type, HalfLife: fairshare.FormatTime(cfg.HalfLife), ShareGPUHours: cfg.ShareGPUHours, Accounts: []*fairshare.Account{}}
	if !cfg.Enabled() {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	tab := p.Table(s.cfg.Store.View(), s.now())
	out.CalcTime, out.TotalShares, out.TotalUsage = tab.Time, tab.TotalShares, tab.TotalUsage
	for _, a := range tab.Sorted() {
		if accountSet != nil && !accountSet[a.Name] {
			continue
		}
		cp := *a
		if userSet != nil {
			cp.Users = nil
			for _, u := range a.Users {
				if userSet[u.Name] {
					cp.Users = append(cp.Users, u)
				}
			}
			if len(cp.Users) == 0 && accountSet == nil {
				continue
			}
		}
		out.Accounts = append(out.Accounts, &cp)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
