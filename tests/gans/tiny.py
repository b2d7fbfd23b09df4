"""Tiny DCGAN-like G/D pairs (32×32, a few thousand weights) so step tests stay fast.

They use the package's own conditioning helpers, so conditional wiring is the real one.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from keras_medgan.models.dcgan import discriminator_inputs, generator_inputs

Z_DIM = 8
SIZE = 32


def tiny_generator(num_classes=0, z_dim=Z_DIM):
    inputs, x = generator_inputs(z_dim, num_classes)
    x = layers.Dense(8 * 8 * 8)(x)
    x = layers.Reshape((8, 8, 8))(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.01)(x)
    x = layers.Conv2DTranspose(4, 4, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.01)(x)
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same")(x)
    return keras.Model(inputs, layers.Activation("tanh", dtype="float32")(x))


def tiny_discriminator(num_classes=0, critic=False):
    inputs, x = discriminator_inputs(SIZE, 1, num_classes)
    x = layers.Conv2D(4, 4, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(8, 4, strides=4, padding="same")(x)
    x = layers.GroupNormalization(groups=1)(x) if critic else layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    return keras.Model(inputs, layers.Dense(1, dtype="float32")(x))


def tiny_dataset(n=8, batch=4, num_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (n, SIZE, SIZE, 1)).astype("float32")
    one_hot = np.eye(num_classes, dtype="float32")[np.arange(n) % num_classes]
    return tf.data.Dataset.from_tensor_slices((images, one_hot)).batch(batch, drop_remainder=True)
