// Command hpcbridge-driver is the hpcbridge Nomad task-driver plugin
// (driver name "hpcbridge"). Put it in the Nomad client's plugin_dir and
// enable it with a `plugin "hpcbridge-driver" { config { run_as = "pool" } }`
// block; see docs/driver.md.
//
// The same binary is also the driver's batch-step shim (`hpcbridge-driver
// stepd CONFIG`), srun inside jobs (invoked as srun), `hpcbridge checkpoint`
// inside jobs (invoked as hpcbridge), the checkpoint file helper (invoked as
// hpcbridge-checkpoint-files, as the job's user) and Nomad's executor
// (`hpcbridge-driver executor JSON`).
package main

import (
	"context"
	"os"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/plugins"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver"
)

func main() {
	if code, ok := taskdriver.Dispatch(os.Args); ok {
		os.Exit(code)
	}
	plugins.Serve(func(log hclog.Logger) interface{} {
		return taskdriver.New(context.Background(), log)
	})
}
