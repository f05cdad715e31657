#!/bin/bash
# chdir subdir, ./ output, absolute error, RB: flags, typed gpu lists, now+1hour, mem=0, stepped array, dependency
#SBATCH -D
#SBATCH sub
#SBATCH -o
#SBATCH ./x/%j.out
#SBATCH -e
#SBATCH /abs/err
#SBATCH --signal=RB:TERM@5
#SBATCH --gpus=a100:1,v100:2
#SBATCH --gpus-per-task=v100:1
#SBATCH --begin=now+1hour
#SBATCH --mem=0
#SBATCH --array=1-1000:2
#SBATCH --dependency=afterok:123:456,singleton
echo hi
