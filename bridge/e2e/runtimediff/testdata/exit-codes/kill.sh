#!/bin/bash
echo "killing myself with $1"
kill -$1 $$
echo "still here"
