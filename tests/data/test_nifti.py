"""NIfTI: planes, index ranges, empty-slice dropping, and the missing-extra message."""

import sys

import numpy as np
import pytest

from keras_medgan.data import DataError, load_image_set
from keras_medgan.data.nifti import NIFTI_HINT, read_nifti

nib = pytest.importorskip("nibabel")


def _volume(path, shape=(10, 12, 14)):
    vol = np.zeros(shape, np.float32)
    # distinct value per axial slice (z); slices 0, 1 and 13 empty
    for z in range(2, shape[2] - 1):
        vol[2:-2, 2:-2, z] = z
    nib.save(nib.Nifti1Image(vol, np.eye(4)), str(path))
    return path


def test_planes_and_range(tmp_path):
    path = _volume(tmp_path / "v.nii.gz")
    axial = read_nifti(path, plane="axial")
    assert len(axial) == 14 and axial[0].shape == (12, 10)  # rot90 of (x, y)
    assert len(read_nifti(path, plane="sagittal")) == 10
    assert len(read_nifti(path, plane="coronal")) == 12
    part = read_nifti(path, plane="axial", slice_range=(3, 6))
    assert len(part) == 3
    # per-volume scaling: slice z=12 is the brightest, z=3 is 3/12 of it (percentile-free here)
    full = read_nifti(path, plane="axial", window="minmax")
    assert full[12].max() == pytest.approx(1.0) and full[3].max() == pytest.approx(3 / 12)


def test_drop_empty(tmp_path):
    path = _volume(tmp_path / "v.nii")
    kept = read_nifti(path, plane="axial", drop_empty=True)
    assert len(kept) == 11  # 14 minus z = 0, 1, 13


def test_nifti_dataset_and_bad_range(tmp_path):
    _volume(tmp_path / "a.nii.gz")
    _volume(tmp_path / "b.nii.gz")
    s = load_image_set(f"nifti:{tmp_path}", split="all", drop_empty=True, cache=False)
    assert s.class_names == ["all"] and len(s) == 22
    assert set(s.patient_ids) == {"a", "b"}
    with pytest.raises(DataError, match="slice range 50:60 is outside the 14 axial slices"):
        read_nifti(tmp_path / "a.nii.gz", slice_range=(50, 60))
    with pytest.raises(DataError, match="Unknown plane 'oblique'"):
        read_nifti(tmp_path / "a.nii.gz", plane="oblique")
    junk = tmp_path / "junk.nii"
    junk.write_text("nope")
    with pytest.raises(DataError, match="junk.nii: not a readable NIfTI volume"):
        read_nifti(junk)


def test_missing_nibabel_names_the_extra(tmp_path, monkeypatch):
    path = _volume(tmp_path / "v.nii")
    monkeypatch.setitem(sys.modules, "nibabel", None)  # import now raises ImportError
    with pytest.raises(DataError, match=NIFTI_HINT.replace("[", r"\[").replace("]", r"\]")):
        read_nifti(path)
