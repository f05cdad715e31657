// Command hpcbridge-gpu is the hpcbridge Nomad device plugin: it offers the
// node's NVIDIA GPUs as "nvidia/gpu" devices. Put it in the Nomad client's
// plugin_dir and configure it with a
// `plugin "hpcbridge-gpu" { config { backend = "nvml" } }` block (or
// backend = "fake" for made-up GPUs); see docs/gpu.md.
//
// `hpcbridge-gpu probe-nvml` instead says whether NVML initialises on this
// machine: one line, and exit status 0 when it does, 1 when it does not.
package main

import (
	"context"
	"fmt"
	"os"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins"

	"github.com/hpcbridge/hpcbridge/drivers/gpuplugin"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == gpuplugin.ProbeArg {
		if err := gpuplugin.Probe(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	plugins.Serve(func(log hclog.Logger) interface{} {
		return gpuplugin.New(context.Background(), log)
	})
}
