package main

import (
	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/checkpoint"
)

// checkpointCommand is `hpcbridge checkpoint [PATH...]`, run inside a
// batch job: it asks the node's driver to commit the job's checkpoint
// (package checkpoint; the same code is on the job's PATH as hpcbridge).
func checkpointCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:            "checkpoint",
		Usage:           "inside a batch job: commit the job's checkpoint off the node (returns once it is committed)",
		ArgsUsage:       "[PATH...]",
		Description:     checkpoint.Usage,
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			if code := checkpoint.Main(c.Args().Slice(), s.out, s.err, s.env); code != checkpoint.ExitOK {
				return &exitError{code: code}
			}
			return nil
		},
	}
}
