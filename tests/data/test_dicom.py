"""DICOM reader against the real files that ship inside pydicom, with HU computed
independently from the raw PixelData bytes."""

import shutil

import numpy as np
import pydicom
import pytest

from keras_medgan.data import DataError
from keras_medgan.data.dicom import (
    CODECS_HINT,
    hounsfield,
    read_dicom,
    read_dicom_dataset,
)
from keras_medgan.data.windows import Window, apply_window, parse_window

from .helpers import pydicom_file


def _raw(path, dtype):
    ds = pydicom.dcmread(path)
    return np.frombuffer(ds.PixelData, dtype=dtype).reshape(ds.Rows, ds.Columns).astype(np.float64)


def test_ct_small_hu_uses_slope_and_intercept():
    path = pydicom_file("CT_small.dcm")
    ds = read_dicom_dataset(path)
    assert float(ds.RescaleSlope) == 1 and float(ds.RescaleIntercept) == -1024
    expected = _raw(path, "<i2") * 1.0 - 1024.0
    hu = hounsfield(ds, path)
    np.testing.assert_array_equal(hu, expected.astype(np.float32))
    # brain window 40/80 by hand: (hu - 0) / 80, clipped
    img = read_dicom(path, window="brain")[0]
    np.testing.assert_allclose(img, np.clip(expected / 80.0, 0, 1), atol=1e-6)


def test_slope_and_intercept_other_than_one_and_zero(tmp_path):
    """A copy of CT_small with slope 2.5 and intercept -1000: HU = raw × 2.5 − 1000 from the
    raw bytes (a reader computing (raw + intercept) × slope, or ignoring the slope, fails),
    and a window on those values."""
    src = pydicom_file("CT_small.dcm")
    ds = pydicom.dcmread(src)
    ds.RescaleSlope, ds.RescaleIntercept = "2.5", "-1000"
    path = tmp_path / "ct_slope.dcm"
    ds.save_as(path)
    raw = _raw(src, "<i2")
    expected = raw * 2.5 - 1000.0
    hu = hounsfield(read_dicom_dataset(path), path)
    np.testing.assert_allclose(hu, expected, rtol=0, atol=1e-3)
    assert not np.allclose(hu, (raw - 1000.0) * 2.5)
    # brain window 40/80 on the rescaled values: (hu − 0) / 80, clipped to [0, 1]
    img = read_dicom(path, window="brain")[0]
    np.testing.assert_allclose(img, np.clip(expected / 80.0, 0, 1), atol=1e-6)
    assert 0.0 < img.mean() < 1.0  # the window bites: not all black or all white


def test_mr_small_without_rescale_tags_is_stored_value():
    path = pydicom_file("MR_small.dcm")
    ds = read_dicom_dataset(path)
    assert "RescaleSlope" not in ds and "RescaleIntercept" not in ds
    np.testing.assert_array_equal(hounsfield(ds, path), _raw(path, "<i2").astype(np.float32))


def test_file_window_and_minmax():
    path = pydicom_file("MR_small.dcm")  # WindowCenter 600 / WindowWidth 1600
    raw = _raw(path, "<i2")
    img = read_dicom(path, window="file")[0]
    np.testing.assert_allclose(img, np.clip((raw - (600 - 800)) / 1600, 0, 1), atol=1e-6)
    mm = read_dicom(path, window="minmax")[0]
    np.testing.assert_allclose(mm, (raw - raw.min()) / (raw.max() - raw.min()), atol=1e-6)
    assert mm.min() == 0.0 and mm.max() == 1.0


def test_multi_valued_file_window_takes_the_first(tmp_path):
    src = pydicom_file("CT_small.dcm")
    ds = pydicom.dcmread(src)
    ds.WindowCenter = [40, 600]
    ds.WindowWidth = [80, 2800]
    path = tmp_path / "multi.dcm"
    ds.save_as(path)
    np.testing.assert_allclose(read_dicom(path, "file")[0], read_dicom(path, "brain")[0])


def test_three_window_stacks_brain_subdural_bone():
    path = pydicom_file("CT_small.dcm")
    hu = _raw(path, "<i2") - 1024.0
    img = read_dicom(path, window="three")[0]
    assert img.shape == (128, 128, 3)
    np.testing.assert_allclose(img[..., 1], np.clip((hu - (80 - 100)) / 200, 0, 1), atol=1e-6)
    np.testing.assert_allclose(img[..., 2], np.clip((hu - (600 - 1400)) / 2800, 0, 1), atol=1e-6)


def test_big_endian_matches_little_endian():
    big = read_dicom(pydicom_file("MR_small_bigendian.dcm"), "minmax")[0]
    little = read_dicom(pydicom_file("MR_small.dcm"), "minmax")[0]
    np.testing.assert_array_equal(big, little)
    raw = _raw(pydicom_file("MR_small_bigendian.dcm"), ">i2")
    np.testing.assert_array_equal(
        hounsfield(pydicom.dcmread(pydicom_file("MR_small_bigendian.dcm"))), raw.astype(np.float32)
    )


def test_rle_decodes_natively_and_equals_uncompressed():
    rle = read_dicom(pydicom_file("MR_small_RLE.dcm"), "minmax")[0]
    np.testing.assert_array_equal(rle, read_dicom(pydicom_file("MR_small.dcm"), "minmax")[0])


def test_multi_frame_gives_one_slice_per_frame():
    path = pydicom_file("rtdose.dcm")
    ds = pydicom.dcmread(path)
    frames = read_dicom(path, "minmax")
    assert len(frames) == int(ds.NumberOfFrames) == 15
    assert frames[0].shape == (ds.Rows, ds.Columns)
    raw = np.frombuffer(ds.PixelData, "<u4").reshape(15, ds.Rows, ds.Columns).astype(np.float64)
    slope = float(ds.get("DoseGridScaling", 1))  # not a rescale: must be ignored
    assert slope != 0
    expected = (raw[3] - raw[3].min()) / (raw[3].max() - raw[3].min())
    np.testing.assert_allclose(frames[3], expected, atol=1e-6)


def test_monochrome1_is_inverted(tmp_path):
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ds.PhotometricInterpretation = "MONOCHROME1"
    path = tmp_path / "mono1.dcm"
    ds.save_as(path)
    normal = read_dicom(pydicom_file("CT_small.dcm"), "brain")[0]
    inverted = read_dicom(path, "brain")[0]
    np.testing.assert_allclose(inverted, 1.0 - normal, atol=1e-6)


def test_truncated_file_is_a_dataerror_naming_it():
    path = pydicom_file("MR_truncated.dcm")
    with pytest.raises(DataError, match="MR_truncated.dcm: corrupt or truncated pixel data"):
        read_dicom(path)


def test_truncated_before_pixel_data(tmp_path):
    with open(pydicom_file("CT_small.dcm"), "rb") as fh:
        data = fh.read()
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[:1500])  # header only
    with pytest.raises(DataError, match=r"cut.dcm: (no pixel data|corrupt)"):
        read_dicom(path)


def test_compressed_without_plugin_names_the_extra():
    # 12-bit JPEG Extended: Pillow cannot decode it; pylibjpeg is not installed here.
    path = pydicom_file("JPEG-lossy.dcm")
    try:
        read_dicom(path, "minmax")
    except DataError as err:
        assert "JPEG-lossy.dcm" in str(err)
        assert CODECS_HINT in str(err)
        assert "JPEG Extended" in str(err)
    else:
        pytest.skip("a JPEG plugin is installed, so the file decodes")


def test_zero_byte_and_non_dicom(tmp_path):
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty.dcm: empty file"):
        read_dicom(empty)
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"hello, I am not a DICOM file" * 10)
    with pytest.raises(DataError, match="junk.dcm: not a DICOM file") as info:
        read_dicom(junk)
    assert "force=True" not in str(info.value)  # pydicom's hint would mislead a user


def test_input_files_are_not_modified(tmp_path):
    path = tmp_path / "ct.dcm"
    shutil.copy(pydicom_file("CT_small.dcm"), path)
    before = path.read_bytes()
    read_dicom(path, "three")
    assert path.read_bytes() == before


def test_window_parsing():
    assert parse_window("brain") == ("preset", Window(40, 80))
    assert parse_window("subdural") == ("preset", Window(80, 200))
    assert parse_window("bone") == ("preset", Window(600, 2800))
    assert parse_window("50/100") == ("preset", Window(50, 100))
    with pytest.raises(DataError, match="unknown window 'lung'"):
        parse_window("lung")
    np.testing.assert_allclose(
        apply_window(np.array([-100.0, 0, 40, 80, 500]), Window(40, 80)), [0, 0, 0.5, 1, 1]
    )


def test_unknown_transfer_syntax_is_a_per_file_error(tmp_path):
    ds = pydicom.dcmread(pydicom_file("JPEG-lossy.dcm"))
    ds.file_meta.TransferSyntaxUID = "1.2.3.4.5.6.7"  # private, unknown to every plugin
    path = tmp_path / "private.dcm"
    ds.save_as(path)
    with pytest.raises(
        DataError, match=r"private.dcm: .*(pip install keras_medgan\[codecs\]|cannot decode)"
    ):
        read_dicom(path)


def test_rescale_defaults_partial_tags_and_enhanced_multiframe_groups():
    """DICOM's defaults (slope 1, intercept 0) for an absent or empty tag, each tag on its
    own, and the shared functional groups where enhanced multi-frame objects keep them."""
    from pydicom.dataset import Dataset

    from keras_medgan.data.dicom import _rescale

    ds = Dataset()
    assert _rescale(ds) == (1.0, 0.0)
    ds.RescaleSlope, ds.RescaleIntercept = "", ""
    assert _rescale(ds) == (1.0, 0.0)
    ds.RescaleSlope = "2"
    assert _rescale(ds) == (2.0, 0.0)
    only_intercept = Dataset()
    only_intercept.RescaleIntercept = "-1024"
    assert _rescale(only_intercept) == (1.0, -1024.0)
    enhanced, shared, pvt = Dataset(), Dataset(), Dataset()
    pvt.RescaleSlope, pvt.RescaleIntercept = "0.5", "-10"
    shared.PixelValueTransformationSequence = [pvt]
    enhanced.SharedFunctionalGroupsSequence = [shared]
    assert _rescale(enhanced) == (0.5, -10.0)
    enhanced.RescaleSlope = "3"  # a top-level tag wins over the functional groups
    assert _rescale(enhanced) == (3.0, 0.0)


def test_window_edges_and_first_values():
    from keras_medgan.data.windows import first_value, minmax

    assert parse_window(Window(10, 20)) == ("preset", Window(10, 20))
    assert parse_window((50, 100)) == ("preset", Window(50.0, 100.0))
    assert parse_window(" Brain ") == ("preset", Window(40, 80))
    assert parse_window("-600/1500") == ("preset", Window(-600.0, 1500.0))
    for special in ("file", "minmax", "three"):
        assert parse_window(special) == (special, None)
    for bad in ("40/0", "40/-5", (1, 0)):
        with pytest.raises(DataError, match="width must be > 0"):
            parse_window(bad)
    with pytest.raises(DataError, match=r"unknown window '40/x'.*brain.*CENTER/WIDTH"):
        parse_window("40/x")
    # window 40/80 spans -0 .. 80: the low end maps to 0, the high end to 1
    np.testing.assert_allclose(
        apply_window(np.array([0.0, 20.0, 80.0]), Window(40, 80)), [0.0, 0.25, 1.0]
    )
    np.testing.assert_allclose(minmax(np.array([2.0, 4.0, 6.0])), [0.0, 0.5, 1.0])
    assert (minmax(np.full(3, 7.0)) == 0).all()
    assert first_value(None) is None and first_value("") is None and first_value("x") is None
    assert first_value("40") == 40.0 and first_value(b"35") == 35.0 and first_value(7) == 7.0
    assert first_value([40, 400]) == 40.0 and first_value([]) is None


def _header(**tags):
    from pydicom.dataset import Dataset

    ds = Dataset()
    for key, value in tags.items():
        setattr(ds, key, value)
    return ds


def test_window_frames_by_value():
    """The file's own window, its fallbacks, MONOCHROME1, three windows, frame handling and
    colour images, each computed by hand."""
    from keras_medgan.data.dicom import window_frames

    hu = np.array([[-100.0, 0.0], [40.0, 90.0]], np.float32)
    (img,) = window_frames(_header(WindowCenter="40", WindowWidth="80"), hu, "file")
    np.testing.assert_allclose(img, [[0, 0], [0.5, 1]])  # 40/80: 0 → 0, 40 → 0.5, 80+ → 1
    (img,) = window_frames(_header(WindowCenter=[0, 40], WindowWidth=[200, 80]), hu, "file")
    np.testing.assert_allclose(img, [[0, 0.5], [0.7, 0.95]])  # the first window: 0/200
    for no_window in (_header(), _header(WindowCenter="40", WindowWidth="0")):
        (img,) = window_frames(no_window, hu, "file")  # min–max instead
        np.testing.assert_allclose(img, (hu + 100) / 190)
    (img,) = window_frames(_header(PhotometricInterpretation="MONOCHROME1"), hu, "brain")
    np.testing.assert_allclose(img, 1 - np.array([[0, 0], [0.5, 1]]))
    (img,) = window_frames(_header(), hu, "three")
    assert img.shape == (2, 2, 3)
    np.testing.assert_allclose(img[1, 1], [1.0, (90 + 20) / 200, (90 + 800) / 2800], rtol=1e-6)
    frames = window_frames(_header(NumberOfFrames=3), np.stack([hu, hu + 40, hu + 80]), "minmax")
    assert len(frames) == 3 and all(f.shape == (2, 2) for f in frames)
    rgb = np.zeros((2, 2, 3), np.float32)
    rgb[0, 0] = (255, 255, 255)
    rgb[1, 1] = (100, 0, 0)
    (img,) = window_frames(_header(SamplesPerPixel=3, BitsStored=8), rgb, "brain")
    np.testing.assert_allclose(img, [[1.0, 0.0], [0.0, 0.299 * 100 / 255]], rtol=1e-6)
    (img,) = window_frames(_header(SamplesPerPixel=3, BitsStored=12), rgb * 16, "brain")
    np.testing.assert_allclose(img[0, 0], 255 * 16 / 4095, rtol=1e-6)
    assert img.dtype == np.float32
    (img,) = window_frames(_header(SamplesPerPixel=3), rgb, "brain")  # no BitsStored: 8
    np.testing.assert_allclose(img[1, 1], 0.299 * 100 / 255, rtol=1e-6)
    (img,) = window_frames(_header(SamplesPerPixel=3, BitsStored=4), rgb, "brain")
    assert img[0, 0] == 1.0  # above what 4 bits hold: clipped
    # the default window is the brain window; a file window 1 wide is still a window
    np.testing.assert_array_equal(
        window_frames(_header(), hu)[0], window_frames(_header(), hu, "brain")[0]
    )
    (img,) = window_frames(_header(WindowCenter="40", WindowWidth="1"), hu, "file")
    np.testing.assert_allclose(img, [[0, 0], [0.5, 1]])  # the centre itself is 0.5


def test_frames_are_always_frames_first():
    """[H, W] and [H, W, 3] single images gain a frame axis; multi-frame arrays (by
    NumberOfFrames, or by their number of axes) keep theirs."""
    from keras_medgan.data.dicom import _frames

    assert _frames(_header(), np.zeros((4, 5))).shape == (1, 4, 5)
    assert _frames(_header(NumberOfFrames=2), np.zeros((2, 4, 5))).shape == (2, 4, 5)
    assert _frames(_header(), np.zeros((3, 4, 5))).shape == (3, 4, 5)  # tag absent
    assert _frames(_header(SamplesPerPixel=3), np.zeros((4, 5, 3))).shape == (1, 4, 5, 3)
    assert _frames(_header(SamplesPerPixel=3), np.zeros((2, 4, 5, 3))).shape == (2, 4, 5, 3)
    two = _header(SamplesPerPixel=2)
    assert _frames(two, np.zeros((4, 5, 2))).shape == (1, 4, 5, 2)


def test_unreadable_paths_name_the_file_and_the_reason(tmp_path):
    for path, reason in (
        (tmp_path / "missing.dcm", "file not found"),
        (tmp_path, "is a folder, not a file"),
    ):
        with pytest.raises(DataError, match=f"{path.name}.*{reason}"):
            read_dicom_dataset(path)
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"\x00" * 200)
    with pytest.raises(DataError, match=r"junk\.dcm.*not a DICOM file \(") as info:
        read_dicom_dataset(junk)
    assert "force=True" not in str(info.value)  # never advice that turns junk into data
