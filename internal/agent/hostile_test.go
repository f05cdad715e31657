package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// hostileCoordinator answers every request with handler: a coordinator
// (or someone between) that says what it likes.
func hostileCoordinator(t *testing.T, handler http.HandlerFunc) *api.Client {
	t.Helper()
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	c, err := api.NewClient(&api.Config{Address: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLeaveDeadlineBounded: the agent ignores signals while it leaves and
// waits for its node's jobs until the reclaim's deadline; a coordinator
// that answers the leave with a deadline years away must not keep it (and
// the donor's machine) waiting: the wait ends by the deadline the agent
// asked for, or MaxLeaveDeadline when it asked for the default.
func TestLeaveDeadlineBounded(t *testing.T) {
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	c := hostileCoordinator(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(api.Reclaim{Node: "n1", Deadline: far})
	})
	key, err := receipt.LoadOrCreateKey(t.TempDir() + "/" + KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for asked, want := range map[string]time.Time{
		"2m": now.Add(2 * time.Minute),
		"":   now.Add(MaxLeaveDeadline),
	} {
		got, err := leaveNode(context.Background(), c, "n1", key, asked, clock)
		if err != nil {
			t.Fatalf("leave (deadline %q): %v", asked, err)
		}
		if !got.Equal(want) {
			t.Errorf("leave asking for deadline %q, told %v: waits until %v, want %v", asked, far, got, want)
		}
	}
}
