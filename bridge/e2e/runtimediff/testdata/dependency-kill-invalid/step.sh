#!/bin/sh
echo "$1 ran (dependency: ${SLURM_JOB_DEPENDENCY-none})"
exit $2
