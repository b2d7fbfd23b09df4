"""Progressive-growing GAN networks (Karras et al., ICLR 2018; P3's PGGAN).

Both networks hold *every* resolution stage's blocks from the start (4×4 → ``image_size``);
which stage runs, and the fade-in weight α of its newest block, are arguments of the
forward pass. That keeps one static graph for the whole run (no rebuilding when a stage is
added), lets ``tf.train.Checkpoint`` restore a run in the middle of a stage, and keeps the
growing logic (``keras_medgan.gans.progressive``) apart from the layers.

* ``forward(inputs, stage, alpha)`` (``stage`` a Python int) works at the stage's own
  resolution ``4 · 2**stage`` — what training uses.
* ``call(inputs, stage=None, alpha=None)`` picks the branch of a run-time ``stage`` with
  ``ops.switch``; the generator's output is always upsampled (nearest) to ``image_size``
  and the critic's input is always ``image_size`` (it average-pools to the stage), so the
  models have fixed shapes for sample grids, ``generate`` and export. With no
  ``stage``/``alpha`` given they read their own ``stage``/``alpha`` variables, which the
  progressive GAN updates after every step.

Generator (paper Table 2): latent (+ one-hot label) → pixel norm → dense 4·4·nf(0) →
LReLU(0.2) → pixel norm → conv3×3 → LReLU → pixel norm; each further stage: nearest ×2 →
2 × (conv3×3 → LReLU → pixel norm); a 1×1 ``to_rgb`` per stage. The fade-in output is
``lerp(upsample(to_rgb[s-1](h[s-1])), to_rgb[s](h[s]), α)``. The paper's output is linear;
this project's contract is tanh images in [-1, 1], so ``tanh`` follows the blend (nearest
upsampling commutes with tanh, so α = 0 is still exactly the upsampled old output).

Critic: 1×1 ``from_rgb`` + LReLU per stage; each stage block = conv3×3 nf(s) → conv3×3
nf(s-1) → avg-pool ×2; the 4×4 block = minibatch stddev → conv3×3 → dense nf(0) → dense 1
(linear: a Wasserstein critic, no normalisation). With a label, a projection term
``<embed(y), features>`` is added (Miyato & Koyama 2018), the conditioning ProGAN's
successors use; ``label_gate`` in the GAN lets P3 switch it on only at high resolution.
"""

from __future__ import annotations

import functools
import math

import keras
import numpy as np
from keras import layers, ops

from keras_medgan.models.layers import (
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStdDev,
    PixelNorm,
    downsample,
    lerp,
    set_folded_weights,
    stock_conv_from,
    stock_dense_from,
    stock_pixel_norm,
    upsample,
)
from keras_medgan.models.spec import ARCHS, ArchSpec

BASE_RESOLUTION = 4
LEAKY_SLOPE = 0.2


def num_stages(image_size: int) -> int:
    """Stages from 4×4 to ``image_size`` (a power of two ≥ 8): 4→1, 8→2, …, 256→7."""
    if image_size < 8 or image_size & (image_size - 1):
        raise ValueError(
            f"pggan needs a power-of-two image_size >= 8. Received: image_size={image_size}"
        )
    return int(math.log2(image_size)) - 1


def stage_resolution(stage: int) -> int:
    return BASE_RESOLUTION * 2**stage


def stage_filters(stage: int, fmap_base: int, fmap_max: int, fmap_min: int = 1) -> int:
    """ProGAN's ``nf(stage) = clip(fmap_base / 2**(stage + 1), fmap_min, fmap_max)``.

    With the paper's ``fmap_base=8192, fmap_max=512`` this gives 512 up to 32×32, then
    256, 128, 64, 32 at 64 … 512.
    """
    return int(min(max(fmap_base // 2 ** (stage + 1), fmap_min), fmap_max))


def _leaky(x):
    return ops.leaky_relu(x, LEAKY_SLOPE)


class _ProgressiveBase(keras.Model):
    """What both networks share: the stage/α state variables and the stage switch."""

    def _init_progress(self, image_size, fmap_base, fmap_max, fmap_min):
        self.image_size = int(image_size)
        self.num_stages = num_stages(self.image_size)
        self.fmap_base, self.fmap_max, self.fmap_min = int(fmap_base), int(fmap_max), int(fmap_min)
        # The stage/α this network runs at when none is passed (sampling, export).
        self.stage = self.add_weight(
            name="stage", shape=(), dtype="int32", initializer="zeros", trainable=False
        )
        self.alpha = self.add_weight(
            name="alpha", shape=(), dtype="float32", initializer="ones", trainable=False
        )

    def nf(self, stage: int) -> int:
        return stage_filters(stage, self.fmap_base, self.fmap_max, self.fmap_min)

    def set_progress(self, stage: int, alpha: float) -> None:
        """Set the default stage/α (e.g. ``stage=num_stages-1, alpha=1`` for the final net)."""
        if not 0 <= int(stage) < self.num_stages:
            raise ValueError(f"stage must be in [0, {self.num_stages - 1}]. Received: {stage}")
        self.stage.assign(int(stage))
        self.alpha.assign(float(alpha))

    def _switch(self, inputs, stage, alpha):
        stage = self.stage if stage is None else stage
        alpha = self.alpha if alpha is None else alpha
        if isinstance(stage, (int, np.integer)):
            return self._full_resolution(inputs, int(stage), alpha)
        branches = [functools.partial(self._branch, s) for s in range(self.num_stages)]
        index = ops.clip(ops.cast(stage, "int32"), 0, self.num_stages - 1)
        return ops.switch(index, branches, inputs, ops.cast(alpha, "float32"))

    def _branch(self, stage, inputs, alpha):
        return self._full_resolution(inputs, stage, alpha)

    def _build_all_stages(self, inputs):
        """Run every stage once so all weights exist before training/checkpointing."""
        for stage in range(self.num_stages):
            self.forward(inputs, stage, 0.5)
        self.built = True


class ProgressiveGenerator(_ProgressiveBase):
    """All stages of ProGAN's generator; see the module docstring."""

    def __init__(
        self,
        z_dim=512,
        image_size=256,
        num_classes=0,
        channels=1,
        fmap_base=8192,
        fmap_max=512,
        fmap_min=1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if z_dim <= 0:
            raise ValueError(f"z_dim must be positive. Received: z_dim={z_dim}")
        self.z_dim, self.num_classes, self.channels = int(z_dim), int(num_classes), int(channels)
        self._init_progress(image_size, fmap_base, fmap_max, fmap_min)
        nf0 = self.nf(0)
        self.latent_norm = PixelNorm(name="latent_norm")
        # Paper: gain sqrt(2)/4 on the first dense so it acts like a 4×4 conv of the latent.
        self.dense = EqualizedDense(
            BASE_RESOLUTION * BASE_RESOLUTION * nf0, gain=math.sqrt(2.0) / 4, name="stage0_dense"
        )
        self.convs = []
        for stage in range(self.num_stages):
            count = 1 if stage == 0 else 2
            self.convs.append(
                [
                    EqualizedConv2D(self.nf(stage), 3, name=f"stage{stage}_conv{i}")
                    for i in range(count)
                ]
            )
        self.to_rgb = [
            EqualizedConv2D(self.channels, 1, gain=1.0, name=f"stage{s}_to_rgb")
            for s in range(self.num_stages)
        ]
        self.pixel_norm = PixelNorm(name="pixel_norm")
        z = ops.zeros((2, self.z_dim))
        dummy = [z, ops.zeros((2, self.num_classes))] if self.num_classes else z
        self._build_all_stages(dummy)

    def _latent(self, inputs):
        if self.num_classes:
            z, labels = inputs
            return ops.concatenate([self.latent_norm(z), ops.cast(labels, z.dtype)], axis=-1)
        return self.latent_norm(inputs)

    def _features(self, inputs, stage):
        """Feature maps of every stage up to ``stage`` (``[h0, h1, …, h_stage]``)."""
        x = self.dense(self._latent(inputs))
        x = ops.reshape(x, (-1, BASE_RESOLUTION, BASE_RESOLUTION, self.nf(0)))
        x = self.pixel_norm(_leaky(x))
        x = self.pixel_norm(_leaky(self.convs[0][0](x)))
        features = [x]
        for s in range(1, stage + 1):
            x = upsample(x, 2)
            for conv in self.convs[s]:
                x = self.pixel_norm(_leaky(conv(x)))
            features.append(x)
        return features

    def forward(self, inputs, stage: int, alpha):
        """Images at the stage's own resolution, tanh-squashed, with the α fade-in."""
        features = self._features(inputs, stage)
        new = self.to_rgb[stage](features[stage])
        if stage > 0:
            old = upsample(self.to_rgb[stage - 1](features[stage - 1]), 2)
            new = lerp(old, new, ops.cast(alpha, new.dtype))
        return ops.tanh(ops.cast(new, "float32"))  # float32 images under any policy

    def _full_resolution(self, inputs, stage, alpha):
        return upsample(
            self.forward(inputs, stage, alpha), self.image_size // stage_resolution(stage)
        )

    def call(self, inputs, training=None, stage=None, alpha=None):
        return self._switch(inputs, stage, alpha)

    def bake(
        self, stage: int | None = None, alpha: float | None = None, name: str = "pggan_generator"
    ) -> keras.Model:
        """A functional, stock-layers-only copy at a fixed stage/α, output at ``image_size``.

        This is what gets exported: ``load_model`` needs no custom objects. Equalized-LR
        scales are folded into stock ``Conv2D``/``Dense`` kernels, pixel norm is
        ``UnitNormalization·sqrt(C)``. Defaults: the generator's current stage/α.
        """
        stage = int(ops.convert_to_numpy(self.stage)) if stage is None else int(stage)
        alpha = float(ops.convert_to_numpy(self.alpha)) if alpha is None else float(alpha)
        z_in = keras.Input((self.z_dim,), name="z")
        inputs = [z_in]
        x = stock_pixel_norm(z_in, "latent_norm")
        if self.num_classes:
            label_in = keras.Input((self.num_classes,), name="label")
            inputs.append(label_in)
            x = layers.Concatenate(name="latent_label")([x, label_in])
        copies = []  # (stock layer, equalized layer) to copy weights into once built

        def conv_block(h, equalized, name):
            conv = stock_conv_from(equalized, name)
            h = conv(h)
            copies.append((conv, equalized))
            h = layers.LeakyReLU(LEAKY_SLOPE, name=f"{name}_lrelu")(h)
            return stock_pixel_norm(h, f"{name}_pn")

        dense = stock_dense_from(self.dense, "stage0_dense")
        x = dense(x)
        copies.append((dense, self.dense))
        x = layers.Reshape((BASE_RESOLUTION, BASE_RESOLUTION, self.nf(0)), name="stage0_reshape")(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name="stage0_dense_lrelu")(x)
        x = stock_pixel_norm(x, "stage0_dense_pn")
        x = conv_block(x, self.convs[0][0], "stage0_conv0")
        features = [x]
        for s in range(1, stage + 1):
            x = layers.UpSampling2D(2, interpolation="nearest", name=f"stage{s}_up")(x)
            for i, conv in enumerate(self.convs[s]):
                x = conv_block(x, conv, f"stage{s}_conv{i}")
            features.append(x)

        def to_rgb(h, s):
            conv = stock_conv_from(self.to_rgb[s], f"stage{s}_to_rgb")
            out = conv(h)
            copies.append((conv, self.to_rgb[s]))
            return out

        rgb = to_rgb(features[stage], stage)
        if stage > 0 and alpha < 1.0:
            old = to_rgb(features[stage - 1], stage - 1)
            old = layers.UpSampling2D(2, interpolation="nearest", name="fade_up")(old)
            rgb = layers.Add(name="fade")(
                [
                    layers.Rescaling(1.0 - alpha, name="fade_old")(old),
                    layers.Rescaling(alpha, name="fade_new")(rgb),
                ]
            )
        rgb = layers.Activation("tanh", name="tanh")(rgb)
        factor = self.image_size // stage_resolution(stage)
        if factor > 1:
            rgb = layers.UpSampling2D(factor, interpolation="nearest", name="to_image_size")(rgb)
        outputs = layers.Activation("linear", dtype="float32", name="image")(rgb)
        baked = keras.Model(inputs if self.num_classes else z_in, outputs, name=name)
        for stock, equalized in copies:
            set_folded_weights(stock, equalized)
        return baked


class ProgressiveCritic(_ProgressiveBase):
    """All stages of ProGAN's critic; input at ``image_size`` (see the module docstring)."""

    def __init__(
        self,
        image_size=256,
        num_classes=0,
        channels=1,
        fmap_base=8192,
        fmap_max=512,
        fmap_min=1,
        mbstd_group_size=4,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_classes, self.channels = int(num_classes), int(channels)
        self._init_progress(image_size, fmap_base, fmap_max, fmap_min)
        self.from_rgb = [
            EqualizedConv2D(self.nf(s), 1, name=f"stage{s}_from_rgb")
            for s in range(self.num_stages)
        ]
        # Stage s ≥ 1 maps nf(s) → nf(s-1) channels and halves the resolution.
        self.blocks = [None] + [
            [
                EqualizedConv2D(self.nf(s), 3, name=f"stage{s}_conv0"),
                EqualizedConv2D(self.nf(s - 1), 3, name=f"stage{s}_conv1"),
            ]
            for s in range(1, self.num_stages)
        ]
        self.mbstd = MinibatchStdDev(mbstd_group_size, name="minibatch_stddev")
        self.final_conv = EqualizedConv2D(self.nf(0), 3, name="stage0_conv")
        self.final_dense = EqualizedDense(self.nf(0), name="stage0_dense")
        self.out = EqualizedDense(1, gain=1.0, name="score")
        self.embed = (
            EqualizedDense(self.nf(0), gain=1.0, use_bias=False, name="label_embed")
            if self.num_classes
            else None
        )
        images = ops.zeros((4, self.image_size, self.image_size, self.channels))
        dummy = [images, ops.zeros((4, self.num_classes))] if self.num_classes else images
        self._build_all_stages_critic(dummy)

    def _build_all_stages_critic(self, dummy):
        for stage in range(self.num_stages):
            images = dummy[0] if self.num_classes else dummy
            images = downsample(images, self.image_size // stage_resolution(stage))
            self.forward([images, dummy[1]] if self.num_classes else images, stage, 0.5)
        self.built = True

    def forward(self, inputs, stage: int, alpha):
        """Critic scores [B, 1] of images at the stage's own resolution."""
        images, labels = inputs if self.num_classes else (inputs, None)
        x = _leaky(self.from_rgb[stage](images))
        for s in range(stage, 0, -1):
            x = _leaky(self.blocks[s][0](x))
            x = downsample(_leaky(self.blocks[s][1](x)), 2)
            if s == stage and stage > 0:
                old = _leaky(self.from_rgb[stage - 1](downsample(images, 2)))
                x = lerp(old, x, ops.cast(alpha, x.dtype))
        x = _leaky(self.final_conv(self.mbstd(x)))
        x = ops.reshape(x, (-1, BASE_RESOLUTION * BASE_RESOLUTION * self.nf(0)))
        features = _leaky(self.final_dense(x))
        score = ops.cast(self.out(features), "float32")  # float32 scores under any policy
        if self.num_classes:
            projection = ops.sum(
                self.embed(ops.cast(labels, features.dtype)) * features, axis=-1, keepdims=True
            )
            score = score + ops.cast(projection, "float32")
        return score

    def _full_resolution(self, inputs, stage, alpha):
        images, labels = inputs if self.num_classes else (inputs, None)
        images = downsample(images, self.image_size // stage_resolution(stage))
        return self.forward([images, labels] if self.num_classes else images, stage, alpha)

    def call(self, inputs, training=None, stage=None, alpha=None):
        return self._switch(inputs, stage, alpha)


def build_pggan_generator(
    z_dim: int = 512,
    image_size: int = 256,
    num_classes: int = 0,
    fmap_base: int = 8192,
    fmap_max: int = 512,
    fmap_min: int = 1,
    **_ignored,
) -> ProgressiveGenerator:
    """ArchSpec builder: ProGAN's generator with every stage up to ``image_size``."""
    return ProgressiveGenerator(
        z_dim=z_dim,
        image_size=image_size,
        num_classes=num_classes,
        fmap_base=fmap_base,
        fmap_max=fmap_max,
        fmap_min=fmap_min,
        name="pggan_generator",
    )


def build_pggan_discriminator(
    image_size: int = 256,
    num_classes: int = 0,
    critic: bool = True,
    fmap_base: int = 8192,
    fmap_max: int = 512,
    fmap_min: int = 1,
    mbstd_group_size: int = 4,
    **_ignored,
) -> ProgressiveCritic:
    """ArchSpec builder: ProGAN's critic (always a linear Wasserstein critic, no BN)."""
    del critic  # ProGAN's critic is a WGAN-GP critic whatever the caller asks
    return ProgressiveCritic(
        image_size=image_size,
        num_classes=num_classes,
        fmap_base=fmap_base,
        fmap_max=fmap_max,
        fmap_min=fmap_min,
        mbstd_group_size=mbstd_group_size,
        name="pggan_critic",
    )


ARCHS.add(
    ArchSpec(
        name="pggan",
        build_generator=build_pggan_generator,
        build_discriminator=build_pggan_discriminator,
        image_sizes=(8, 16, 32, 64, 128, 256),
        # fmap 8192/512 are Karras's (P3: silent); the training numbers (and why) are in
        # experiments/p3_pggan.yaml. The "pggan" family's options carry P3's label flip (1/3)
        # and stage_images=None, which spreads the run over all growth phases.
        defaults={"fmap_base": 8192, "fmap_max": 512},
        recipe="p3_pggan",
        paper="P3: Synthetic brain image generation for ADHD prediction based on PGGAN",
        builder_options=("fmap_base", "fmap_max"),
        losses=("pggan",),
    )
)
