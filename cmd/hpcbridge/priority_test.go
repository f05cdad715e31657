package main

import (
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
)

// The server's priority flags: Slurm's syntax read, bad values refused
// before the server starts anything.
func TestPriorityFlags(t *testing.T) {
	read := func(args ...string) (*fairshare.Config, error) {
		var got *fairshare.Config
		var err error
		app := &cli.App{Name: "x", Flags: priorityFlags(), Action: func(c *cli.Context) error {
			got, err = priorityConfigOf(c)
			return nil
		}}
		if runErr := app.Run(append([]string{"x"}, args...)); runErr != nil {
			t.Fatal(runErr)
		}
		return got, err
	}
	c, err := read()
	if err != nil || *c != fairshare.DefaultConfig() {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = read("--priority-decay-half-life", "14-0", "--priority-max-age", "1-12", "--priority-weight-age", "5",
		"--priority-weight-fairshare", "100000", "--priority-weight-partition", "7", "--priority-billing-weights", "CPU=0.25,GRES/gpu=8",
		"--priority-share-gpu-hours", "10", "--priority-calc-period", "1m", "--priority-type", "priority/basic")
	if err != nil || c.HalfLife != 14*24*time.Hour || c.MaxAge != 36*time.Hour || c.Weights != (fairshare.Weights{Age: 5, FairShare: 100000, Partition: 7}) ||
		c.BillingCPU != 0.25 || c.BillingGPU != 8 || c.ShareGPUHours != 10 || c.CalcPeriod != time.Minute || c.Type != fairshare.Basic {
		t.Fatalf("read: %+v %v", c, err)
	}
	for _, bad := range [][]string{
		{"--priority-decay-half-life", "x"}, {"--priority-max-age", "0"}, {"--priority-type", "priority/x"},
		{"--priority-weight-fairshare", "99999999"}, {"--priority-billing-weights", "Mem=1"}, {"--priority-share-gpu-hours", "0"},
	} {
		if _, err := read(bad...); err == nil {
			t.Errorf("%v taken", bad)
		}
	}
	code, _, errs := invoke(t, "hpcbridge", []string{"HOME=" + t.TempDir()}, "", "server", "--data-dir", t.TempDir(), "--priority-decay-half-life", "soon")
	if code != exitUsage || !strings.Contains(errs, "--priority-decay-half-life") {
		t.Errorf("server with a bad half-life: %d %s", code, errs)
	}
}
