package jobspec

import (
	"encoding/json"
	"testing"
	"time"
)

// TestSpecWireKeepsBeginInstant checks that a spec's --begin survives the
// wire form exactly, zone included (the contract form has no zone).
func TestSpecWireKeepsBeginInstant(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, berlin)
	spec, diags := Parse(Input{File: "j.sh", Script: []byte("#!/bin/sh\n#SBATCH --begin=16:00 -t 5\n"), Now: now})
	if spec == nil {
		t.Fatal(diags.Render())
	}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var back Spec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Begin.At.Equal(spec.Begin.At) {
		t.Errorf("begin %v after the wire, want %v (%s)", back.Begin.At, spec.Begin.At, b)
	}
	if back.TimeLimit == nil || back.TimeLimit.Minutes != 5 || back.JobName == nil || *back.JobName != "j.sh" {
		t.Errorf("wire form lost fields: %s", b)
	}
	c, err := spec.ContractJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(c, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["account"]; !ok || m["begin"] != "2026-11-21T16:00:00" {
		t.Errorf("contract form: %s", c)
	}
}
