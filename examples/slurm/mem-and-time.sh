#!/bin/bash
# mem-and-time.sh: resource requests in the forms people actually write.
#
# Shows: --mem=2G (per node, MiB-based units), -t 1-00:00:00 (days-hours:
# minutes:seconds), -c 2 (CPUs per task) and mail notifications
# (--mail-type=END,FAIL with --mail-user). The job prints what it was
# given, then keeps both CPUs busy for a few seconds.
#
# Output: mem-and-time-<jobid>.out with SLURM_MEM_PER_NODE (2048),
# SLURM_CPUS_PER_TASK (2), the CPUs usable (nproc), the job's end time as
# Slurm reports it (when squeue is available) and "busy workers done: 2".
#
#   sbatch mem-and-time.sh
#
#SBATCH --job-name=mem-and-time
#SBATCH --mem=2G
#SBATCH -t 1-00:00:00
#SBATCH -c 2
#SBATCH --mail-type=END,FAIL
#SBATCH --mail-user=scientist@example.org
#SBATCH --output=mem-and-time-%j.out

echo "SLURM_MEM_PER_NODE=${SLURM_MEM_PER_NODE:-unset} (MiB)"
echo "SLURM_CPUS_PER_TASK=${SLURM_CPUS_PER_TASK:-unset}"
echo "usable CPUs: $(nproc)"
if command -v squeue >/dev/null 2>&1 && [[ -n ${SLURM_JOB_ID:-} ]]; then
	echo "time limit / end: $(squeue -h -j "$SLURM_JOB_ID" -o '%l / %e' 2>/dev/null || echo unknown)"
fi

workers=${SLURM_CPUS_PER_TASK:-2}
for ((w = 0; w < workers; w++)); do
	# Spin for ~3 s of CPU time per worker.
	(end=$((SECONDS + 3)); while ((SECONDS < end)); do :; done) &
done
wait
echo "busy workers done: $workers"
