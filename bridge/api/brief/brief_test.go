package brief

import (
	"bytes"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// fill sets every exported field reachable from v to a value that is not
// the zero value, each a little different (n counts up), so that a
// codec that forgets a field fails a round trip.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strings.Repeat("x", *n%5) + string(rune('a'+*n%26)))
	case reflect.Int, reflect.Int64, reflect.Int32:
		if v.Type() == reflect.TypeOf(time.Duration(0)) {
			v.SetInt(int64(*n) * int64(time.Second))
			return
		}
		v.SetInt(int64(*n))
	case reflect.Uint64, reflect.Uint32, reflect.Uint:
		v.SetUint(uint64(*n))
	case reflect.Uint8:
		v.SetUint(uint64(*n % 250))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), n)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), n)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, n)
			fill(e, n)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 21, 18, 0, *n, *n*1000, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	}
}

// fullJob is a job with every field, and every field of its submission
// and spec, set.
func fullJob(seed int) *state.Job {
	var j state.Job
	n := seed
	fill(reflect.ValueOf(&j).Elem(), &n)
	return &j
}

// briefLeavesOut are the fields of state.Job the brief view does not
// carry, each with the reason; every other field must survive it.
var briefLeavesOut = map[string]string{
	"Runs":         "a requeued job's earlier runs: only sacct -D prints them, from the full records",
	"DependsOn":    "the Raft log's parsed form of Dependency: the API sends only the text (apiserver leaves it out of JSON too)",
	"GPU":          "GPU accounting (allocated GPU ids, GPU-seconds, NVML figures): only sacct prints it, from the full records",
	"Steps":        "srun steps: only sacct prints them, from the full records",
	"StepsDropped": "the count of srun steps past the cap: accounting's, not the queue's",
	"Checkpoints":  "the job's checkpoint summary: scontrol and sacct print it, from the full records",
	"Files":        "a staged job's input and output manifests: hpcbridge fetch reads them from the full record",
}

// briefOf is what the brief view of j with submission sub must decode to.
func briefOf(j *state.Job, sub *state.Submission) *state.Job {
	cp := *j
	cp.Submission = Submission(sub)
	v := reflect.ValueOf(&cp).Elem()
	for name := range briefLeavesOut {
		f := v.FieldByName(name)
		f.Set(reflect.Zero(f.Type()))
	}
	return &cp
}

func encodeBrief(jobs []*state.Job) []byte {
	var b bytes.Buffer
	e := NewEncoder(&b)
	for _, j := range jobs {
		e.Encode(j, j.Submission)
	}
	if err := e.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestBriefRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 21, 18, 41, 49, 123, time.UTC)
	plain := &state.Job{ID: 7, ArrayTaskID: state.NoTask, Name: "job.sh", User: "alice", Partition: "debug",
		State: state.StatePending, Reason: state.ReasonPriority, SubmitTime: at,
		Submission: &state.Submission{Script: []byte("#!/bin/sh\n"), ScriptName: "job.sh", Cwd: "/home/alice",
			Args: []string{"-t", "5"}, Env: []string{"A=1"}, Spec: &jobspec.Spec{}}}
	// The same submission in another record: it must come back shared.
	twin := *plain
	twin.ID = 8
	twinSub := *plain.Submission
	twin.Submission = &twinSub
	empty := &state.Job{ID: 9, ArrayTaskID: state.NoTask, Pending: &state.IndexSet{},
		Submission: &state.Submission{ScriptArgs: []string{}, Spec: &jobspec.Spec{Gres: []string{}, Other: map[string]string{}}}}
	noSub := &state.Job{ID: 10, ArrayTaskID: 3, ArrayJobID: 2, Begin: at.Add(time.Hour), EndTime: at, StartTime: at}
	noSpec := &state.Job{ID: 11, ArrayTaskID: state.NoTask, Submission: &state.Submission{ScriptName: "x"}}
	jobs := []*state.Job{fullJob(0), plain, &twin, empty, noSub, noSpec, fullJob(100), fullJob(100)}

	got, err := Decode(encodeBrief(jobs))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(jobs) {
		t.Fatalf("%d jobs back, want %d", len(got), len(jobs))
	}
	for i, j := range jobs {
		if want := briefOf(j, j.Submission); !reflect.DeepEqual(got[i], want) {
			t.Errorf("job %d:\n got %+v\n     %+v\nwant %+v\n     %+v", i, got[i], got[i].Submission, want, want.Submission)
		}
	}
	if got[1].Submission != got[2].Submission {
		t.Error("equal submissions should come back as one record")
	}
	if got[6].Submission != got[7].Submission {
		t.Error("equal submissions of consecutive records should come back as one record")
	}
}

// TestBriefKeepsEveryJobField guards the codec against fields added to
// state.Job later: the brief view carries all of them (of the submission
// only Submission's).
func TestBriefKeepsEveryJobField(t *testing.T) {
	for name := range briefLeavesOut {
		if _, ok := reflect.TypeFor[state.Job]().FieldByName(name); !ok {
			t.Errorf("briefLeavesOut names %s, which state.Job does not have", name)
		}
	}
	j := fullJob(3)
	got, err := Decode(encodeBrief([]*state.Job{j}))
	if err != nil {
		t.Fatal(err)
	}
	gv, wv := reflect.ValueOf(got[0]).Elem(), reflect.ValueOf(briefOf(j, j.Submission)).Elem()
	for i := range wv.NumField() {
		name := wv.Type().Field(i).Name
		if _, out := briefLeavesOut[name]; out {
			if !gv.Field(i).IsZero() {
				t.Errorf("state.Job.%s is left out of the brief view but came back set", name)
			}
			continue
		}
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("state.Job.%s does not survive the brief view: %v, want %v (add it to Encoder and the decoder)",
				name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}

// TestBriefSubmissionDrops lists what the brief view leaves out of a
// submission: the script, the environment and the options as typed.
func TestBriefSubmissionDrops(t *testing.T) {
	j := fullJob(1)
	b := Submission(j.Submission)
	if b.Script != nil || b.Env != nil || b.Args != nil {
		t.Errorf("brief submission keeps %q %q %q", b.Script, b.Env, b.Args)
	}
	if b.Spec.JobName != nil || b.Spec.Dependency != nil || b.Spec.Begin != nil || b.Spec.Array.Ranges != nil {
		t.Errorf("brief spec keeps fields squeue does not print: %+v", b.Spec)
	}
	if Submission(nil) != nil {
		t.Error("nil submission")
	}
	if j.Submission.Script == nil || j.Submission.Spec.JobName == nil {
		t.Error("Submission modified its argument")
	}
}

func TestDecodeBriefRejects(t *testing.T) {
	packed := encodeBrief([]*state.Job{fullJob(0), fullJob(50)})
	first := len(encodeBrief([]*state.Job{fullJob(0)}))
	for n := 0; n < len(packed); n++ {
		if _, err := Decode(packed[:n]); err == nil && n != len(briefMagic) && n != first {
			t.Errorf("a list cut at %d of %d bytes decoded without error", n, len(packed))
		}
	}
	for _, bad := range []string{"", "HBB2", "{\"job_id\":1}", briefMagic + "\x01", briefMagic + strings.Repeat("\xff", 20)} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
	if jobs, err := Decode([]byte(briefMagic)); err != nil || len(jobs) != 0 {
		t.Errorf("empty list: %v, %v", jobs, err)
	}
}

func TestAcceptsBrief(t *testing.T) {
	for accept, want := range map[string]bool{
		ContentType:                        true,
		ContentType + ", application/json": true,
		"application/json;q=0.5, " + ContentType + ";q=1": true,
		ContentType + "0":                  false,
		"application/x-hpcbridge-brief-v2": false,
		"application/x-gob":                false, // api.ContentTypeGob
		"":                                 false,
	} {
		h := http.Header{}
		if accept != "" {
			h.Set("Accept", accept)
		}
		if got := Accepts(h); got != want {
			t.Errorf("Accept %q: %v, want %v", accept, got, want)
		}
	}
}

func FuzzDecodeBrief(f *testing.F) {
	f.Add(encodeBrief([]*state.Job{fullJob(0), fullJob(0), fullJob(9)}))
	f.Add(encodeBrief(benchJobs(3)))
	f.Add([]byte(briefMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		jobs, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes encodes to the same list.
		again, err := Decode(encodeBrief(jobs))
		if err != nil {
			t.Fatalf("re-encoded list: %v", err)
		}
		if !reflect.DeepEqual(jobs, again) {
			t.Fatalf("re-encoded list differs:\n%+v\n%+v", jobs, again)
		}
	})
}

// TestBriefFrames round-trips a list of many frames, with records that
// refer to the previous one across frame boundaries.
func TestBriefFrames(t *testing.T) {
	jobs := benchJobs(5000)
	for _, j := range jobs[2000:] {
		j.Submission = jobs[1999].Submission
	}
	packed := encodeBrief(jobs)
	if len(packed) < 2*briefFrame {
		t.Fatalf("%d bytes: fewer frames than meant", len(packed))
	}
	got, err := Read(bytes.NewReader(packed))
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		if want := briefOf(j, j.Submission); !reflect.DeepEqual(got[i], want) {
			t.Fatalf("job %d:\n got %+v\nwant %+v", i, got[i], want)
		}
	}
	if got[0].Submission != got[1999].Submission || got[1999].Submission != got[4999].Submission {
		t.Error("equal submissions should come back as one record")
	}
}
