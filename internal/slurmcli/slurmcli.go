// Package slurmcli holds what the Slurm commands of cmd/hpcbridge share
// with the lean sbatch of cmd/sbatch: the environment a job takes along
// (--export), the submitter's time zone, and how sbatch reports a
// submission, including Slurm's wording of the API's errors. It imports
// nothing heavier than jobspec and bridge/api/wire.
package slurmcli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api/wire"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// MsgTransition is Slurm's error for a job whose state does not allow
// the change yet (signalling a job that is not running).
const MsgTransition = "Job can not be altered now, try again later"

// MaxArraySize is hpcbridge's array size limit, for sbatch's parser:
// arrays are stored as one record and materialised lazily, so it is far
// above Slurm's default.
const MaxArraySize = 1_000_001

// HasWrap reports whether sbatch's options (jobspec.SplitCommandLine)
// give --wrap, so that no script is read.
func HasWrap(opts []string) bool {
	return slices.ContainsFunc(opts, func(a string) bool { return a == "--wrap" || strings.HasPrefix(a, "--wrap=") })
}

// Submitted prints a submitted job's id as sbatch does: the id alone with
// --parsable, nothing with --quiet, else "Submitted batch job N".
func Submitted(w io.Writer, spec *jobspec.Spec, id uint64) {
	switch {
	case spec.Parsable:
		fmt.Fprintf(w, "%d\n", id)
	case !spec.Quiet:
		fmt.Fprintf(w, "Submitted batch job %d\n", id)
	}
}

// SubmitFailed prints a submission the coordinator refused, as sbatch
// does: a rejected script with the parser's diagnostics, other errors in
// Slurm's words (ErrorMessage).
func SubmitFailed(w io.Writer, code, message string, diagnostics []string) {
	if code == wire.CodeInvalidScript {
		fmt.Fprintf(w, "sbatch: error: Batch job submission failed: %s\n", strings.TrimPrefix(message, "batch job submission failed: "))
		for _, d := range diagnostics {
			fmt.Fprintf(w, "sbatch: %s\n", strings.ReplaceAll(d, "\n", "\nsbatch: "))
		}
		return
	}
	msg := ErrorMessage(code, message)
	if code == wire.CodePermissionDenied && message != "" {
		// Slurm's words, and why: a submission is refused for want of
		// a right the token lacks (submitting as another local user).
		msg += ": " + message
	}
	fmt.Fprintf(w, "sbatch: error: Batch job submission failed: %s\n", msg)
}

// Unreachable prints a submission that failed for want of a reply, as
// sbatch reports an unreachable slurmctld.
func Unreachable(w io.Writer, err error) {
	fmt.Fprintf(w, "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure): %v\n", err)
}

// ExportEnv selects the caller's environment the job gets, by sbatch's
// --export rules: ALL (the default) sends everything; NONE only the
// SLURM_* variables; a list sends SLURM_* plus the named variables (NAME
// with the caller's value, NAME=value as given); ALL,list sends everything
// with the NAME=value items set as given (they win over the caller's
// values, as in Slurm 22.05). The SBATCH_* variables always go along: the
// coordinator reads them as options, as sbatch does.
func ExportEnv(env []string, export *string) []string {
	mode := "ALL"
	if export != nil && *export != "" {
		mode = *export
	}
	if strings.EqualFold(mode, "ALL") {
		return slices.Clone(env)
	}
	var out []string
	have := map[string]int{}
	add := func(kv string) {
		name, _, _ := strings.Cut(kv, "=")
		if i, ok := have[name]; ok {
			out[i] = kv
			return
		}
		have[name] = len(out)
		out = append(out, kv)
	}
	items := strings.Split(mode, ",")
	all := strings.EqualFold(items[0], "ALL")
	for _, kv := range env {
		if all || strings.HasPrefix(kv, "SLURM_") || strings.HasPrefix(kv, "SBATCH_") {
			add(kv)
		}
	}
	if strings.EqualFold(mode, "NONE") {
		return out
	}
	for _, it := range items {
		if it == "" || strings.EqualFold(it, "ALL") || strings.EqualFold(it, "NONE") {
			continue
		}
		name, _, hasVal := strings.Cut(it, "=")
		switch {
		case hasVal:
			add(it)
		case !all:
			if v, ok := getenv(env, name); ok {
				add(name + "=" + v)
			}
		}
	}
	return out
}

// ZoneName names the submitter's time zone for the coordinator: $TZ when
// it names a zone, else the zone /etc/localtime links to, else the
// current UTC offset.
func ZoneName(env []string, loc *time.Location, now time.Time) string {
	if tz, ok := getenv(env, "TZ"); ok && tz != "" {
		tz = strings.TrimPrefix(tz, ":")
		if _, err := time.LoadLocation(tz); err == nil && tz != "Local" {
			return tz
		}
	}
	if loc == time.Local {
		if target, err := os.Readlink("/etc/localtime"); err == nil {
			if i := strings.Index(target, "zoneinfo/"); i >= 0 {
				if name := target[i+len("zoneinfo/"):]; name != "" {
					if _, err := time.LoadLocation(name); err == nil {
						return name
					}
				}
			}
		}
	} else if loc != nil && loc.String() != "Local" && loc.String() != "" {
		if _, err := time.LoadLocation(loc.String()); err == nil {
			return loc.String()
		}
	}
	return now.In(loc).Format("-07:00")
}

// ErrorMessage is Slurm's wording for an API error: by code, or by what the
// server's message says when the code covers several Slurm errors; the
// server's own text, capitalised, when Slurm has no such error.
func ErrorMessage(code, message string) string {
	m := strings.ToLower(message)
	switch code {
	case wire.CodeNotFound:
		return "Invalid job id specified"
	case wire.CodePermissionDenied:
		return "Access/permission denied"
	case wire.CodeUnauthenticated:
		return "Access/permission denied: " + message
	case wire.CodeNotLeader:
		return "Unable to contact slurm controller (connect failure)"
	}
	switch {
	case strings.Contains(m, "already finished"), strings.Contains(m, "already completing"):
		return "Job/step already completing or completed"
	case strings.Contains(m, "not pending"):
		return "Job is no longer pending execution"
	case strings.Contains(m, "is pending"):
		return "Job is pending execution"
	case strings.Contains(m, "no-requeue"), strings.Contains(m, "presently disabled"):
		return "Requested operation is presently disabled"
	case strings.Contains(m, "not running"):
		return MsgTransition
	case strings.Contains(m, "invalid partition"):
		return "Invalid partition name specified"
	case strings.Contains(m, "dependency"):
		return "Job dependency problem"
	case strings.Contains(m, "invalid account"):
		return "Invalid account or account/partition combination specified"
	case strings.Contains(m, "time limit"):
		return "Requested time limit is invalid (missing or exceeds some limit)"
	}
	if message == "" {
		return code
	}
	return UpperFirst(message)
}

// UpperFirst capitalises a message as Slurm writes its errors.
func UpperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// getenv returns the last value of name in env.
func getenv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}
