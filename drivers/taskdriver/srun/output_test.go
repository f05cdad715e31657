package srun

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/stepnet"
)

// TestRelayWholeLines: the output of a multi-node step's tasks reaches
// srun's stdout and stderr in whole lines per task, whatever pieces the
// node sends it in (the e2e once saw task 0's line cut in two by task 1's).
// One node's connection carries, in this order: task 0's "a", task 1's
// whole line, task 0's "b\n"; srun must not write task 1's line between
// "a" and "b\n". A task's unfinished last line is written when its node is
// done. -u passes the pieces on as they come.
func TestRelayWholeLines(t *testing.T) {
	cases := []struct {
		name              string
		label, unbuffered bool
		out, err          string
	}{
		{"lines", false, false, "line1\nab\n" + strings.Repeat("x", maxPartialLine) + "yz\n", "oops"},
		{"labels", true, false, "1: line1\n0: ab\n1: " + strings.Repeat("x", maxPartialLine) + "1: yz\n", "1: oops"},
		{"unbuffered", false, true, "aline1\nb\n" + strings.Repeat("x", maxPartialLine) + "yz\n", "oops"},
		{"unbuffered labels", true, true, "0: a1: line1\n0: b\n1: " + strings.Repeat("x", maxPartialLine-1) + "1: x1: yz\n", "1: oops"},
	}
	frames := []stepnet.Frame{
		{Kind: stepnet.KindStdout, Rank: 0, Data: []byte("a")},
		{Kind: stepnet.KindStdout, Rank: 1, Data: []byte("line1\n")},
		{Kind: stepnet.KindStdout, Rank: 0, Data: []byte("b\n")},
		// A line longer than the bound goes on in pieces.
		{Kind: stepnet.KindStdout, Rank: 1, Data: []byte(strings.Repeat("x", maxPartialLine-1))},
		{Kind: stepnet.KindStdout, Rank: 1, Data: []byte("x")},
		{Kind: stepnet.KindStdout, Rank: 1, Data: []byte("yz\n")},
		{Kind: stepnet.KindStderr, Rank: 1, Data: []byte("oops")},
		{Kind: stepnet.KindExit, Rank: 0, Data: []byte(`{"status":0}`)},
		{Kind: stepnet.KindExit, Rank: 1, Data: []byte(`{"status":0}`)},
		{Kind: stepnet.KindDone},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ms := &multiStep{
				step: &step{opts: &options{label: c.label, unbuffered: c.unbuffered}, ntasks: 2},
				lay:  layout{nodes: []jobdir.NetNode{{Name: "n1"}}, ranks: [][]int{{0, 1}}},
			}
			tio := newTaskIO(2, c.label, nil, &stdout, &stderr)
			tio.unbuffered, tio.frames = c.unbuffered, true
			tio.redirect("none", "", "", nil, nil)
			r := &remote{node: ms.lay.nodes[0]}
			ms.remotes = []*remote{r}
			ms.rankRemote = []*remote{r, r}
			ms.statuses, ms.exited = make([]syscall.WaitStatus, 2), make([]bool, 2)
			ms.cmds = []*exec.Cmd{{}, {}}
			for rank := range ms.cmds {
				if err := tio.attach(ms.cmds[rank], rank); err != nil {
					t.Fatal(err)
				}
			}
			node, conn := net.Pipe()
			r.conn = conn
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer node.Close()
				w := stepnet.NewConn(node)
				for _, f := range frames {
					if err := w.Write(f.Kind, f.Rank, f.Data); err != nil {
						t.Errorf("node: %v", err)
						return
					}
				}
			}()
			ms.read(r)
			conn.Close()
			wg.Wait()
			tio.close()
			if r.failed || !ms.exited[0] || !ms.exited[1] {
				t.Errorf("failed %v, exited %v", r.failed, ms.exited)
			}
			if got := stdout.String(); got != c.out {
				short := func(s string) string {
					return regexp.MustCompile(`x{100,}`).ReplaceAllStringFunc(s, func(x string) string { return fmt.Sprintf("x{%d}", len(x)) })
				}
				t.Errorf("stdout:\n%q\nwant:\n%q", short(got), short(c.out))
			}
			if got := stderr.String(); got != c.err {
				t.Errorf("stderr: %q, want %q", got, c.err)
			}
		})
	}
}
