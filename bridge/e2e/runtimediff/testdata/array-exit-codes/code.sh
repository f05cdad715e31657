#!/bin/bash
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT"
exit $((SLURM_ARRAY_TASK_ID % 2))
