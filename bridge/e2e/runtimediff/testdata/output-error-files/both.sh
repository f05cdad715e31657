#!/bin/bash
echo "to stdout from $SLURM_JOB_NAME"
echo "to stderr" >&2
