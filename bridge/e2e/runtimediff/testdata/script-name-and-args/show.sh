#!/bin/bash
echo "basename: ${0##*/}"
echo "argc: $#"
for a in "$@"; do echo "arg: [$a]"; done
echo "job name: $SLURM_JOB_NAME"
test -r "$0" && echo "script readable"
