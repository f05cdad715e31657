#!/bin/bash
env -0 > $SLURM_JOB_NAME-$SLURM_JOB_ID.env
echo "FOO=${FOO-unset} BAR=${BAR-unset}"
