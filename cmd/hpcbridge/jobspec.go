package main

import (
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm/sbatch"
	"github.com/urfave/cli/v2"
)

func jobspecCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:            "jobspec",
		Usage:           "parse an sbatch script and print its job spec as JSON",
		ArgsUsage:       "[sbatch options...] SCRIPT [script args...]",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			code := sbatch.RunJobspec(sbatch.JobspecOptions{Args: c.Args().Slice(), Now: time.Now()}, s.slurm())
			if code != exitOK {
				return &exitError{code: code}
			}
			return nil
		},
	}
}
