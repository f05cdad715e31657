package gpuplugin

import (
	"context"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// watchXID waits for NVML's XID critical errors until ctx ends,
// marking the GPU each names unhealthy. Errors the application caused
// (nvml.ApplicationXID) are logged only. Without an event set (NVML refused
// one) health then rests on the fingerprint succeeding.
func (p *Plugin) watchXID(ctx context.Context, b nvml.Backend) {
	defer p.wg.Done()
	w, err := b.WatchXID()
	if err != nil {
		p.log.Warn("no XID health events: GPUs stay healthy unless NVML fails", "error", err)
		return
	}
	defer func() {
		if err := w.Close(); err != nil {
			p.log.Warn("closing the XID event set", "error", err)
		}
	}()
	for ctx.Err() == nil {
		ev, ok, err := w.Wait(xidWait)
		switch {
		case err != nil:
			p.log.Error("waiting for XID events", "error", err)
			if !wait(ctx, xidWait, nil) {
				return
			}
		case !ok:
		case nvml.ApplicationXID(ev.XID):
			p.log.Info("XID error caused by an application; the GPU stays healthy", "gpu", ev.UUID, "xid", ev.XID)
		default:
			p.log.Error("XID critical error: GPU marked unhealthy", "gpu", ev.UUID, "xid", ev.XID)
			p.markUnhealthy(ev.UUID, xidDesc(ev))
		}
	}
}
