package state

import (
	"testing"
	"time"
)

// TestReclaimEndAfterBeginAgain (review R4): the leader decides to end a
// reclaim (a window opened) from what it saw; an administrator's
// `hpcbridge node reclaim` committed in between must survive that end,
// which names the begins it saw. An end that saw the last begin ends it.
func TestReclaimEndAfterBeginAgain(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	dl := t0.Add(5 * time.Minute)
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0, Op: ReclaimBegin, Node: "n1", NodeID: "id1", Deadline: dl, Source: ReclaimWindow})
	seen := f.s.View().Reclaim("id1") // the leader's view
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(time.Minute), Op: ReclaimBegin, Node: "n1", NodeID: "id1", Deadline: dl, Source: ReclaimCommand, By: "root"})
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(time.Minute), Op: ReclaimEnd, Node: "n1", NodeID: "id1", Begins: seen.Begins})
	r := f.s.View().Reclaim("id1")
	if r == nil || r.Source != ReclaimCommand || r.By != "root" {
		t.Fatalf("after a stale end: %+v, want the administrator's reclaim kept", r)
	}
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0.Add(2 * time.Minute), Op: ReclaimEnd, Node: "n1", NodeID: "id1", Begins: r.Begins})
	if r := f.s.View().Reclaim("id1"); r != nil {
		t.Fatalf("an end that saw the last begin left %+v", r)
	}
}
