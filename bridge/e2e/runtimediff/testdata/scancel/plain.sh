#!/bin/bash
touch plain.ready
echo "waiting"
sleep 300
