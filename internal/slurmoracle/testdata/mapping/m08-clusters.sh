#!/bin/bash
# rejected: --clusters needs slurmdbd (an oracle artifact)
#SBATCH -J
#SBATCH before
#SBATCH --clusters=elsewhere
echo hi
