#!/bin/bash
# step1-prepare.sh: pipeline step 1 of 3, prepare the input data.
#
# Shows: the first job of a dependency chain (see run-pipeline, which
# submits the three steps with --dependency=afterok). Writes the numbers
# 1..N, one per line.
#
# Output: prepare-<jobid>.out ("prepared N numbers in <dir>") and the data
# file ${PIPELINE_DIR:-$SLURM_SUBMIT_DIR/pipeline-data}/input.txt.
#
#SBATCH --job-name=prepare
#SBATCH --ntasks=1
#SBATCH --time=00:02:00
#SBATCH --output=prepare-%j.out

set -euo pipefail
n=${1:-100}
dir=${PIPELINE_DIR:-${SLURM_SUBMIT_DIR:-$PWD}/pipeline-data}
mkdir -p "$dir"
seq 1 "$n" >"$dir/input.txt.tmp"
mv -f "$dir/input.txt.tmp" "$dir/input.txt"
echo "prepared $n numbers in $dir"
