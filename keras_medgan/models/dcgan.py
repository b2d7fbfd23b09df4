"""DCGAN builders: P1's 32×32 Keras DCGAN and Radford's DCGAN at 64×64 (P2, P4) and
128×128 (P0), each unconditional or conditional (Mirza & Osindero; P0).

Every builder is a pure function returning a functional ``keras.Model`` made only of stock
Keras layers (so ``.h5``/``.keras`` files load with no custom objects):

* G: inputs ``z`` [B, z_dim] (+ ``one_hot`` [B, C] when ``num_classes > 0``, concatenated
  with z) → tanh image [B, S, S, 1], float32 whatever the precision policy.
* D: inputs ``image`` [B, S, S, 1] (+ ``one_hot``, broadcast to C constant label maps
  concatenated beside the image channel) → LOGIT [B, 1], float32. No sigmoid: the losses
  apply it (``from_logits``); the papers' sigmoid output is the same function.
* ``critic=True`` (what a WGAN-GP critic needs): every BatchNorm in D becomes a per-sample
  LayerNorm over (H, W, C) with per-channel scale/offset (``GroupNormalization(groups=1)``,
  Gulrajani's choice) -- BatchNorm couples the samples of a batch, which breaks the
  per-sample gradient penalty. The output stays linear either way.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from keras_medgan.models.spec import ARCHS, ArchSpec, check_image_size


def _radford_init():
    """Radford et al.: "All weights were initialized from a zero-centered Normal
    distribution with standard deviation 0.02." """
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def _check_common(z_dim: int | None, num_classes: int) -> None:
    if z_dim is not None and int(z_dim) <= 0:
        raise ValueError(f"z_dim must be a positive integer. Received: z_dim={z_dim}")
    if int(num_classes) < 0:
        raise ValueError(f"num_classes must be >= 0. Received: num_classes={num_classes}")


# --------------------------------------------------------------------------- conditioning
def generator_inputs(z_dim: int, num_classes: int):
    """(model inputs, the tensor G starts from): z, or concat(z, one_hot)."""
    z = keras.Input((z_dim,), name="z")
    if num_classes <= 0:
        return z, z
    y = keras.Input((num_classes,), name="one_hot")
    return [z, y], layers.Concatenate(name="z_and_label")([z, y])


def discriminator_inputs(image_size: int, channels: int, num_classes: int):
    """(model inputs, the tensor D starts from): the image, or the image with C constant
    label maps beside it (one-hot [B, C] → [B, S, S, C] by 1×1 → S×S nearest upsampling)."""
    image = keras.Input((image_size, image_size, channels), name="image")
    if num_classes <= 0:
        return image, image
    y = keras.Input((num_classes,), name="one_hot")
    maps = layers.Reshape((1, 1, num_classes), name="label_1x1")(y)
    maps = layers.UpSampling2D(size=(image_size, image_size), name="label_maps")(maps)
    return [image, y], layers.Concatenate(name="image_and_label")([image, maps])


def _d_norm(critic: bool, name: str):
    if critic:
        return layers.GroupNormalization(groups=1, epsilon=1e-5, name=name)
    return layers.BatchNormalization(name=name)


# --------------------------------------------------------------------------- dcgan32 (P1)
def build_dcgan32_generator(
    z_dim: int = 100, image_size: int = 32, num_classes: int = 0, channels: int = 1
) -> keras.Model:
    """P1's generator: 4,870,785 trainable parameters (unconditional, z_dim 100).

    Dense 100→16·16·128, BN, LReLU(0.01), reshape; Conv 5×5 128 + BN + LReLU;
    ConvTranspose 4×4/2 128 + BN + LReLU; 2 × (Conv 5×5 128 + BN + LReLU); Conv 5×5 → 1,
    tanh. P1 does not state an initialiser; Keras defaults (Glorot uniform) are kept.
    """
    check_image_size("dcgan32", image_size, (32,))
    _check_common(z_dim, num_classes)
    inputs, x = generator_inputs(z_dim, num_classes)
    x = layers.Dense(16 * 16 * 128, name="project")(x)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.LeakyReLU(0.01, name="project_lrelu")(x)
    x = layers.Reshape((16, 16, 128), name="to_16x16")(x)
    x = layers.Conv2D(128, 5, padding="same", name="conv1")(x)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.LeakyReLU(0.01, name="conv1_lrelu")(x)
    x = layers.Conv2DTranspose(128, 4, strides=2, padding="same", name="up_32x32")(x)
    x = layers.BatchNormalization(name="up_bn")(x)
    x = layers.LeakyReLU(0.01, name="up_lrelu")(x)
    for i in (2, 3):
        x = layers.Conv2D(128, 5, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = layers.LeakyReLU(0.01, name=f"conv{i}_lrelu")(x)
    x = layers.Conv2D(channels, 5, padding="same", name="to_image")(x)
    image = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(inputs, image, name="dcgan32_generator")


def build_dcgan32_discriminator(
    image_size: int = 32, num_classes: int = 0, critic: bool = False, channels: int = 1
) -> keras.Model:
    """P1's discriminator: 791,169 trainable parameters (unconditional, BatchNorm).

    P1 lists four 3×3 stride-1 convs, which cannot give its stated 791,169 parameters;
    this list gives exactly that count (SEEDS.md): Conv 3×3 128 then three Conv 4×4/2 128,
    each + BN + LReLU(0.01), Flatten (4·4·128), Dropout 0.4, Dense 1 (logit).
    """
    check_image_size("dcgan32", image_size, (32,))
    _check_common(None, num_classes)
    inputs, x = discriminator_inputs(image_size, channels, num_classes)
    x = layers.Conv2D(128, 3, padding="same", name="conv1")(x)
    x = _d_norm(critic, "conv1_norm")(x)
    x = layers.LeakyReLU(0.01, name="conv1_lrelu")(x)
    for i, size in zip((2, 3, 4), (16, 8, 4)):
        x = layers.Conv2D(128, 4, strides=2, padding="same", name=f"down_{size}x{size}")(x)
        x = _d_norm(critic, f"down{i}_norm")(x)
        x = layers.LeakyReLU(0.01, name=f"down{i}_lrelu")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    logit = layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(inputs, logit, name="dcgan32_critic" if critic else "dcgan32_discriminator")


# --------------------------------------------------------------------------- Radford DCGAN
def _num_doublings(image_size: int) -> int:
    return round(math.log2(image_size // 4))


def build_radford_generator(
    z_dim: int = 100,
    image_size: int = 64,
    num_classes: int = 0,
    base_filters: int = 64,
    channels: int = 1,
    name: str = "dcgan_generator",
) -> keras.Model:
    """Radford's DCGAN generator (the PyTorch tutorial P0/P2 use), any power-of-two size.

    z → ConvTranspose 4×4 (valid) to 4×4 × base·2^(n-1), then ConvTranspose 4×4/2 + BN +
    ReLU stages halving the filters, last ConvTranspose 4×4/2 → 1 channel, tanh. Convs
    before BN have no bias (the tutorial's ``bias=False``); weights ~ N(0, 0.02).
    64×64: 512-256-128-64 filters; 128×128 (P0 grew the tutorial by one stage): 1024-…-64.
    """
    _check_common(z_dim, num_classes)
    n = _num_doublings(image_size)
    init = _radford_init()
    inputs, x = generator_inputs(z_dim, num_classes)
    x = layers.Reshape((1, 1, x.shape[-1]), name="z_as_1x1")(x)
    filters = base_filters * 2 ** (n - 1)
    x = layers.Conv2DTranspose(
        filters,
        4,
        strides=1,
        padding="valid",
        use_bias=False,
        kernel_initializer=init,
        name="up_4x4",
    )(x)
    x = layers.BatchNormalization(name="up_4x4_bn")(x)
    x = layers.ReLU(name="up_4x4_relu")(x)
    size = 4
    for _ in range(n - 1):
        size *= 2
        filters //= 2
        x = layers.Conv2DTranspose(
            filters,
            4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=init,
            name=f"up_{size}x{size}",
        )(x)
        x = layers.BatchNormalization(name=f"up_{size}x{size}_bn")(x)
        x = layers.ReLU(name=f"up_{size}x{size}_relu")(x)
    x = layers.Conv2DTranspose(
        channels,
        4,
        strides=2,
        padding="same",
        use_bias=False,
        kernel_initializer=init,
        name="to_image",
    )(x)
    image = layers.Activation("tanh", dtype="float32", name="tanh")(x)
    return keras.Model(inputs, image, name=name)


def build_radford_discriminator(
    image_size: int = 64,
    num_classes: int = 0,
    critic: bool = False,
    base_filters: int = 64,
    channels: int = 1,
    name: str = "dcgan_discriminator",
) -> keras.Model:
    """Radford's DCGAN discriminator: Conv 4×4/2 stages doubling the filters from
    ``base_filters``, LeakyReLU 0.2, BN on all but the first layer, then Conv 4×4 (valid)
    on the 4×4 map → one logit. Weights ~ N(0, 0.02)."""
    _check_common(None, num_classes)
    n = _num_doublings(image_size)
    init = _radford_init()
    inputs, x = discriminator_inputs(image_size, channels, num_classes)
    filters, size = base_filters, image_size
    for i in range(n):
        size //= 2
        x = layers.Conv2D(
            filters,
            4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=init,
            name=f"down_{size}x{size}",
        )(x)
        if i > 0:  # Radford: no normalisation on D's input layer
            x = _d_norm(critic, f"down_{size}x{size}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"down_{size}x{size}_lrelu")(x)
        filters *= 2
    x = layers.Conv2D(
        1, 4, padding="valid", kernel_initializer=init, dtype="float32", name="logit_conv"
    )(x)
    logit = layers.Flatten(dtype="float32", name="logit")(x)
    return keras.Model(
        inputs, logit, name=name.replace("discriminator", "critic") if critic else name
    )


def build_dcgan64_generator(
    z_dim: int = 100, image_size: int = 64, num_classes: int = 0, channels: int = 1
) -> keras.Model:
    """Radford DCGAN at 64×64 (P2, P4): 512-256-128-64 filters, G base 64."""
    check_image_size("dcgan64", image_size, (64,))
    return build_radford_generator(z_dim, 64, num_classes, 64, channels, "dcgan64_generator")


def build_dcgan64_discriminator(
    image_size: int = 64, num_classes: int = 0, critic: bool = False, channels: int = 1
) -> keras.Model:
    """Radford DCGAN discriminator at 64×64: 64-128-256-512 filters."""
    check_image_size("dcgan64", image_size, (64,))
    return build_radford_discriminator(
        64, num_classes, critic, 64, channels, "dcgan64_discriminator"
    )


def build_dcgan128_generator(
    z_dim: int = 100, image_size: int = 128, num_classes: int = 0, channels: int = 1
) -> keras.Model:
    """P0's DCGAN grown to 128×128: 1024-512-256-128-64 filters (G base 64)."""
    check_image_size("dcgan128", image_size, (128,))
    return build_radford_generator(z_dim, 128, num_classes, 64, channels, "dcgan128_generator")


def build_dcgan128_discriminator(
    image_size: int = 128, num_classes: int = 0, critic: bool = False, channels: int = 1
) -> keras.Model:
    """P0: "D started too strong → D's base filter count = ¼ of G's": base 16
    (16-32-64-128-256)."""
    check_image_size("dcgan128", image_size, (128,))
    return build_radford_discriminator(
        128, num_classes, critic, 16, channels, "dcgan128_discriminator"
    )


# --------------------------------------------------------------------------- registry
ARCHS.add(
    ArchSpec(
        name="dcgan32",
        build_generator=build_dcgan32_generator,
        build_discriminator=build_dcgan32_discriminator,
        image_sizes=(32,),
        recipe="p1_dcgan32_head_ct_plain",  # P1's numbers; P1's BCE+GP is the p1_dcgan32_head_ct preset
        paper="P1: Data augmentation using GANs (Kaggle head CT, 32x32)",
    )
)

ARCHS.add(
    ArchSpec(
        name="dcgan64",
        build_generator=build_dcgan64_generator,
        build_discriminator=build_dcgan64_discriminator,
        image_sizes=(64,),
        recipe="p2_dcgan64_brain_mri",
        paper="P2: Medical MR image synthesis using DCGAN (64x64); P4's WGAN network",
    )
)

ARCHS.add(
    ArchSpec(
        name="dcgan128",
        build_generator=build_dcgan128_generator,
        build_discriminator=build_dcgan128_discriminator,
        image_sizes=(128,),
        recipe="p0_dcgan128_rsna",
        paper="P0: Generating CT brain scans with a DCGAN (RSNA ICH, 128x128)",
    )
)
