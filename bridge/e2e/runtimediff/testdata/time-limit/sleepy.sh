#!/bin/bash
echo "started"
sleep 600
echo "never printed"
