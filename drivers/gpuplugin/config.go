package gpuplugin

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/drivers/nvml"
)

// Config is the plugin configuration, from the agent's
// `plugin "hpcbridge-gpu" { config { ... } }` block.
type Config struct {
	// Backend is "nvml" (the real library) or "fake"; required, so that a
	// node never offers made-up GPUs by accident.
	Backend string `codec:"backend"`
	// FakeModel is the fake GPUs' model: "a100" (default), "h100", another
	// of nvml.FakeModels, or a model's full NVML name. Fake only.
	FakeModel string `codec:"fake_model"`
	// FakeCount is the number of fake GPUs (default 8). Fake only.
	FakeCount int `codec:"fake_count"`
	// FakeSeed pins the fake GPUs' UUIDs: use the node's name, so that
	// they are the same across restarts (default: the host name). Fake
	// only.
	FakeSeed string `codec:"fake_seed"`
	// FingerprintPeriod is how often the GPUs are read again ("5s").
	FingerprintPeriod string `codec:"fingerprint_period"`
	// Devices, when set, are the only GPUs the node offers, each by its
	// NVML index ("0") or UUID ("GPU-..."): a node that lends part of a
	// machine (hpcbridge agent --gpus, a pilot job given some GPUs by
	// Slurm) offers those alone. A MIG instance is offered with its GPU.
	Devices []string `codec:"devices"`
}

// maxDevices bounds Config.Devices.
const maxDevices = 1024

// settings is a checked Config.
type settings struct {
	backend string
	fake    nvml.FakeConfig
	period  time.Duration
	// devices are Config.Devices, sorted and joined by "," ("": all).
	devices string
}

// offers reports whether the settings offer the GPU of index and uuid.
func (s settings) offers(index int, uuid string) bool {
	if s.devices == "" {
		return true
	}
	for _, d := range strings.Split(s.devices, ",") {
		if d == uuid || d == strconv.Itoa(index) {
			return true
		}
	}
	return false
}

// check validates c and fills in defaults.
func (c Config) check() (settings, error) {
	s := settings{backend: c.Backend}
	period := c.FingerprintPeriod
	if period == "" {
		period = DefaultFingerprintPeriod.String()
	}
	d, err := time.ParseDuration(period)
	if err != nil || d < minPeriod || d > maxPeriod {
		return s, fmt.Errorf("fingerprint_period %q: want a duration from %v to %v", c.FingerprintPeriod, minPeriod, maxPeriod)
	}
	s.period = d
	if len(c.Devices) > maxDevices {
		return s, fmt.Errorf("devices: %d entries, at most %d", len(c.Devices), maxDevices)
	}
	for _, dev := range c.Devices {
		if !deviceRE.MatchString(dev) {
			return s, fmt.Errorf("devices: %.80q: want a GPU's index (0, 1, ...) or UUID (GPU-...)", dev)
		}
	}
	devs := slices.Clone(c.Devices)
	slices.Sort(devs)
	s.devices = strings.Join(slices.Compact(devs), ",")
	switch c.Backend {
	case nvml.BackendNVML:
		if c.FakeModel != "" || c.FakeCount != 0 || c.FakeSeed != "" {
			return s, fmt.Errorf("fake_model, fake_count and fake_seed are for backend %q, not %q", nvml.BackendFake, c.Backend)
		}
	case nvml.BackendFake:
		s.fake = nvml.FakeConfig{Model: c.FakeModel, Count: c.FakeCount, Seed: c.FakeSeed}
		if s.fake.Seed == "" {
			if s.fake.Seed, err = os.Hostname(); err != nil {
				return s, fmt.Errorf("fake_seed is not set and the host name is unknown: %w", err)
			}
		}
	case "":
		return s, fmt.Errorf("backend is required: %q (the real NVML library) or %q (made-up GPUs for tests and demos)", nvml.BackendNVML, nvml.BackendFake)
	default:
		return s, fmt.Errorf("backend %q: want %q or %q", c.Backend, nvml.BackendNVML, nvml.BackendFake)
	}
	return s, nil
}

// deviceRE is one entry of Config.Devices: an index or a UUID.
var deviceRE = regexp.MustCompile(`^([0-9]{1,4}|(GPU|MIG)-[A-Za-z0-9-]{1,80})$`)
