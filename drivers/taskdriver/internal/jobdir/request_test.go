package jobdir

import (
	"os"
	"syscall"
	"testing"
	"time"
)

func TestParseSignalSpec(t *testing.T) {
	cases := []struct {
		in    string
		scope Scope
		sig   syscall.Signal
	}{
		{"SIGUSR1", ScopeSteps, syscall.SIGUSR1},
		{"usr1", ScopeSteps, syscall.SIGUSR1},
		{"10", ScopeSteps, syscall.SIGUSR1},
		{"B:SIGUSR1", ScopeBatch, syscall.SIGUSR1},
		{"b:TERM", ScopeBatch, syscall.SIGTERM},
		{"F:SIGINT", ScopeFull, syscall.SIGINT},
		{"SIGKILL", ScopeFull, syscall.SIGKILL},
		{"B:SIGKILL", ScopeBatch, syscall.SIGKILL},
	}
	for _, c := range cases {
		scope, sig, err := ParseSignalSpec(c.in)
		if err != nil || scope != c.scope || sig != c.sig {
			t.Errorf("ParseSignalSpec(%q) = %s %v %v, want %s %v", c.in, scope, sig, err, c.scope, c.sig)
		}
	}
	for _, bad := range []string{"", "B:", "SIGFOO", "X:USR1", "0", "65", "B:F:USR1"} {
		if _, _, err := ParseSignalSpec(bad); err == nil {
			t.Errorf("ParseSignalSpec(%q) accepted it", bad)
		}
	}
}

func TestRequestsInOrder(t *testing.T) {
	dir := t.TempDir()
	want := []Request{
		{Kind: KindSignal, Signal: 10, Scope: ScopeBatch},
		{Kind: KindStop, Signal: 15, Grace: 30 * time.Second},
		{Kind: KindSignal, Signal: 12, Scope: ScopeSteps},
	}
	for _, r := range want {
		if err := WriteRequest(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := TakeRequests(dir)
	if err != nil || len(got) != len(want) {
		t.Fatalf("TakeRequests = %v, %v", got, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if again, _ := TakeRequests(dir); len(again) != 0 {
		t.Errorf("requests taken twice: %v", again)
	}
}

func TestStepsAndCounter(t *testing.T) {
	dir := t.TempDir()
	for want := 0; want < 3; want++ {
		if id, err := NextStepID(dir); err != nil || id != want {
			t.Fatalf("NextStepID = %d, %v; want %d", id, err, want)
		}
	}
	if err := RegisterStep(dir, 1, 4242); err != nil {
		t.Fatal(err)
	}
	if err := RegisterStep(dir, 0, 4240); err != nil {
		t.Fatal(err)
	}
	// Junk a user could leave there is skipped, never followed.
	os.WriteFile(dir+"/step-x", []byte("1\n"), 0o600)
	os.WriteFile(dir+"/step-7", []byte("1\n"), 0o600)
	os.Symlink("/etc/passwd", dir+"/step-8")
	syscall.Mkfifo(dir+"/step-9", 0o600)
	steps, err := Steps(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0] != (Step{0, 4240}) || steps[1] != (Step{1, 4242}) {
		t.Errorf("Steps = %v", steps)
	}
	UnregisterStep(dir, 0)
	if steps, _ := Steps(dir); len(steps) != 1 {
		t.Errorf("after unregister: %v", steps)
	}
}
