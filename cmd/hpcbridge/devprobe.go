package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Probing NVML for dev's default GPU backend.
const (
	// nvmlProbeArg runs the device plugin as a probe (cmd/hpcbridge-gpu).
	nvmlProbeArg = "probe-nvml"
	// nvmlProbeTimeout bounds the probe: NVML's init is quick, or hangs
	// on a wedged driver, which is a "no".
	nvmlProbeTimeout = 20 * time.Second
)

// probeNVML reports whether NVML initialises on this machine (nil: it
// does), for dev's default GPU backend. The device plugin in pluginDir
// answers (`hpcbridge-gpu probe-nvml`), so that hpcbridge itself never
// loads NVML: it needs cgo, and a broken driver may crash the process that
// loads it.
func probeNVML(pluginDir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), nvmlProbeTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(pluginDir, gpuPluginName), nvmlProbeArg)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	msg := strings.TrimSpace(out.String())
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s %s did not answer in %v", gpuPluginName, nvmlProbeArg, nvmlProbeTimeout)
	case msg != "":
		return errors.New(msg)
	}
	return fmt.Errorf("%s %s: %w", gpuPluginName, nvmlProbeArg, err)
}
