package taskdriver

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/checkpoint"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/srun"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/stepd"
)

// Dispatch runs the personality of the plugin binary that args (os.Args)
// select, if any, and returns its exit status with handled set:
//
//	BINARY stepd CONFIG        the batch-step shim, started by the executor
//	srun [OPTIONS] CMD ...     srun inside a job (argv[0] is "srun")
//	hpcbridge-exec MODE ...    the exec trampoline (argv[0])
//	hpcbridge checkpoint ...   hpcbridge checkpoint inside a job (argv[0])
//	hpcbridge-checkpoint-files the checkpoint file helper (argv[0], as the job's user)
//
// Nomad's executor personality (BINARY executor JSON) is handled before
// main by the executor package's init. When handled is false the caller
// serves the plugin. A test binary calls Dispatch from TestMain so that it
// can play every part.
func Dispatch(args []string) (code int, handled bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch filepath.Base(args[0]) {
	case srun.Name:
		srun.Version = Version
		return srun.Main(args[1:]), true
	case proc.ExecName:
		return proc.ExecMain(args[1:]), true
	case checkpoint.JobName:
		return checkpoint.JobMain(args), true
	case checkpoint.HelperName:
		if err := proc.DropHelper(); err != nil { // a sandbox's: started as root
			fmt.Fprintf(os.Stderr, "%s: %v\n", checkpoint.HelperName, err)
			return 1, true
		}
		return checkpoint.HelperMain(os.Stdin, os.Stdout), true
	}
	if len(args) > 1 && args[1] == stepd.Arg {
		return stepd.Main(args[2:]), true
	}
	return 0, false
}
