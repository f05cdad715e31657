package roottest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that records how require ended the test.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	skipped string
	failed  string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.failed = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// ended runs f with a recorder, on its own goroutine (Skipf and Fatalf end
// it), and returns how f ended the test.
func ended(t *testing.T, f func(tb testing.TB)) (skipped, failed string) {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped, r.failed
}

func TestRequire(t *testing.T) {
	tests := []struct {
		euid            int
		required        bool
		wantSkip, wantF bool
	}{
		{euid: 0, required: false},
		{euid: 0, required: true},
		{euid: 1000, required: false, wantSkip: true},
		{euid: 1000, required: true, wantF: true},
	}
	for _, tt := range tests {
		skipped, failed := ended(t, func(tb testing.TB) { require(tb, "running jobs", tt.euid, tt.required) })
		if (skipped != "") != tt.wantSkip || (failed != "") != tt.wantF {
			t.Errorf("euid %d, required %v: skipped %q, failed %q; want skip %v, fail %v",
				tt.euid, tt.required, skipped, failed, tt.wantSkip, tt.wantF)
		}
		if failed != "" && !strings.Contains(failed, EnvRequire+"=1") {
			t.Errorf("failure %q does not name %s", failed, EnvRequire)
		}
	}
}

func TestTool(t *testing.T) {
	for _, required := range []string{"", "1"} {
		t.Setenv(EnvRequire, required)
		var path string
		skipped, failed := ended(t, func(tb testing.TB) { path = Tool(tb, "hpcbridge-no-such-tool", "building a probe") })
		if path != "" || (required == "1") != (failed != "") || (required == "") != (skipped != "") {
			t.Errorf("%s=%q: path %q, skipped %q, failed %q", EnvRequire, required, path, skipped, failed)
		}
	}
	t.Setenv(EnvRequire, "1")
	if got := Tool(t, "sh", "running a shell"); got == "" {
		t.Error("Tool(sh) found nothing")
	}
}
