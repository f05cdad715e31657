#!/bin/bash
echo "name: [${SLURM_JOB_NAME-unset}] script: ${0##*/}"
