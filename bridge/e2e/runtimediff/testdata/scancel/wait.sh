#!/bin/bash
trap 'echo "got TERM"; exit 143' TERM
touch running.ready
echo "waiting"
sleep 300 &
wait
