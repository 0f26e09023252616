#!/bin/sh
# Starts the project's TypeScript kernel (jupyter/kernel.ts). The environment is set here, before Node
# starts, because the dynamic loader reads LD_LIBRARY_PATH only at process start (CUDA 11 / cuDNN 8 for
# tfjs-node-gpu on machines whose system CUDA is 12+).
#
# CUDA 11 runtime libraries as pip wheels, installed into <repo>/.cuda11 (run in the repo root):
#   /usr/bin/python3 -m pip install --target .cuda11 nvidia-cuda-runtime-cu11==11.7.99 \
#     nvidia-cudnn-cu11==8.5.0.96 nvidia-cublas-cu11==11.10.3.66 nvidia-cufft-cu11==10.9.0.58 \
#     nvidia-curand-cu11==10.2.10.91 nvidia-cusolver-cu11==11.4.0.1 nvidia-cusparse-cu11==11.7.4.91
# (cuDNN pinned to 8.x: newer nvidia-cudnn-cu11 wheels ship cuDNN 9, which TF 2.9 cannot load.)
# Folders in LAB_CUDA11_LIBS (colon-separated) come first, then .cuda11/nvidia/*/lib.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
export TF_FORCE_GPU_ALLOW_GROWTH="${TF_FORCE_GPU_ALLOW_GROWTH:-true}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
# libuv's thread pool runs the JPEG decodes (and sharp's) of the DataLoader. It has 4 threads unless
# UV_THREADPOOL_SIZE is set before Node starts, which would leave most cores of a cloud GPU instance
# idle while the GPU waits for batches: one thread per core, at least libuv's 4.
cores=$(nproc 2>/dev/null || echo 4)
if [ "$cores" -lt 4 ] 2>/dev/null; then cores=4; fi
export UV_THREADPOOL_SIZE="${UV_THREADPOOL_SIZE:-$cores}"
cuda_libs="${LAB_CUDA11_LIBS:-}"
for dir in "$repo"/.cuda11/nvidia/*/lib; do
  if [ -d "$dir" ]; then cuda_libs="${cuda_libs:+$cuda_libs:}$dir"; fi
done
if [ -n "$cuda_libs" ]; then export LD_LIBRARY_PATH="$cuda_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
# tslab's TypeScript root is the working directory: run from the repo root so cells import "./kernel-lib".
cd "$repo"
exec node --require ts-node/register/transpile-only "$repo/jupyter/kernel.ts" "$1"
