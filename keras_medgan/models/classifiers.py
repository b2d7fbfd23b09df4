"""Classifiers that judge whether synthetic images help: P1's ResNet-50, a CIFAR-style
ResNet-18 for small images, and a small CNN.

P1 (Kaggle head CT, 32×32×1) trains a ResNet-50 "with dropout 0.4 before the final
softmax", RMSprop 1e-3, batch 32, early stopping (patience 5) on three training sets (real,
synthetic, real + synthetic). Keras' ResNet50 expects three channels and at least 32×32, so
the grey image is repeated to three channels by a stock ``Concatenate`` layer (no Lambda:
the model must load with ``safe_mode`` on) and smaller inputs are upsampled to ≥ 32.

``small_cnn`` is the fast stand-in for ``--quick`` runs and the domain-CNN feature extractor
of the evaluation package: its last representation layer is named ``"features"`` so
``keras.Model(m.input, m.get_layer("features").output)`` cuts a feature extractor from it.

No builder ever downloads anything: ``weights`` is None (random init) or a local file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

import keras
from keras import layers

from keras_medgan.core.registry import Registry

__all__ = ["CLASSIFIERS", "FEATURES_LAYER", "build_classifier"]

#: Registry of classifier builders: name → fn(input_shape, num_classes, dropout, weights).
CLASSIFIERS: Registry[Callable[..., keras.Model]] = Registry("classifier")

#: Name of the representation layer a feature extractor cuts at (small_cnn and resnet50).
FEATURES_LAYER = "features"

# ImageNet "caffe" preprocessing of keras.applications.resnet50: BGR means, no scaling.
_IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)
_RESNET_MIN_SIZE = 32
_RESNET_BN_MOMENTUM = 0.9


def _check_input_shape(input_shape: Sequence[int]) -> tuple:
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or shape[-1] not in (1, 3) or min(shape[:2]) < 1:
        raise ValueError(
            "input_shape must be (height, width, channels) with 1 or 3 channels. "
            f"Received: {input_shape}"
        )
    return shape


def _check_weights_file(weights: str | None) -> str | None:
    if weights is None:
        return None
    if weights == "imagenet":
        raise ValueError(
            "weights='imagenet' would download from the internet; pass the path of a local "
            "ImageNet weights file (e.g. resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5)."
        )
    if not os.path.isfile(weights):
        raise ValueError(f"weights file not found: {weights}")
    return weights


def _load_weights(model: keras.Model, weights: str, what: str) -> None:
    """``model.load_weights`` with an error that names the file and what it should hold."""
    try:
        model.load_weights(weights)
    except Exception as exc:  # noqa: BLE001 — Keras raises ValueError/OSError/KeyError/…
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"cannot load weights file {weights} into {what}: {first}") from None


def _to_three_channels(x):
    """Repeat a grey channel three times with a stock layer (keeps models Lambda-free)."""
    if x.shape[-1] == 3:
        return x
    return layers.Concatenate(axis=-1, name="grey_to_rgb")([x, x, x])


@CLASSIFIERS.register("resnet50")
def build_resnet50(
    input_shape: Sequence[int],
    num_classes: int,
    dropout: float = 0.4,
    weights: str | None = None,
) -> keras.Model:
    """P1's ResNet-50: backbone (no top) → GAP → Dropout(0.4) → Dense softmax.

    Inputs are images in [-1, 1]. With a local ImageNet ``weights`` file the inputs are
    mapped to the range and BGR-mean centring ResNet-50 was trained with; without weights
    the [-1, 1] input is kept (random init with BatchNorm needs no such shift).
    """
    shape = _check_input_shape(input_shape)
    weights = _check_weights_file(weights)
    inputs = keras.Input(shape=shape, name="image")
    x = _to_three_channels(inputs)
    smallest = min(shape[:2])
    if smallest < _RESNET_MIN_SIZE:
        factor = math.ceil(_RESNET_MIN_SIZE / smallest)
        x = layers.UpSampling2D(size=factor, interpolation="bilinear", name="upsample")(x)
    if weights is not None:
        x = layers.Rescaling(127.5, offset=127.5, name="to_0_255")(x)
        x = layers.Normalization(
            mean=list(_IMAGENET_BGR_MEAN), variance=[1.0, 1.0, 1.0], name="imagenet_centre"
        )(x)
    backbone = keras.applications.ResNet50(
        include_top=False, weights=None, input_shape=tuple(x.shape[1:])
    )
    # Keras' ResNet-50 uses BatchNorm momentum 0.99: its moving statistics need several
    # hundred steps to reach the data's, but P1's set gives 5 steps per epoch, so at test
    # time the net still normalises with its initial statistics and answers one class
    # (measured: head_ct, 18 epochs, accuracy 50 % at AUC 0.79). 0.9 settles in ~30 steps.
    for layer in backbone.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = _RESNET_BN_MOMENTUM
    if weights is not None:
        _load_weights(backbone, weights, "the ResNet-50 backbone (no top)")
    x = backbone(x)
    x = layers.GlobalAveragePooling2D(name=FEATURES_LAYER)(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(
        x
    )
    return keras.Model(inputs, outputs, name="resnet50_classifier")


@CLASSIFIERS.register("small_cnn")
def build_small_cnn(
    input_shape: Sequence[int],
    num_classes: int,
    dropout: float = 0.4,
    weights: str | None = None,
) -> keras.Model:
    """Three conv blocks (16/32/64 filters) → GAP → Dense 64 "features" → Dropout → softmax.

    About 30 k parameters: trains in seconds on a CPU at 32×32, which is what the
    ``--quick`` benchmark profile and the domain-CNN feature extractor need.
    """
    shape = _check_input_shape(input_shape)
    weights = _check_weights_file(weights)
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    for i, filters in enumerate((16, 32, 64)):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        if min(x.shape[1:3]) >= 2:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(64, activation="relu", name=FEATURES_LAYER)(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(
        x
    )
    model = keras.Model(inputs, outputs, name="small_cnn")
    if weights is not None:
        _load_weights(model, weights, "small_cnn")
    return model


#: CIFAR-style ResNet-18 widths: a quarter of He et al.'s 64-128-256-512, so that a step
#: at 32×32 costs about what P1's ResNet-50 costs (whose stem shrinks 32×32 to 8×8 first).
_CIFAR_WIDTHS = (16, 32, 64, 128)


def _basic_block(x, filters: int, stride: int, name: str):
    """He et al.'s basic block (two 3×3 convs) with a 1×1 projection when the shape changes."""
    shortcut = x
    y = layers.Conv2D(
        filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1"
    )(x)
    y = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(
            shortcut
        )
        shortcut = layers.BatchNormalization(momentum=0.9, name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)


@CLASSIFIERS.register("resnet18_cifar")
def build_resnet18_cifar(
    input_shape: Sequence[int],
    num_classes: int,
    dropout: float = 0.4,
    weights: str | None = None,
) -> keras.Model:
    """ResNet-18 as He et al. build it for CIFAR's 32×32 (3×3 stem, no max-pool, four stages
    of two basic blocks at strides 1-2-2-2), at a quarter of the width (about 0.7 M
    parameters): built for 32–64 px and a few hundred images, where ImageNet's ResNet-50
    (23 M parameters, a stride-4 stem) is poorly conditioned. Made from Keras layers,
    nothing downloaded; ``weights``: a whole-model weights file of this network.
    """
    shape = _check_input_shape(input_shape)
    weights = _check_weights_file(weights)
    inputs = keras.Input(shape=shape, name="image")
    x = layers.Conv2D(_CIFAR_WIDTHS[0], 3, padding="same", use_bias=False, name="stem")(inputs)
    x = layers.BatchNormalization(momentum=0.9, name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for stage, filters in enumerate(_CIFAR_WIDTHS):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 and min(x.shape[1:3]) >= 2 else 1
            x = _basic_block(x, filters, stride, name=f"s{stage}b{block}")
    x = layers.GlobalAveragePooling2D(name=FEATURES_LAYER)(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(
        x
    )
    model = keras.Model(inputs, outputs, name="resnet18_cifar")
    if weights is not None:
        _load_weights(model, weights, "resnet18_cifar")
    return model


def build_classifier(
    name: str,
    input_shape: Sequence[int],
    num_classes: int,
    dropout: float = 0.4,
    weights: str | None = None,
) -> keras.Model:
    """Build a registered classifier (softmax over ``num_classes``, float32 output).

    ``weights``: None (random init, the default — nothing is downloaded) or a local file.
    For resnet50 the file is an ImageNet backbone (no top); for small_cnn a whole-model
    weights file saved with ``model.save_weights``.
    """
    if int(num_classes) < 2:
        raise ValueError(f"num_classes must be >= 2. Received: {num_classes}")
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1). Received: {dropout}")
    builder = CLASSIFIERS.get(name)
    return builder(input_shape, int(num_classes), dropout=float(dropout), weights=weights)
