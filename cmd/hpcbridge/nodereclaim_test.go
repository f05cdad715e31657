package main

import "testing"

// TestReclaimArgs: flags after NODE count (urfave/cli stops parsing at it).
func TestReclaimArgs(t *testing.T) {
	for _, c := range []struct {
		args           []string
		node, deadline string
		json, bad      bool
	}{
		{args: []string{"n1"}, node: "n1"},
		{args: []string{"n1", "--deadline", "30s"}, node: "n1", deadline: "30s"},
		{args: []string{"n1", "--deadline=2m", "--json"}, node: "n1", deadline: "2m", json: true},
		{args: []string{"n1", "-deadline", "0s"}, node: "n1", deadline: "0s"},
		{args: []string{}, bad: true},
		{args: []string{"n1", "n2"}, bad: true},
		{args: []string{"n1", "--deadline"}, bad: true},
		{args: []string{"n1", "--force"}, bad: true},
	} {
		node, d, j, err := reclaimArgs(c.args, "", false)
		if (err != nil) != c.bad || !c.bad && (node != c.node || d != c.deadline || j != c.json) {
			t.Errorf("%q: %q %q %v %v; want %q %q %v, error %v", c.args, node, d, j, err, c.node, c.deadline, c.json, c.bad)
		}
	}
}
