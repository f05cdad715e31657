package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
)

// MaxPriorities bounds the jobs one GET /v1/priorities reply lists; a
// longer answer is cut and says so (Truncated).
const MaxPriorities = 200000

// PrioritiesQuery selects pending jobs (GET /v1/priorities, sprio): by job
// (ids or array tasks as 123_4; an array's id selects its pending tasks),
// user and partition; empty lists select all.
type PrioritiesQuery struct {
	Jobs       []string
	Users      []string
	Partitions []string
	// Running adds the running jobs (their age stopped at their start):
	// squeue and scontrol show their priority too.
	Running bool
}

// PriorityList is GET /v1/priorities's reply: the priority plugin, its
// weights, the time the shares were computed at, and each pending job's
// factors by job id. Under priority/basic it lists no jobs.
type PriorityList struct {
	Type     string              `json:"type"`
	Weights  fairshare.Weights   `json:"weights"`
	CalcTime time.Time           `json:"calc_time"`
	Jobs     []fairshare.Factors `json:"jobs"`
	// Truncated: more jobs matched than MaxPriorities.
	Truncated bool `json:"truncated,omitempty"`
}

// Priorities lists pending jobs' priorities and their factors (sprio).
func (c *Client) Priorities(ctx context.Context, q *PrioritiesQuery) (*PriorityList, error) {
	v := url.Values{}
	if q != nil {
		setList(v, "job", q.Jobs)
		setList(v, "user", q.Users)
		setList(v, "partition", q.Partitions)
		if q.Running {
			v.Set("running", "true")
		}
	}
	var out PriorityList
	if _, err := c.do(ctx, http.MethodGet, "/v1/priorities", v, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SharesQuery selects accounts and users (GET /v1/shares, sshare); empty
// lists select all.
type SharesQuery struct {
	Accounts []string
	Users    []string
}

// ShareList is GET /v1/shares's reply: every account's shares, usage and
// fair-share factor at CalcTime, with its users, by account name.
type ShareList struct {
	Type string `json:"type"`
	// HalfLife is PriorityDecayHalfLife in Slurm's form; ShareGPUHours the
	// donated GPU-hours worth one share.
	HalfLife      string               `json:"half_life"`
	ShareGPUHours float64              `json:"share_gpu_hours"`
	CalcTime      time.Time            `json:"calc_time"`
	TotalShares   float64              `json:"total_shares"`
	TotalUsage    float64              `json:"total_usage"`
	Accounts      []*fairshare.Account `json:"accounts"`
}

// Shares lists the accounts' fair shares (sshare).
func (c *Client) Shares(ctx context.Context, q *SharesQuery) (*ShareList, error) {
	v := url.Values{}
	if q != nil {
		setList(v, "account", q.Accounts)
		setList(v, "user", q.Users)
	}
	var out ShareList
	if _, err := c.do(ctx, http.MethodGet, "/v1/shares", v, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func setList(v url.Values, key string, l []string) {
	if len(l) > 0 {
		v.Set(key, strings.Join(l, ","))
	}
}
