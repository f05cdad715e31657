#!/bin/bash
echo "pwd: $(pwd)"
echo "PWD: $PWD"
echo "submit dir: $SLURM_SUBMIT_DIR"
