"""Pluggable feature extractors for FID / KID / t-SNE / memorization audits.

FID is only as meaningful as the network whose activations it compares. The usual
InceptionV3 was trained on ImageNet colour photographs, not grayscale CT, and nothing can be
downloaded here, so the extractor is a choice the user makes and every report names:

- ``pixels``        raw flattened pixels (tests, memorization in pixel space);
- ``domain_cnn``    the benchmark's ``small_cnn`` trained on the *real* images (their class
                    labels; with a single class, the self-supervised task of predicting a
                    0/90/180/270° rotation, Gidaris et al. 2018), cut at its 64-d
                    ``features`` layer — the TF-GAN idea of a domain classifier's activations;
- ``inception_v3``  keras.applications InceptionV3 (2048-d pool3, as in FID) from a LOCAL
                    weights file;
- ``vgg16``         keras.applications VGG16 (512-d global-average-pooled conv5; P3 uses
                    VGG-16 features) from a LOCAL weights file;
- ``keras_model``   your own whole Keras model from a LOCAL file (vetted, safe mode).

None of them is the published FID's network (the 2015 TF Inception graph that clean-fid
and torch-fidelity use): keras' InceptionV3 differs in weights and preprocessing, so our
FIDs rank models within this project but are not comparable with FIDs in papers.

Grayscale input is repeated to three channels explicitly. Resizing to an ImageNet net's
input size is done in float with antialiased bicubic interpolation and clipped to the input
range — clean-fid (Parmar et al. 2022) showed that aliased resizes or a uint8/JPEG round
trip shift FID by more than many published improvements.

Contract (the benchmark calls it exactly so)::

    ext = get_extractor("domain_cnn", real_images=x, real_labels=y, seed=0, epochs=10)
    ext = get_extractor("inception_v3", weights="path.h5")
    feats = ext(images)          # [N, H, W, 1] in [-1, 1] → float32 [N, D]
    ext.name, ext.description
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from keras_medgan.core.console import Progress
from keras_medgan.core.errors import KerasMedganError
from keras_medgan.core.registry import Registry
from keras_medgan.generators.vetting import UntrustedModelError, vet_feature_model_file

__all__ = [
    "FEATURE_EXTRACTORS",
    "FeatureExtractor",
    "FeatureExtractorError",
    "get_extractor",
    "resize_images",
    "to_three_channels",
]

FEATURE_EXTRACTORS: Registry[Callable[..., FeatureExtractor]] = Registry("feature extractor")


class FeatureExtractorError(KerasMedganError, ValueError):
    """A user-fixable problem with an extractor (missing weights file, no labels …)."""


@dataclass
class FeatureExtractor:
    """A named function ``images [N,H,W,C] in [-1,1] → float32 [N, D]``."""

    name: str
    description: str
    fn: Callable[[np.ndarray], np.ndarray]
    batch_size: int = 64
    info: dict[str, object] = field(default_factory=dict)

    def __call__(self, images: np.ndarray, verbose: bool = False) -> np.ndarray:
        images = _check_images(images)
        out = []
        bar = Progress(len(images), f"features[{self.name}]", enabled=verbose)
        for i in range(0, len(images), self.batch_size):
            out.append(np.asarray(self.fn(images[i : i + self.batch_size]), np.float32))
            bar.update(min(i + self.batch_size, len(images)))
        bar.close()
        feats = np.concatenate(out, axis=0)
        return feats.reshape(feats.shape[0], -1)

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "description": self.description, **self.info}


def get_extractor(name: str, **kwargs) -> FeatureExtractor:
    """Build the registered extractor ``name`` with its keyword options."""
    return FEATURE_EXTRACTORS.get(name)(**kwargs)


# --------------------------------------------------------------------------- helpers


def _check_images(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images, np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise FeatureExtractorError(
            f"Expected images [N, H, W, 1 or 3] in [-1, 1]. Received shape: {x.shape}."
        )
    return x


def to_three_channels(images: np.ndarray) -> np.ndarray:
    """Grayscale ``[N,H,W,1]`` → ``[N,H,W,3]`` by repeating the channel (explicit, no guess)."""
    x = _check_images(images)
    return x if x.shape[-1] == 3 else np.repeat(x, 3, axis=-1)


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """Float, antialiased bicubic resize to ``size×size``, clipped back to [-1, 1].

    Antialiasing matters when shrinking (clean-fid's finding: the aliased bilinear resize
    of TF/PyTorch changes FID); bicubic's overshoot is clipped as clean-fid clips to the
    input range. Never via uint8.
    """
    from keras import ops  # lazy: loads TensorFlow; module stays light

    x = _check_images(images)
    if x.shape[1] == size and x.shape[2] == size:
        return x
    out = ops.image.resize(x, (size, size), interpolation="bicubic", antialias=True)
    return np.clip(ops.convert_to_numpy(out), -1.0, 1.0).astype(np.float32)


def _require_local_weights(weights: str | None, net: str) -> str:
    if weights is None or weights == "imagenet":
        raise FeatureExtractorError(
            f"{net} needs a local weights file (weights='path/to/{net}_notop.h5'): nothing is "
            "downloaded here, and a randomly initialised network would give meaningless "
            "FID. Use 'domain_cnn' or 'pixels' when no weights file is available."
        )
    path = os.fspath(weights)
    if not os.path.isfile(path):
        raise FeatureExtractorError(f"{net} weights file not found: {path}")
    return path


def _load_application(builder, weights: str, pool_layer: str, input_size: int, net: str):
    """Load a keras.applications net from a local file, with or without its top.

    The no-top file loads into ``include_top=False, pooling='avg'``; a full file loads into
    the full model, which is then cut at ``pool_layer`` (the same global average pool).
    """
    import keras  # lazy: loads TensorFlow; module stays light

    shape = (input_size, input_size, 3)
    errors = []
    try:
        model = builder(include_top=False, weights=None, input_shape=shape, pooling="avg")
        model.load_weights(weights)
        return model
    except Exception as exc:  # noqa: BLE001 — report both attempts below
        errors.append(f"without top: {exc}")
    try:
        full = builder(include_top=True, weights=None)
        full.load_weights(weights)
        if input_size != full.input_shape[1]:
            raise FeatureExtractorError(
                f"a full {net} file fixes the input size at {full.input_shape[1]}"
            )
        return keras.Model(full.input, full.get_layer(pool_layer).output)
    except Exception as exc:  # noqa: BLE001
        errors.append(f"with top: {exc}")
    raise FeatureExtractorError(
        f"Could not load {net} weights from {weights}: " + "; ".join(errors)
    )


# --------------------------------------------------------------------------- extractors


@FEATURE_EXTRACTORS.register("pixels")
def pixels_extractor(**_unused) -> FeatureExtractor:
    """Raw pixels, flattened: the identity feature map."""
    return FeatureExtractor(
        name="pixels",
        description="raw pixel values in [-1, 1], flattened (no network)",
        fn=lambda x: x.reshape(x.shape[0], -1),
        batch_size=1024,
    )


@FEATURE_EXTRACTORS.register("inception_v3")
def inception_v3_extractor(
    weights: str | None = None, input_size: int = 299, batch_size: int = 32, **_unused
) -> FeatureExtractor:
    """InceptionV3 pool3 (2048-d) from a local ImageNet weights file.

    Input: gray → RGB, antialiased bicubic resize to 299 in float; InceptionV3's own
    preprocessing maps [0, 255] to [-1, 1], which is exactly our range, so no rescale.
    """
    import keras  # lazy: loads TensorFlow; module stays light

    path = _require_local_weights(weights, "inception_v3")
    model = _load_application(
        keras.applications.InceptionV3, path, "avg_pool", input_size, "inception_v3"
    )

    def fn(x):
        x = resize_images(to_three_channels(x), input_size)
        return model.predict_on_batch(x)

    return FeatureExtractor(
        name="inception_v3",
        description=(
            f"InceptionV3 pool3 2048-d from local weights {os.path.basename(path)}; "
            f"gray→RGB, antialiased bicubic float resize to {input_size}"
        ),
        fn=fn,
        batch_size=batch_size,
        info={"weights": path, "input_size": input_size, "resize": "bicubic, antialias, float"},
    )


_VGG_BGR_MEAN = np.array([103.939, 116.779, 123.68], np.float32)


@FEATURE_EXTRACTORS.register("vgg16")
def vgg16_extractor(
    weights: str | None = None, input_size: int = 224, batch_size: int = 32, **_unused
) -> FeatureExtractor:
    """VGG16 global-average-pooled conv5 (512-d) from a local ImageNet weights file.

    VGG16 uses "caffe" preprocessing: [0, 255] BGR minus the ImageNet channel means.
    """
    import keras  # lazy: loads TensorFlow; module stays light

    path = _require_local_weights(weights, "vgg16")
    model = _load_application(keras.applications.VGG16, path, "block5_pool", input_size, "vgg16")
    pooled = model if len(model.output.shape) == 2 else None

    def fn(x):
        x = resize_images(to_three_channels(x), input_size)
        x = (x + 1.0) * 127.5
        x = x[..., ::-1] - _VGG_BGR_MEAN
        out = model.predict_on_batch(x)
        return out if pooled is not None else out.mean(axis=(1, 2))

    return FeatureExtractor(
        name="vgg16",
        description=(
            f"VGG16 global-average-pooled conv5 512-d from local weights "
            f"{os.path.basename(path)}; gray→RGB, antialiased bicubic float resize "
            f"to {input_size}, caffe preprocessing"
        ),
        fn=fn,
        batch_size=batch_size,
        info={"weights": path, "input_size": input_size, "resize": "bicubic, antialias, float"},
    )


@FEATURE_EXTRACTORS.register("keras_model")
def keras_model_extractor(
    weights: str | None = None, batch_size: int = 32, **_unused
) -> FeatureExtractor:
    """Your own feature network: a whole Keras model in a local ``.keras`` / ``.h5`` file
    (a RadImageNet network, the reference FID Inception converted to Keras, a model trained
    on your modality). Its output, global-average-pooled when it is a feature map, is the
    feature vector.

    The file is untrusted input: checked by ``vetting.vet_feature_model_file`` (stock Keras
    objects only, size and nesting caps), then loaded in Keras's safe mode. Images go in as
    float [-1, 1], gray (or repeated to RGB when the model takes 3 channels), resized to
    its input size as for the other networks: put any other preprocessing in the model.
    """
    import keras  # lazy: loads TensorFlow; module stays light

    if not weights:
        raise FeatureExtractorError(
            "--features keras_model needs --feature-weights FILE "
            "(a whole Keras model, .keras or .h5)"
        )
    path = os.fspath(weights)
    try:
        vet_feature_model_file(path)
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except UntrustedModelError as exc:
        raise FeatureExtractorError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 — Keras raises many kinds; one line for the user
        raise FeatureExtractorError(
            f"{path}: Keras could not load it as a model ({type(exc).__name__}: {exc})"
        ) from None
    shape = tuple(model.input_shape)
    if len(shape) != 4 or shape[-1] not in (1, 3):
        raise FeatureExtractorError(
            f"{path}: the model takes {shape}; a feature model takes images [N, H, W, 1 or 3]"
        )
    size, channels = shape[1], shape[-1]

    def fn(x):
        if size is not None:
            x = resize_images(x, size)
        x = to_three_channels(x) if channels == 3 else x
        out = np.asarray(model.predict_on_batch(x))
        return out.mean(axis=(1, 2)) if out.ndim == 4 else out

    return FeatureExtractor(
        name="keras_model",
        description=(
            f"your Keras model {os.path.basename(path)} "
            f"({model.output_shape[-1]}-d output); [-1, 1] "
            f"{'gray→RGB' if channels == 3 else 'gray'}"
            + (f", antialiased bicubic float resize to {size}" if size else "")
        ),
        fn=fn,
        batch_size=batch_size,
        info={"weights": path, "input_size": size, "resize": "bicubic, antialias, float"},
    )


def recalibrate_batchnorm(model, images: np.ndarray, max_images: int = 4096, seed: int = 0) -> None:
    """Set every BatchNorm layer's moving statistics to the exact population statistics.

    Why: a small CNN trained for a few dozen steps still has moving averages (momentum
    0.99) far from the batch statistics, so in inference mode its activations collapse to
    nearly constant values — FID on them is ~0 whatever the images. One forward pass in
    training mode over the whole set, with momentum 0, stores the set's own mean/variance
    in each layer (earlier layers are normalised by the same full-batch statistics, so the
    cascade is exact). Only moving statistics change; no weight is trained.
    """
    import keras  # lazy: loads TensorFlow; module stays light

    # lazy: loads TensorFlow; module stays light
    from keras_medgan.models.keras_compat import flatten_layers

    bns = [
        layer
        for layer in flatten_layers(model)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    if not bns:
        return
    x = np.asarray(images, np.float32)
    if len(x) > max_images:
        x = x[np.random.default_rng(seed).choice(len(x), max_images, replace=False)]
    saved = [layer.momentum for layer in bns]
    try:
        for layer in bns:
            layer.momentum = 0.0
        model(x, training=True)
    finally:
        for layer, momentum in zip(bns, saved):
            layer.momentum = momentum


def _rotations(images: np.ndarray):
    """Every image at 0/90/180/270° with labels 0..3 (square images only)."""
    rots = [np.rot90(images, k=k, axes=(1, 2)) for k in range(4)]
    labels = np.repeat(np.arange(4), len(images))
    return np.concatenate(rots, axis=0), labels


@FEATURE_EXTRACTORS.register("domain_cnn")
def domain_cnn_extractor(
    real_images: np.ndarray | None = None,
    real_labels=None,
    seed: int = 0,
    epochs: int = 10,
    batch_size: int = 32,
    classifier: str = "small_cnn",
    verbose: int = 0,
    **_unused,
) -> FeatureExtractor:
    """A small CNN trained on the real images; features = its 64-d ``features`` layer.

    With ≥ 2 classes in ``real_labels`` it learns the real task (what a downstream
    classifier sees); otherwise it learns to predict a rotation of each image, which needs
    no labels. BatchNorm statistics are recalibrated on the training images afterwards
    (see ``recalibrate_batchnorm``). Deterministic for a given ``seed``.
    """
    import keras  # lazy: loads TensorFlow; module stays light

    # lazy: loads TensorFlow; module stays light
    from keras_medgan.models.classifiers import (
        FEATURES_LAYER,
        build_classifier,
    )

    if real_images is None:
        raise FeatureExtractorError(
            "domain_cnn trains on the real images: pass real_images=[N,H,W,1] in [-1, 1]."
        )
    x = _check_images(real_images)
    labels = None if real_labels is None else np.asarray(real_labels).reshape(-1)
    if labels is not None and len(labels) != len(x):
        raise FeatureExtractorError(
            f"real_labels has {len(labels)} entries for {len(x)} real images."
        )
    if labels is not None and len(np.unique(labels)) >= 2:
        classes = np.unique(labels)
        y = np.searchsorted(classes, labels)
        task = f"{len(classes)}-class labels of the real images"
    else:
        if x.shape[1] != x.shape[2]:
            raise FeatureExtractorError(
                "domain_cnn without ≥2 classes uses rotation prediction, which needs square "
                f"images. Received: {x.shape[1]}×{x.shape[2]}."
            )
        x, y = _rotations(x)
        classes = np.arange(4)
        task = "self-supervised rotation prediction (0/90/180/270°; fewer than 2 classes)"
    keras.utils.set_random_seed(int(seed))
    clf = build_classifier(classifier, x.shape[1:], num_classes=len(classes))
    clf.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    hist = clf.fit(
        x, y, epochs=int(epochs), batch_size=int(batch_size), shuffle=True, verbose=verbose
    )
    recalibrate_batchnorm(clf, x, seed=int(seed))
    feature_model = keras.Model(clf.input, clf.get_layer(FEATURES_LAYER).output)

    def fn(batch):
        return feature_model.predict_on_batch(batch)

    train_acc = float(hist.history["accuracy"][-1]) if hist.history.get("accuracy") else None
    return FeatureExtractor(
        name="domain_cnn",
        description=(
            f"{classifier} trained {epochs} epochs (seed {seed}) on {len(real_images)} "
            f"real images, task: {task}; features = its "
            f"{feature_model.output.shape[-1]}-d '{FEATURES_LAYER}' layer"
        ),
        fn=fn,
        batch_size=256,
        info={
            "classifier": classifier,
            "epochs": int(epochs),
            "seed": int(seed),
            "task": task,
            "train_accuracy": train_acc,
            "num_real": len(real_images),
        },
    )
