package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// What a donor sees (GET /v1/donor/{name}/summary, hpcbridge donor show):
// its nodes, the jobs that ran on them, the GPU-seconds their receipts
// were credited per UTC day and in all, and the receipts that were
// clamped, with why. A management token may read any donor's; a
// donor-admin token only its own donor's.

// Bounds of a donor summary.
const (
	// DefaultDonorDays and MaxDonorDays are the days (UTC, today
	// included) a summary's daily credit, jobs and clamps cover when
	// ?days= is not given, and at most.
	DefaultDonorDays = 30
	MaxDonorDays     = 366
	// MaxDonorJobs bounds the runs a summary lists (the latest first);
	// the counts cover them all.
	MaxDonorJobs = 100
	// MaxDonorClamps bounds the clamped receipts a summary lists (the
	// latest first); the counts cover them all.
	MaxDonorClamps = 100
)

// Donor node statuses (DonorNodeView.Status).
const (
	// DonorNodeUp: Nomad knows the node and it responds.
	DonorNodeUp = "up"
	// DonorNodeDown: Nomad says it is down or not responding.
	DonorNodeDown = "down"
	// DonorNodeReclaimed: it is being (or has been) taken back: a
	// reclaim (hpcbridge node reclaim, a Nomad drain, the end of its
	// donation window) holds it.
	DonorNodeReclaimed = "reclaimed"
	// DonorNodeLeft: it left the federation (its agent stopped).
	DonorNodeLeft = "left"
	// DonorNodeMissing: it joined but Nomad does not list it (not yet
	// registered, or garbage-collected).
	DonorNodeMissing = "missing"
)

// DonorSummary is the reply of GET /v1/donor/{name}/summary.
type DonorSummary struct {
	// Donor, Wallet and Accounts are the donor's registration
	// (Accounts: the Slurm accounts affiliated with it); Registered
	// when it was registered.
	Donor      string    `json:"donor"`
	Wallet     string    `json:"wallet"`
	Accounts   []string  `json:"accounts,omitempty"`
	Registered time.Time `json:"registered"`
	// Now is the server's clock when it answered; Since the start (UTC
	// midnight) of the first of the Days days the daily credit, the jobs
	// listed and the clamps cover.
	Now   time.Time `json:"now"`
	Since time.Time `json:"since"`
	Days  int       `json:"days"`
	// NodeSource says where the nodes' states come from ("nomad"); empty
	// when the server has no execution backend (then every node that has
	// not left is "missing").
	NodeSource string `json:"node_source,omitempty"`
	// NodeError says why the nodes' states are missing (Nomad did not
	// answer); the rest of the summary is still whole.
	NodeError string `json:"node_error,omitempty"`
	// Nodes are the nodes that joined under the donor, by name.
	Nodes []DonorNodeView `json:"nodes"`
	// Jobs are the runs of jobs on the donor's nodes.
	Jobs DonorJobs `json:"jobs"`
	// Credit is what the donor's nodes' receipts were credited.
	Credit DonorCredit `json:"credit"`
	// Clamps are the receipts of the donor's nodes that were credited
	// less than they claimed, the latest first (at most MaxDonorClamps,
	// of the last Days days; ClampsTruncated when there were more).
	Clamps          []DonorClamp `json:"clamps"`
	ClampsTruncated bool         `json:"clamps_truncated,omitempty"`
}

// DonorNodeView is one node of a donor.
type DonorNodeView struct {
	// Name is the node's name when it joined; Key its receipt key;
	// NodeID the Nomad node id the key was registered with (empty until
	// the coordinator has seen the node in Nomad).
	Name   string `json:"name"`
	Key    string `json:"key"`
	NodeID string `json:"node_id,omitempty"`
	// Status is one of the DonorNode* constants; State and Flags the
	// node's Slurm state as sinfo shows it (empty for a node Nomad does
	// not list); Reason why it is down, drained or reclaimed.
	Status string   `json:"status"`
	State  string   `json:"state,omitempty"`
	Flags  []string `json:"flags,omitempty"`
	Reason string   `json:"reason,omitempty"`
	// Joined and Left are when it joined and left (zero: still there).
	Joined time.Time `json:"joined"`
	Left   time.Time `json:"left,omitzero"`
	// CPUs, MemMiB and GPUs are what Nomad reports of it; Jobs the
	// hpcbridge allocations on it now.
	CPUs   int       `json:"cpus,omitempty"`
	MemMiB int64     `json:"mem_mib,omitempty"`
	GPUs   []NodeGPU `json:"gpus,omitempty"`
	Jobs   int       `json:"jobs,omitempty"`
	// Receipts, GPUSeconds and CPUSeconds are what its receipts were
	// credited, all time.
	Receipts   int64 `json:"receipts"`
	GPUSeconds int64 `json:"gpu_seconds"`
	CPUSeconds int64 `json:"cpu_seconds"`
}

// DonorJobs counts the runs of jobs on a donor's nodes.
type DonorJobs struct {
	// Runs and Jobs count the runs (a requeued job runs more than once)
	// and the distinct jobs that ran on the donor's nodes, all time;
	// Running those running now.
	Runs    int `json:"runs"`
	Jobs    int `json:"jobs"`
	Running int `json:"running"`
	// RecentRuns counts the runs that started in the last Days days;
	// Recent lists them, the latest first, at most MaxDonorJobs
	// (Truncated when there were more).
	RecentRuns int           `json:"recent_runs"`
	Recent     []DonorJobRun `json:"recent"`
	Truncated  bool          `json:"truncated,omitempty"`
	// ByState counts all the runs by their state (RUNNING, COMPLETED,
	// PREEMPTED, ...).
	ByState map[string]int `json:"by_state,omitempty"`
}

// DonorJobRun is one run of a job on a donor's node(s).
type DonorJobRun struct {
	// JobID is the job's Slurm id (123, or 123_4 for an array task);
	// Run the run (0: the first; a requeue starts another).
	JobID string `json:"job_id"`
	Run   int    `json:"run"`
	// Name, User and Account are the job's, as squeue shows anyone.
	Name    string `json:"name"`
	User    string `json:"user"`
	Account string `json:"account,omitempty"`
	// State is the run's (the job's for its current run); Nodes the
	// donor's nodes it ran on; GPUs the GPUs it was allocated.
	State string   `json:"state"`
	Nodes []string `json:"nodes"`
	GPUs  int      `json:"gpus,omitempty"`
	// Start and End bound the run (End zero while it runs).
	Start time.Time `json:"start"`
	End   time.Time `json:"end,omitzero"`
}

// DonorCredit is what a donor's receipts were credited.
type DonorCredit struct {
	// Receipts, GPUSeconds and CPUSeconds: all time.
	Receipts   int64 `json:"receipts"`
	GPUSeconds int64 `json:"gpu_seconds"`
	CPUSeconds int64 `json:"cpu_seconds"`
	// Clamped counts the receipts credited less than they claimed, all
	// time; ClampedGPUSeconds the GPU-seconds they claimed and were not
	// credited.
	Clamped           int64 `json:"clamped"`
	ClampedGPUSeconds int64 `json:"clamped_gpu_seconds"`
	// Days are the last Days UTC days, oldest first, each with the
	// credited work done that day (a receipt's credited interval split
	// at midnight).
	Days []DonorDay `json:"days"`
}

// DonorDay is one UTC day's credited work.
type DonorDay struct {
	// Day is the date, YYYY-MM-DD (UTC).
	Day string `json:"day"`
	// Receipts counts the receipts whose credited interval ends that day.
	Receipts   int64 `json:"receipts"`
	GPUSeconds int64 `json:"gpu_seconds"`
	CPUSeconds int64 `json:"cpu_seconds"`
}

// DonorClamp is one receipt credited less than it claimed.
type DonorClamp struct {
	JobID uint64 `json:"job_id"`
	Run   int    `json:"run"`
	Seq   int    `json:"seq"`
	Node  string `json:"node"`
	// Time is when the coordinator committed it.
	Time time.Time `json:"time"`
	// ClaimedGPUSeconds is what it claimed, GPUSeconds what was credited.
	ClaimedGPUSeconds int64 `json:"claimed_gpu_seconds"`
	GPUSeconds        int64 `json:"gpu_seconds"`
	// Note says what was cut and why.
	Note string `json:"note"`
}

// DonorSummary reads what donor name gave (hpcbridge donor show): days
// is how many UTC days the daily credit, recent jobs and clamps cover
// (0: DefaultDonorDays).
func (c *Client) DonorSummary(ctx context.Context, name string, days int) (*DonorSummary, error) {
	q := url.Values{}
	if days != 0 {
		q.Set("days", strconv.Itoa(days))
	}
	var out DonorSummary
	if _, err := c.do(ctx, http.MethodGet, "/v1/donor/"+url.PathEscape(name)+"/summary", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
