package gpuplugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// buildPlugin builds cmd/hpcbridge-gpu into a plugin directory of the test's
// own, so that the agent runs this tree's plugin.
func buildPlugin(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, PluginName), "github.com/hpcbridge/hpcbridge/cmd/hpcbridge-gpu")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "CGO_CFLAGS=-O2 -g -Wno-deprecated-declarations")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/hpcbridge-gpu: %v\n%s", err, out)
	}
	return dir
}

// nodeDevices is what this test reads of GET /v1/node/:id.
type nodeDevices struct {
	NodeResources struct {
		Devices []struct {
			Vendor, Type, Name string
			Attributes         map[string]struct {
				String *string
				Bool   *bool
				Int    *int64
				Unit   string
			}
			Instances []struct {
				ID       string
				Healthy  bool
				Locality struct{ PciBusID string }
			}
		}
	}
}

// waitDevices follows the node with blocking queries until cond holds.
func waitDevices(ctx context.Context, a *nomadagent.Agent, cond func(nodeDevices) bool) (nodeDevices, error) {
	index := "0"
	for {
		var n nodeDevices
		hdr := http.Header{}
		if err := callHeader(ctx, fmt.Sprintf("%s/v1/node/%s?wait=5s&index=%s", a.Addr(), a.NodeID(), index), &n, hdr); err != nil {
			return n, err
		}
		if cond(n) {
			return n, nil
		}
		index = hdr.Get("X-Nomad-Index")
	}
}

// A real Nomad dev agent loads the built plugin from its plugin_dir and
// its node offers the 8 fake A100s, with the seed's pinned UUIDs, marked
// fake.
func TestNomadAgentFingerprintsFakeGPUs(t *testing.T) {
	roottest.Require(t, "a Nomad client agent")
	nomadtest.Require(t)
	dir := buildPlugin(t)
	a := nomadtest.StartDev(t, nomadagent.Config{
		Name:      "gpunode",
		PluginDir: dir,
		Plugins: []nomadagent.Plugin{{Name: PluginName, Config: map[string]any{
			"backend": "fake", "fake_model": "a100", "fake_count": 8, "fake_seed": "gpunode",
		}}, {Name: "raw_exec", Config: map[string]any{"enabled": true}}},
		Drivers: []string{"raw_exec"},
	})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	n, err := waitDevices(ctx, a, func(n nodeDevices) bool { return len(n.NodeResources.Devices) > 0 })
	if err != nil {
		t.Fatal(err)
	}
	if len(n.NodeResources.Devices) != 1 {
		t.Fatalf("node devices %+v, want one group", n.NodeResources.Devices)
	}
	g := n.NodeResources.Devices[0]
	if g.Vendor != "nvidia" || g.Type != "gpu" || g.Name != "NVIDIA A100-SXM4-40GB" || len(g.Instances) != 8 {
		t.Fatalf("group %s/%s %q with %d instances", g.Vendor, g.Type, g.Name, len(g.Instances))
	}
	for i, in := range g.Instances {
		if want := nvml.FakeUUID("gpunode", g.Name, i); in.ID != want || !in.Healthy || in.Locality.PciBusID == "" {
			t.Errorf("instance %d: %+v, want %s, healthy, with a PCI bus id", i, in, want)
		}
	}
	fake, gres := g.Attributes[AttrFake], g.Attributes[AttrGresType]
	if fake.Bool == nil || !*fake.Bool || gres.String == nil || *gres.String != "a100" {
		t.Errorf("attributes %+v: want fake=true, gres_type=a100", g.Attributes)
	}

	// A task given 2 GPUs by Nomad gets the plugin's reservation.
	env := runGPUTask(ctx, t, a, 2)
	uuids := strings.Split(env[EnvUUIDs], ",")
	var indexes []string
	for _, u := range uuids {
		for i, in := range g.Instances {
			if in.ID == u {
				indexes = append(indexes, fmt.Sprint(i))
			}
		}
	}
	if len(uuids) != 2 || len(indexes) != 2 || indexes[0] >= indexes[1] || env[EnvNvidiaVisibleDevices] != env[EnvUUIDs] ||
		env[EnvIndexes] != strings.Join(indexes, ",") || env[EnvBackend] != "fake" {
		t.Errorf("task environment: %s=%q %s=%q %s=%q %s=%q; want two of the node's GPUs in index order",
			EnvNvidiaVisibleDevices, env[EnvNvidiaVisibleDevices], EnvUUIDs, env[EnvUUIDs], EnvIndexes, env[EnvIndexes], EnvBackend, env[EnvBackend])
	}
}

// runGPUTask runs a raw_exec batch task asking for gpus nvidia/gpu devices
// and returns the environment it saw.
func runGPUTask(ctx context.Context, t *testing.T, a *nomadagent.Agent, gpus int) map[string]string {
	t.Helper()
	job := map[string]any{"Job": map[string]any{
		"ID": "gpuenv", "Type": "batch", "Datacenters": []string{"dc1"},
		"TaskGroups": []any{map[string]any{
			"Name": "g", "Count": 1,
			"RestartPolicy":    map[string]any{"Attempts": 0, "Mode": "fail"},
			"ReschedulePolicy": map[string]any{"Attempts": 0, "Unlimited": false},
			"Tasks": []any{map[string]any{
				"Name": "t", "Driver": "raw_exec",
				"Config":    map[string]any{"command": "/bin/sh", "args": []string{"-c", "env > ${NOMAD_ALLOC_DIR}/env.txt"}},
				"Resources": map[string]any{"CPU": 100, "MemoryMB": 64, "Devices": []any{map[string]any{"Name": "nvidia/gpu", "Count": gpus}}},
			}},
		}},
	}}
	if err := call(ctx, http.MethodPost, a.Addr()+"/v1/jobs", job, nil); err != nil {
		t.Fatal(err)
	}
	var allocs []struct{ ID, ClientStatus string }
	index := "0"
	for len(allocs) == 0 || allocs[0].ClientStatus == "pending" || allocs[0].ClientStatus == "running" {
		hdr := http.Header{}
		allocs = nil
		if err := callHeader(ctx, a.Addr()+"/v1/job/gpuenv/allocations?wait=5s&index="+index, &allocs, hdr); err != nil {
			t.Fatal(err)
		}
		index = hdr.Get("X-Nomad-Index")
	}
	if allocs[0].ClientStatus != "complete" {
		t.Fatalf("allocation %s: %s", allocs[0].ID, allocs[0].ClientStatus)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.Addr()+"/v1/client/fs/cat/"+allocs[0].ID+"?path=alloc/env.txt", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	env := map[string]string{}
	for line := range strings.Lines(string(body)) {
		if k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "="); ok {
			env[k] = v
		}
	}
	return env
}

// call sends body as JSON and decodes the JSON answer into out (if any).
func call(ctx context.Context, method, url string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, msg)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// callHeader GETs url, decoding the JSON answer into out and copying the
// response's headers into hdr.
func callHeader(ctx context.Context, url string, out any, hdr http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		hdr[k] = v
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, msg)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// With backend "nvml" and no NVIDIA driver the agent starts, its node
// offers no GPU, and the agent's log says why.
func TestNomadAgentNVMLWithoutDriver(t *testing.T) {
	roottest.Require(t, "a Nomad client agent")
	nomadtest.Require(t)
	if b, err := nvml.OpenReal(); err == nil {
		b.Close()
		t.Skip("NVML initialised: this machine has an NVIDIA driver")
	}
	dir := buildPlugin(t)
	a := nomadtest.StartDev(t, nomadagent.Config{
		Name:      "nogpu",
		PluginDir: dir,
		Plugins:   []nomadagent.Plugin{{Name: PluginName, Config: map[string]any{"backend": "nvml"}}},
	})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	log := filepath.Join(a.Dir(), nomadagent.LogFile)
	var text string
	_, err := waitDevices(ctx, a, func(n nodeDevices) bool {
		if len(n.NodeResources.Devices) != 0 {
			t.Fatalf("devices offered without a driver: %+v", n.NodeResources.Devices)
		}
		b, _ := os.ReadFile(log)
		text = string(b)
		return strings.Contains(text, "no GPUs offered") && strings.Contains(text, "ERROR_LIBRARY_NOT_FOUND")
	})
	if err != nil {
		t.Fatalf("%v; the agent log does not say why no GPU is offered", err)
	}
}

// `hpcbridge-gpu probe-nvml` (hpcbridge dev's question) on this machine,
// which has no NVIDIA driver: exit status 1 and one line saying why.
func TestProbeNVMLCommand(t *testing.T) {
	if b, err := nvml.OpenReal(); err == nil {
		b.Close()
		t.Skip("NVML initialised: this machine has an NVIDIA driver")
	}
	bin := filepath.Join(buildPlugin(t), PluginName)
	out, err := exec.Command(bin, ProbeArg).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("%s %s: %v, want exit status 1", bin, ProbeArg, err)
	}
	if s := string(out); strings.Count(s, "\n") != 1 || !strings.Contains(s, "ERROR_LIBRARY_NOT_FOUND") || !strings.Contains(s, "no NVIDIA driver") {
		t.Errorf("output %q: want one line saying there is no driver", s)
	}
}
