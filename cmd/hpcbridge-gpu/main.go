// Command hpcbridge-gpu is the hpcbridge Nomad device plugin: it offers the
// node's NVIDIA GPUs as "nvidia/gpu" devices. Put it in the Nomad client's
// plugin_dir and configure it with a
// `plugin "hpcbridge-gpu" { config { backend = "nvml" } }` block (or
// backend = "fake" for made-up GPUs); see docs/gpu.md.
package main

import (
	"context"
	"os"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins"

	"github.com/hpcbridge/hpcbridge/drivers/gpuplugin"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == probeArg {
		os.Exit(probe(os.Stdout, os.Stderr))
	}
	plugins.Serve(func(log hclog.Logger) interface{} {
		return gpuplugin.New(context.Background(), log)
	})
}
