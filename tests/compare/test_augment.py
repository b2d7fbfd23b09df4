"""Classical augmentation is what AUGMENTATION says: ranges, probabilities, exactness."""

import numpy as np
import pytest

from keras_medgan.compare.classifier_augment import (
    AUGMENTATION,
    ClassicalAugmentation,
    check_ops,
    max_shift_pixels,
    with_augmentation,
)

N = 1000


def _random_images(n=N, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 32, 32, 1)).astype("float32")


def _apply(ops, x, seed=1):
    return np.asarray(ClassicalAugmentation(ops, seed=seed)(x, training=True))


def _changed(x, y):
    return np.array([not np.array_equal(a, b) for a, b in zip(x, y)])


@pytest.mark.parametrize("op", ["flip", "shift", "rotation", "intensity"])
def test_each_op_acts_on_about_its_probability_of_images(op):
    x = _random_images()
    frac = _changed(x, _apply([op], x)).mean()
    p = AUGMENTATION[op]["probability"]
    if op == "shift":  # a drawn shift of (0, 0) leaves the image as it is
        m = max_shift_pixels(32)
        p *= 1 - 1 / (2 * m + 1) ** 2
    # binomial sd at N = 1000 is ≤ 0.016: ± 0.06 excludes p = 0.3 or 0.7 or "always"
    assert abs(frac - p) < 0.06, (op, frac, p)


def test_flip_is_exact_left_right_and_never_up_down():
    x = _random_images(200)
    y = _apply(["flip"], x)
    for a, b in zip(x, y):
        assert np.array_equal(b, a) or np.array_equal(b, a[:, ::-1])
        assert not (np.array_equal(b, a[::-1]) and not np.array_equal(a, a[::-1]))


def test_shifts_are_whole_pixels_filled_with_background():
    assert max_shift_pixels(32) == 2  # 5 % of 32, rounded
    x = _random_images(300)
    y = _apply(["shift"], x)
    seen = set()
    for a, b in zip(x, y):
        found = None
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                shifted = np.full_like(a, -1.0)
                src = a[max(0, -dy) : 32 - max(0, dy), max(0, -dx) : 32 - max(0, dx)]
                shifted[
                    max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]
                ] = src
                if np.array_equal(b, shifted):
                    found = (dy, dx)
        assert found is not None, "not a whole-pixel shift with -1 fill"
        seen.add(found)
    assert len(seen) == 25  # every shift in [-2, 2]² occurs


def test_rotation_stays_within_its_range():
    # a single bright pixel off centre: its rotated position's angle is the drawn angle
    x = np.full((400, 33, 33, 1), -1.0, np.float32)
    x[:, 16, 30] = 1.0  # 14 px right of the centre (16, 16)
    y = _apply(["rotation"], x)
    angles = []
    for b in y[_changed(x, y)]:
        r, c = np.unravel_index(np.argmax(b[..., 0]), b.shape[:2])
        angles.append(np.degrees(np.arctan2(r - 16, c - 16)))
    angles = np.abs(angles)
    limit = AUGMENTATION["rotation"]["max_degrees"]
    assert angles.max() <= limit + 4.5  # a pixel's width at radius 14 is ~4°
    assert angles.max() > limit - 4.5  # and the range is used


def test_brightness_and_contrast_ranges_on_the_minus_one_one_scale():
    x = np.zeros((2000, 8, 8, 1), np.float32)  # mean 0: contrast leaves it, brightness adds
    delta = (_apply(["intensity"], x) - x).reshape(2000, -1)
    assert np.allclose(delta, delta[:, :1])  # one offset per image
    shift = delta[:, 0]
    bound = AUGMENTATION["intensity"]["max_delta"]
    assert bound == 0.1
    assert np.abs(shift).max() <= bound + 1e-6  # ±0.1, not Keras' ±0.2 on this range
    assert np.abs(shift).max() > 0.09
    # contrast: an image with values ±0.5 about mean 0 is scaled by 1 ± 0.1
    x = np.tile(np.array([-0.5, 0.5], np.float32).reshape(1, 1, 2, 1), (2000, 2, 1, 1))
    y = ClassicalAugmentation(["intensity"], seed=3)(x, training=True)
    y = np.asarray(y)
    spread = y[:, 0, 1, 0] - y[:, 0, 0, 0]  # 1.0 × contrast factor
    assert spread.min() >= 0.9 - 1e-5 and spread.max() <= 1.1 + 1e-5
    assert spread.min() < 0.92 and spread.max() > 1.08
    assert np.asarray(_apply(["intensity"], np.full((50, 4, 4, 1), 0.99, np.float32))).max() <= 1.0


def test_inference_is_the_identity_and_unknown_ops_are_refused():
    x = _random_images(10)
    layer = ClassicalAugmentation(seed=0)
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    with pytest.raises(ValueError, match="'shear'"):
        check_ops(["flip", "shear"])
    assert check_ops(["intensity", "flip"]) == ("flip", "intensity")


def test_with_augmentation_keeps_the_classifier_at_test_time():
    import keras

    inner = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model = with_augmentation(inner, seed=0, ops=("flip",))
    x = _random_images(4)[:, :8, :8]
    assert np.allclose(model.predict(x, verbose=0), inner.predict(x, verbose=0))
