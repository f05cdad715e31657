package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
)

// The GPU device plugin (drivers/gpuplugin, cmd/hpcbridge-gpu) as dev
// configures it; see docs/gpu.md for its config block.
const (
	// gpuPluginName is the device plugin's file name in the plugin dir,
	// which its plugin block is named after.
	gpuPluginName = "hpcbridge-gpu"
	// GPU backends of --gpu-backend; the first two are the plugin's.
	gpuBackendNVML = "nvml"
	gpuBackendFake = "fake"
	gpuBackendNone = "none"
	// defaultFakeGPUs is --gpus for the fake backend: a DGX's eight.
	defaultFakeGPUs = 8
	// maxFakeGPUs bounds --gpus.
	maxFakeGPUs = 64
	// defaultFakeModel is the fake GPUs' model without --gpu-model.
	defaultFakeModel = "a100"
	// gpuFingerprintPeriod is how often the plugin looks at its GPUs.
	gpuFingerprintPeriod = 5 * time.Second
	// nvmlFirstFingerprint bounds the wait for real GPUs to show up on the
	// node (a machine whose NVML works may still have none).
	nvmlFirstFingerprint = 30 * time.Second
	// metaGPUBackend is the node meta key that says which backend a dev
	// node's GPUs come from (nvml, fake or none).
	metaGPUBackend = "hpcbridge.gpu_backend"
	// gpuDeviceVendor and gpuDeviceType name the plugin's devices.
	gpuDeviceVendor = "nvidia"
	gpuDeviceType   = "gpu"
)

// gpuModelRE is what --gpu-model accepts: the plugin's short names (a100,
// h100) or a full NVML-style name ("NVIDIA H100 80GB HBM3").
var gpuModelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$`)

// devGPUs is what dev's nodes get from the GPU device plugin.
type devGPUs struct {
	// backend is gpuBackendNVML, gpuBackendFake or gpuBackendNone.
	backend string
	// why says how backend was chosen, for the banner.
	why string
	// count is the fake GPUs per node; models the fake models, cycled
	// over the nodes.
	count  int
	models []string
}

// gpuFlags are dev's GPU flags as given; zero values are unset.
type gpuFlags struct {
	backend string // "" picks nvml when NVML initialises, else fake
	gpus    int    // 0: unset
	models  string // comma-separated; "": unset
}

// planDevGPUs chooses the GPUs of dev's nodes from its flags. probe says
// whether NVML initialises on this machine (nil: it does); it is called
// when the flags leave the backend to it, or ask for nvml.
func planDevGPUs(f gpuFlags, nodes int, probe func() error) (devGPUs, error) {
	fakeOnly := f.gpus != 0 || f.models != ""
	g := devGPUs{backend: f.backend, why: "--gpu-backend " + f.backend}
	switch f.backend {
	case "":
		switch {
		case fakeOnly:
			g.backend, g.why = gpuBackendFake, "--gpus/--gpu-model describe fake GPUs"
		default:
			if err := probe(); err != nil {
				g.backend, g.why = gpuBackendFake, "NVML did not initialise: "+err.Error()
			} else if nodes > 1 {
				g.backend, g.why = gpuBackendFake, fmt.Sprintf("NVML works, but %d nodes on one machine would each offer the same real GPUs (--gpu-backend nvml needs --nodes 1)", nodes)
			} else {
				g.backend, g.why = gpuBackendNVML, "NVML initialised"
			}
		}
	case gpuBackendNVML:
		if fakeOnly {
			return g, fmt.Errorf("--gpus and --gpu-model describe fake GPUs: with --gpu-backend nvml the node has the GPUs NVML finds")
		}
		if nodes > 1 {
			return g, fmt.Errorf("--gpu-backend nvml with --nodes %d: every node would offer the same real GPUs, and two jobs could get one GPU; use --nodes 1 or --gpu-backend fake", nodes)
		}
		if err := probe(); err != nil {
			return g, fmt.Errorf("--gpu-backend nvml: NVML does not initialise here: %w (--gpu-backend fake offers made-up GPUs)", err)
		}
	case gpuBackendNone:
		if fakeOnly {
			return g, fmt.Errorf("--gpus and --gpu-model need a GPU backend, not --gpu-backend none")
		}
		return g, nil
	case gpuBackendFake:
	default:
		return g, fmt.Errorf("--gpu-backend %q: want nvml, fake or none", f.backend)
	}
	if g.backend != gpuBackendFake {
		return g, nil
	}
	g.count = defaultFakeGPUs
	if f.gpus != 0 {
		if f.gpus < 1 || f.gpus > maxFakeGPUs {
			return g, fmt.Errorf("--gpus %d: want 1 to %d GPUs per node (--gpu-backend none for none)", f.gpus, maxFakeGPUs)
		}
		g.count = f.gpus
	}
	g.models = []string{defaultFakeModel}
	if f.models != "" {
		g.models = nil
		for _, m := range strings.Split(f.models, ",") {
			m = strings.TrimSpace(m)
			if !gpuModelRE.MatchString(m) {
				return g, fmt.Errorf("--gpu-model %q: each model is a name such as a100 or h100 (letters, digits, spaces, '.', '_', '-'; at most 64)", m)
			}
			g.models = append(g.models, m)
		}
		if len(g.models) > nodes {
			return g, fmt.Errorf("--gpu-model names %d models for %d nodes: one per node (they cycle when there are fewer)", len(g.models), nodes)
		}
	}
	return g, nil
}

// model is the fake model of the i-th node (0-based).
func (g devGPUs) model(i int) string { return g.models[i%len(g.models)] }

// node is the device plugin block and node meta of the i-th node, named
// name (no plugin with --gpu-backend none). Fake UUIDs are seeded with the
// node's name, so they stay the same across restarts of dev.
func (g devGPUs) node(i int, name string) ([]nomadagent.Plugin, map[string]string) {
	meta := map[string]string{metaGPUBackend: g.backend}
	switch g.backend {
	case gpuBackendFake:
		return []nomadagent.Plugin{{Name: gpuPluginName, Config: map[string]any{
			"backend": gpuBackendFake, "fake_model": g.model(i), "fake_count": g.count, "fake_seed": name,
			"fingerprint_period": gpuFingerprintPeriod,
		}}}, meta
	case gpuBackendNVML:
		return []nomadagent.Plugin{{Name: gpuPluginName, Config: map[string]any{
			"backend": gpuBackendNVML, "fingerprint_period": gpuFingerprintPeriod,
		}}}, meta
	}
	return nil, meta
}

// gpusOf returns a node's GPU device groups.
func gpusOf(groups []nomadagent.DeviceGroup) []nomadagent.DeviceGroup {
	var out []nomadagent.DeviceGroup
	for _, d := range groups {
		if d.Vendor == gpuDeviceVendor && d.Type == gpuDeviceType {
			out = append(out, d)
		}
	}
	return out
}

// countGPUs counts the GPU instances of groups.
func countGPUs(groups []nomadagent.DeviceGroup) int {
	n := 0
	for _, d := range gpusOf(groups) {
		n += len(d.Instances)
	}
	return n
}

// waitGPUs waits until every node has fingerprinted its GPUs (fake: the
// count asked for; nvml: any, for nvmlFirstFingerprint at most) and
// returns each node's GPU groups.
func (g devGPUs) waitGPUs(ctx context.Context, nodes []*nomadagent.Agent) ([][]nomadagent.DeviceGroup, error) {
	out := make([][]nomadagent.DeviceGroup, len(nodes))
	if g.backend == gpuBackendNone {
		return out, nil
	}
	for i, a := range nodes {
		switch g.backend {
		case gpuBackendFake:
			got, err := a.WaitDevices(ctx, func(ds []nomadagent.DeviceGroup) bool { return countGPUs(ds) == g.count })
			if err != nil {
				return nil, fmt.Errorf("node %s did not fingerprint %d fake %s GPUs (it has %d): %w\n--- last lines of %s ---\n%s",
					a.Name(), g.count, g.model(i), countGPUs(got), err, a.LogPath(), a.LogTail(30))
			}
			out[i] = gpusOf(got)
		case gpuBackendNVML:
			wctx, cancel := context.WithTimeout(ctx, nvmlFirstFingerprint)
			got, err := a.WaitDevices(wctx, func(ds []nomadagent.DeviceGroup) bool { return countGPUs(ds) > 0 })
			cancel()
			if err != nil && ctx.Err() != nil {
				return nil, err
			}
			out[i] = gpusOf(got)
		}
	}
	return out, nil
}

// banner says, loudly, where the GPUs come from, and lists each node's.
func (g devGPUs) banner(w io.Writer, nodes []*nomadagent.Agent, gpus [][]nomadagent.DeviceGroup) {
	switch g.backend {
	case gpuBackendNone:
		fmt.Fprintf(w, "  GPUs:            none (%s)\n", g.why)
		return
	case gpuBackendFake:
		fmt.Fprintf(w, "  GPUs:            *** FAKE GPUs: go-nvml's mock, not real hardware ***\n")
		fmt.Fprintf(w, "                   (fake because %s; jobs see the GPU environment but no device)\n", g.why)
	case gpuBackendNVML:
		fmt.Fprintf(w, "  GPUs:            real, through NVML (%s)\n", g.why)
	}
	for i, a := range nodes {
		groups := gpus[i]
		if len(groups) == 0 {
			fmt.Fprintf(w, "    %s: no GPUs fingerprinted (see %s)\n", a.Name(), a.LogPath())
			continue
		}
		for _, d := range groups {
			kind := d.Attributes["gres_type"]
			if kind == "" {
				kind = "gpu"
			} else {
				kind = "gpu:" + kind
			}
			fake := ""
			if d.Attributes["fake"] == "true" {
				fake = ", FAKE"
			}
			fmt.Fprintf(w, "    %s: %d x %s (%s:%d%s)\n", a.Name(), len(d.Instances), d.Name, kind, len(d.Instances), fake)
			for _, in := range d.Instances {
				health := ""
				if !in.Healthy {
					health = "  UNHEALTHY"
				}
				fmt.Fprintf(w, "      %s  %s%s\n", in.ID, in.PCIBusID, health)
			}
		}
	}
}
