import itertools

import numpy as np
import pytest

from keras_medgan.evaluate import swd as swd_mod
from tests.evaluate.conftest import blob_images


def test_identical_sets_give_exactly_zero():
    x = blob_images(24, size=32)
    r = swd_mod.swd(x, x, seed=3)
    assert r["resolutions"] == [32, 16]
    assert r["mean"] == 0.0
    assert r["levels"] == {32: 0.0, 16: 0.0}


def test_rises_monotonically_with_added_noise():
    x = blob_images(16, size=32, seed=1)
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(x.shape).astype(np.float32)
    values = [swd_mod.swd(x, x + s * noise, seed=0)["mean"] for s in (0.0, 0.05, 0.1, 0.2, 0.4)]
    assert values[0] == 0.0
    assert all(b > a for a, b in itertools.pairwise(values)), values


def test_two_samples_of_one_distribution_are_closer_than_different_ones():
    a, b = blob_images(32, 32, seed=1), blob_images(32, 32, seed=2)
    c = blob_images(32, 32, seed=3, sign=-1.0)
    assert swd_mod.swd(a, b)["mean"] < swd_mod.swd(a, c)["mean"]


def test_pyramid_levels_follow_the_paper_down_to_16():
    assert swd_mod.pyramid_resolutions(128) == [128, 64, 32, 16]
    assert swd_mod.pyramid_resolutions(32) == [32, 16]
    with pytest.raises(ValueError, match="at least 16"):
        swd_mod.pyramid_resolutions(8)


def test_laplacian_pyramid_reconstructs_the_image():
    x = blob_images(2, 32)
    pyr = swd_mod.laplacian_pyramid(x, 3)
    assert [p.shape[1] for p in pyr] == [32, 16, 8]
    rec = pyr[-1]
    for level in reversed(pyr[:-1]):
        rec = swd_mod._pyr_up(rec) + level
    np.testing.assert_allclose(rec, x, atol=1e-5)


def test_sliced_wasserstein_of_shifted_1d_sets_is_the_shift():
    # Projections of a shift by t along a unit vector u have W1 = |t·(u·d)| on average.
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 1)).astype(np.float32)
    d = swd_mod.sliced_wasserstein(a, a + 0.5, rng, dir_repeats=2, dirs_per_repeat=4)
    assert d == pytest.approx(0.5, abs=1e-5)  # in 1-D every unit direction is ±1


def test_unequal_set_sizes_are_compared_by_quantiles():
    x = blob_images(40, 16)
    r = swd_mod.swd(x, x[:20], seed=0)
    assert 0.0 < r["mean"] < swd_mod.swd(x, blob_images(40, 16, sign=-1.0))["mean"]
