#!/usr/bin/env python3
# python-job.py: a batch job written in Python.
#
# Shows: a Python shebang; Slurm reads #SBATCH lines from any script whose
# first line is #!, as long as they come before the first line of code.
# Uses SLURM_CPUS_PER_TASK worker processes to estimate pi by Monte Carlo
# with fixed seeds, so the result is the same on every run.
#
# Output: py-stats-<jobid>.out with the job id, the worker count, the
# samples drawn and "pi ~ 3.14...".
#
#   sbatch python-job.py [SAMPLES]      # default 400000
#
#SBATCH --job-name=py-stats
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=00:05:00
#SBATCH --output=%x-%j.out

import multiprocessing
import os
import platform
import random
import sys


def hits(seed_and_n):
    """Count random points of the unit square inside the quarter circle."""
    seed, n = seed_and_n
    rng = random.Random(seed)
    return sum(1 for _ in range(n) if rng.random() ** 2 + rng.random() ** 2 <= 1.0)


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 400000
    workers = int(os.environ.get("SLURM_CPUS_PER_TASK", "1"))
    print(f"job {os.environ.get('SLURM_JOB_ID', 'local')} on {platform.node()}")
    print(f"workers: {workers}")
    chunks = 8
    work = [(seed, samples // chunks) for seed in range(chunks)]
    try:
        with multiprocessing.Pool(workers) as pool:
            inside = sum(pool.map(hits, work))
    except OSError as err:  # e.g. no /dev/shm for the pool's semaphores
        print(f"no process pool ({err}): computing in one process")
        inside = sum(map(hits, work))
    drawn = sum(n for _, n in work)
    print(f"samples: {drawn}")
    print(f"pi ~ {4 * inside / drawn:.4f}")


if __name__ == "__main__":
    main()
