#!/bin/bash
env -0 > batch-$SLURM_JOB_ID.env
