#!/bin/sh
echo "$1 ran after: ${SLURM_JOB_DEPENDENCY-none}"
# The chain's order is fixed; jobs that become eligible together (d, e)
# run in no fixed order, so they do not log.
[ "$3" = nolog ] || echo "$1" >> order.log
exit $2
