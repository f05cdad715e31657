package main

import (
	"fmt"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

// runSbatch is the sbatch personality. Submitting needs the coordinator; this
// release parses (--parse-only) and explains what it would submit.
func runSbatch(args []string, s streams) int {
	opts, script, scriptArgs := jobspec.SplitCommandLine(args)
	var rest []string
	parseOnly := false
	for _, a := range opts {
		if a == "--parse-only" {
			parseOnly = true
			continue
		}
		rest = append(rest, a)
	}
	if parseOnly {
		if script != "" {
			rest = append(append(rest, "--", script), scriptArgs...)
		}
		return runJobspec(jobspecOptions{args: rest, now: time.Now()}, s)
	}
	fmt.Fprintln(s.err, "sbatch: error: submitting needs the hpcbridge coordinator, which this build does not have yet; use sbatch --parse-only to check a script")
	return exitRejected
}
