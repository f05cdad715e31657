package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
)

// priorityFlags are hpcbridge server's priority options, under Slurm's
// slurm.conf names (docs/fairshare.md).
func priorityFlags() []cli.Flag {
	d := fairshare.DefaultConfig()
	return []cli.Flag{
		&cli.StringFlag{Name: "priority-type", Value: d.Type, Usage: "Slurm's PriorityType: priority/multifactor (age and reciprocal fair share) or priority/basic (submit order and nice)"},
		&cli.StringFlag{Name: "priority-decay-half-life", Value: "7-0", Usage: "Slurm's PriorityDecayHalfLife, in Slurm's time syntax (days-hours[:min[:sec]], minutes, or 0 for no decay): usage and donated GPU-seconds lose half their weight each half-life"},
		&cli.StringFlag{Name: "priority-max-age", Value: "7-0", Usage: "Slurm's PriorityMaxAge: a job pending this long has the full age factor"},
		&cli.DurationFlag{Name: "priority-calc-period", Value: d.CalcPeriod, Usage: "Slurm's PriorityCalcPeriod: how often shares and usage are computed"},
		&cli.UintFlag{Name: "priority-weight-age", Value: uint(d.Weights.Age), Usage: "Slurm's PriorityWeightAge"},
		&cli.UintFlag{Name: "priority-weight-fairshare", Value: uint(d.Weights.FairShare), Usage: "Slurm's PriorityWeightFairshare"},
		&cli.UintFlag{Name: "priority-weight-partition", Value: uint(d.Weights.Partition), Usage: "Slurm's PriorityWeightPartition (every partition's factor is 1)"},
		&cli.StringFlag{Name: "priority-billing-weights", Value: fairshare.DefaultBillingWeights, Usage: "Slurm's TRESBillingWeights: the usage a second of one allocated CPU and GPU costs"},
		&cli.Float64Flag{Name: "priority-share-gpu-hours", Value: d.ShareGPUHours, Usage: "donated GPU-hours (credited, decayed) that add one share to the accounts affiliated with the donor"},
	}
}

// priorityConfigOf reads the priority flags.
func priorityConfigOf(c *cli.Context) (*fairshare.Config, error) {
	cfg := fairshare.DefaultConfig()
	cfg.Type = c.String("priority-type")
	var err error
	if cfg.HalfLife, err = fairshare.ParseTime(c.String("priority-decay-half-life")); err != nil {
		return nil, fmt.Errorf("--priority-decay-half-life: %w", err)
	}
	if cfg.MaxAge, err = fairshare.ParseTime(c.String("priority-max-age")); err != nil {
		return nil, fmt.Errorf("--priority-max-age: %w", err)
	}
	cfg.CalcPeriod = c.Duration("priority-calc-period")
	for name, w := range map[string]*uint32{"age": &cfg.Weights.Age, "fairshare": &cfg.Weights.FairShare, "partition": &cfg.Weights.Partition} {
		v := c.Uint("priority-weight-" + name)
		if v > fairshare.MaxWeight {
			return nil, fmt.Errorf("--priority-weight-%s %d: at most %d", name, v, fairshare.MaxWeight)
		}
		*w = uint32(v)
	}
	if cfg.BillingCPU, cfg.BillingGPU, err = fairshare.ParseBillingWeights(c.String("priority-billing-weights")); err != nil {
		return nil, fmt.Errorf("--priority-billing-weights: %w", err)
	}
	cfg.ShareGPUHours = c.Float64("priority-share-gpu-hours")
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	return &cfg, nil
}
