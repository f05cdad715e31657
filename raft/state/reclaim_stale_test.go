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

// TestReclaimDrainReplacesWindow (review R4): a node drained while its
// donation window is closed is the drain's reclaim from then on (a window
// opening must not end it and make the node eligible under its
// administrator); a window's begin does not take a drain's or an
// administrator's reclaim over.
func TestReclaimDrainReplacesWindow(t *testing.T) {
	f := newRequeueFixture(t, "#!/bin/sh\ntrue\n")
	dl := t0.Add(5 * time.Minute)
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0, Op: ReclaimBegin, Node: "n1", NodeID: "id1", Deadline: dl, Source: ReclaimWindow})
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0, Op: ReclaimBegin, Node: "n1", NodeID: "id1", Deadline: dl.Add(time.Hour), Source: ReclaimDrain})
	if r := f.s.View().Reclaim("id1"); r.Source != ReclaimDrain || !r.Deadline.Equal(dl) {
		t.Fatalf("a window's reclaim drained: %+v, want the drain's, the earlier deadline kept", r)
	}
	f.apply(CmdNodeReclaim, NodeReclaimCmd{Time: t0, Op: ReclaimBegin, Node: "n1", NodeID: "id1", Deadline: dl, Source: ReclaimWindow})
	if r := f.s.View().Reclaim("id1"); r.Source != ReclaimDrain {
		t.Fatalf("a window took a drain's reclaim over: %+v", r)
	}
}
