#!/bin/bash
echo "task $SLURM_ARRAY_TASK_ID"
[ "$SLURM_ARRAY_TASK_ID" = 2 ] && kill -TERM $$
exit 0
