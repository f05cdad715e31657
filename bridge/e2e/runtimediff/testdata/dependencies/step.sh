#!/bin/sh
echo "$1 ran after: ${SLURM_JOB_DEPENDENCY-none}"
echo "$1" >> order.log
exit $2
