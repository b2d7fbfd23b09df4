import numpy as np
import pytest

from keras_medgan.evaluate import memorization as mem
from tests.evaluate.conftest import blob_images


def test_planted_copies_are_flagged_and_others_are_not():
    rng = np.random.default_rng(0)
    train = blob_images(30, 16, seed=1)
    novel = blob_images(10, 16, seed=2)
    copies = train[[3, 17]] + 0.01 * rng.standard_normal((2, 16, 16, 1)).astype(np.float32)
    fake = np.concatenate([novel[:5], copies[:1], novel[5:], copies[1:]])  # copies at 5 and 11
    audit = mem.memorization_audit(fake, train, fake.reshape(12, -1), train.reshape(30, -1))
    assert audit["flagged"] == [5, 11]
    assert audit["pixels"]["nearest_train_index"][5] == 3
    assert audit["pixels"]["nearest_train_index"][11] == 17
    assert audit["features"]["flagged"] == [5, 11]
    pairs = mem.closest_pairs(audit, k=2)
    assert sorted(p[0] for p in pairs) == [5, 11]


def test_ratio_is_relative_to_the_real_to_real_median():
    train = np.array([[0.0], [1.0], [3.0]])  # NN distances: 1, 1, 2 → median 1
    audit = mem.audit_space(np.array([[0.25], [6.0]]), train, threshold=0.5)
    assert audit["real_to_real_median"] == pytest.approx(1.0)
    assert audit["ratio"] == pytest.approx([0.25, 3.0])
    assert audit["flagged"] == [0]
