#!/bin/bash
echo "stdin:"
cat
echo "end"
