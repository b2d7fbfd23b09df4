"""One harness over the registries (keras-hub style): every architecture builds, exports,
reloads in safe mode and generates; every evaluation metric runs on tiny inputs; every
dataset name resolves or gives its documented error. A new arch, metric or dataset is
covered by its registry line alone."""

import numpy as np
import pytest

from keras_medgan.data.datasets import DATASETS
from keras_medgan.evaluate.metrics import METRICS
from keras_medgan.evaluate.tables import TABLES, rows_for
from keras_medgan.gans import GAN_FAMILIES
from keras_medgan.models import ARCHS


@pytest.mark.parametrize("arch", ARCHS.names())
@pytest.mark.parametrize("num_classes", [0, 2], ids=["unconditional", "conditional"])
def test_every_arch_builds_exports_reloads_safely_and_generates(arch, num_classes, tmp_path):
    from keras_medgan.generators.cards import make_model_card
    from keras_medgan.generators.export import export_generator
    from keras_medgan.generators.loading import load_generator

    spec = ARCHS.get(arch)
    if num_classes and not spec.supports_conditional:
        pytest.skip(f"{arch} has no conditional form")
    size = min(spec.image_sizes)
    z_dim = int(spec.paper_defaults().get("z_dim", 100))
    width = spec.builder_kwargs(spec.paper_defaults())
    g = spec.build_generator(z_dim=z_dim, image_size=size, num_classes=num_classes, **width)
    family = GAN_FAMILIES.get(spec.paper_defaults().get("loss", "bce"))
    d = spec.build_discriminator(
        image_size=size, num_classes=num_classes, critic=family.CRITIC, **width
    )
    assert g.count_params() > 0 and d.count_params() > 0
    # what training exports: the loss family's exportable generator (pggan: a plain graph)
    gan = family(
        generator=g,
        discriminator=d,
        z_dim=z_dim,
        num_classes=num_classes,
        seed=0,
        **family.option_defaults(),
    )
    g = gan.exportable_generator()
    names = ["normal", "hemorrhage"]
    card = make_model_card(
        arch=arch,
        data="phantom",
        class_names=names,
        label=None if num_classes else "normal",
        image_size=size,
        z_dim=z_dim,
        epochs=0,
        seed=0,
    )
    paths = export_generator(g, tmp_path, "conditional" if num_classes else "normal", card)
    for fmt in ("h5", "keras"):
        loaded = load_generator(paths[fmt])  # safe mode: the vetting allow-list accepts it
        images = loaded.generate(3, label=1 if num_classes else None, seed=0)
        assert images.shape == (3, size, size, 1)
        assert np.isfinite(images).all() and images.min() >= -1.0 and images.max() <= 1.0


def _thumbnails():
    """A 64-feature extractor (every 4th pixel): FID's matrix square root stays tiny."""
    from keras_medgan.evaluate.features import FeatureExtractor

    return FeatureExtractor(
        name="thumbnails",
        description="every 4th pixel",
        fn=lambda x: np.asarray(x)[:, ::4, ::4, 0].reshape(len(x), -1),
    )


def _context(tmp_path):
    from keras_medgan.evaluate.metrics import EvalContext

    rng = np.random.default_rng(0)
    real = np.tanh(rng.normal(0, 0.6, (24, 32, 32, 1))).astype(np.float32)
    fake = np.tanh(rng.normal(0.1, 0.6, (24, 32, 32, 1))).astype(np.float32)
    labels = np.repeat([0, 1], 12)
    return EvalContext(
        real=real,
        fake=fake,
        out_dir=str(tmp_path),
        real_labels=labels,
        fake_labels=labels,
        class_names=["normal", "hemorrhage"],
        extractor_factory=_thumbnails,
        options={"epochs": 1, "c2st_epochs": 1, "folds": 2},
    )


@pytest.mark.parametrize("name", METRICS.names())
def test_every_metric_returns_values_or_says_what_it_needs(name, tmp_path):
    metric = METRICS.get(name)
    try:
        result = metric.fn(_context(tmp_path))
    except ValueError as exc:  # d_fake needs a training run's log: a message, not a crash
        assert name == "d_fake" and "run" in str(exc).lower()
        return
    assert result.name == name and isinstance(result.data, dict) and result.data
    assert metric.description
    # values only; the report's rows are made from them, apart (evaluate/tables.py)
    assert not hasattr(result, "rows")
    rows = rows_for(name, result.data)
    assert all(len(row) == 4 and all(isinstance(c, str) for c in row) for row in rows)
    assert rows or name == "tsne"  # t-SNE is a figure, every other metric has a table


def test_every_metric_table_belongs_to_a_metric():
    assert set(TABLES.names()) <= set(METRICS.names())


@pytest.mark.parametrize("name", DATASETS.names())
def test_every_dataset_resolves_or_names_what_is_missing(name, tmp_path, monkeypatch):
    from keras_medgan.data import DataError, load_image_set

    monkeypatch.setenv("KERAS_MEDGAN_DATA", str(tmp_path / "nowhere"))
    data = f"{name}:{tmp_path / 'missing'}" if name in ("folder", "csv", "nifti") else name
    try:
        images = load_image_set(data, image_size=32, split="all", progress=False)
    except DataError as exc:
        message = str(exc)
        assert (
            str(tmp_path) in message or "KERAS_MEDGAN_DATA" in message or "--data-dir" in message
        ), message
        assert "\n" not in message.splitlines()[0]
        return
    assert name == "phantom" and len(images) > 0
