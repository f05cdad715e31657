package bridge

import (
	"context"

	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
)

// keyTask registers the Nomad nodes' receipt keys in each leader term
// (nomadexec.KeyWatcher).
type keyTask struct {
	w *nomadexec.KeyWatcher
}

func (keyTask) Name() string { return "node-keys" }

func (k keyTask) RunTerm(ctx context.Context, _ Term) error { return k.w.RunTerm(ctx) }
