#!/usr/bin/env bash
# How the first bundled models were trained (ase_dm2's own trainer, one CPU core each, no GPU available); the bundled
# CuZr and AET-nanoparticle models still are these. The bundled a-SiO2 model is now the chain's, at DM2's network size:
# python models/train_gpu.py a-SiO2 ... (its state in models/state/), bundled with --run the chain run's folder.
# Usage: bash models/train.sh a-SiO2|CuZr|AET-nanoparticle [--resume]   (from the repository root; ../shared/data beside it)
# Then: python models/bundle.py NAME   copies runs/NAME/model.safetensors into ase_dm2/models/NAME.safetensors.
set -euo pipefail
DATA=${ASE_DM2_SHARED_DATA:-../shared/data}
COMMON=(--lr 1e-3 --final-lr 1e-5 --ema-decay 0.999 --validation-interval 500
        --checkpoint-interval 250 --hidden-scalars 32 --hidden-vectors 16)
case "${1:?name: a-SiO2, CuZr or AET-nanoparticle}" in
  a-SiO2)  # the first bundled a-SiO2 model (replaced 2026-12-06): conditional on cooling rate, the 20 reference
           # glasses (0.1-100 K/ps), 2 held out for validation (the chain holds out the same two).
           # Run as 14,000 steps, then resumed at step 5,000 with --steps 10000 to finish sooner.
    ase-dm2 --threads 1 train "$DATA"/a-SiO2/*.dat --rate-from-filename -o runs/a-SiO2 --steps 10000 --batch-size 1 \
        "${COMMON[@]}" "${@:2}" ;;
  CuZr)    # unconditional, Cu50Zr50 melt-quenched here (data/cuzr/make_glasses.py); sample 4 held out
    ase-dm2 --threads 1 train data/cuzr/cuzr_2000_10k_sample{1,2,3}.extxyz \
        --validation data/cuzr/cuzr_2000_10k_sample4.extxyz --unconditional -o runs/CuZr --steps 8000 --batch-size 1 "${COMMON[@]}" "${@:2}" ;;
  AET-nanoparticle)  # unconditional, spherical crops of the experimental particle; loss on deep amorphous atoms.
           # Run as 6,000 steps, then resumed at step 1,000 with --steps 4000 to finish sooner.
    ase-dm2 --threads 1 train "$DATA"/aet-nanoparticle --unconditional --crop-radius 14 --crop-margin 5 \
        -o runs/AET-nanoparticle --steps 4000 --batch-size 4 "${COMMON[@]}" "${@:2}" ;;
  *) echo "unknown model $1" >&2; exit 2 ;;
esac
