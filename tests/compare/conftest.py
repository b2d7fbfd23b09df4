"""Fixtures for the benchmark tests: a tiny two-class image set and tiny generators.

The image set is arrays (no files): class 0 "normal" is a dim disc, class 1
"hemorrhage" the same disc with a bright blob, plus noise — separable, so a classifier
can learn it in an epoch or two. The generators are untrained stock-layer models exported
with keras_medgan.generators.export (h5 + model card), i.e. exactly what the CLI loads.
"""

import types

import numpy as np
import pytest

CLASS_NAMES = ["normal", "hemorrhage"]


def toy_images(n_per_class=20, size=32, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    disc = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (0.4 * size) ** 2).astype(np.float32)
    images, labels = [], []
    for c in (0, 1):
        for _ in range(n_per_class):
            img = -1.0 + 1.0 * disc + rng.normal(0, 0.1, (size, size))
            if c == 1:
                cy, cx = rng.integers(size // 3, 2 * size // 3, 2)
                img += 0.9 * (((yy - cy) ** 2 + (xx - cx) ** 2) < (size / 8) ** 2)
            images.append(np.clip(img, -1, 1))
            labels.append(c)
    return np.asarray(images, np.float32)[..., None], np.asarray(labels, np.int64)


def toy_loader(n_per_class=20, size=32, fractions=(0.6, 0.2, 0.2)):
    """A stand-in for keras_medgan.data.load_image_set: stratified split by ``seed``."""
    images, labels = toy_images(n_per_class, size)

    def load(data, image_size, split, seed, data_dir=None):
        rng = np.random.default_rng(seed)
        parts = {"train": [], "val": [], "test": []}
        for c in (0, 1):
            idx = rng.permutation(np.flatnonzero(labels == c))
            n_tr = round(fractions[0] * len(idx))
            n_va = round(fractions[1] * len(idx))
            parts["train"].extend(idx[:n_tr])
            parts["val"].extend(idx[n_tr : n_tr + n_va])
            parts["test"].extend(idx[n_tr + n_va :])
        sel = np.asarray(sorted(parts[split]), np.int64)
        return types.SimpleNamespace(
            images=images[sel], labels=labels[sel], class_names=list(CLASS_NAMES)
        )

    return load


def export_tiny(export_dir, label, class_names=CLASS_NAMES, image_size=32, seed=0):
    """Save a tiny generator as export/generator_<label>.h5 + model card (export API)."""
    import json

    from keras_medgan.generators.cards import make_model_card
    from keras_medgan.generators.export import export_paths
    from tests.standins import tiny_generator

    conditional = label is None
    model = tiny_generator(
        image_size=image_size, num_classes=len(class_names) if conditional else 0, seed=seed
    )
    name = "conditional" if conditional else label
    paths = export_paths(export_dir, name)
    paths["h5"].parent.mkdir(parents=True, exist_ok=True)
    model.save(paths["h5"])
    card = make_model_card(
        arch="tiny",
        data="toy",
        class_names=class_names,
        label=label,
        image_size=image_size,
        z_dim=8,
        epochs=0,
        seed=seed,
    )
    paths["card"].write_text(json.dumps(card))
    return paths["h5"]


@pytest.fixture
def per_class_run(tmp_path):
    """A run folder whose export/ holds one untrained generator per class."""
    run = tmp_path / "run"
    for i, name in enumerate(CLASS_NAMES):
        export_tiny(run / "export", name, seed=i)
    return run
