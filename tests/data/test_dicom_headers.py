"""DICOM header helpers by value and by message: the rescale defaults and fallbacks,
non-finite or non-numeric rescale tags named with the file, the header-only patient id,
and the shortened error text a user reads (pydicom's force=True advice removed)."""

import numpy as np
import pydicom
import pytest

from keras_medgan.data import DataError
from keras_medgan.data.dicom import _rescale, _short, hounsfield, read_patient_id

from .helpers import pydicom_file


def _ct(**tags):
    ds = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    for name, value in tags.items():
        if value is None:
            delattr(ds, name)
        else:
            setattr(ds, name, value)
    return ds


def test_short_collapses_whitespace_drops_the_force_advice_and_cuts_at_the_limit():
    advice = "File is missing DICOM header. Use force=True to force reading."
    assert _short(ValueError("a  b\n c")) == "a b c"
    assert _short(ValueError(advice)) == "File is missing DICOM header."
    assert _short(ValueError("x" * 10), limit=10) == "x" * 10  # exactly the limit: kept
    cut = _short(ValueError("abcdefghijk"), limit=10)
    assert cut == "abcdefg..." and len(cut) == 10


@pytest.mark.parametrize(
    "slope, intercept, expected",
    [
        (None, None, (1.0, 0.0)),  # both missing: DICOM's defaults
        ("", None, (1.0, 0.0)),
        (None, "", (1.0, 0.0)),
        ("2.5", None, (2.5, 0.0)),  # one present: the other's default
        (None, "-1000", (1.0, -1000.0)),
        ("0.5", "-20", (0.5, -20.0)),
    ],
)
def test_rescale_defaults_each_tag_on_its_own(slope, intercept, expected):
    ds = _ct(RescaleSlope=slope, RescaleIntercept=intercept)
    assert _rescale(ds) == expected


def test_rescale_reads_the_shared_functional_groups_only_when_both_tags_are_missing():
    pvt = pydicom.Dataset()
    pvt.RescaleSlope, pvt.RescaleIntercept = "3", "-7"
    group = pydicom.Dataset()
    group.PixelValueTransformationSequence = pydicom.Sequence([pvt])
    ds = _ct(RescaleSlope=None, RescaleIntercept=None)
    ds.SharedFunctionalGroupsSequence = pydicom.Sequence([group])
    assert _rescale(ds) == (3.0, -7.0)
    ds.RescaleSlope = "2"  # a top-level tag wins: the groups are not read
    assert _rescale(ds) == (2.0, 0.0)


@pytest.mark.filterwarnings("ignore:Invalid value for VR DS")  # what the test plants
@pytest.mark.parametrize("slope, intercept", [("inf", "0"), ("1", "nan"), ("nan", "inf")])
def test_non_finite_rescale_is_one_line_naming_the_file(slope, intercept, tmp_path):
    ds = _ct(RescaleSlope=slope, RescaleIntercept=intercept)
    with pytest.raises(DataError) as err:
        hounsfield(ds, tmp_path / "scan.dcm")
    text = str(err.value)
    assert "scan.dcm" in text and "not finite" in text
    assert f"RescaleSlope {float(slope)} / RescaleIntercept {float(intercept)}" in text


def test_the_path_defaults_to_the_datasets_own_file():
    ds = _ct(RescaleSlope="inf")
    with pytest.raises(DataError, match="CT_small.dcm"):
        hounsfield(ds)
    hu = hounsfield(_ct())  # and a good file needs no path
    assert hu.dtype == np.float32 and np.isfinite(hu).all()


def test_patient_id_from_the_header_or_none(tmp_path):
    assert read_patient_id(pydicom_file("CT_small.dcm")) == str(
        pydicom.dcmread(pydicom_file("CT_small.dcm")).PatientID
    )
    ds = _ct(PatientID="")
    ds.save_as(tmp_path / "blank.dcm")
    assert read_patient_id(tmp_path / "blank.dcm") is None
    (tmp_path / "junk.dcm").write_bytes(b"not a dicom")
    assert read_patient_id(tmp_path / "junk.dcm") is None
