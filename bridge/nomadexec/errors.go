package nomadexec

import (
	"errors"
	"net/http"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// statusOf is the HTTP status of Nomad's answer to a failed request, or 0
// when the request got no answer (the agent is unreachable, ctx ended).
func statusOf(err error) int {
	var ue api.UnexpectedResponseError
	if errors.As(err, &ue) && ue.HasStatusCode() {
		return ue.StatusCode()
	}
	return 0
}

// IsNotFound reports whether Nomad answered a request with 404 Not Found.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// isInvalidJob reports whether Nomad refused a job registration because it
// will never take the job: its validation failed. Nomad 1.11 answers that
// with 500 (a validator's error is not a coded one; the agent's own checks
// answer 400), so the answer's body tells it from a server error.
func isInvalidJob(err error) bool {
	var ue api.UnexpectedResponseError
	if !errors.As(err, &ue) {
		return false
	}
	switch ue.StatusCode() {
	case http.StatusBadRequest, http.StatusInternalServerError:
		return strings.Contains(ue.Body(), "validation failed")
	}
	return false
}
