#!/bin/bash
trap 'echo "batch shell got USR1"; done=1' USR1
trap 'echo "batch shell got USR2"; done=1' USR2
if [ "$1" = steps ]; then
  srun bash -c 'trap "echo step got USR2; exit 0" USR2; touch steps.ready; while :; do sleep 0.1; done'
  echo "step ended: $?"
  exit 0
fi
touch $1.ready
done=0
for i in $(seq 600); do
  [ $done = 1 ] && break
  sleep 0.1
done
echo "done=$done"
