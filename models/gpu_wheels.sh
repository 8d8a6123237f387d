#!/usr/bin/env bash
# Prepare a GPU training call: download the wheels models/train_gpu.py needs on the GPU machine (Python 3.12, no
# package index; it has torch, e3nn, numpy, scipy, scikit-learn, numba, matplotlib, safetensors, tqdm, lazy_loader
# and threadpoolctl) into .whl/ (6 MB), copy the reference data it trains on into .device-data/ (8 MB; the
# ../shared beside the checkout does not travel), both git-ignored, then print the command to run there:
# training first, then the training-throughput benchmark.
# Usage: bash models/gpu_wheels.sh [NAME] [MINUTES]   (from the repository root; default a-SiO2, 7 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    ase==3.29.0 vesin==0.6.2 vesin-torch==0.6.2 quests==2026.2.22 2> /dev/null
DATA=$(python3 -c "from ase_dm2.paths import shared_data; print(shared_data())")
mkdir -p .device-data
cp -r "$DATA/a-SiO2" "$DATA/aet-nanoparticle" .device-data/
cat <<COMMAND
Device command (carry: [".whl", ".device-data"]):
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
&& export PYTHONPATH=/tmp/site:\$PWD ASE_DM2_SHARED_DATA=\$PWD/.device-data || exit; \
python3 models/train_gpu.py ${1:-a-SiO2} --minutes ${2:-7} --out \$OUT/${1:-a-SiO2} --no-progress; \
(cd benchmarks && timeout 120 python3 training_throughput.py --tf32 --steps 2) > \$OUT/throughput.txt 2>&1
COMMAND
