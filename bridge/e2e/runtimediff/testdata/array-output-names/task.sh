#!/bin/bash
echo "job $SLURM_JOB_ID array ${SLURM_ARRAY_JOB_ID-none} task ${SLURM_ARRAY_TASK_ID-none}"
echo "count ${SLURM_ARRAY_TASK_COUNT-none} min ${SLURM_ARRAY_TASK_MIN-none} max ${SLURM_ARRAY_TASK_MAX-none} step ${SLURM_ARRAY_TASK_STEP-none}"
echo "name $SLURM_JOB_NAME"
