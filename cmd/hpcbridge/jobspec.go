package main

import (
	"time"

	"github.com/urfave/cli/v2"
)

func jobspecCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:            "jobspec",
		Usage:           "parse an sbatch script and print its job spec as JSON",
		ArgsUsage:       "[sbatch options...] SCRIPT [script args...]",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			code := runJobspec(jobspecOptions{args: c.Args().Slice(), now: time.Now()}, s)
			if code != exitOK {
				return &exitError{code: code}
			}
			return nil
		},
	}
}
