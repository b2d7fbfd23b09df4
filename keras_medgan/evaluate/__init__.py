"""Evaluation of synthetic images: SWD, FID/KID, MS-SSIM, PSNR/SSIM, C2ST, memorization,
t-SNE and mean D(G(z)).

Every metric is a pure function on numpy arrays (images float32 ``[N, H, W, 1]`` in
[-1, 1], features ``[N, D]``) in its own module (``swd``, ``fid``, ``ssim``, ``c2st``,
``memorization``, ``training_log``); ``METRICS`` (``metrics.py``) names them for the CLI
(``python -m keras_medgan.evaluate``). Keras is imported only inside the functions that
train a network, so ``import keras_medgan.evaluate`` stays light. Functions named like their
module (``swd.swd``, ``ssim.ssim``, ``c2st.c2st``) are not re-exported here, so the module
names stay importable.
"""

from keras_medgan.evaluate.c2st import keep_most_realistic
from keras_medgan.evaluate.fid import (
    fid_from_features,
    frechet_distance,
    kid_from_features,
)
from keras_medgan.evaluate.memorization import memorization_audit
from keras_medgan.evaluate.metrics import METRICS
from keras_medgan.evaluate.ssim import ms_ssim, psnr

__all__ = [
    "METRICS",
    "fid_from_features",
    "frechet_distance",
    "keep_most_realistic",
    "kid_from_features",
    "memorization_audit",
    "ms_ssim",
    "psnr",
]
