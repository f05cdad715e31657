#!/bin/bash
srun -n 2 bash -c 'echo "task $SLURM_PROCID of $SLURM_NTASKS step $SLURM_STEP_ID"' | sort
srun -n 1 false
echo "false step: $?"
srun -n 2 bash -c 'exit $((SLURM_PROCID + 3))'
echo "failing tasks step: $?"
