#!/bin/bash
echo "pwd: $(pwd)"
echo "submit dir: $SLURM_SUBMIT_DIR"
echo "here" > written-here.txt
