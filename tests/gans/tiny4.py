"""4×4 networks with a 3-d latent for the by-hand step tests: small enough that one step
runs eagerly in milliseconds, with BatchNorm (so train and inference mode differ) and a
non-linear critic (so an input gradient depends on where it is taken). They use the
package's own conditioning helpers, so conditional wiring is the real one."""

import keras
from keras import layers

from keras_medgan.models.dcgan import discriminator_inputs, generator_inputs

Z = 3
SIZE = 4


def _init(seed, std=0.5):
    return keras.initializers.RandomNormal(0.0, std, seed=seed)


def tiny_generator(num_classes=0, z_dim=Z):
    inputs, x = generator_inputs(z_dim, num_classes)
    x = layers.Dense(SIZE * SIZE, kernel_initializer=_init(1))(x)
    x = layers.BatchNormalization(beta_initializer=_init(4, 0.3))(x)
    x = layers.Reshape((SIZE, SIZE, 1))(x)
    return keras.Model(inputs, layers.Activation("tanh")(x))


def tiny_critic(num_classes=0, batchnorm=True):
    """Non-linear (tanh), so its input gradient depends on where it is taken."""
    inputs, x = discriminator_inputs(SIZE, 1, num_classes)
    x = layers.Flatten()(x)
    x = layers.Dense(6, kernel_initializer=_init(2), bias_initializer=_init(5, 0.2))(x)
    x = layers.BatchNormalization()(x) if batchnorm else layers.LayerNormalization()(x)
    x = layers.Activation("tanh")(x)
    return keras.Model(inputs, layers.Dense(1, kernel_initializer=_init(3))(x))


def tiny_autoencoder():
    """BEGAN's critic: image → code → image."""
    inputs = keras.Input((SIZE, SIZE, 1))
    x = layers.Flatten()(inputs)
    x = layers.Dense(5, activation="tanh", kernel_initializer=_init(6))(x)
    x = layers.Dense(SIZE * SIZE, kernel_initializer=_init(7))(x)
    return keras.Model(inputs, layers.Reshape((SIZE, SIZE, 1))(x))
