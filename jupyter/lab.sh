#!/bin/sh
# `npm run lab`: the classic Jupyter Notebook on notebooks/ with this repo's kernel (no global install:
# Jupyter finds jupyter/kernels/ts-resnet-lab through an absolute JUPYTER_PATH).
#   LAB_NO_BROWSER=1 npm run lab         # do not open a browser (remote machines, containers)
#   npm run lab -- --port=8899 --ip=0.0.0.0   # further arguments go to `jupyter notebook`
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
export JUPYTER_PATH="$repo/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
set -- --notebook-dir="$repo/notebooks" "$@"
# Jupyter refuses to run as root without this flag (common in containers).
if [ "$(id -u)" = "0" ]; then set -- --allow-root "$@"; fi
case "${LAB_NO_BROWSER:-}" in
  1|true|yes) set -- --no-browser "$@" ;;
esac
exec /usr/bin/python3 -m jupyter notebook "$@"
