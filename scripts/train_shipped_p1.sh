#!/usr/bin/env bash
# Trains the candidate P1 generators for models_h5/ (issue #11) on the Kaggle head CT set,
# split seed 0, training split only. Safe to rerun: a finished run is skipped, a killed one
# resumes from its last checkpoint.
#
#   KERAS_MEDGAN_DATA=/path/to/data bash scripts/train_shipped_p1.sh [OUT]
#
# Each candidate trains in OUT/<candidate>/ (default runs/shipped), in fp32 whatever the CPU
# (auto would pick bf16 on an AVX512_BF16/AMX machine; the shipped generators are fp32,
# docs/train.md's precision study). Then `python scripts/ship_generators.py` evaluates them
# and writes models_h5/.
set -euo pipefail
OUT=${1:-runs/shipped}
BCE_GP_EPOCHS=${BCE_GP_EPOCHS:-200}  # the defaults are the shipped candidates' epochs
COND_EPOCHS=${COND_EPOCHS:-100}
WGAN_GP_EPOCHS=${WGAN_GP_EPOCHS:-200}

train() {
    local name=$1
    shift
    local dir
    dir=$(find "$OUT/$name" -mindepth 1 -maxdepth 1 -type d -name '0*' 2>/dev/null | sort | head -1 || true)
    if [ -n "$dir" ]; then
        python -m keras_medgan.train --resume "$dir"
    else
        python -m keras_medgan.train --out "$OUT/$name" --precision fp32 "$@"
    fi
}

# P1 as written (BCE + gradient penalty + label inversion + label noise), per class
train p1_bce_gp --config experiments/p1_dcgan32_head_ct.yaml --epochs "$BCE_GP_EPOCHS"
# One conditional generator (both classes in one file), same recipe
train p1_cond_bce_gp --config experiments/p1_dcgan32_head_ct.yaml --conditional \
    --epochs "$COND_EPOCHS"
# P1's pair with WGAN-GP (our earlier measured fix for the BCE collapse), per class;
# 5 critic updates per generator update, so each epoch costs more than BCE+GP
if [ "${WITH_WGAN_GP:-1}" = 1 ]; then
    train p1_wgan_gp --config experiments/p1_dcgan32_head_ct_wgangp.yaml --epochs "$WGAN_GP_EPOCHS"
fi
