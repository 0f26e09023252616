#!/bin/sh
# Starts tslab for this project. Environment is set here, before Node starts, because the dynamic
# loader reads LD_LIBRARY_PATH only at process start (CUDA 11 / cuDNN 8 for tfjs-node-gpu).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
export TF_FORCE_GPU_ALLOW_GROWTH="${TF_FORCE_GPU_ALLOW_GROWTH:-true}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
cuda_libs="${LAB_CUDA11_LIBS:-}"
for dir in "$repo"/.cuda11/nvidia/*/lib; do
  [ -d "$dir" ] && cuda_libs="${cuda_libs:+$cuda_libs:}$dir"
done
[ -n "$cuda_libs" ] && export LD_LIBRARY_PATH="$cuda_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# tslab's TypeScript root is the working directory: run from the repo root so cells import "./kernel-lib".
cd "$repo"
exec node --require ts-node/register/transpile-only "$repo/node_modules/tslab/bin/tslab" kernel --config-path "$1"
