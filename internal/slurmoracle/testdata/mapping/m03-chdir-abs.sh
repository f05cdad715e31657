#!/bin/bash
# absolute chdir with trailing slash, outputs under it, seconds-only time, now+60, throttled stepped array
#SBATCH --mem=100M
#SBATCH --time=0:30
#SBATCH --begin=now+60
#SBATCH --array=0-15:4%3
#SBATCH -D
#SBATCH /nonexistent/jobdir/
#SBATCH -o
#SBATCH /nonexistent/jobdir/o.out
#SBATCH -e
#SBATCH /nonexistent/jobdir/x/e.err
echo hi
