"""Every label format, on tiny fixtures written here."""

import numpy as np
import pytest

from keras_medgan.data import DataError, load_image_set

from .fixtures import write_generic_csv, write_head_ct, write_rsna


def test_kaggle_head_ct_layout(tmp_path):
    root = write_head_ct(tmp_path / "head_ct_set", n=10)
    s = load_image_set("head_ct", data_dir=root, split="all", cache=False)
    assert s.class_names == ["normal", "hemorrhage"]
    assert s.counts() == {"normal": 5, "hemorrhage": 5}
    assert sorted(s.patient_ids) == [f"{i:03d}" for i in range(10)]  # zero-padded back
    by_id = dict(zip(s.patient_ids, s.labels))
    assert by_id["000"] == 1 and by_id["009"] == 0
    # RGB(A) → one grey channel with the right value (pixel 20*i on every channel)
    i7 = s.patient_ids.index("007")
    centre = s.images[i7, 16, 16, 0]
    assert centre == pytest.approx(140 / 255 * 2 - 1, abs=2e-3)
    assert s.images.shape[1:] == (32, 32, 1)


def test_kaggle_head_ct_with_the_image_folder_doubled(tmp_path):
    """``head_ct/head_ct/*.png`` beside labels.csv (how some unzip tools leave Kaggle's
    archive) reads the same images and labels as the flat layout."""
    import shutil

    flat = write_head_ct(tmp_path / "flat", n=6)
    doubled = tmp_path / "doubled"
    (doubled / "head_ct").mkdir(parents=True)
    shutil.copy(flat / "labels.csv", doubled / "labels.csv")
    shutil.copytree(flat / "head_ct", doubled / "head_ct" / "head_ct")
    a = load_image_set("head_ct", data_dir=flat, split="all", cache=False)
    b = load_image_set("head_ct", data_dir=doubled, split="all", cache=False)
    assert b.patient_ids == a.patient_ids and (b.labels == a.labels).all()
    assert np.array_equal(a.images, b.images) and not b.skipped


def test_head_ct_found_via_env_and_parent_dir(tmp_path, monkeypatch):
    write_head_ct(tmp_path / "store" / "head_ct", n=4)
    monkeypatch.setenv("KERAS_MEDGAN_DATA", str(tmp_path / "store"))
    assert len(load_image_set("head_ct", split="all", cache=False)) == 4
    monkeypatch.delenv("KERAS_MEDGAN_DATA")
    assert (
        len(load_image_set("head_ct", data_dir=tmp_path / "store", split="all", cache=False)) == 4
    )


def test_rsna_long_format(tmp_path):
    root = write_rsna(tmp_path / "rsna", n=6)
    s = load_image_set("rsna_ich", data_dir=root, split="all", cache=False)
    assert s.counts() == {"normal": 3, "hemorrhage": 3}
    assert s.subtype_names[-1] == "subdural"
    np.testing.assert_array_equal(s.subtypes[:, -1], s.labels)  # subdural flag == any here
    np.testing.assert_array_equal(s.subtypes[:, :4], 0)
    assert sorted(set(s.patient_ids)) == ["P0", "P1", "P2"]  # read from the DICOM headers


def test_rsna_patient_column_and_split_by_patient(tmp_path):
    root = write_rsna(tmp_path / "rsna", n=40, with_patient=True)
    splits = {
        k: load_image_set("rsna_ich", data_dir=root, split=k, cache=False)
        for k in ("train", "val", "test")
    }
    seen = {}
    for name, s in splits.items():
        for pid in s.patient_ids:
            assert seen.setdefault(pid, name) == name
    assert sum(len(s) for s in splits.values()) == 40


def test_folder_per_class_brain_mri_layout(tmp_path):
    from .fixtures import write_class_folders

    root = write_class_folders(tmp_path / "brain_mri", n=3)
    s = load_image_set("brain_mri", data_dir=root, split="all", cache=False)
    assert s.class_names == ["no", "yes"] and s.counts() == {"no": 3, "yes": 3}


def test_kaggle_brain_mri_zip_layout_is_two_classes_not_three(tmp_path):
    """The zip unpacks to yes/, no/ and brain_tumor_dataset/{yes,no} (the same images)."""
    import shutil

    from .fixtures import write_class_folders

    root = write_class_folders(tmp_path / "brain_mri", n=3)
    copy = root / "brain_tumor_dataset"
    for name in ("no", "yes"):
        shutil.copytree(root / name, copy / name)
    s = load_image_set("brain_mri", data_dir=root, split="all", cache=False)
    assert s.class_names == ["no", "yes"] and s.counts() == {"no": 3, "yes": 3}
    [(path, reason)] = s.skipped
    assert path == str(copy) and "no/, yes/ again (6 of 6 files identical" in reason
    assert "not a class" in reason and "--data folder:" not in reason

    (copy / "yes" / "extra.png").write_bytes((root / "no" / "no0.png").read_bytes() + b"x")
    s = load_image_set(f"folder:{root}", split="all", cache=False)
    assert s.class_names == ["no", "yes"]
    assert f"1 of its files are not at the top level: pass --data folder:{copy}" in s.skipped[0][1]


def test_class_folders_with_patient_subfolders_stay_classes(tmp_path):
    """normal/pt1/*.png is a class with per-patient folders, not a copy of the tree."""
    from .fixtures import write_class_folders

    for name in ("normal", "hemorrhage"):
        write_class_folders(tmp_path / "set" / name, classes=("pt1", "pt2"), n=2)
    s = load_image_set(f"folder:{tmp_path / 'set'}", split="all", cache=False)
    assert s.class_names == ["hemorrhage", "normal"] and s.counts() == {
        "hemorrhage": 4,
        "normal": 4,
    }
    assert s.skipped == []


def test_generic_csv_relative_paths(tmp_path):
    csv_path = write_generic_csv(tmp_path / "g", n=6)
    s = load_image_set(f"csv:{csv_path}", split="all", cache=False)
    assert s.class_names == ["a", "b"] and s.counts() == {"a": 3, "b": 3}
    assert sorted(set(s.patient_ids)) == ["pt0", "pt1", "pt2"]
    assert all(p.startswith(str(tmp_path)) for p in s.paths)


def test_missing_dataset_message(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(DataError) as info:
        load_image_set("head_ct", data_dir=tmp_path / "nowhere")
    msg = str(info.value)
    assert "Head CT - hemorrhage" in msg and "Kitamura" in msg
    assert str(tmp_path / "nowhere") in msg
    assert str(tmp_path / "keras_medgan_data" / "head_ct") in msg
    assert "--data phantom" in msg
    with pytest.raises(DataError, match="RSNA Intracranial Hemorrhage Detection"):
        load_image_set("rsna_ich")
    with pytest.raises(DataError, match="Brain MRI Images for Brain Tumor Detection"):
        load_image_set("brain_mri")


def test_unknown_dataset_name_lists_valid_names():
    with pytest.raises(
        DataError, match="unknown dataset 'head-ct'; valid names: brain_mri, head_ct"
    ):
        load_image_set("head-ct")
