"""The same datasets as TensorFlow Datasets builders (``tfds.core.GeneratorBasedBuilder``).

Each builder is a thin wrapper over ``load_image_set``: the same readers, label parsers,
window, resize and patient-level train/val/test split, written once as TFRecords so that
any TFDS user can ``builder.as_dataset(split="train")``. Images are stored as uint8
[S, S, 1] (the [0, 1] display range × 255); the config name is the image size.

Real sets need a manual download (``MANUAL_DOWNLOAD_INSTRUCTIONS``); pass its folder as
``manual_dir``. Nothing here touches the network:

    import tensorflow_datasets as tfds
    from keras_medgan.data.tfds import MedganHeadCt, offline_download_config
    b = MedganHeadCt(data_dir="~/tfds", config="32")
    b.download_and_prepare(download_config=offline_download_config("~/data/head_ct"))
    ds = b.as_dataset(split="train", as_supervised=True)
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_datasets as tfds

from keras_medgan.data.datasets import DATASETS
from keras_medgan.data.pipeline import (
    IMAGE_SIZES,
    SPLITS,
    load_image_set,
    to_display_range,
)

VERSION = tfds.core.Version("1.0.0")


@dataclasses.dataclass
class MedganConfig(tfds.core.BuilderConfig):
    """``image_size``: stored side; ``phantom_n``: phantom slices (phantom only)."""

    image_size: int = 32
    phantom_n: int = 200


def _size_configs():
    return [
        MedganConfig(
            name=str(s), description=f"{s}x{s}, aspect-preserving resize + zero pad", image_size=s
        )
        for s in IMAGE_SIZES
    ]


def offline_download_config(manual_dir=None) -> tfds.download.DownloadConfig:
    """A DownloadConfig that never goes to the network (no GCS mirror lookup)."""
    return tfds.download.DownloadConfig(manual_dir=manual_dir, try_download_gcs=False)


def _instructions(name: str) -> str:
    spec = DATASETS.get(name)
    return (
        f"Download {spec.source} yourself and unpack it so that {spec.layout} exist. "
        "Pass that folder as manual_dir (download_config=tfds.download.DownloadConfig("
        "manual_dir=...))."
    )


class _MedganBuilder(tfds.core.GeneratorBasedBuilder):
    """Shared body: the dataset name comes from ``DATA``."""

    VERSION = VERSION
    DATA = ""
    CLASS_NAMES = ("normal", "hemorrhage")
    BUILDER_CONFIGS = _size_configs()

    def _info(self) -> tfds.core.DatasetInfo:
        size = self.builder_config.image_size
        return self.dataset_info_from_configs(
            description=DATASETS.get(self.DATA).description,
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(size, size, 1), dtype=np.uint8),
                    "label": tfds.features.ClassLabel(names=list(self.CLASS_NAMES)),
                    "patient_id": tfds.features.Text(),
                    "path": tfds.features.Text(),
                }
            ),
            supervised_keys=("image", "label"),
            homepage="https://github.com/keras-medgan/keras_medgan",
        )

    def _data_arg(self) -> str:
        return self.DATA

    def _source_dir(self, dl_manager) -> str | None:
        return str(dl_manager.manual_dir)

    def _split_generators(self, dl_manager):
        """train/val/test of the patient-level split; TFDS refuses empty splits, so a
        tiny set may have no test split."""
        data_dir = self._source_dir(dl_manager)
        sets = {split: self._load(split, data_dir) for split in SPLITS[:3]}
        return {split: self._generate_examples(s) for split, s in sets.items() if len(s)}

    def _load(self, split: str, data_dir):
        s = load_image_set(
            self._data_arg(),
            image_size=self.builder_config.image_size,
            split=split,
            data_dir=data_dir,
            progress=False,
            allow_empty=True,
        )
        if list(s.class_names) != list(self.CLASS_NAMES):
            raise ValueError(
                f"{self.DATA}: classes {s.class_names} differ from the builder's "
                f"{list(self.CLASS_NAMES)}"
            )
        return s

    def _generate_examples(self, s):
        pixels = np.rint(to_display_range(s.images) * 255).astype(np.uint8)
        seen = {}
        for img, label, pid, path in zip(pixels, s.labels, s.patient_ids, s.paths):
            frame = seen.get(path, 0)
            seen[path] = frame + 1
            yield (
                f"{path}#{frame}",
                {"image": img, "label": int(label), "patient_id": pid, "path": path},
            )


class MedganHeadCt(_MedganBuilder):
    """Kaggle 'Head CT - hemorrhage' (P1)."""

    DATA = "head_ct"
    MANUAL_DOWNLOAD_INSTRUCTIONS = _instructions("head_ct")


class MedganRsnaIch(_MedganBuilder):
    """RSNA Intracranial Hemorrhage Detection, brain window (P0)."""

    DATA = "rsna_ich"
    MANUAL_DOWNLOAD_INSTRUCTIONS = _instructions("rsna_ich")


class MedganBrainMri(_MedganBuilder):
    """Kaggle 'Brain MRI Images for Brain Tumor Detection' (P2)."""

    DATA = "brain_mri"
    CLASS_NAMES = ("no", "yes")
    MANUAL_DOWNLOAD_INSTRUCTIONS = _instructions("brain_mri")


class MedganPhantom(_MedganBuilder):
    """The procedural head-CT phantom: no download. Config ``tiny`` (16 slices) is for
    smoke tests."""

    DATA = "phantom"
    BUILDER_CONFIGS = _size_configs() + [
        MedganConfig(
            name="tiny",
            description="16 phantom slices at 32x32 (smoke tests)",
            image_size=32,
            phantom_n=16,
        )
    ]

    def _data_arg(self) -> str:
        return f"phantom:n={self.builder_config.phantom_n}"

    def _source_dir(self, dl_manager) -> str | None:
        return None


BUILDERS = {b.DATA: b for b in (MedganHeadCt, MedganRsnaIch, MedganBrainMri, MedganPhantom)}
