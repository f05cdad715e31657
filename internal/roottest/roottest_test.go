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
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			require(r, "running jobs", tt.euid, tt.required)
		}()
		<-done
		r.mu.Lock()
		skipped, failed := r.skipped, r.failed
		r.mu.Unlock()
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
		r := &recorder{TB: t}
		done := make(chan struct{})
		var path string
		go func() {
			defer close(done)
			path = Tool(r, "hpcbridge-no-such-tool", "building a probe")
		}()
		<-done
		r.mu.Lock()
		skipped, failed := r.skipped, r.failed
		r.mu.Unlock()
		if path != "" || (required == "1") != (failed != "") || (required == "") != (skipped != "") {
			t.Errorf("%s=%q: path %q, skipped %q, failed %q", EnvRequire, required, path, skipped, failed)
		}
	}
	t.Setenv(EnvRequire, "1")
	if got := Tool(t, "sh", "running a shell"); got == "" {
		t.Error("Tool(sh) found nothing")
	}
}
