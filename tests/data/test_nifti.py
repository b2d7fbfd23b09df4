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


def test_a_flipped_affine_is_read_by_voxel_values_in_ras(tmp_path):
    """The same anatomy stored twice: once with identity axes, once with x reversed in the
    array AND in the affine. Read in RAS+, both give the same slices, voxel for voxel; the
    marker (a bright block at the subject's right, high x) lands on the same pixels."""
    ras = np.zeros((10, 12, 14), np.float32)
    ras[6:9, 3:6, 5:9] = 100.0  # right side of the volume
    ras[2:4, 3:6, 5:9] = 40.0  # a dimmer block on the left, so a flip is visible
    nib.save(nib.Nifti1Image(ras, np.eye(4)), str(tmp_path / "ras.nii"))
    flipped = np.ascontiguousarray(ras[::-1])  # x stored left-to-right reversed
    affine = np.diag([-1.0, 1.0, 1.0, 1.0])
    affine[0, 3] = 9.0  # voxel 0 sits at x = 9: the same world positions
    nib.save(nib.Nifti1Image(flipped, affine), str(tmp_path / "las.nii"))
    a = read_nifti(tmp_path / "ras.nii", window="minmax")
    b = read_nifti(tmp_path / "las.nii", window="minmax")
    assert len(a) == len(b) == 14
    for sa, sb in zip(a, b):
        np.testing.assert_array_equal(sa, sb)
    # slice z = 6 after rot90: columns are x; the bright block at x 6..8, the dim at x 2..3
    s = b[6]
    assert s[:, 6:9].max() == 1.0 and s[:, 2:4].max() == pytest.approx(0.4)
    # reading the reversed array as if its affine were identity would swap the two blocks
    nib.save(nib.Nifti1Image(flipped, np.eye(4)), str(tmp_path / "wrong.nii"))
    wrong = read_nifti(tmp_path / "wrong.nii", window="minmax")[6]
    assert wrong[:, 6:9].max() == pytest.approx(0.4)


def test_percentile_scaling_by_value(tmp_path):
    """Default window: 0.5th → 0 and 99.5th percentile → 1 of the whole volume, clipped."""
    vol = np.arange(10 * 10 * 10, dtype=np.float32).reshape(10, 10, 10)
    nib.save(nib.Nifti1Image(vol, np.eye(4)), str(tmp_path / "v.nii"))
    lo, hi = np.percentile(vol, [0.5, 99.5])
    slices = read_nifti(tmp_path / "v.nii", plane="axial")
    got = np.stack([np.rot90(s, k=-1) for s in slices], axis=-1)  # back to (x, y, z)
    np.testing.assert_allclose(got, np.clip((vol - lo) / (hi - lo), 0, 1), atol=1e-6)
    assert lo == pytest.approx(4.995) and hi == pytest.approx(994.005)


def test_windows_shapes_and_bad_files(tmp_path):
    """A fixed window and minmax by value; a 4-D file gives its first volume, a 2-D one a
    single slice; NaNs are left out of the percentiles; constant or empty volumes are black;
    missing, empty and unreadable files name the file."""
    from keras_medgan.data.nifti import _normalise, load_volume

    vol = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_allclose(_normalise(vol, "10/4"), np.clip((vol - 8) / 4, 0, 1))
    np.testing.assert_allclose(_normalise(vol, "minmax"), vol / 23)
    with pytest.raises(DataError, match="window 'file' is not available for NIfTI"):
        _normalise(vol, "file")
    assert not _normalise(np.full((2, 2, 2), 5.0, np.float32), None).any()
    assert not _normalise(np.full((2, 2, 2), np.nan, np.float32), "auto").any()
    with_nan = vol.copy()
    with_nan[0, 0, 0] = np.nan
    lo, hi = np.percentile(vol.ravel()[1:], [0.5, 99.5])
    np.testing.assert_allclose(
        _normalise(with_nan, "percentile")[1], np.clip((vol[1] - lo) / (hi - lo), 0, 1), atol=1e-6
    )

    four = np.stack([vol, vol + 100], axis=-1)
    nib.save(nib.Nifti1Image(four, np.eye(4)), str(tmp_path / "four.nii"))
    np.testing.assert_array_equal(load_volume(tmp_path / "four.nii"), vol)
    nib.save(nib.Nifti1Image(vol[:, :, 0], np.eye(4)), str(tmp_path / "flat.nii"))
    assert load_volume(tmp_path / "flat.nii").shape == (2, 3, 1)
    with pytest.raises(DataError, match=r"missing\.nii.*file not found"):
        load_volume(tmp_path / "missing.nii")
    (tmp_path / "empty.nii").write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.nii.*empty file \(0 bytes\)"):
        load_volume(tmp_path / "empty.nii")
    (tmp_path / "junk.nii").write_bytes(b"not a nifti header at all" * 20)
    with pytest.raises(DataError, match=r"junk\.nii.*not a readable NIfTI volume"):
        load_volume(tmp_path / "junk.nii")
