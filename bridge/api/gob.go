package api

import (
	"net/http"
	"strings"
)

// ContentTypeGob is the media type of gob-encoded replies. Go clients ask
// for it on reads (Accept); the server uses it for job lists and answers
// JSON to everyone else.
const ContentTypeGob = "application/x-gob"

// AcceptsGob reports whether a request's Accept header asks for gob.
func AcceptsGob(h http.Header) bool {
	return strings.Contains(h.Get("Accept"), ContentTypeGob)
}
