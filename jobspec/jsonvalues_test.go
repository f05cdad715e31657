package jobspec_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

func TestTimeLimitJSON(t *testing.T) {
	tests := []struct {
		v    jobspec.TimeLimit
		json string
		str  string
	}{
		{jobspec.TimeLimit{Minutes: 90}, `90`, "90"},
		{jobspec.TimeLimit{Minutes: 1}, `1`, "1"},
		{jobspec.TimeLimit{Unlimited: true}, `"UNLIMITED"`, "UNLIMITED"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.v, b, err, tt.json)
		}
		if s := tt.v.String(); s != tt.str {
			t.Errorf("String(%+v) = %q, want %q", tt.v, s, tt.str)
		}
		var back jobspec.TimeLimit
		if err := json.Unmarshal([]byte(tt.json), &back); err != nil || back != tt.v {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", tt.json, back, err, tt.v)
		}
		if p, err := jobspec.ParseTime(tt.str); err != nil || p != tt.v {
			t.Errorf("ParseTime(String) = %+v, %v; want %+v", p, err, tt.v)
		}
	}
	for in, want := range map[string]jobspec.TimeLimit{
		`"1-00:00:00"`: {Minutes: 1440},
		`"unlimited"`:  {Unlimited: true},
		`0`:            {Unlimited: true},
	} {
		var got jobspec.TimeLimit
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{`-1`, `1.5`, `"5m"`, `true`, `4294967296`} {
		var got jobspec.TimeLimit
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", in, got)
		}
	}
}

func TestExclusiveJSON(t *testing.T) {
	tests := []struct {
		v    jobspec.Exclusive
		json string
	}{
		{jobspec.Exclusive{}, `true`},
		{jobspec.Exclusive{Mode: "user"}, `"user"`},
		{jobspec.Exclusive{Mode: "mcs"}, `"mcs"`},
		{jobspec.Exclusive{Mode: "topo"}, `"topo"`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.v, b, err, tt.json)
		}
		var back jobspec.Exclusive
		if err := json.Unmarshal(b, &back); err != nil || back != tt.v {
			t.Errorf("Unmarshal(%s) = %+v, %v", b, back, err)
		}
		if tt.v.String() != tt.v.Mode {
			t.Errorf("String(%+v) = %q", tt.v, tt.v.String())
		}
	}
	for _, in := range []string{`false`, `"shared"`, `1`} {
		var got jobspec.Exclusive
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", in, got)
		}
	}
}

func TestBeginJSON(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	b := jobspec.Begin{At: time.Date(2027, 1, 2, 3, 4, 5, 0, loc), Raw: "now+1hour"}
	out, err := json.Marshal(b)
	if err != nil || string(out) != `"2027-01-02T03:04:05"` {
		t.Fatalf("Marshal = %s, %v", out, err)
	}
	if s := b.String(); s != "2027-01-02T03:04:05" {
		t.Errorf("String = %q", s)
	}
	var back jobspec.Begin
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2027, 1, 2, 3, 4, 5, 0, time.Local)
	if !back.At.Equal(want) || back.Raw != "2027-01-02T03:04:05" {
		t.Errorf("Unmarshal = %+v, want %v", back, want)
	}
	// String is an absolute --begin that ParseBegin reads back.
	p, err := jobspec.ParseBegin(b.String(), time.Date(2026, 1, 1, 0, 0, 0, 0, loc))
	if err != nil || !p.At.Equal(b.At) {
		t.Errorf("ParseBegin(String) = %+v, %v; want %v", p, err, b.At)
	}
	if err := json.Unmarshal([]byte(`"tomorrow"`), &back); err == nil {
		t.Error("Unmarshal(tomorrow) succeeded, want an error")
	}
}

func TestDependencyJSON(t *testing.T) {
	d, err := jobspec.ParseDependency("afterok:11:12?singleton")
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(d)
	if err != nil || string(out) != `"afterok:11:12?singleton"` {
		t.Fatalf("Marshal = %s, %v", out, err)
	}
	var back jobspec.Dependency
	if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(&back, d) {
		t.Errorf("Unmarshal = %+v, %v; want %+v", back, err, d)
	}
	if d.String() != d.Raw {
		t.Errorf("String = %q", d.String())
	}
	if err := json.Unmarshal([]byte(`"afterok:"`), &back); err == nil {
		t.Error("Unmarshal(afterok:) succeeded, want an error")
	}
}

func TestSpecJSONNulls(t *testing.T) {
	var s jobspec.Spec
	in := `{"time_limit_min": null, "exclusive": null, "begin": null, "dependency": null}`
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.TimeLimit != nil || s.Exclusive != nil || s.Begin != nil || s.Dependency != nil {
		t.Errorf("nulls gave %+v", s)
	}
	in = `{"time_limit_min": 30, "exclusive": true, "begin": "2027-01-02T03:04:05", "dependency": "afterok:5"}`
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.TimeLimit.Minutes != 30 || s.Exclusive.Mode != "" || s.Begin.At.Year() != 2027 || s.Dependency.Conditions[0].Jobs[0].JobID != 5 {
		t.Errorf("Unmarshal gave %+v", s)
	}
}

func TestSignalString(t *testing.T) {
	for in, want := range map[string]string{
		"B:USR1@120": "B:USR1@120",
		"USR1":       "USR1",
		"sigterm@60": "TERM",
		"R:10@0":     "R:USR1@0",
		"BR:64@5":    "RB:64@5",
		"rb:hup":     "RB:HUP",
	} {
		s, err := jobspec.ParseSignal(in)
		if err != nil {
			t.Fatalf("ParseSignal(%q): %v", in, err)
		}
		if got := s.String(); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
		back, err := jobspec.ParseSignal(s.String())
		if err != nil || !reflect.DeepEqual(back, s) {
			t.Errorf("ParseSignal(String(%q)) = %+v, %v; want %+v", in, back, err, s)
		}
	}
	b, err := json.Marshal(jobspec.Signal{Signal: "USR1", Number: 10, Seconds: 60, BatchOnly: true})
	if err != nil || string(b) != `{"signal":"USR1","seconds":60,"batch_only":true}` {
		t.Errorf("Marshal(Signal) = %s, %v", b, err)
	}
}

func TestArrayString(t *testing.T) {
	a, err := jobspec.ParseArray("[1-3,5]%2", 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.String() != "1-3,5%2" {
		t.Errorf("String = %q", a.String())
	}
	b, err := json.Marshal(a)
	if err != nil || string(b) != `{"spec":"1-3,5%2","count":4,"throttle":2}` {
		t.Errorf("Marshal(Array) = %s, %v", b, err)
	}
}
