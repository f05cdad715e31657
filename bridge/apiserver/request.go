package apiserver

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// decodeBody reads one JSON object into v, strictly: unknown fields and
// trailing data are errors (an ignored filter could cancel the wrong jobs).
// An empty body is allowed only when allowEmpty is set.
func decodeBody(r *http.Request, v any, allowEmpty bool) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return api.Errorf(api.CodeTooLarge, "request body is over the %d byte limit", mbe.Limit)
		case errors.Is(err, os.ErrDeadlineExceeded):
			e := badRequest("the request body did not arrive within the server's read timeout")
			e.Status = http.StatusRequestTimeout
			return e
		case errors.Is(err, io.EOF) && allowEmpty:
			return nil
		case errors.Is(err, io.EOF):
			return badRequest("empty request body: want a JSON object")
		}
		return badRequest("malformed request body: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return api.Errorf(api.CodeTooLarge, "request body is over the %d byte limit", mbe.Limit)
		}
		return badRequest("malformed request body: data after the JSON object")
	}
	return nil
}

// boolParam reads a flag: absent is false, present without a value true.
func boolParam(q url.Values, key string) (bool, error) {
	vs, ok := q[key]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(vs[len(vs)-1]) {
	case "", "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, badRequest("query parameter %s=%q: want true or false", key, vs[len(vs)-1])
}

// listParam reads a filter given as repeated parameters, comma lists, or
// both; empty items are dropped.
func listParam(q url.Values, key string) []string {
	var out []string
	for _, v := range q[key] {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// blockingParams are a read's ?index= and ?wait=.
type blockingParams struct {
	index uint64
	wait  time.Duration
}

func parseBlocking(q url.Values) (blockingParams, error) {
	var b blockingParams
	if v := q.Get("index"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return b, badRequest("index=%q: want a Raft index", v)
		}
		b.index = n
	}
	b.wait = api.DefaultWait
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			secs, serr := strconv.ParseUint(v, 10, 32)
			if serr != nil {
				return b, badRequest("wait=%q: want a duration such as 30s or 5m", v)
			}
			d = time.Duration(secs) * time.Second
		}
		if d < 0 {
			return b, badRequest("wait=%q: negative", v)
		}
		b.wait = min(d, api.MaxWait)
	}
	return b, nil
}

// timeParam reads an RFC 3339 time (zero when absent).
func timeParam(q url.Values, key string) (time.Time, error) {
	v := q.Get(key)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badRequest("%s=%q: want an RFC 3339 time such as 2026-11-21T12:00:00Z", key, v)
	}
	return t, nil
}

// intParam reads a non-negative integer (0 when absent).
func intParam(q url.Values, key string) (int, error) {
	v := q.Get(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badRequest("%s=%q: want a non-negative integer", key, v)
	}
	return n, nil
}

// setIndex sets the index header.
func setIndex(w http.ResponseWriter, idx uint64) {
	w.Header().Set(api.HeaderIndex, strconv.FormatUint(idx, 10))
}
