"""BEGAN networks (Berthelot, Schumm & Metz 2017; one of P4's three GANs).

The discriminator is an auto-encoder; its "score" of an image is how well it
reconstructs it (the GAN family in ``keras_medgan.gans.began`` takes the L1 error).
Paper, Figure 1, with ``n`` filters and an ``h``-dimensional code:

* decoder: ``h`` → dense 8·8·n → per resolution ``2 × (conv3×3 n, ELU)`` then a
  nearest-neighbour ×2 upsampling, until the image size; then ``2 × (conv3×3 n, ELU)`` and
  conv3×3 → image channels.
* encoder: conv3×3 n, ELU; per resolution ``2 × (conv3×3 k·n, ELU)`` then a stride-2
  conv3×3 with ``(k+1)·n`` filters (the filters grow linearly: n, 2n, 3n, …); at 8×8,
  ``2 × (conv3×3, ELU)``, flatten, dense ``h`` (no activation).
* the generator is a decoder with its own weights, fed ``z`` (the paper uses ``N_z = h``).

Differences, on purpose: the generator ends in ``tanh`` (every keras_medgan generator
emits images in [-1, 1]); the discriminator's decoder stays linear as in the paper. With a
label, the one-hot vector is concatenated to ``z`` (generator) and to the code (the
discriminator's decoder), so the auto-encoder reconstructs "an image of class y".
All layers are stock Keras layers, so the generator exports to ``.h5`` as is.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from keras_medgan.models.spec import ARCHS, ArchSpec, check_image_size

BEGAN_IMAGE_SIZES = (32, 64, 128)
BASE_RESOLUTION = 8


def _conv_elu(x, filters, name, strides=1):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", name=name)(x)
    return layers.ELU(name=f"{name}_elu")(x)


def _decoder(code, image_size, filters, channels, prefix, output_activation):
    """BEGAN's decoder/generator body: code → image (see the module docstring)."""
    x = layers.Dense(BASE_RESOLUTION * BASE_RESOLUTION * filters, name=f"{prefix}_dense")(code)
    x = layers.Reshape((BASE_RESOLUTION, BASE_RESOLUTION, filters), name=f"{prefix}_reshape")(x)
    resolution = BASE_RESOLUTION
    while True:
        x = _conv_elu(x, filters, f"{prefix}_{resolution}_conv0")
        x = _conv_elu(x, filters, f"{prefix}_{resolution}_conv1")
        if resolution == image_size:
            break
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"{prefix}_{resolution}_up")(x)
        resolution *= 2
    x = layers.Conv2D(channels, 3, padding="same", name=f"{prefix}_to_image")(x)
    return layers.Activation(output_activation, dtype="float32", name=f"{prefix}_image")(x)


def build_began_generator(
    z_dim: int = 64,
    image_size: int = 64,
    num_classes: int = 0,
    filters: int = 64,
    channels: int = 1,
    **_ignored,
) -> keras.Model:
    """BEGAN's generator: ``z`` (or ``[z, one_hot]``) → tanh image ``[B, S, S, channels]``."""
    check_image_size("began", image_size, BEGAN_IMAGE_SIZES)
    if z_dim <= 0 or filters <= 0:
        raise ValueError(
            f"z_dim and filters must be positive. Received: z_dim={z_dim}, filters={filters}"
        )
    z = keras.Input((z_dim,), name="z")
    inputs, code = z, z
    if num_classes:
        label = keras.Input((num_classes,), name="label")
        inputs, code = [z, label], layers.Concatenate(name="z_label")([z, label])
    image = _decoder(code, image_size, filters, channels, "gen", "tanh")
    return keras.Model(inputs, image, name="began_generator")


def build_began_discriminator(
    image_size: int = 64,
    num_classes: int = 0,
    critic: bool = False,
    filters: int = 64,
    hidden: int = 64,
    channels: int = 1,
    **_ignored,
) -> keras.Model:
    """BEGAN's auto-encoder: image (or ``[image, one_hot]``) → its reconstruction.

    The output is an image, not a logit: BEGAN's discriminator value is the L1
    reconstruction error, computed by the BEGAN GAN family. ``critic`` is ignored.
    """
    del critic
    check_image_size("began", image_size, BEGAN_IMAGE_SIZES)
    if hidden <= 0 or filters <= 0:
        raise ValueError(
            f"hidden and filters must be positive. Received: hidden={hidden}, filters={filters}"
        )
    image = keras.Input((image_size, image_size, channels), name="image")
    x = _conv_elu(image, filters, "enc_in")
    resolution, level = image_size, 1
    while True:
        x = _conv_elu(x, level * filters, f"enc_{resolution}_conv0")
        x = _conv_elu(x, level * filters, f"enc_{resolution}_conv1")
        if resolution == BASE_RESOLUTION:
            break
        level += 1
        x = _conv_elu(x, level * filters, f"enc_{resolution}_down", strides=2)
        resolution //= 2
    code = layers.Dense(hidden, name="enc_code")(layers.Flatten(name="enc_flatten")(x))
    inputs = image
    if num_classes:
        label = keras.Input((num_classes,), name="label")
        inputs, code = [image, label], layers.Concatenate(name="code_label")([code, label])
    reconstruction = _decoder(code, image_size, filters, channels, "dec", "linear")
    return keras.Model(inputs, reconstruction, name="began_discriminator")


def encoder_levels(image_size: int) -> int:
    """Number of resolutions the encoder visits (8×8 included): 32→3, 64→4, 128→5."""
    return int(math.log2(image_size // BASE_RESOLUTION)) + 1


ARCHS.add(
    ArchSpec(
        name="began",
        build_generator=build_began_generator,
        build_discriminator=build_began_discriminator,
        image_sizes=BEGAN_IMAGE_SIZES,
        # n = h = 64 (Berthelot et al.); the training numbers are in experiments/p4_began64.yaml
        defaults={"filters": 64, "hidden": 64},
        recipe="p4_began64",
        paper="P4: GAN-based synthetic brain MR image generation (BEGAN, 64x64)",
        builder_options=("filters", "hidden"),
        losses=("began",),
    )
)
