#!/bin/bash
echo "run ${SLURM_RESTART_COUNT-none}"
if [ -z "$SLURM_RESTART_COUNT" ]; then
  touch $1.ready
  sleep 300
fi
echo "done"
