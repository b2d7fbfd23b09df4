import numpy as np
import pytest

from keras_medgan.evaluate import c2st as c2st_mod
from tests.evaluate.conftest import blob_images


def test_same_distribution_is_near_chance():
    real, fake = blob_images(24, 8, seed=1), blob_images(24, 8, seed=2)
    r = c2st_mod.c2st(real, fake, folds=2, epochs=10, batch_size=8, seed=0)
    assert r["n_per_set"] == 24 and r["folds"] == 2
    assert 0.3 <= r["accuracy"] <= 0.7
    assert r["p_value"] > 0.05
    assert r["ci_low"] <= r["accuracy"] <= r["ci_high"]
    assert "indistinguishable" in r["interpretation"]


def test_separable_sets_are_told_apart():
    real, fake = blob_images(24, 8, seed=1), blob_images(24, 8, seed=2, sign=-1.0)
    r = c2st_mod.c2st(real, fake, folds=2, epochs=10, batch_size=8, seed=0)
    assert r["accuracy"] >= 0.95
    assert r["p_value"] < 1e-6


def test_keep_most_realistic_ranks_realistic_fakes_first():
    real = blob_images(24, 8, seed=1)
    good, bad = blob_images(8, 8, seed=3), blob_images(8, 8, seed=4, sign=-1.0)
    fake = np.concatenate([bad[:4], good, bad[4:]])  # good fakes at indices 4..11
    keep = c2st_mod.keep_most_realistic(fake, real, 0.5, seed=0, folds=2, epochs=10)
    assert keep.dtype == np.int64 and len(keep) == 8
    assert set(keep.tolist()) == set(range(4, 12))


def test_keep_most_realistic_rejects_a_bad_fraction():
    x = blob_images(4, 8)
    with pytest.raises(ValueError, match="fraction"):
        c2st_mod.keep_most_realistic(x, x, 0.0)
