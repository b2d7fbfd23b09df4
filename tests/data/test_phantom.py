"""The phantom: valid CT DICOM, deterministic for a seed, realistic HU, RSNA labels."""

import numpy as np
import pandas as pd
import pydicom
import pytest

from keras_medgan.data import load_image_set
from keras_medgan.data.dicom import hounsfield
from keras_medgan.data.phantom import (
    IMAGES_DIR,
    LABELS_CSV,
    SUBTYPES,
    PhantomParams,
    ensure_phantom,
    generate_phantom,
    render_slice,
)

SMALL = PhantomParams(n=8, seed=5, size=128)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    return generate_phantom(tmp_path_factory.mktemp("ph") / "a", SMALL)


def _files(root):
    return sorted((root / IMAGES_DIR).glob("*.dcm"))


def test_writes_valid_ct_dicom(small_set):
    files = _files(small_set)
    assert len(files) == 8
    ds = pydicom.dcmread(files[0])  # no force: the file meta must be valid
    assert ds.Modality == "CT"
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    assert ds.SOPClassUID == pydicom.uid.CTImageStorage
    assert float(ds.RescaleSlope) == 1.0 and float(ds.RescaleIntercept) == -1024.0
    assert (ds.Rows, ds.Columns) == (128, 128)
    assert float(ds.PixelSpacing[0]) == pytest.approx(240 / 128)
    assert list(ds.WindowCenter) == [40, 600] and list(ds.WindowWidth) == [80, 2800]
    assert ds.pixel_array.dtype == np.int16
    assert ds.PatientID.startswith("PHANTOM")
    assert pydicom.uid.UID(ds.SOPInstanceUID).is_valid


def test_deterministic_including_uids(small_set, tmp_path):
    again = generate_phantom(tmp_path / "b", SMALL)
    for a, b in zip(_files(small_set), _files(again)):
        assert a.name == b.name
        assert a.read_bytes() == b.read_bytes()
    other = generate_phantom(tmp_path / "c", PhantomParams(n=8, seed=6, size=128))
    assert {p.name for p in _files(other)}.isdisjoint({p.name for p in _files(small_set)})
    assert (small_set / LABELS_CSV).read_text() == (again / LABELS_CSV).read_text()


def test_labels_csv_is_rsna_long_format(small_set):
    df = pd.read_csv(small_set / LABELS_CSV)
    assert list(df.columns) == ["ID", "Label", "PatientID"]
    assert len(df) == 8 * 6
    subs = df.ID.str.rsplit("_", n=1).str[1]
    assert sorted(set(subs)) == sorted(SUBTYPES + ("any",))
    anys = df[subs == "any"]
    assert anys.Label.sum() == 4  # exactly half hemorrhage
    # 'any' is the OR of the five subtypes
    wide = df.assign(img=df.ID.str.rsplit("_", n=1).str[0], sub=subs).pivot(
        index="img", columns="sub", values="Label"
    )
    assert (wide["any"] == wide[list(SUBTYPES)].max(axis=1)).all()


def test_realistic_hounsfield_units():
    hu, lesions, _ = render_slice(PhantomParams(seed=0), 0, 0, hemorrhage=False)
    assert hu.shape == (256, 256) and lesions == []
    assert abs(np.median(hu[:20, :20]) + 1000) < 20  # air in the corner
    assert hu.max() > 700  # skull
    centre = hu[96:160, 96:160]
    body = centre[(centre > 15) & (centre < 50)]
    assert body.size > 0.5 * centre.size  # grey/white matter dominates the centre
    assert 20 < np.median(body) < 45


def test_hemorrhage_adds_blood_density():
    for patient in range(1, 12, 2):
        normal, _, _ = render_slice(PhantomParams(seed=0), patient, 0, hemorrhage=False)
        bleed, lesions, _ = render_slice(PhantomParams(seed=0), patient, 0, hemorrhage=True)
        assert lesions and all(50 <= les.hu <= 90 for les in lesions)
        changed = np.abs(bleed - normal) > 20
        assert changed.sum() > 0, lesions


def test_dicom_roundtrip_hu(small_set):
    path = _files(small_set)[0]
    ds = pydicom.dcmread(path)
    raw = np.frombuffer(ds.PixelData, "<i2").reshape(128, 128).astype(np.float32)
    np.testing.assert_array_equal(hounsfield(ds, path), raw - 1024)


def test_cache_generates_once(tmp_path):
    params = PhantomParams(n=4, seed=1, size=128)
    first = ensure_phantom(params, root=tmp_path)
    stamp = (first / LABELS_CSV).stat().st_mtime_ns
    assert ensure_phantom(params, root=tmp_path) == first
    assert (first / LABELS_CSV).stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temp dirs left


def test_load_image_set_reads_phantom_through_dicom_reader(data_cache):
    s = load_image_set("phantom:n=12,seed=2,size=128", image_size=32, split="all")
    assert s.images.shape == (12, 32, 32, 1)
    assert s.class_names == ["normal", "hemorrhage"]
    assert s.counts() == {"normal": 6, "hemorrhage": 6}
    assert all(p.endswith(".dcm") and str(data_cache) in p for p in s.paths)
    assert s.subtypes.shape == (12, 5)
    assert ((s.subtypes.max(axis=1) > 0) == (s.labels == 1)).all()
    assert len(set(s.patient_ids)) == 12
