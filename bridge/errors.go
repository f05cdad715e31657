package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
	case errors.Is(err, jobspec.ErrInvalidValue), errors.Is(err, api.ErrBadRef):
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

// allFailed is the error for an action where every ref failed.
func allFailed(errs []api.RefError) *api.Error {
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
		e.Message = fmt.Sprintf("%d jobs failed; first: %s", len(errs), e.Diagnostics[0])
	} else {
		e.Diagnostics = nil
	}
	e.Status = api.StatusOf(e.Code)
	return e
}
