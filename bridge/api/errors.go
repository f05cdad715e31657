package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api/wire"
)

// Error codes: the "code" of an error reply. Each has one HTTP status.
// (They are wire's, for clients that do without this package.)
const (
	// CodeNotFound: no such job, array task, token or peer (404).
	CodeNotFound = wire.CodeNotFound
	// CodePermissionDenied: the token may not do this (403).
	CodePermissionDenied = wire.CodePermissionDenied
	// CodeUnauthenticated: no token, or a token the cluster does not know (401).
	CodeUnauthenticated = wire.CodeUnauthenticated
	// CodeInvalidRequest: the request is malformed or names bad values (400).
	CodeInvalidRequest = wire.CodeInvalidRequest
	// CodeInvalidScript: the batch script or its options were rejected;
	// Diagnostics hold the problems (400).
	CodeInvalidScript = wire.CodeInvalidScript
	// CodeNotLeader: no leader could take the request and nothing was
	// committed; retry (503).
	CodeNotLeader = wire.CodeNotLeader
	// CodeOutcomeUnknown: the server lost the leader while the change was
	// being committed; it may or may not have been applied: check before
	// retrying (503).
	CodeOutcomeUnknown = wire.CodeOutcomeUnknown
	// CodeConflict: the job's state does not allow the change, or it was
	// already done (ACL bootstrap) (409).
	CodeConflict = wire.CodeConflict
	// CodeTooLarge: the request body or script is over the limit (413).
	CodeTooLarge = wire.CodeTooLarge
	// CodeInternal: the server failed (500).
	CodeInternal = wire.CodeInternal
	// CodeStagedInput: a staged partition's job needs its uploaded
	// submit directory (staged_input) (400).
	CodeStagedInput = wire.CodeStagedInput
)

// StatusOf returns the HTTP status of an error code (500 for unknown codes).
func StatusOf(code string) int {
	switch code {
	case CodeNotFound, CodeNotInEpoch, CodeNoEmbeddedChain:
		return http.StatusNotFound
	case CodePermissionDenied, CodeJoinTokenInvalid, CodeJoinTokenUsed, CodeJoinTokenExpired:
		return http.StatusForbidden
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeInvalidRequest, CodeInvalidScript, CodeStagedInput:
		return http.StatusBadRequest
	case CodeNotLeader, CodeOutcomeUnknown:
		return http.StatusServiceUnavailable
	case CodeConflict, CodeNothingToClose, CodeRewardsOff:
		return http.StatusConflict
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// codeOfStatus guesses a code for a reply that carried no JSON error.
func codeOfStatus(status int) string {
	switch status {
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusForbidden:
		return CodePermissionDenied
	case http.StatusUnauthorized:
		return CodeUnauthenticated
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		return CodeInvalidRequest
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return CodeNotLeader
	case http.StatusConflict:
		return CodeConflict
	case http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	}
	return CodeInternal
}

// Error is an error reply from the API. Every non-2xx reply the client gets
// is returned as an *Error (use errors.As).
type Error struct {
	// Status is the HTTP status.
	Status int `json:"-"`
	// Code is one of the Code constants.
	Code string `json:"code"`
	// Message says what went wrong, for people.
	Message string `json:"message"`
	// Diagnostics are the individual problems: the rendered jobspec
	// diagnostics of a rejected script, or one line per failed job of a
	// job action ("123_7: invalid job id specified").
	Diagnostics []string `json:"diagnostics,omitempty"`
	// Refs are the per-job failures of a job action (cancel, hold, ...)
	// when no job was changed; partial failures come back in
	// ActionResponse.Errors instead.
	Refs []RefError `json:"refs,omitempty"`
}

// Errorf returns an *Error with the code's status and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Status: StatusOf(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error renders the message, and the diagnostics on the lines below it.
func (e *Error) Error() string {
	if len(e.Diagnostics) == 0 {
		return e.Message
	}
	return e.Message + "\n" + strings.Join(e.Diagnostics, "\n")
}

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// ErrorResponse is the body of every error reply: {"error": {...}}.
type ErrorResponse struct {
	Error *Error `json:"error"`
}
