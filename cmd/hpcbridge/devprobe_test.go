package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbeNVML: dev asks the device plugin whether NVML initialises and
// words a "no" with the plugin's first line.
func TestProbeNVML(t *testing.T) {
	plugin := func(script string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, gpuPluginName), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if err := probeNVML(plugin(`[ "$1" = probe-nvml ] && echo "NVML initialised: driver 550.54.15, 8 GPUs"`)); err != nil {
		t.Errorf("a plugin that says yes: %v", err)
	}
	err := probeNVML(plugin("echo 'nvml: init: ERROR_DRIVER_NOT_LOADED' >&2; echo more >&2; exit 1"))
	if err == nil || err.Error() != "nvml: init: ERROR_DRIVER_NOT_LOADED" {
		t.Errorf("a plugin that says no: %v", err)
	}
	if err := probeNVML(plugin("exit 3")); err == nil || !strings.Contains(err.Error(), "hpcbridge-gpu probe-nvml: exit status 3") {
		t.Errorf("a plugin that fails silently: %v", err)
	}
	if err := probeNVML(t.TempDir()); err == nil {
		t.Error("no plugin: no error")
	}
}

// TestDevDefaultGPUs: with the real device plugin, dev's default backend
// is nvml where NVML initialises, else fake with NVML's reason.
func TestDevDefaultGPUs(t *testing.T) {
	plugins := buildPlugins(t, gpuPluginName)
	g, err := devGPUPlan(devOptions{nodes: 1}, plugins)
	if err != nil {
		t.Fatal(err)
	}
	probe := probeNVML(plugins)
	t.Logf("NVML probe: %v; backend %s (%s)", probe, g.backend, g.why)
	switch {
	case probe == nil && g.backend != gpuBackendNVML:
		t.Errorf("NVML works here, but the default backend is %s", g.backend)
	case probe != nil && (g.backend != gpuBackendFake || !strings.HasPrefix(g.why, "NVML did not initialise: nvml: init: ")):
		t.Errorf("NVML does not work here (%v), but the default is %s (%s)", probe, g.backend, g.why)
	}
}
