package bridge

import (
	"fmt"
	"strconv"

	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
)

// priorityOf is the scheduler's priority as the configuration gives it
// (fairshare.DefaultConfig when none), checked.
func priorityOf(o Config) (*fairshare.Priorities, error) {
	cfg := fairshare.DefaultConfig()
	if o.Priority != nil {
		cfg = *o.Priority
	}
	if err := cfg.Check(); err != nil {
		return nil, fmt.Errorf("priority: %w", err)
	}
	return fairshare.NewPriorities(cfg), nil
}

// prioritySettings are the priority settings under Slurm's names, for
// scontrol show config.
func prioritySettings(c fairshare.Config) map[string]string {
	out := map[string]string{"PriorityType": c.Type}
	if !c.Enabled() {
		return out
	}
	out["PriorityDecayHalfLife"] = fairshare.FormatTime(c.HalfLife)
	out["PriorityMaxAge"] = fairshare.FormatTime(c.MaxAge)
	out["PriorityCalcPeriod"] = fmt.Sprintf("%.0f min", c.CalcPeriod.Minutes())
	out["PriorityFlags"] = "NO_FAIR_TREE"
	out["PriorityWeightAge"] = strconv.FormatUint(uint64(c.Weights.Age), 10)
	out["PriorityWeightFairShare"] = strconv.FormatUint(uint64(c.Weights.FairShare), 10)
	out["PriorityWeightPartition"] = strconv.FormatUint(uint64(c.Weights.Partition), 10)
	out["PriorityWeightJobSize"] = strconv.FormatUint(uint64(c.Weights.JobSize), 10)
	out["PriorityWeightQOS"] = strconv.FormatUint(uint64(c.Weights.QOS), 10)
	out["PriorityWeightAssoc"] = strconv.FormatUint(uint64(c.Weights.Assoc), 10)
	out["TRESBillingWeights"] = fmt.Sprintf("CPU=%g,GRES/gpu=%g", c.BillingCPU, c.BillingGPU)
	return out
}
