"""TFDS builders: the phantom builds into a temp data_dir offline and loads back."""

import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")


def test_phantom_builder_roundtrip(tmp_path):
    from keras_medgan.data import load_image_set
    from keras_medgan.data.tfds import MedganPhantom, offline_download_config

    builder = MedganPhantom(data_dir=str(tmp_path / "tfds"), config="tiny")
    builder.download_and_prepare(download_config=offline_download_config())
    counts = {k: builder.info.splits[k].num_examples for k in ("train", "val", "test")}
    ref = {k: load_image_set("phantom:n=16", split=k) for k in ("train", "val", "test")}
    assert counts == {k: len(v) for k, v in ref.items()}
    assert sum(counts.values()) == 16
    ds = builder.as_dataset(split="train", as_supervised=True)
    got = sorted((float(x.numpy().mean()), int(y.numpy())) for x, y in ds)
    want = sorted(
        (float(np.rint((img + 1) / 2 * 255).mean()), int(y))
        for img, y in zip(ref["train"].images, ref["train"].labels)
    )
    np.testing.assert_allclose([g[0] for g in got], [w[0] for w in want], atol=1e-3)
    assert [g[1] for g in got] == [w[1] for w in want]
    assert builder.info.features["label"].names == ["normal", "hemorrhage"]


def test_real_builders_carry_manual_instructions():
    from keras_medgan.data.tfds import BUILDERS

    assert "Kitamura" in BUILDERS["head_ct"].MANUAL_DOWNLOAD_INSTRUCTIONS
    assert "manual_dir" in BUILDERS["rsna_ich"].MANUAL_DOWNLOAD_INSTRUCTIONS
    assert BUILDERS["brain_mri"].CLASS_NAMES == ("no", "yes")


def test_head_ct_builder_from_manual_dir(tmp_path):
    from keras_medgan.data.tfds import MedganHeadCt, offline_download_config

    from .fixtures import write_head_ct

    root = write_head_ct(tmp_path / "hct", n=10)
    builder = MedganHeadCt(data_dir=str(tmp_path / "tfds"), config="32")
    builder.download_and_prepare(download_config=offline_download_config(root))
    splits = builder.info.splits
    assert sorted(splits) == ["train", "val"]  # 5 per class → 4/1/0: no test split
    assert splits["train"].num_examples == 8 and splits["val"].num_examples == 2
