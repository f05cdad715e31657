#!/bin/bash
# step2-compute.sh: pipeline step 2 of 3, compute statistics.
#
# Shows: a job that runs only after step 1 succeeded (afterok) and fails
# loudly when its input is missing, so step 3 never runs on bad data.
# Computes the count, sum and sum of squares of the numbers with python3.
#
# Output: compute-<jobid>.out ("computed: count=.. sum=.. sumsq=..") and
# ${PIPELINE_DIR:-$SLURM_SUBMIT_DIR/pipeline-data}/stats.txt.
#
#SBATCH --job-name=compute
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --time=00:05:00
#SBATCH --output=compute-%j.out

set -euo pipefail
dir=${PIPELINE_DIR:-${SLURM_SUBMIT_DIR:-$PWD}/pipeline-data}
if [[ ! -s $dir/input.txt ]]; then
	echo "no input: $dir/input.txt is missing (did step 1 run?)" >&2
	exit 1
fi
python3 - "$dir/input.txt" "$dir/stats.txt" <<'PY'
import sys

with open(sys.argv[1]) as f:
    xs = [int(line) for line in f if line.strip()]
line = f"count={len(xs)} sum={sum(xs)} sumsq={sum(x * x for x in xs)}"
with open(sys.argv[2], "w") as f:
    f.write(line + "\n")
print("computed:", line)
PY
