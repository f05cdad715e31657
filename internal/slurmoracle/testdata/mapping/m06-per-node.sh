#!/bin/bash
# ntasks-per-node, typed gpus-per-node list, exclusive=user, now+2minutes, days time
#SBATCH -N
#SBATCH 3
#SBATCH --ntasks-per-node=2
#SBATCH --gpus-per-node=a100:1,v100:1
#SBATCH -c
#SBATCH 3
#SBATCH --exclusive=user
#SBATCH -o
#SBATCH o.txt
#SBATCH --begin=now+2minutes
#SBATCH -t
#SBATCH 5-
echo hi
