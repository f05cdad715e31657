package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// writeJSON writes v as the reply body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes err as {"error": {...}}.
func writeError(w http.ResponseWriter, err error) {
	e := asAPIError(err, api.CodeInternal)
	writeJSON(w, e.Status, api.ErrorResponse{Error: e})
}

// asAPIError converts err to an *api.Error: state's sentinels by
// errors.Is, a body over the limit as too_large, anything else with
// fallback's code.
func asAPIError(err error, fallback string) *api.Error {
	var ae *api.Error
	if errors.As(err, &ae) {
		if ae.Status == 0 {
			ae.Status = api.StatusOf(ae.Code)
		}
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return api.Errorf(api.CodeTooLarge, "request body is over the %d byte limit", mbe.Limit)
	}
	code := codeOf(err)
	if code == "" {
		code = fallback
	}
	return api.Errorf(code, "%s", err.Error())
}

// codeOf maps the state and jobspec sentinels to error codes ("" for others).
func codeOf(err error) string {
	switch {
	case errors.Is(err, state.ErrNotFound):
		return api.CodeNotFound
	case errors.Is(err, state.ErrPermission):
		return api.CodePermissionDenied
	case errors.Is(err, state.ErrState), errors.Is(err, state.ErrDisabled), errors.Is(err, state.ErrBootstrapped):
		return api.CodeConflict
	case errors.Is(err, jobspec.ErrInvalidValue), errors.Is(err, api.ErrBadRef), errors.Is(err, state.ErrDependency):
		return api.CodeInvalidRequest
	}
	return ""
}

// badRequest is an invalid_request error.
func badRequest(format string, args ...any) *api.Error {
	return api.Errorf(api.CodeInvalidRequest, format, args...)
}

// denied is a permission_denied error.
func denied(format string, args ...any) *api.Error {
	return api.Errorf(api.CodePermissionDenied, format, args...)
}

// notLeader is a not_leader error.
func notLeader(format string, args ...any) *api.Error {
	return api.Errorf(api.CodeNotLeader, format, args...)
}

// resultError converts a business error from Apply: business failures that
// are not one of state's sentinels are problems with the request.
func resultError(err error) *api.Error { return asAPIError(err, api.CodeInvalidRequest) }

// refErrors splits an Apply error into one RefError per job ref. state
// joins one error per ref, each "<ref>: <cause>"; refs attributes them.
func refErrors(err error, refs []state.JobRef) []api.RefError {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	named := make(map[string]bool, len(refs))
	for _, r := range refs {
		named[r.String()] = true
	}
	out := make([]api.RefError, 0, len(errs))
	for _, e := range errs {
		re := api.RefError{Code: resultError(e).Code, Message: e.Error()}
		if ref, rest, ok := strings.Cut(re.Message, ": "); ok && named[ref] {
			re.Ref, re.Message = ref, rest
		}
		out = append(out, re)
	}
	return out
}

// allFailed is the error for an action where every ref failed: errs are
// the summarised failures of failed refs.
func allFailed(errs []api.RefError, failed int) *api.Error {
	e := &api.Error{Code: errs[0].Code, Refs: errs}
	for _, re := range errs {
		line := re.Message
		if re.Ref != "" {
			line = re.Ref + ": " + re.Message
		}
		e.Diagnostics = append(e.Diagnostics, line)
	}
	e.Message = e.Diagnostics[0]
	if len(errs) > 1 {
		e.Message = fmt.Sprintf("%d jobs failed; first: %s", failed, e.Diagnostics[0])
	} else {
		e.Diagnostics = nil
	}
	e.Status = api.StatusOf(e.Code)
	return e
}

// summarise shortens an action's failures, kept in order: consecutive
// failures of tasks of one array with the same code and message become one
// entry naming them as Slurm writes a task list (123_[0-99,200]), and past
// api.MaxRefErrors entries one last entry (no Ref) says how many more there
// were. Cancelling 999999_[0-99999] answers one line, not 100,000.
func summarise(errs []api.RefError) []api.RefError {
	var out []api.RefError
	left := 0 // failures past the limit
	var leftCode string
	for i := 0; i < len(errs); {
		e := errs[i]
		n := 1
		var tasks []int
		if id, task, ok := taskRef(e.Ref); ok {
			tasks = append(tasks, task)
			for ; i+n < len(errs); n++ {
				f := errs[i+n]
				id2, task2, ok := taskRef(f.Ref)
				if !ok || id2 != id || f.Code != e.Code || f.Message != e.Message {
					break
				}
				tasks = append(tasks, task2)
			}
			if n > 1 {
				list, complete := taskList(tasks)
				e.Ref = id + "_[" + list + "]"
				if !complete {
					e.Message += fmt.Sprintf(" (%d tasks)", n)
				}
			}
		}
		i += n
		if len(out) == api.MaxRefErrors {
			if left == 0 {
				leftCode = e.Code
			}
			left += n
			continue
		}
		out = append(out, e)
	}
	if left > 0 {
		out = append(out, api.RefError{Code: leftCode, Message: fmt.Sprintf("and %d more jobs failed (not listed)", left)})
	}
	return out
}

// taskRef splits an array task ref (123_7) into its job id and task.
func taskRef(ref string) (id string, task int, ok bool) {
	id, t, found := strings.Cut(ref, "_")
	if !found {
		return "", 0, false
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 {
		return "", 0, false
	}
	return id, n, true
}

// maxTaskList bounds the task list of one summarised entry (its Ref).
const maxTaskList = 256

// taskList writes task indexes as Slurm writes a task list, in runs found
// in the order given (refs keep the order the request wrote them in):
// 0-99, 0-98:2, 7. A list longer than maxTaskList ends with "..." and
// complete is false.
func taskList(tasks []int) (list string, complete bool) {
	var b strings.Builder
	for i := 0; i < len(tasks); {
		j, step := i, 0
		if i+1 < len(tasks) && tasks[i+1] > tasks[i] {
			step = tasks[i+1] - tasks[i]
			for j+1 < len(tasks) && tasks[j+1]-tasks[j] == step {
				j++
			}
			if step > 1 && j == i+1 {
				j = i // two tasks are a run only when adjacent
			}
		}
		if b.Len() > maxTaskList {
			b.WriteString(",...")
			return b.String(), false
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(tasks[i]))
		if j > i {
			fmt.Fprintf(&b, "-%d", tasks[j])
			if step > 1 {
				fmt.Fprintf(&b, ":%d", step)
			}
		}
		i = j + 1
	}
	return b.String(), true
}
