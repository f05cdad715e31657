#!/bin/bash
# absolute begin date, SIG-prefixed signal with seconds, gres list with count
#SBATCH --begin=2030-01-02T03:04:05
#SBATCH --signal=SIGUSR1@90
#SBATCH --gres=gpu:2
#SBATCH --partition=debug
#SBATCH -A
#SBATCH acct
#SBATCH -q
#SBATCH normal
echo hi
