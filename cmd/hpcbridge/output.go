package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
)

func outputCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "output",
		Usage:     "print a job's output (its slurm-%j.out), from anywhere, also after Nomad has collected it",
		ArgsUsage: "JOBID[_INDEX]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing while the job runs"},
			&cli.BoolFlag{Name: "stderr", Usage: "print the error stream instead (the same as stdout unless the job has -e)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return &exitError{code: exitUsage, err: errors.New("output: want one job id, as JOBID or JOBID_INDEX")}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitRejected, err: err}
			}
			stream := "stdout"
			if c.Bool("stderr") {
				stream = "stderr"
			}
			if err := client.Output(c.Context, c.Args().First(), stream, c.Bool("follow"), s.out); err != nil {
				return &exitError{code: exitRejected, err: fmt.Errorf("output: %w", err)}
			}
			return nil
		},
	}
}
