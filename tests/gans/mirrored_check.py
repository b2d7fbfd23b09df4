"""Run by test_distribution.py in a fresh interpreter: logical CPU devices must be made
before TensorFlow initialises. Trains each family for one step (global batch 4) on one
replica and on MirroredStrategy over 2 logical CPUs, prints the logs as JSON.

Tiny 8×8 models without BatchNorm/Dropout: those use per-replica batch statistics and
masks by design, which is not what this check is about.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import tensorflow as tf

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras
import numpy as np
from keras import layers

from keras_medgan.core.runtime import make_strategy
from keras_medgan.gans import GAN_FAMILIES, make_optimizers

FAMILIES = {
    "bce": {
        "label_smoothing": 0.1,
        "flip_prob": 0.3,
        "instance_noise": 0.1,
        "diffaugment": "translation,cutout,brightness",
    },
    "wgan": {"n_critic": 2},
    "wgan-gp": {"n_critic": 1},
}


def generator():
    z = keras.Input((4,))
    x = layers.Reshape((2, 2, 1))(layers.Dense(4, activation="relu")(z))
    x = layers.Conv2DTranspose(1, 4, strides=4, padding="same")(x)
    return keras.Model(z, layers.Activation("tanh", dtype="float32")(x))


def discriminator():
    image = keras.Input((8, 8, 1))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(2, 3, strides=2, padding="same")(image))
    return keras.Model(image, layers.Dense(1, dtype="float32")(layers.Flatten()(x)))


def run(strategy, family):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((x, np.zeros((4, 1), "float32"))).batch(4)
    with strategy.scope():
        gan = GAN_FAMILIES.get(family)(
            generator=generator(),
            discriminator=discriminator(),
            z_dim=4,
            seed=3,
            **FAMILIES[family],
        )
        gan.compile(*make_optimizers(family, lr=1e-2))
    logs = gan.fit(ds, epochs=1, verbose=0).history
    return {k: float(v[-1]) for k, v in logs.items()}


def main():
    # One strategy object per process: a second MirroredStrategy in the same process
    # broke the collective all-reduce bookkeeping in TF 2.21.
    strategies = {
        "single": make_strategy("default"),
        "mirrored": make_strategy("mirrored", ["CPU:0", "CPU:1"]),
    }
    families = sys.argv[1:] or list(FAMILIES)
    out = {f: {name: run(s, f) for name, s in strategies.items()} for f in families}
    out["replicas"] = strategies["mirrored"].num_replicas_in_sync
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
