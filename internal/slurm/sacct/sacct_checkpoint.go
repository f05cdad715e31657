package sacct

import (
	"strconv"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Checkpoints in sacct: hpcbridge's own fields (docs/slurm-commands.md),
// on the job's lines (a step's are empty), all runs of the job together:
//
//   - Checkpoints: how many checkpoints the job committed;
//   - LastCheckpoint: when the last was committed (None before the first);
//   - CheckpointSize: the last checkpoint's size in bytes (what a requeued
//     run restores);
//   - CreditGPUSeconds, CreditCPUSeconds: the work its receipts were
//     credited, after the clamp to what the Nomad servers observed (work
//     after the last checkpoint of a run that never finished is not in it);
//   - Reward: the tokens that credit earned its donors' wallets, at the
//     reward rates in force when each receipt was credited (docs/rewards.md),
//     with 18 decimals, trailing zeros trimmed (0 for work on nodes of no
//     donor with a wallet).
var checkpointFields = []sacctFieldDef{
	{"Checkpoints", 11}, {"LastCheckpoint", 19}, {"CheckpointSize", 14},
	{"CreditGPUSeconds", 16}, {"CreditCPUSeconds", 16}, {"Reward", 12},
}

// isCheckpointField reports whether field is one of checkpointFields.
func isCheckpointField(field string) bool {
	for _, f := range checkpointFields {
		if f.name == field {
			return true
		}
	}
	return false
}

// checkpointValue is one of checkpointFields of job j.
func checkpointValue(j *state.Job, field string, stamp func(time.Time) string) string {
	cp := j.Checkpoints
	if cp == nil {
		cp = &state.Checkpoints{}
	}
	switch field {
	case "Checkpoints":
		return strconv.Itoa(cp.Count)
	case "LastCheckpoint":
		if cp.Count == 0 {
			return "None"
		}
		return stamp(cp.Time)
	case "CheckpointSize":
		return strconv.FormatInt(cp.Size, 10)
	case "CreditGPUSeconds":
		return strconv.FormatInt(cp.GPUSeconds, 10)
	case "CreditCPUSeconds":
		return strconv.FormatInt(cp.CPUSeconds, 10)
	case "Reward":
		return api.FormatTokenString(cp.Reward)
	}
	return ""
}
