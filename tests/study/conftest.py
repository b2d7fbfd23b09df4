"""Fixtures for the study tests: a toy image set with patient ids and file names, a
millisecond GAN architecture (tiny32) and a recipe YAML that trains it for one epoch."""

import numpy as np
import pytest

from keras_medgan.compare.classifier_training import TrainConfig
from keras_medgan.data.pipeline import ImageSet
from keras_medgan.study import StudyConfig
from tests.compare.conftest import CLASS_NAMES, toy_images
from tests.test_train_cli import tiny_registry  # noqa: F401 (fixture: registers tiny32)

ALL_ARMS = ["real", "synthetic", "real+synthetic", "classical", "classical+synthetic"]

TINY_RECIPE = """\
arch: tiny32
per_class: true
loss: bce
epochs: 1
batch_size: 4
sample_every: 1000
checkpoint_every: 1000
"""


def toy_study_loader(n_per_class=15, patients=None):
    """A stand-in for load_image_set(split="all"): images, labels, patient ids, paths."""
    images, labels = toy_images(n_per_class)
    n = len(labels)
    groups = patients or [f"p{i:03d}" for i in range(n)]

    def load(data, image_size, split, seed, data_dir=None):
        assert split == "all"
        return ImageSet(
            images=images,
            labels=labels,
            class_names=list(CLASS_NAMES),
            patient_ids=list(groups),
            paths=[f"/data/toy/img{i:03d}.png" for i in range(n)],
            source_shapes=np.full((n, 2), 32),
        )

    return load


@pytest.fixture(scope="module")
def tiny_arch(tiny_registry):  # noqa: F811 (the fixture below)
    """The millisecond 32×32 arch ``tiny32`` (registered by test_train_cli's fixture)."""
    return "tiny32"


def write_recipe(folder, text=TINY_RECIPE, name="tiny.yaml"):
    path = folder / name
    path.write_text(text)
    return str(path)


def study_config(out, recipe_path, arms=ALL_ARMS, **kw) -> StudyConfig:
    kw = {"folds": 2, "repeats": 1, "features": "pixels", "n_boot": 100, **kw}
    return StudyConfig(
        data="toy",
        out=str(out),
        recipes={"tiny": recipe_path},
        arms=list(arms),
        train=TrainConfig(classifier="small_cnn", steps=2, eval_every=2, seeds=1, run_eagerly=True),
        **kw,
    )
