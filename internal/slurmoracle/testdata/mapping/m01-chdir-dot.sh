#!/bin/bash
# relative chdir, relative streams, no-requeue, hold, now, R: signal flag, exclusive=mcs, typed gres without count
#SBATCH -D
#SBATCH .
#SBATCH -o
#SBATCH out.txt
#SBATCH -i
#SBATCH in.txt
#SBATCH --no-requeue
#SBATCH --export=ALL,FOO=bar
#SBATCH --begin=now
#SBATCH --hold
#SBATCH --signal=R:USR2@30
#SBATCH --exclusive=mcs
#SBATCH --gres=gpu:a100
#SBATCH -t
#SBATCH UNLIMITED
#SBATCH -N
#SBATCH 2
echo hi
