"""Tiny stand-in generators for the export / synthesize / callback tests.

Built from stock layers only (what export requires of real generators), small enough
that saving and loading three formats takes well under a second.
"""

import keras
from keras import layers


def tiny_generator(z_dim=8, image_size=8, num_classes=0, seed=0):
    """z (or [z, one_hot]) → tanh image [size, size, 1]; deterministic weights."""
    init = keras.initializers.RandomNormal(stddev=0.5, seed=seed)
    z = keras.Input((z_dim,), name="z")
    inputs = [z]
    x = z
    if num_classes:
        y = keras.Input((num_classes,), name="label")
        inputs.append(y)
        x = layers.Concatenate()([z, y])
    x = layers.Dense(4 * (image_size // 2) ** 2, kernel_initializer=init)(x)
    x = layers.Reshape((image_size // 2, image_size // 2, 4))(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.01)(x)
    x = layers.Conv2DTranspose(1, 3, strides=2, padding="same", kernel_initializer=init)(x)
    out = layers.Activation("tanh", dtype="float32")(x)
    return keras.Model(inputs if num_classes else z, out, name="tiny_generator")


def lambda_generator(z_dim=8, image_size=8):
    """A generator holding a Lambda layer: Python code that runs on load."""
    z = keras.Input((z_dim,))
    x = layers.Dense(image_size * image_size)(z)
    x = layers.Lambda(lambda t: t * 0.5)(x)
    x = layers.Reshape((image_size, image_size, 1))(x)
    return keras.Model(z, layers.Activation("tanh")(x))


def tiny32_generator(z_dim=100, image_size=32, num_classes=0):
    """A 32×32 generator small enough to train an epoch in milliseconds."""
    z = keras.Input((z_dim,), name="z")
    x = z
    inputs = z
    if num_classes:
        y = keras.Input((num_classes,), name="label")
        inputs = [z, y]
        x = layers.Concatenate()([z, y])
    x = layers.Dense(8 * 8 * 4)(x)
    x = layers.Reshape((8, 8, 4))(x)
    x = layers.LeakyReLU(0.01)(x)
    x = layers.Conv2DTranspose(4, 4, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.01)(x)
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same")(x)
    return keras.Model(inputs, layers.Activation("tanh", dtype="float32")(x))


def tiny32_discriminator(image_size=32, num_classes=0, critic=False):
    image = keras.Input((image_size, image_size, 1), name="image")
    x = layers.Conv2D(4, 4, strides=4, padding="same")(image)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    inputs = image
    if num_classes:
        y = keras.Input((num_classes,), name="label")
        inputs = [image, y]
        x = layers.Concatenate()([x, y])
    return keras.Model(inputs, layers.Dense(1, dtype="float32")(x))
