package api

import (
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api/wire"
)

// HTTP headers of the API.
const (
	// HeaderToken carries the ACL secret ("Authorization: Bearer" works too).
	HeaderToken = wire.HeaderToken
	// HeaderIndex is the Raft index a read reflects, or a write committed at.
	HeaderIndex = "X-Hpcbridge-Index"
	// HeaderNextToken is the token of the next page of a list; absent on
	// the last page.
	HeaderNextToken = "X-Hpcbridge-Next-Token"
	// HeaderKnownLeader is "true" when the server answering a read knew a
	// cluster leader.
	HeaderKnownLeader = "X-Hpcbridge-Known-Leader"
	// HeaderForwardedBy names the server that forwarded a request to the
	// leader; a request that carries it is never forwarded again.
	HeaderForwardedBy = "X-Hpcbridge-Forwarded-By"
)

// Limits the server applies.
const (
	// MaxScriptBytes is the largest batch script accepted, Slurm's default
	// max_script_size (4 MB).
	MaxScriptBytes = 4 << 20
	// MaxSubmitBodyBytes bounds a submit request: the script in base64 plus
	// the environment and options.
	MaxSubmitBodyBytes = 16 << 20
	// MaxBodyBytes bounds every other request body.
	MaxBodyBytes = 1 << 20
	// MaxBlobBytes bounds a blob upload (PUT /v1/blobs/{digest}): a
	// chunk, or a manifest (cas.MaxManifest).
	MaxBlobBytes = 16 << 20
	// MaxRefs is the most jobs one request may name once ranges such as
	// 123_[1-500] are expanded; select a whole array by its job id instead.
	MaxRefs = 100000
	// MaxRefErrors is the most per-job failures an action's reply lists;
	// failures of one array's tasks that share a reason count as one
	// ("123_[0-99]"). Past it, one more entry says how many were left out.
	MaxRefErrors = 100
	// MaxPerPage is the largest page a list of full records returns, and
	// the page size when the query sets none; a larger per_page is clamped
	// to it (follow the next page token). See MaxBriefPerPage for the
	// brief view.
	MaxPerPage = 10000
	// MaxBriefPerPage is the largest page of a brief list (ViewBrief), and
	// its page size when the query sets none: 100,000 jobs, about 3 to 5 MB
	// packed and 50 MB as JSON. A larger per_page is clamped to it (the next
	// page token leads on), so that one request cannot make the server hold
	// or send more.
	MaxBriefPerPage = 100000
	// MaxWait is the longest a blocking query waits.
	MaxWait = 10 * time.Minute
	// DefaultWait is how long a blocking query waits when it gives an index
	// but no wait time.
	DefaultWait = 5 * time.Minute
)

// SubmitRequest is one sbatch call: the script, the options as typed and
// the context they were typed in (see wire.SubmitRequest).
type SubmitRequest = wire.SubmitRequest

// SubmitResponse answers a submit once the job is committed (see
// wire.SubmitResponse).
type SubmitResponse = wire.SubmitResponse

// QueryOptions are the options every read takes.
type QueryOptions struct {
	// WaitIndex makes the read a blocking query: the reply comes when the
	// state's index is above WaitIndex, or after WaitTime. Use the
	// LastIndex of the previous reply; WaitIndex = n-1 waits until the
	// write committed at index n is visible.
	WaitIndex uint64
	// WaitTime bounds a blocking query (DefaultWait when 0, at most MaxWait).
	WaitTime time.Duration
	// Consistent makes the leader answer, after a Raft barrier, so the
	// reply reflects every acknowledged write.
	Consistent bool
	// PerPage is the page size (MaxPerPage, or MaxBriefPerPage for the
	// brief view, when 0 or larger).
	PerPage int
	// NextToken is QueryMeta.NextToken of the previous page.
	NextToken string
}

// QueryMeta describes a read's reply.
type QueryMeta struct {
	// LastIndex is the Raft index the reply reflects.
	LastIndex uint64
	// NextToken fetches the next page; "" on the last.
	NextToken string
	// KnownLeader reports whether the answering server knew a leader.
	KnownLeader bool
}

// JobsQuery selects jobs for Jobs (squeue) and Accounting (sacct). The
// filters combine with AND; the values of one filter with OR. Results come
// in job id order; the pending remainder of an array is one record (its
// base, printed 123_[4-99]) unless ExpandArrays is set.
type JobsQuery struct {
	QueryOptions
	// Jobs are job refs: 123, 123_7, 123_[1-3], or lists of them.
	Jobs []string
	// Users, Accounts, Partitions and Names match the job's fields.
	Users, Accounts, Partitions, Names []string
	// States are job states by name or short code (PENDING, PD, ...). Without
	// States, Jobs returns only jobs that are not finished unless History
	// is set; "all" selects every state.
	States []string
	// History includes finished jobs (Accounting always does).
	History bool
	// ExpandArrays reports every pending array task as its own record
	// (squeue -r). Such a task has its array's job id until it starts.
	ExpandArrays bool
	// Script includes the batch script and environment of the caller's own
	// jobs (of every job for management tokens).
	Script bool
	// Start and End select jobs whose life (submit to end) overlaps the
	// window; zero means unbounded.
	Start, End time.Time
}

// CancelRequest is scancel: jobs by ref, or every job that matches the
// filters. With both, only the named jobs that match the filters. A
// non-management token selects only its own jobs by filters.
type CancelRequest struct {
	Refs       []string `json:"refs,omitempty"`
	Users      []string `json:"users,omitempty"`
	Names      []string `json:"names,omitempty"`
	Partitions []string `json:"partitions,omitempty"`
	Accounts   []string `json:"accounts,omitempty"`
	// States restricts to jobs in these states (names or short codes).
	States []string `json:"states,omitempty"`
	// Signal (a name such as USR1 or SIGTERM, or a number) asks the
	// executor to signal the selected running jobs instead of cancelling
	// them; pending jobs are not touched, as in Slurm.
	Signal string `json:"signal,omitempty"`
	// SignalScope is which processes of a job the signal reaches: "" its
	// steps (srun tasks), "batch" the batch shell only (scancel --batch),
	// "full" all of them (scancel --full).
	SignalScope string `json:"signal_scope,omitempty"`
}

// RefsRequest names jobs for hold, release and requeue.
type RefsRequest struct {
	Refs []string `json:"refs"`
	// UserHold (hold only) makes the hold a user hold, which the owner may
	// release, even when a management token asks (scontrol uhold); without
	// it a management token's hold is an administrator's hold, which only
	// a management token releases.
	UserHold bool `json:"user_hold,omitempty"`
}

// UpdateRequest is scontrol update of pending jobs: the fields that are set
// change.
type UpdateRequest struct {
	Refs []string `json:"refs"`
	// TimeLimit is a Slurm time ("90", "1-12:00:00", "UNLIMITED").
	TimeLimit  *string `json:"time_limit,omitempty"`
	Partition  *string `json:"partition,omitempty"`
	Dependency *string `json:"dependency,omitempty"` // "" clears it
	Nice       *int    `json:"nice,omitempty"`
	Name       *string `json:"name,omitempty"`
}

// ActionResponse answers a job action. A ref that failed is in Errors; when
// every ref failed and nothing changed, the action returns an *Error
// instead (with the same per-ref failures in Error.Refs).
type ActionResponse struct {
	// Changed are the ids of the jobs changed (or signalled).
	Changed []uint64 `json:"changed"`
	// Errors are the refs that failed.
	Errors []RefError `json:"errors,omitempty"`
	// Index is the Raft index the change was committed at (0 for signals).
	Index uint64 `json:"index"`
}

// RefError is why one job ref of an action failed.
type RefError struct {
	// Ref is the job as the request named it (123, 123_7), when known.
	Ref string `json:"ref,omitempty"`
	// Code is one of the Code constants.
	Code string `json:"code"`
	// Message is the reason, e.g. "invalid job id specified".
	Message string `json:"message"`
}

// ACLToken is an ACL token. SecretID is only set in the reply that created
// it: the cluster keeps only its hash.
type ACLToken struct {
	AccessorID string `json:"accessor_id"`
	SecretID   string `json:"secret_id,omitempty"`
	Name       string `json:"name,omitempty"`
	// Type is "management", "client" or "donor-admin" (state.TokenManagement,
	// state.TokenClient, state.TokenDonorAdmin).
	Type string `json:"type"`
	// Donor is a donor-admin token's donor organisation.
	Donor string `json:"donor,omitempty"`
	// User is the Unix user the token acts as.
	User string `json:"user,omitempty"`
	// Accounts are the Slurm accounts a client token may charge; the first
	// is the default. Empty: any account.
	Accounts    []string  `json:"accounts,omitempty"`
	CreateTime  time.Time `json:"create_time"`
	CreateIndex uint64    `json:"create_index"`
}

// ACLBootstrapRequest optionally fixes the bootstrap token's secret (a
// UUID, for automation) and user (default "root").
type ACLBootstrapRequest struct {
	Secret string `json:"secret,omitempty"`
	User   string `json:"user,omitempty"`
}

// ACLTokenRequest creates a token. Client tokens need a user.
type ACLTokenRequest struct {
	Name string `json:"name,omitempty"`
	// Type is "client" (the default), "management" or "donor-admin".
	Type     string   `json:"type,omitempty"`
	User     string   `json:"user,omitempty"`
	Accounts []string `json:"accounts,omitempty"`
	// Donor is the donor a donor-admin token administers (required for
	// that type, refused for the others).
	Donor string `json:"donor,omitempty"`
}

// RaftServer is one member of the coordinator cluster.
type RaftServer struct {
	ID      string `json:"id"`
	Address string `json:"address"` // Raft address
	// APIAddress is the server's API URL, when it has published one.
	APIAddress string `json:"api_address,omitempty"`
	Voter      bool   `json:"voter"`
	Leader     bool   `json:"leader"`
}

// RaftJoinRequest adds a server to the cluster as a voter.
type RaftJoinRequest struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	// APIAddr is the new server's API URL, which other servers forward
	// writes to when it leads.
	APIAddr string `json:"api_addr,omitempty"`
}

// WriteResponse answers operator writes with the index they committed at.
type WriteResponse struct {
	Index uint64 `json:"index"`
}

// Partition is one partition for sinfo.
type Partition struct {
	Name    string `json:"name"`
	Default bool   `json:"default"`
	// State is "up".
	State string `json:"state"`
	// PendingJobs counts pending jobs, each pending array task as one.
	PendingJobs int `json:"pending_jobs"`
	// RunningJobs counts running and completing jobs.
	RunningJobs int `json:"running_jobs"`
	// Files is "shared" (the nodes see the submit directory) or
	// "staged" (sbatch uploads it; hpcbridge fetch brings outputs back).
	Files string `json:"files"`
}
