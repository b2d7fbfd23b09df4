"""Each arm gets the right images, counts and labels."""

import numpy as np
import pytest

from keras_medgan.compare.arms import ARMS, build_training_set, synthetic_needed
from keras_medgan.compare.errors import BenchmarkError


def _real():
    # 6 normal (value 0.0 + i/100), 4 hemorrhage: values tag each image's origin.
    labels = np.array([0] * 6 + [1] * 4)
    images = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1) / 100
    return images, labels


def _pool(n_per_class=12):
    labels = np.repeat([0, 1], n_per_class)
    images = (10 + np.arange(2 * n_per_class, dtype=np.float32)).reshape(-1, 1, 1, 1)
    return images, labels


def _build(arm, ratio=1.0, pool=None):
    return build_training_set(
        arm,
        *_real(),
        *(pool or _pool()),
        num_classes=2,
        class_names=["normal", "hemorrhage"],
        synthetic_ratio=ratio,
        seed=3,
    )


def test_registry_has_the_five_arms():
    assert ARMS.names() == sorted(
        ["real", "synthetic", "real+synthetic", "classical", "classical+synthetic"]
    )


def test_real_arm_is_exactly_the_real_set():
    ts = _build("real")
    assert (ts.n_real, ts.n_synthetic, ts.augment) == (10, 0, False)
    assert ts.class_counts(2) == [6, 4]
    assert sorted(ts.images.ravel().tolist()) == sorted(_real()[0].ravel().tolist())


def test_synthetic_arm_matches_real_counts_per_class_and_keeps_labels():
    ts = _build("synthetic")
    assert (ts.n_real, ts.n_synthetic) == (0, 10)
    assert ts.class_counts(2) == [6, 4]
    assert (ts.images >= 10).all()  # no real image slipped in
    # pool images 10..21 are class 0, 22..33 class 1: every label agrees with its image
    assert np.array_equal(ts.labels, (ts.images.ravel() >= 22).astype(int))


def test_real_plus_synthetic_one_to_one_and_ratio_two():
    ts = _build("real+synthetic")
    assert (ts.n_real, ts.n_synthetic, ts.augment) == (10, 10, False)
    assert ts.class_counts(2) == [12, 8]
    ts2 = _build("real+synthetic", ratio=2.0)
    assert ts2.n_synthetic == 20 and ts2.class_counts(2) == [18, 12]


def test_classical_arms_only_switch_augmentation_on():
    assert _build("classical").augment and _build("classical").n_synthetic == 0
    cs = _build("classical+synthetic")
    assert cs.augment and (cs.n_real, cs.n_synthetic) == (10, 10)


def test_shuffle_is_deterministic_and_mixes_sources():
    a, b = _build("real+synthetic"), _build("real+synthetic")
    assert np.array_equal(a.images, b.images)
    assert not np.array_equal(a.labels, np.sort(a.labels))


def test_too_small_pool_names_the_class():
    with pytest.raises(BenchmarkError, match="'normal'.*needs 12"):
        _build("real+synthetic", ratio=2.0, pool=_pool(8))


def test_synthetic_arm_without_pool_is_an_error():
    with pytest.raises(BenchmarkError, match="--generators"):
        build_training_set("synthetic", *_real(), num_classes=2)


def test_synthetic_needed_covers_every_arm():
    assert synthetic_needed(["real", "classical"], [6, 4]) == 0
    assert synthetic_needed(["synthetic"], [6, 4]) == 6
    assert synthetic_needed(["synthetic", "real+synthetic"], [6, 4], 2.0) == 12
