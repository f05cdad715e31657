// Package nvml is hpcbridge's small interface over NVIDIA's management
// library (NVML), the only package that imports github.com/NVIDIA/go-nvml.
// It has two backends, always chosen explicitly: the real library, and a
// fake built on go-nvml's own mock package that says it is fake. The device
// plugin (drivers/gpuplugin) and the task driver use it; see docs/gpu.md.
package nvml

import (
	// The go-nvml module is pinned in go.mod for this package; the backends
	// follow in the next commits.
	_ "github.com/NVIDIA/go-nvml/pkg/nvml"
)
