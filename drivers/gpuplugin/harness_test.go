package gpuplugin

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/nomad/helper/pluginutils/hclspecutils"
	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/device"
	"github.com/zclconf/go-cty/cty/msgpack"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// harness is the plugin served over go-plugin's in-process gRPC connection,
// as Nomad's own device-plugin tests serve theirs (the device package has
// no harness type): every call goes through the plugin's gRPC client and
// server, as from a Nomad client.
type harness struct {
	p    *Plugin
	dev  device.DevicePlugin
	logs *syncBuffer
}

// syncBuffer is a log sink safe for the plugin's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newHarness serves a new plugin; the connection and the plugin's
// goroutines end with the test.
func newHarness(t *testing.T) *harness {
	t.Helper()
	logs := &syncBuffer{}
	p := New(context.Background(), hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug}))
	client, _ := plugin.TestPluginGRPCConn(t, true, map[string]plugin.Plugin{
		base.PluginTypeBase:   &base.PluginBase{Impl: p},
		base.PluginTypeDevice: &device.PluginDevice{Impl: p},
	})
	t.Cleanup(func() {
		// Close asks the server to stop (go-plugin's controller); stopping
		// it here as well races with that.
		client.Close()
		if err := p.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() && logs.String() != "" {
			t.Logf("plugin log:\n%s", logs)
		}
	})
	raw, err := client.Dispense(base.PluginTypeDevice)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{p: p, dev: raw.(device.DevicePlugin), logs: logs}
}

// setConfig sends cfg as a Nomad agent does: the plugin block's config
// (as HCL decodes it) checked against the plugin's schema, then msgpack.
func (h *harness) setConfig(t *testing.T, cfg map[string]any) error {
	t.Helper()
	schema, err := h.dev.ConfigSchema()
	if err != nil {
		t.Fatal(err)
	}
	spec, diags := hclspecutils.Convert(schema)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	val, diags, errs := hclutils.ParseHclInterface(cfg, spec, nil)
	if diags.HasErrors() {
		return errs[0]
	}
	data, err := msgpack.Marshal(val, val.Type())
	if err != nil {
		t.Fatal(err)
	}
	return h.dev.SetConfig(&base.Config{PluginConfig: data, ApiVersion: device.ApiVersion010})
}

// fakeHarness is a harness configured with the fake backend.
func fakeHarness(t *testing.T, model string, count int, seed string) *harness {
	t.Helper()
	h := newHarness(t)
	if err := h.setConfig(t, map[string]any{"backend": "fake", "fake_model": model, "fake_count": count, "fake_seed": seed}); err != nil {
		t.Fatal(err)
	}
	return h
}

// fingerprints starts a fingerprint stream that ends with the test.
func (h *harness) fingerprints(t *testing.T) <-chan *device.FingerprintResponse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := h.dev.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// next is the stream's next response, within a minute.
func next[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return v
	case <-time.After(time.Minute):
		t.Fatal("no response in a minute")
	}
	var zero T
	return zero
}

// fakeFake is the fake backend the plugin opened.
func (h *harness) fake(t *testing.T) *nvml.Fake {
	t.Helper()
	b, _, err := h.p.configured()
	if err != nil {
		t.Fatal(err)
	}
	return b.(*nvml.Fake)
}

// contains fails t unless err says want.
func contains(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one saying %q", err, want)
	}
}
