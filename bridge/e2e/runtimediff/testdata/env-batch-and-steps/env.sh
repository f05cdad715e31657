#!/bin/bash
env -0 > batch.env
srun -n 2 bash -c 'env -0 > step-$SLURM_PROCID.env'
