"""Classical augmentation, applied on the fly while a classifier trains.

The baseline a GAN has to beat (P1 names "combine with classical augmentation" as future
work): small changes that keep a head CT slice plausible. Every op is applied to an image
with its own probability, with the ranges of :data:`AUGMENTATION` (the one place they are
written; results files copy it):

* ``flip``: left/right (the head is roughly symmetric; hemorrhage can be on either side).
  Vertical flips are left out: an upside-down skull is not a CT slice.
* ``shift``: a whole number of pixels in x and y, at most ``max_fraction`` of the side.
* ``rotation``: up to ``max_degrees`` about the centre.
* ``intensity``: brightness (add up to ± ``max_delta`` on the [-1, 1] scale) and contrast
  (scale the image about its mean by 1 ± ``max_change``), then clip to [-1, 1].

The three geometric ops are ONE affine map, resampled once (bilinear; outside the image the
background value -1, air). A flip and whole-pixel shifts land on pixel centres, so an image
that is flipped and/or shifted but not rotated keeps its pixel values exactly; only a
rotation interpolates. (Chaining Keras' RandomRotation and RandomTranslation resampled
every image twice, sub-pixel shifts included, and blurred away roughly a third of a 32×32
slice's high-frequency energy; Keras' RandomBrightness(0.1) is ±0.2 on a [-1, 1] range,
because it scales the factor by the range.)

Keras layers are active only when ``training=True``, so the layer in front of the
classifier gives fresh random changes every step and is the identity at test time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import ops

__all__ = [
    "AUGMENTATION",
    "AUGMENT_OPS",
    "DEFAULT_AUGMENT_OPS",
    "ClassicalAugmentation",
    "check_ops",
    "with_augmentation",
]

#: The settings, written into results files so a report says what "classical" meant.
AUGMENTATION = {
    "flip": {"probability": 0.5, "axis": "horizontal"},
    "shift": {"probability": 0.5, "max_fraction": 0.05, "whole_pixels": True},
    "rotation": {"probability": 0.5, "max_degrees": 10.0},
    "intensity": {
        "probability": 0.5,
        "max_delta": 0.1,
        "max_change": 0.1,
        "value_range": [-1.0, 1.0],
    },
    "fill_value": -1.0,
}
#: Op names, in the order they act (geometry first, one resampling, then intensity).
AUGMENT_OPS = ("flip", "shift", "rotation", "intensity")
#: What the classical arms apply unless --augment says otherwise: the op set with the best
#: validation AUC in scripts/pilot_classifier.py on head CT (docs/benchmark.md).
DEFAULT_AUGMENT_OPS = AUGMENT_OPS


def check_ops(names: Sequence[str]) -> tuple[str, ...]:
    """The ops in canonical order; ValueError naming an unknown one."""
    bad = [n for n in names if n not in AUGMENT_OPS]
    if bad:
        raise ValueError(f"--augment {bad[0]!r}: valid ops are {', '.join(AUGMENT_OPS)}")
    return tuple(n for n in AUGMENT_OPS if n in names)


def max_shift_pixels(side: int) -> int:
    """Whole pixels a shift may move an image of ``side`` pixels: 5 % of 32 → 2."""
    return round(AUGMENTATION["shift"]["max_fraction"] * side)


class ClassicalAugmentation(keras.layers.Layer):
    """The ops in ``ops`` (names from :data:`AUGMENT_OPS`), each with its probability."""

    def __init__(self, ops: Sequence[str] = AUGMENT_OPS, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.ops = check_ops(ops)
        self.seed = int(seed)
        self.generator = keras.random.SeedGenerator(self.seed)

    def _chance(self, batch, name: str):
        """1.0 for the images an op acts on (probability from AUGMENTATION), else 0.0."""
        if name not in self.ops:
            return ops.zeros((batch,))
        u = keras.random.uniform((batch,), seed=self.generator)
        return ops.cast(u < AUGMENTATION[name]["probability"], "float32")

    def _uniform(self, batch, bound: float):
        return keras.random.uniform((batch,), -bound, bound, seed=self.generator)

    def _geometry(self, x):
        batch = ops.shape(x)[0]
        h, w = int(x.shape[1]), int(x.shape[2])
        flip = self._chance(batch, "flip")
        sx = 1.0 - 2.0 * flip  # -1 flips
        shift = self._chance(batch, "shift")
        limits = (max_shift_pixels(w), max_shift_pixels(h))
        dx, dy = (
            shift
            * ops.cast(keras.random.randint((batch,), -m, m + 1, seed=self.generator), "float32")
            for m in limits
        )
        rotate = self._chance(batch, "rotation")
        theta = rotate * self._uniform(batch, math.radians(AUGMENTATION["rotation"]["max_degrees"]))
        cos, sin = ops.cos(theta), ops.sin(theta)
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
        # output pixel (x, y) reads input c + S·R⁻¹·((x, y) − c − d): S flips x, R rotates
        a0, a1, b0, b1 = sx * cos, sx * sin, -sin, cos
        a2 = cx - (a0 * (cx + dx) + a1 * (cy + dy))
        b2 = cy - (b0 * (cx + dx) + b1 * (cy + dy))
        zeros = ops.zeros_like(a0)
        transform = ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        return ops.image.affine_transform(
            x,
            transform,
            interpolation="bilinear",
            fill_mode="constant",
            fill_value=AUGMENTATION["fill_value"],
        )

    def _intensity(self, x):
        batch = ops.shape(x)[0]
        on = self._chance(batch, "intensity")
        spec = AUGMENTATION["intensity"]
        delta = on * self._uniform(batch, spec["max_delta"])
        factor = 1.0 + on * self._uniform(batch, spec["max_change"])
        mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
        y = (x - mean) * ops.reshape(factor, (-1, 1, 1, 1)) + mean
        low, high = spec["value_range"]
        y = ops.clip(y + ops.reshape(delta, (-1, 1, 1, 1)), low, high)
        # images the op skips stay bit-identical (no round-off from the identity maths)
        return ops.where(ops.reshape(on, (-1, 1, 1, 1)) > 0, y, x)

    def call(self, x, training=None):
        if not training or not self.ops:
            return x
        x = ops.cast(x, "float32")
        if set(self.ops) & {"flip", "shift", "rotation"}:
            x = self._geometry(x)
        if "intensity" in self.ops:
            x = self._intensity(x)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "ops": list(self.ops), "seed": self.seed}


def with_augmentation(
    classifier: keras.Model, seed: int = 0, ops: Sequence[str] = AUGMENT_OPS
) -> keras.Model:
    """``classifier`` with the augmentation in front; identical to it at inference."""
    shape = tuple(classifier.input_shape[1:])
    inputs = keras.Input(shape=shape, name="image")
    x = ClassicalAugmentation(ops, seed=seed, name="classical_augmentation")(inputs)
    outputs = classifier(x)
    return keras.Model(inputs, outputs, name=f"augmented_{classifier.name}")
