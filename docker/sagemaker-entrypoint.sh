#!/bin/sh
# The images' entry point in their `sagemaker` build target. SageMaker starts a container as
# `docker run IMAGE train` (training job) or `docker run IMAGE serve` (endpoint: port 8080,
# GET /ping, POST /invocations); anything else runs as given (`docker run IMAGE rlvr --help`).
set -e
case "${1:-}" in
  train) shift; exec rlvr sagemaker container-train "$@" ;;
  serve) shift; exec rlvr serve --host 0.0.0.0 --port 8080 "$@" ;;
  *) exec "$@" ;;
esac
