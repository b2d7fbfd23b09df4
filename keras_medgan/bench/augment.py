"""Classical augmentation, applied on the fly while a classifier trains.

The baseline a GAN has to beat (P1 names "combine with classical augmentation" as future
work): small geometric changes that keep a head CT slice plausible — left/right flips (the
head is roughly symmetric; hemorrhage can be on either side), rotations of up to ±10°,
shifts of up to 5 % — and small intensity changes (brightness ±0.1 and contrast ±10 % on
the [-1, 1] scale). Vertical flips are left out: an upside-down skull is not a CT slice.

Keras' random preprocessing layers are active only when ``training=True``, so putting them
in front of the classifier gives fresh random changes every epoch and none at test time.
"""

from __future__ import annotations

import keras
from keras import layers

__all__ = ["AUGMENTATION", "build_augmenter", "with_augmentation"]

#: The settings, written into results.json so a report says what "classical" meant.
AUGMENTATION = {
    "flip": "horizontal",
    "rotation_degrees": 10.0,
    "shift_fraction": 0.05,
    "brightness": 0.1,
    "contrast": 0.1,
    "value_range": [-1.0, 1.0],
}


def build_augmenter(input_shape, seed: int = 0) -> keras.Sequential:
    """A Sequential of stock random layers, deterministic for a given ``seed``."""
    value_range = tuple(AUGMENTATION["value_range"])
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(AUGMENTATION["rotation_degrees"] / 360.0,
                                  fill_mode="constant", fill_value=-1.0, seed=seed + 1),
            layers.RandomTranslation(AUGMENTATION["shift_fraction"],
                                     AUGMENTATION["shift_fraction"],
                                     fill_mode="constant", fill_value=-1.0, seed=seed + 2),
            layers.RandomBrightness(AUGMENTATION["brightness"], value_range=value_range,
                                    seed=seed + 3),
            layers.RandomContrast(AUGMENTATION["contrast"], value_range=value_range,
                                  seed=seed + 4),
        ],
        name="classical_augmentation",
    )


def with_augmentation(classifier: keras.Model, seed: int = 0) -> keras.Model:
    """``classifier`` with the augmenter in front; identical to it at inference."""
    shape = tuple(classifier.input_shape[1:])
    inputs = keras.Input(shape=shape, name="image")
    x = build_augmenter(shape, seed=seed)(inputs)
    outputs = classifier(x)
    return keras.Model(inputs, outputs, name=f"augmented_{classifier.name}")
