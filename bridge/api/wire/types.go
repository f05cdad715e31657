package wire

// SubmitRequest is one sbatch call: the script, the options as typed and
// the context they were typed in. The server parses it again with jobspec,
// so the options mean exactly what they mean to sbatch.
type SubmitRequest struct {
	// Script is the batch script (base64 in JSON); empty with --wrap.
	Script []byte `json:"script"`
	// ScriptName is the script's path as the user named it.
	ScriptName string `json:"script_name"`
	// Args are sbatch's options, without the script and its arguments
	// (jobspec.SplitCommandLine).
	Args []string `json:"args,omitempty"`
	// ScriptArgs are the arguments after the script.
	ScriptArgs []string `json:"script_args,omitempty"`
	// Env is the environment the job gets, as --export selects it
	// ("NAME=value"); the SBATCH_* variables in it are read as options.
	Env []string `json:"env,omitempty"`
	// Cwd is the absolute directory sbatch ran in.
	Cwd string `json:"cwd"`
	// SubmitHost is the host sbatch ran on.
	SubmitHost string `json:"submit_host,omitempty"`
	// TimeZone is the submitter's time zone, in which --begin times are
	// read: an IANA name (Europe/Berlin) or a UTC offset (+02:00). Empty:
	// the server's.
	TimeZone string `json:"time_zone,omitempty"`
	// User submits on behalf of another user. Only management tokens may
	// set it; by default the job belongs to the token's user.
	User string `json:"user,omitempty"`
	// StagedInput is the digest of the submit directory's manifest, which
	// sbatch uploaded, for a job of a staged partition (docs/files.md).
	StagedInput string `json:"staged_input,omitempty"`
}

// SubmitResponse answers a submit once the job is committed.
type SubmitResponse struct {
	// JobID is the new job's id (0 for --test-only).
	JobID uint64 `json:"job_id"`
	// Index is the Raft index the job was committed at.
	Index uint64 `json:"index"`
	// Warnings are the parser's warnings, one line each.
	Warnings []string `json:"warnings,omitempty"`
	// TestOnly is true when the script was only validated (--test-only).
	TestOnly bool `json:"test_only,omitempty"`
}

// Error codes: the "code" of an error reply. Each has one HTTP status.
const (
	// CodeNotFound: no such job, array task, token or peer (404).
	CodeNotFound = "not_found"
	// CodePermissionDenied: the token may not do this (403).
	CodePermissionDenied = "permission_denied"
	// CodeUnauthenticated: no token, or a token the cluster does not know (401).
	CodeUnauthenticated = "unauthenticated"
	// CodeInvalidRequest: the request is malformed or names bad values (400).
	CodeInvalidRequest = "invalid_request"
	// CodeInvalidScript: the batch script or its options were rejected;
	// Diagnostics hold the problems (400).
	CodeInvalidScript = "invalid_script"
	// CodeNotLeader: no leader could take the request and nothing was
	// committed; retry (503).
	CodeNotLeader = "not_leader"
	// CodeOutcomeUnknown: the server lost the leader while the change was
	// being committed; it may or may not have been applied: check before
	// retrying (503).
	CodeOutcomeUnknown = "outcome_unknown"
	// CodeConflict: the job's state does not allow the change, or it was
	// already done (ACL bootstrap) (409).
	CodeConflict = "conflict"
	// CodeTooLarge: the request body or script is over the limit (413).
	CodeTooLarge = "too_large"
	// CodeInternal: the server failed (500).
	CodeInternal = "internal"
	// CodeStagedInput: the job's partition is staged and the submission
	// carries no complete input manifest (staged_input): upload the
	// submit directory and submit again (400).
	CodeStagedInput = "staged_input"
)

// ErrorReply is the body of every error reply: {"error": {...}}
// (bridge/api decodes it into its *Error).
type ErrorReply struct {
	Error *ErrorDetail `json:"error"`
}

// ErrorDetail is what an error reply says.
type ErrorDetail struct {
	// Code is one of the Code constants.
	Code string `json:"code"`
	// Message says what went wrong, for people.
	Message string `json:"message"`
	// Diagnostics are the individual problems (the rendered jobspec
	// diagnostics of a rejected script).
	Diagnostics []string `json:"diagnostics,omitempty"`
}
