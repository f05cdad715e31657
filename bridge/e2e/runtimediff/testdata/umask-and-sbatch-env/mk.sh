#!/bin/bash
echo "umask: $(umask)"
echo "name: $SLURM_JOB_NAME"
touch created-$SLURM_JOB_NAME-$SLURM_JOB_ID
mkdir dir-$SLURM_JOB_ID
