// Command hpcbridge is the single hpcbridge binary. Invoked through a link
// named sbatch, squeue, scancel, sacct, sinfo or scontrol it behaves as that
// Slurm command; otherwise it takes subcommands (see "hpcbridge help").
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}
