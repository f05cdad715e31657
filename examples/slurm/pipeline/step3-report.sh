#!/bin/bash
# step3-report.sh: pipeline step 3 of 3, write the report.
#
# Shows: the last job of the chain (afterok on step 2); it reads what
# step 2 wrote and prints the dependency it was submitted with
# (SLURM_JOB_DEPENDENCY).
#
# Output: report-<jobid>.out with the count, sum, sum of squares and mean
# (for the default 100 numbers: sum 5050, mean 50.50), also written to
# ${PIPELINE_DIR:-$SLURM_SUBMIT_DIR/pipeline-data}/report.txt.
#
#SBATCH --job-name=report
#SBATCH --ntasks=1
#SBATCH --time=00:02:00
#SBATCH --output=report-%j.out

set -euo pipefail
dir=${PIPELINE_DIR:-${SLURM_SUBMIT_DIR:-$PWD}/pipeline-data}
read -r -a fields <"$dir/stats.txt" # count=.. sum=.. sumsq=..
declare -A stat
for kv in "${fields[@]}"; do
	stat[${kv%%=*}]=${kv#*=}
done
count=${stat[count]} sum=${stat[sum]}
{
	echo "pipeline report (job ${SLURM_JOB_ID:-local}, dependency ${SLURM_JOB_DEPENDENCY:-none})"
	echo "input:  $dir/input.txt"
	echo "count:  $count"
	echo "sum:    $sum"
	echo "sumsq:  ${stat[sumsq]}"
	printf 'mean:   %d.%02d\n' $((sum / count)) $(((sum * 100 / count) % 100))
} | tee "$dir/report.txt"
