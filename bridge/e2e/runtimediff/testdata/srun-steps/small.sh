#!/bin/bash
srun -n 2 true
echo "srun -n 2 in a one-task job: $?"
