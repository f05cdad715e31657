package gpuplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	var n nodeDevices
	index := "0"
	for {
		url := fmt.Sprintf("%s/v1/node/%s?index=%s&wait=5s", a.Addr(), a.NodeID(), index)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return n, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return n, err
		}
		n = nodeDevices{}
		err = json.NewDecoder(resp.Body).Decode(&n)
		resp.Body.Close()
		if err != nil {
			return n, fmt.Errorf("GET %s: %s: %w", url, resp.Status, err)
		}
		if cond(n) {
			return n, nil
		}
		index = resp.Header.Get("X-Nomad-Index")
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
		}}},
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
