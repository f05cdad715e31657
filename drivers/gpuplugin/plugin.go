package gpuplugin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/device"
	"github.com/hashicorp/nomad/plugins/shared/hclspec"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// Plugin is the device plugin. Its goroutines (fingerprint and stats
// streams, the XID watcher) end when the context given to New ends or Close
// is called; Close waits for them.
type Plugin struct {
	ctx    context.Context
	cancel context.CancelFunc
	log    hclog.Logger
	wg     sync.WaitGroup

	mu      sync.Mutex
	set     settings
	backend nvml.Backend // nil until SetConfig, or when it could not open
	openErr error        // why the configured backend could not open
	// stopWatch stops the backend's XID watcher and waits for it.
	stopWatch func()
	// devices are the instances of the last fingerprint, by ID.
	devices map[string]instance
	// unhealthy holds, by GPU UUID, why a GPU is unhealthy.
	unhealthy map[string]string
	// healthChanged is closed, and replaced, when health changes, so that
	// every fingerprint stream sends at once.
	healthChanged chan struct{}

	// passHook, when set (tests), is called after each fingerprint pass.
	passHook func()
}

var _ device.DevicePlugin = (*Plugin)(nil)

// New returns an unconfigured plugin; Nomad calls SetConfig next.
func New(ctx context.Context, log hclog.Logger) *Plugin {
	ctx, cancel := context.WithCancel(ctx)
	return &Plugin{
		ctx:           ctx,
		cancel:        cancel,
		log:           log.Named(PluginName),
		devices:       map[string]instance{},
		unhealthy:     map[string]string{},
		healthChanged: make(chan struct{}),
	}
}

// PluginInfo describes the plugin.
func (p *Plugin) PluginInfo() (*base.PluginInfoResponse, error) {
	return pluginInfo(), nil
}

// ConfigSchema is the plugin block's schema.
func (p *Plugin) ConfigSchema() (*hclspec.Spec, error) {
	return configSpec, nil
}

// SetConfig checks the configuration and opens its backend. A bad
// configuration, or a fake machine that cannot be built, is an error; the
// real backend failing to open is not: the plugin then offers no GPUs and
// says why in its log (a node without an NVIDIA driver still runs jobs).
// Nomad calls it more than once; the same settings again change nothing,
// others replace the backend.
func (p *Plugin) SetConfig(c *base.Config) error {
	var cfg Config
	if len(c.PluginConfig) != 0 {
		if err := base.MsgPackDecode(c.PluginConfig, &cfg); err != nil {
			return fmt.Errorf("%s: config: %w", PluginName, err)
		}
	}
	set, err := cfg.check()
	if err != nil {
		return fmt.Errorf("%s: config: %w", PluginName, err)
	}
	p.mu.Lock()
	same := (p.backend != nil || p.openErr != nil) && p.set == set
	p.mu.Unlock()
	if same {
		return nil
	}
	b, err := nvml.Open(set.backend, set.fake)
	if err != nil && set.backend == nvml.BackendFake {
		return fmt.Errorf("%s: config: %w", PluginName, err)
	}
	if err := p.closeBackend(); err != nil {
		p.log.Warn("closing the previous backend", "error", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.set, p.backend, p.openErr = set, b, err
	p.devices, p.unhealthy = map[string]instance{}, map[string]string{}
	if err != nil {
		p.backend = nil
		p.log.Error("no GPUs offered: the NVML backend did not open", "error", err)
		return nil
	}
	p.log.Info("backend open", "backend", b.Name(), "fake", b.Fake())
	ctx, cancel := context.WithCancel(p.ctx)
	done := make(chan struct{})
	p.stopWatch = func() { cancel(); <-done }
	p.wg.Add(1)
	go func() {
		defer close(done)
		p.watchXID(ctx, b)
	}()
	return nil
}

// closeBackend stops the XID watcher and closes the backend, if any.
func (p *Plugin) closeBackend() error {
	p.mu.Lock()
	stop, b := p.stopWatch, p.backend
	p.stopWatch, p.backend = nil, nil
	p.mu.Unlock()
	if stop != nil {
		stop()
	}
	if b == nil {
		return nil
	}
	return b.Close()
}

// Close stops the plugin's goroutines, waits for them and closes the
// backend. Nomad ends the plugin's process instead; tests call Close.
func (p *Plugin) Close() error {
	p.cancel()
	p.wg.Wait()
	return p.closeBackend()
}

// configured returns the backend and settings, or why there is none.
func (p *Plugin) configured() (nvml.Backend, settings, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.backend != nil:
		return p.backend, p.set, nil
	case p.openErr != nil:
		return nil, p.set, p.openErr
	}
	return nil, p.set, errors.New(PluginName + ": not configured")
}

// merged is a context that ends with ctx or with the plugin.
func (p *Plugin) merged(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// send delivers v on out unless ctx ends first.
func send[T any](ctx context.Context, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-ctx.Done():
		return false
	}
}

// wait returns false when ctx ends before d has passed or wake is signalled.
func wait(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-wake:
		return true
	case <-ctx.Done():
		return false
	}
}
