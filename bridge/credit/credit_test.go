package credit_test

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

var t0 = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)

func key(t *testing.T, seed byte) ed25519.PrivateKey {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	return ed25519.NewKeyFromSeed(s)
}

// fixture is one honest receipt and everything around it: checkpoint 2
// of run 1 of job 42, on node n1's allocation a1 with two GPUs and 4 CPUs,
// claiming the 10 minutes since the previous receipt.
type fixture struct {
	r    receipt.Receipt
	sign ed25519.PrivateKey
	in   credit.Input
}

func honest(t *testing.T) *fixture {
	k := key(t, 1)
	f := &fixture{
		r: receipt.Receipt{
			Version: receipt.Version, JobID: 42, Run: 1, Seq: 2,
			Node: "n1", NodeID: "node-1", AllocID: "alloc-1",
			GPUs: []string{"GPU-a", "GPU-b"}, CPUs: 4,
			Start: t0.Add(10 * time.Minute), End: t0.Add(20 * time.Minute),
			Digest: "sha256:" + strings.Repeat("ab", 32), Size: 100, Uploaded: 10, Trigger: receipt.TriggerCommand,
		},
		sign: k,
		in: credit.Input{
			Key: credit.Key{NodeID: "node-1", Key: receipt.EncodeKey(k.Public().(ed25519.PublicKey))},
			Observed: credit.Observed{
				NodeID: "node-1", Node: "n1", AllocID: "alloc-1",
				Start: t0, GPUs: []string{"GPU-a", "GPU-b"}, CPUs: 4,
			},
			Prev:  &credit.Previous{Seq: 1, End: t0.Add(10 * time.Minute), CreditedEnd: t0.Add(10 * time.Minute)},
			JobID: 42, Run: 1,
			Now: t0.Add(21 * time.Minute),
		},
	}
	return f
}

func (f *fixture) verify(t *testing.T) (*credit.Result, error) {
	t.Helper()
	s, err := receipt.Sign(&f.r, f.sign)
	if err != nil {
		t.Fatal(err)
	}
	f.in.Signed = s
	return credit.Verify(f.in)
}

// The GPUs' model observed goes with GPU credit, and only with it.
func TestGPUModelCredited(t *testing.T) {
	f := honest(t)
	f.in.Observed.GPUModel = "NVIDIA H100 80GB HBM3"
	res, err := f.verify(t)
	if err != nil || res.GPUModel != "NVIDIA H100 80GB HBM3" || res.GPUs != 2 {
		t.Fatalf("GPU receipt: %+v %v", res, err)
	}
	f = honest(t)
	f.in.Observed.GPUModel, f.in.Observed.GPUs = "NVIDIA H100 80GB HBM3", nil
	if res, err := f.verify(t); err != nil || res.GPUModel != "" || res.GPUs != 0 || res.CPUSeconds == 0 {
		t.Fatalf("CPU-only credit: %+v %v", res, err)
	}
}

func TestHonestReceiptIsCreditedInFull(t *testing.T) {
	res, err := honest(t).verify(t)
	if err != nil {
		t.Fatal(err)
	}
	if res.Clamped || res.Note != "" || res.GPUSeconds != 2*600 || res.CPUSeconds != 4*600 || res.GPUs != 2 || res.CPUs != 4 {
		t.Fatalf("honest receipt: %+v", res)
	}
}

// Every refusal: each case fails without its check.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(f *fixture)
		want error
	}{
		{"no registered key", func(f *fixture) { f.in.Key.Key = "" }, credit.ErrKey}, // "has no registered key", below
		{"revoked key", func(f *fixture) { f.in.Key.Revoked = true }, credit.ErrKey},
		{"key of another node", func(f *fixture) { f.in.Key.NodeID = "node-2" }, credit.ErrKey},
		{"signed with another key", func(f *fixture) { f.sign = key(t, 2) }, credit.ErrSignature},
		{"body changed after signing", nil, credit.ErrSignature},
		{"other job", func(f *fixture) { f.r.JobID = 43 }, credit.ErrJob},
		{"other run", func(f *fixture) { f.r.Run = 0 }, credit.ErrJob},
		{"other allocation", func(f *fixture) { f.r.AllocID = "alloc-2" }, credit.ErrAlloc},
		{"other node id", func(f *fixture) { f.r.NodeID = "node-2" }, credit.ErrAlloc},
		{"other node name", func(f *fixture) { f.r.Node = "n2" }, credit.ErrAlloc},
		{"seq repeated", func(f *fixture) { f.r.Seq = 1 }, credit.ErrSeq},
		{"seq skipped", func(f *fixture) { f.r.Seq = 3 }, credit.ErrSeq},
		{"first of the run is not 1", func(f *fixture) { f.in.Prev = nil }, credit.ErrSeq},
		{"interval before the previous end", func(f *fixture) { f.r.Start = t0.Add(9 * time.Minute) }, credit.ErrInterval},
		{"task never seen to start", func(f *fixture) { f.in.Observed.Start = time.Time{} }, credit.ErrInterval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := honest(t)
			if tc.edit != nil {
				tc.edit(f)
			}
			s, err := receipt.Sign(&f.r, f.sign)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit == nil { // forge: claim an hour more after signing
				s.Body = []byte(strings.Replace(string(s.Body), "08:20:00", "09:20:00", 1))
			}
			f.in.Signed = s
			res, err := credit.Verify(f.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %+v, %v; want %v", res, err, tc.want)
			}
			if tc.name == "no registered key" && !strings.Contains(err.Error(), "has no registered key") {
				t.Fatalf("%v: want it to say the node has no registered key", err)
			}
		})
	}
}

// Every clamp: each case fails without its clamp.
func TestClamps(t *testing.T) {
	for _, tc := range []struct {
		name       string
		edit       func(f *fixture)
		gpuSeconds int64
		cpuSeconds int64
		note       string
	}{
		{"start before the task's start", func(f *fixture) {
			f.in.Prev, f.r.Seq = nil, 1
			f.r.Start = t0.Add(-time.Hour)
		}, 2 * 1200, 4 * 1200, "before the task's start"},
		{"end after now", func(f *fixture) { f.r.End = t0.Add(5 * time.Hour) }, 2 * 660, 4 * 660, "after now"},
		{"end after the task's finish", func(f *fixture) { f.in.Observed.Finish = t0.Add(15 * time.Minute) }, 2 * 300, 4 * 300, "after the task's finish"},
		{"GPU not allocated", func(f *fixture) { f.r.GPUs = []string{"GPU-a", "GPU-b", "GPU-z"} }, 2 * 600, 4 * 600, "GPUs GPU-z were not allocated"},
		{"GPU named twice", func(f *fixture) { f.r.GPUs = []string{"GPU-a", "GPU-a"} }, 1 * 600, 4 * 600, "GPUs named twice"},
		{"CPU work claimed as GPU work", func(f *fixture) { f.in.Observed.GPUs = nil }, 0, 4 * 600, "not allocated"},
		{"more CPUs than allocated", func(f *fixture) { f.r.CPUs = 64 }, 2 * 600, 4 * 600, "64 CPUs claimed, 4 allocated"},
		{"interval wholly after the finish", func(f *fixture) { f.in.Observed.Finish = t0.Add(5 * time.Minute) }, 0, 0, "after the task's finish"},
		// The coordinator recorded the run's end; the node's client then
		// told the Nomad servers its allocation runs again (they take it).
		{"end after the run's end the coordinator recorded", func(f *fixture) {
			f.r.End, f.in.Ended = t0.Add(21*time.Minute), t0.Add(15*time.Minute)
		}, 2 * 300, 4 * 300, "after the run's end"},
		{"end after the run's end and its stop's grace", func(f *fixture) {
			f.r.End, f.in.Ended, f.in.Observed.StopGrace = t0.Add(21*time.Minute), t0.Add(15*time.Minute), 40*time.Second
		}, 2 * 340, 4 * 340, "after the run's end and its stop's grace"},
		{"a stopped run's checkpoint within its stop's grace", func(f *fixture) {
			f.in.Ended, f.in.Observed.StopGrace = t0.Add(19*time.Minute+30*time.Second), 40*time.Second
		}, 2 * 600, 4 * 600, ""},
		{"previous receipt was credited past its start", func(f *fixture) {
			f.in.Prev.CreditedEnd = t0.Add(15 * time.Minute) // cannot happen from this package, but never credit twice
		}, 2 * 300, 4 * 300, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := honest(t)
			tc.edit(f)
			res, err := f.verify(t)
			if err != nil {
				t.Fatal(err)
			}
			if res.GPUSeconds != tc.gpuSeconds || res.CPUSeconds != tc.cpuSeconds {
				t.Errorf("credited %d GPU-s, %d CPU-s; want %d, %d", res.GPUSeconds, res.CPUSeconds, tc.gpuSeconds, tc.cpuSeconds)
			}
			if tc.note != "" && (!res.Clamped || !strings.Contains(res.Note, tc.note)) {
				t.Errorf("clamped %v note %q; want one saying %q", res.Clamped, res.Note, tc.note)
			}
			if res.End.Before(res.Start) {
				t.Errorf("credited interval %v..%v ends before it starts", res.Start, res.End)
			}
		})
	}
}

// A note is bounded and holds no control characters, whatever GPU ids a
// node claims.
func TestNoteBounded(t *testing.T) {
	f := honest(t)
	f.r.GPUs = nil
	for i := 0; i < receipt.MaxGPUs; i++ {
		f.r.GPUs = append(f.r.GPUs, strings.Repeat("\x1b[2J", 20)+strings.Repeat("x", i%40)+string(rune(0x4e00+i)))
	}
	res, err := f.verify(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Note) > credit.MaxNote || strings.ContainsAny(res.Note, "\x1b\"\\") {
		t.Fatalf("note of %d bytes, escape inside: %v", len(res.Note), strings.Contains(res.Note, "\x1b"))
	}
	// A GPU named with a quote, a comma and a backslash: none of them in
	// the note (it is compared as JSON and terminals show it; a comma
	// would make one name two).
	f = honest(t)
	f.r.GPUs = []string{"GPU-a", "GPU-b", `x",y\z`}
	if res, err = f.verify(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Note, "GPUs x??y?z were not allocated") {
		t.Fatalf("note %q", res.Note)
	}
}
