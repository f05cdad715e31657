#!/bin/bash
trap 'echo "warned: USR1"; exit 0' USR1
echo "started"
sleep 600 &
wait
