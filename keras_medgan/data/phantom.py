"""``phantom``: a procedural head-CT generator that writes real DICOM CT slices.

Why: the project must run and be tested on a fresh machine with no downloads, and a
phantom that goes through the *same* DICOM reader, label parser and pipeline as the RSNA
set tests all of them at once. Each synthetic patient gets its own head size, shape,
rotation, skull thickness, cortex with sulci, ventricles and deep grey nuclei at
realistic Hounsfield units (skull ~700–1500, grey ~35–45, white ~20–30, CSF ~0–15, air
−1000) plus scanner-like (correlated) noise. Half the slices carry one of RSNA's five
hemorrhage subtypes at 50–90 HU, from subtle to obvious, so that telling the classes
apart at 32×32 is a real but solvable task.

Everything is vectorised numpy on a mm grid, so 256² and 512² give the same anatomy,
and everything is a pure function of (seed, index): pixels, UIDs, file names.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    generate_uid,
)

from keras_medgan.core.console import Progress
from keras_medgan.data.labels import RSNA_SUBTYPES

PHANTOM_VERSION = 2
SUBTYPES = RSNA_SUBTYPES  # the phantom writes what labels.rsna() reads
LABELS_CSV = "stage_2_train.csv"
IMAGES_DIR = "stage_2_train"
FOV_MM = 240.0
INTERCEPT = -1024.0
HU_AIR = -1000.0


@dataclass(frozen=True)
class PhantomParams:
    """What defines a phantom set (and its cache key)."""

    n: int = 200
    seed: int = 0
    size: int = 256
    slices_per_patient: int = 1

    def key(self) -> str:
        blob = json.dumps({**asdict(self), "version": PHANTOM_VERSION}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:12]


@dataclass
class Lesion:
    subtype: str
    hu: float
    size_mm: float


@dataclass
class SliceSpec:
    """Everything drawn at random for one slice; rendering is a pure function of it."""

    patient_index: int
    slice_index: int
    hemorrhage: bool
    lesions: list[Lesion] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# geometry helpers (all in mm, head frame: u = patient left-right, v = anterior(-)→posterior(+))


def _angdiff(a, b):
    return (a - b + np.pi) % (2 * np.pi) - np.pi


def _sheared(u, v, cu, cv, au, av, tilt, side):
    """Ellipse whose long (v) axis leans: ``tilt > 0`` moves its anterior end laterally
    on ``side`` (±1), ``tilt < 0`` its posterior end. Returns the normalised radius²."""
    du, dv = u - cu, v - cv
    x = (du + side * tilt * dv) / au
    y = dv / av
    return x * x + y * y


def _harmonics(theta, rng, ks, amp):
    out = np.zeros_like(theta)
    for k in ks:
        out += rng.uniform(-amp, amp) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    return out


class _Head:
    """One synthetic patient's anatomy (random draws happen once, here)."""

    def __init__(self, rng: np.random.Generator):
        self.a = rng.uniform(62, 76)  # half-width (mm)
        self.b = rng.uniform(80, 96)  # half-length
        self.rot = math.radians(rng.uniform(-12, 12))
        self.offset = rng.uniform(-8, 8, size=2)
        self.egg = rng.uniform(0.02, 0.07)
        self.shape_seed = int(rng.integers(1 << 30))
        self.scalp = rng.uniform(3.0, 6.0)
        self.skull = rng.uniform(4.5, 8.5)
        self.skull_hu = rng.uniform(1100, 1600)
        self.diploe_hu = rng.uniform(550, 850)
        self.grey_hu = rng.uniform(36, 44)
        self.white_hu = rng.uniform(21, 29)
        self.csf_hu = rng.uniform(2, 12)
        self.atrophy = rng.uniform(0.0, 1.0)
        self.n_gyri = rng.uniform(18, 28)
        self.vent_scale = rng.uniform(0.75, 1.35) * (1 + 0.35 * self.atrophy)
        self.choroid_calc = rng.uniform() < 0.4
        self.noise_sigma = rng.uniform(2.5, 5.0)
        self.level = "ventricular" if rng.uniform() < 0.7 else "supraventricular"


def _render_anatomy(head: _Head, u, v, level: str):
    """HU map of a normal head plus masks the lesions need."""
    rng = np.random.default_rng(head.shape_seed)
    r = np.hypot(u, v) + 1e-6
    theta = np.arctan2(v, u)
    # Outer contour: ellipse × egg (wider at the back) × gentle harmonics.
    ell = 1.0 / np.sqrt((np.cos(theta) / head.a) ** 2 + (np.sin(theta) / head.b) ** 2)
    outer = ell * (1 + head.egg * np.sin(theta)) * (1 + _harmonics(theta, rng, (2, 3, 4, 5), 0.015))
    skull_t = head.skull * (1 + 0.35 * np.sin(theta) ** 2 + _harmonics(theta, rng, (3, 5), 0.12))
    inner = outer - head.scalp - skull_t
    depth = inner - r  # mm inside the inner table
    hu = np.full(u.shape, HU_AIR, np.float32)

    inside_head = r <= outer
    hu[inside_head] = 35.0  # scalp soft tissue
    fat = inside_head & (r > outer - 0.55 * head.scalp) & (r < outer - 0.2 * head.scalp)
    hu[fat] = -70.0
    bone = inside_head & (depth < 0) & (r > outer - head.scalp)
    # Two dense tables with a softer diploe between them.
    frac = np.clip(-depth / np.maximum(skull_t, 1e-3), 0, 1)
    table = np.abs(frac - 0.5) > 0.2
    hu[bone] = np.where(table[bone], head.skull_hu, head.diploe_hu)

    brain = depth >= 0
    csf_layer = 0.2 + 1.8 * head.atrophy**2
    hu[brain] = head.white_hu

    # Gyri: sulci are CSF clefts of varying depth, lined by cortex.
    # The angular phase is warped along the circle and bent with depth so sulci curve
    # and wander instead of looking like clock ticks.
    bend = 0.22 * np.clip(depth, 0, None) * np.cos(5 * theta + rng.uniform(0, 6))
    warp = theta * head.n_gyri + _harmonics(theta, rng, (2, 3, 5, 7, 11), 2.2) + bend
    phase = np.abs(_angdiff(warp, 0.0))  # 0 at a sulcus centre
    arc = phase / (head.n_gyri) * r  # ≈ mm from the sulcus centre line
    sulc_depth = (7 + 6 * (0.5 + 0.5 * np.cos(theta * 9 + rng.uniform(0, 6)))) * (
        0.8 + 0.4 * head.atrophy
    )
    sulc_width = (0.7 + 1.4 * head.atrophy) * np.clip(1 - depth / sulc_depth, 0, 1)
    # Interhemispheric fissure (and the falx in it); no convexity sulci cross it.
    fissure_w = 0.6 + 1.2 * head.atrophy
    um = u - 1.2 * np.sin(v / 9.0 + rng.uniform(0, 6))  # the midline is not ruler-straight
    if level == "ventricular":
        fissure_zone = brain & (np.abs(v) > 24.0)
    else:
        fissure_zone = brain
    medial_cortex = fissure_zone & (np.abs(um) < fissure_w / 2 + 1.2)
    fissure = fissure_zone & (np.abs(um) < fissure_w / 2)
    falx = fissure_zone & (np.abs(um) < 0.4)
    near_midline = np.abs(um) < fissure_w / 2 + 4.0

    sulcus = brain & (depth < sulc_depth) & (arc < sulc_width / 2 + 0.35) & ~near_midline
    cortex = brain & ((depth < 3.0) | ((arc < sulc_width / 2 + 3.0) & (depth < sulc_depth + 2.5)))

    hu[cortex | medial_cortex] = head.grey_hu
    hu[sulcus | fissure] = head.csf_hu
    hu[falx] = head.grey_hu + 8
    hu[brain & (depth < csf_layer)] = head.csf_hu

    ventricles = np.zeros(u.shape, bool)
    if level == "ventricular":
        # The classic slice through the foramen of Monro: frontal horns diverging
        # forwards, a slit-like third ventricle, atria diverging backwards, thalami and
        # lentiform nuclei between them.
        k = head.vent_scale
        for s in (-1.0, 1.0):
            thalamus = _sheared(u, v, s * 9, 5, 7, 9, 0.0, s) < 1
            # The caudate head bulges into the frontal horn's lateral wall (the "butterfly").
            caudate = _sheared(u, v, s * (9.5 * k + 2.5), -11 * k, 4.0 * k, 7.5 * k, 0.3, s) < 1
            lentiform = _sheared(u, v, s * 22, -2, 5, 12, 0.25, s) < 1
            hu[brain & (caudate | thalamus | lentiform)] = head.grey_hu - 3
            frontal = _sheared(u, v, s * (5.0 * k + 1.2), -15 * k, 4.6 * k, 11 * k, 0.45, s) < 1
            frontal &= ~caudate
            atrium = _sheared(u, v, s * (13 * k + 1), 22 * k + 2, 3.5 * k, 9 * k, -0.55, s) < 1
            ventricles |= brain & (frontal | atrium) & (np.abs(u) > 0.9)
        ventricles |= brain & (_sheared(u, v, 0, 1, 0.8 + 0.5 * k, 6, 0.0, 1) < 1)
        hu[ventricles] = head.csf_hu
        if head.choroid_calc:
            for s in (-1.0, 1.0):
                hu[
                    _sheared(u, v, s * (13 * k + 1 + 0.55 * 2), 22 * k + 4, 1.4, 1.4, 0.0, s) < 1
                ] = 180.0
    masks = {
        "r": r,
        "theta": theta,
        "depth": depth,
        "brain": brain,
        "sulcus": sulcus | fissure,
        "ventricles": ventricles,
        "inner": inner,
    }
    return hu, masks


# --------------------------------------------------------------------------------------
# lesions: each paints blood into ``hu`` and returns nothing


def _sample_hu(rng):
    return rng.uniform(50, 90)


def _paint_epidural(hu, m, rng, lesion):
    """Biconvex lens against the inner table (limited by sutures → short arc)."""
    theta0 = rng.uniform(-np.pi, np.pi)
    half_span = math.radians(rng.uniform(14, 32))
    t = np.clip(1 - (_angdiff(m["theta"], theta0) / half_span) ** 2, 0, None)
    mask = m["brain"] & (m["depth"] < lesion.size_mm * t)
    hu[mask] = lesion.hu


def _paint_subdural(hu, m, rng, lesion):
    """Crescent over a long arc of the convexity, thin at both ends."""
    theta0 = rng.uniform(-np.pi, np.pi)
    half_span = math.radians(rng.uniform(35, 80))
    x = np.abs(_angdiff(m["theta"], theta0)) / half_span
    t = np.sqrt(np.clip(1 - x**4, 0, None))
    mask = m["brain"] & (m["depth"] < lesion.size_mm * t)
    hu[mask] = lesion.hu


def _paint_intraparenchymal(hu, m, rng, lesion, u, v):
    """Irregular blob in the parenchyma with a dark oedema rim."""
    brain_pts = np.argwhere(m["brain"] & (m["depth"] > lesion.size_mm + 6))
    if len(brain_pts) == 0:
        brain_pts = np.argwhere(m["brain"])
    i, j = brain_pts[rng.integers(len(brain_pts))]
    cu, cv = u[i, j], v[i, j]
    du, dv = u - cu, v - cv
    rr = np.hypot(du, dv)
    ang = np.arctan2(dv, du)
    radius = lesion.size_mm * (1 + _harmonics(ang, rng, (2, 3, 5), 0.12))
    rim = rng.uniform(0.5, 3.5)
    hu[m["brain"] & (rr < radius + rim)] -= rng.uniform(4, 10)
    hu[m["brain"] & (rr < radius)] = lesion.hu


def _paint_intraventricular(hu, m, rng, lesion, u, v):
    """Blood layering in the dependent (posterior) ventricles: a fluid level."""
    vent = m["ventricles"]
    if not vent.any():
        return
    vs = v[vent]
    level = np.quantile(vs, 1 - lesion.size_mm)  # size_mm is a filled fraction here
    side = rng.choice([-1.0, 0.0, 1.0])  # one side or both
    mask = vent & (v >= level)
    if side != 0:
        mask &= np.sign(u) == side
    hu[mask] = lesion.hu


def _paint_subarachnoid(hu, m, rng, lesion, u, v):
    """Blood in the sulci (and sometimes the fissure) of one sector."""
    theta0 = rng.uniform(-np.pi, np.pi)
    half_span = math.radians(lesion.size_mm)  # size_mm is an angle here
    sector = np.abs(_angdiff(m["theta"], theta0)) < half_span
    mask = m["sulcus"] & sector
    hu[mask] = lesion.hu


_PAINTERS = {
    "epidural": lambda hu, m, rng, les, u, v: _paint_epidural(hu, m, rng, les),
    "subdural": lambda hu, m, rng, les, u, v: _paint_subdural(hu, m, rng, les),
    "intraparenchymal": _paint_intraparenchymal,
    "intraventricular": _paint_intraventricular,
    "subarachnoid": _paint_subarachnoid,
}

# size_mm ranges per subtype: subtle at the low end, obvious at the high end.
_SIZE_RANGE = {
    "epidural": (2.0, 16.0),  # max thickness mm
    "subdural": (1.5, 11.0),  # max thickness mm
    "intraparenchymal": (1.5, 14.0),  # radius mm
    "intraventricular": (0.15, 0.7),  # filled fraction of the ventricles
    "subarachnoid": (15.0, 70.0),  # half-angle of the sector, degrees
}


def _draw_lesions(rng) -> list[Lesion]:
    first = SUBTYPES[rng.integers(len(SUBTYPES))]
    kinds = [first]
    if rng.uniform() < 0.2:
        second = SUBTYPES[rng.integers(len(SUBTYPES))]
        if second != first:
            kinds.append(second)
    out = []
    for kind in kinds:
        lo, hi = _SIZE_RANGE[kind]
        size = lo + (hi - lo) * rng.uniform() ** 1.3  # more subtle than obvious
        out.append(Lesion(kind, _sample_hu(rng), size))
    return out


# --------------------------------------------------------------------------------------


def render_slice(
    params: PhantomParams, patient_index: int, slice_index: int, hemorrhage: bool
) -> tuple[np.ndarray, list[Lesion], dict]:
    """HU image [size, size] float32 of one slice, its lesions, and per-patient facts."""
    prng = np.random.default_rng([params.seed, patient_index, 1])
    head = _Head(prng)
    srng = np.random.default_rng([params.seed, patient_index, 2, slice_index])
    size = params.size
    spacing = FOV_MM / size
    coords = (np.arange(size, dtype=np.float32) - (size - 1) / 2) * spacing
    x, y = np.meshgrid(coords, coords)
    x = x - head.offset[0]
    y = y - head.offset[1]
    c, s = math.cos(head.rot), math.sin(head.rot)
    u = (c * x + s * y).astype(np.float32)
    v = (-s * x + c * y).astype(np.float32)
    level = head.level
    if params.slices_per_patient > 1 and slice_index % 2:
        level = "supraventricular" if level == "ventricular" else "ventricular"
    lesions: list[Lesion] = []
    if hemorrhage:
        lesions = _draw_lesions(np.random.default_rng([params.seed, patient_index, 3]))
        if any(les.subtype == "intraventricular" for les in lesions):
            level = "ventricular"
    hu, masks = _render_anatomy(head, u, v, level)
    for lesion in lesions:
        _PAINTERS[lesion.subtype](hu, masks, srng, lesion, u, v)
    # Partial-volume blur, then correlated quantum noise.
    sigma_px = 0.45 / spacing
    hu = cv2.GaussianBlur(hu, (0, 0), sigma_px)
    noise = srng.standard_normal(hu.shape).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), 0.7 / spacing)
    noise *= head.noise_sigma / max(float(noise.std()), 1e-6)
    body = hu > -500
    hu = np.where(body, hu + noise, hu + 0.3 * noise)
    info = {
        "patient_id": f"PHANTOM{params.seed:03d}{patient_index:05d}",
        "spacing": spacing,
        "level": level,
    }
    return hu.astype(np.float32), lesions, info


def _uid(params: PhantomParams, *parts) -> str:
    return generate_uid(
        entropy_srcs=[
            "keras_medgan.phantom",
            str(PHANTOM_VERSION),
            str(params.seed),
            str(params.size),
            *[str(p) for p in parts],
        ]
    )


def _image_id(params: PhantomParams, patient_index: int, slice_index: int) -> str:
    digest = hashlib.sha1(f"{params.seed}-{params.size}-{patient_index}-{slice_index}".encode())
    return "ID_" + digest.hexdigest()[:9]


def write_dicom(
    path, hu: np.ndarray, params: PhantomParams, patient_index: int, slice_index: int, info: dict
) -> None:
    """A CT Image Storage file that ``pydicom.dcmread`` reads without ``force``."""
    stored = np.clip(np.rint(hu - INTERCEPT), -32768, 32767).astype(np.int16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    sop_uid = _uid(params, "sop", patient_index, slice_index)
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = FileDataset(os.fspath(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = _uid(params, "study", patient_index)
    ds.SeriesInstanceUID = _uid(params, "series", patient_index)
    ds.FrameOfReferenceUID = _uid(params, "frame", patient_index)
    ds.Modality = "CT"
    ds.Manufacturer = "keras_medgan phantom"
    ds.PatientID = info["patient_id"]
    ds.PatientName = f"Phantom^{patient_index:05d}"
    ds.StudyDate = "20000101"
    ds.StudyID = str(patient_index)
    ds.SeriesNumber = 1
    ds.InstanceNumber = slice_index + 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.BodyPartExamined = "HEAD"
    ds.KVP = 120
    ds.SliceThickness = 5.0
    ds.PixelSpacing = [round(info["spacing"], 6), round(info["spacing"], 6)]
    ds.ImagePositionPatient = [-FOV_MM / 2, -FOV_MM / 2, 5.0 * slice_index]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = INTERCEPT
    ds.RescaleSlope = 1
    ds.RescaleType = "HU"
    ds.WindowCenter = [40, 600]  # multi-valued, like many scanners: brain, bone
    ds.WindowWidth = [80, 2800]
    ds.PixelData = stored.tobytes()
    ds.save_as(os.fspath(path), enforce_file_format=True)


def generate_phantom(out_dir, params: PhantomParams = PhantomParams(), progress=None) -> Path:
    """Write ``params.n`` slices as DICOM plus ``stage_2_train.csv`` into ``out_dir``.

    Layout mirrors RSNA's: ``<out>/stage_2_train/ID_xxx.dcm`` and ``<out>/stage_2_train.csv``
    with rows ``ID_xxx_<subtype>,Label`` (+ a ``PatientID`` column, which RSNA's file lacks).
    Exactly half the patients (rounded down) have hemorrhage in all their slices.
    """
    if params.n < 1:
        raise ValueError(f"phantom needs n >= 1. Received: n={params.n}")
    if params.size not in (128, 256, 512):
        raise ValueError(f"phantom size must be 128, 256 or 512. Received: size={params.size}")
    out = Path(out_dir)
    (out / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    k = max(1, params.slices_per_patient)
    n_patients = math.ceil(params.n / k)
    rows = []
    done = 0
    for p in range(n_patients):
        hemorrhage = p % 2 == 1
        for s in range(k):
            if done >= params.n:
                break
            hu, lesions, info = render_slice(params, p, s, hemorrhage)
            image_id = _image_id(params, p, s)
            write_dicom(out / IMAGES_DIR / f"{image_id}.dcm", hu, params, p, s, info)
            present = {les.subtype for les in lesions}
            for sub in SUBTYPES:
                rows.append((f"{image_id}_{sub}", int(sub in present), info["patient_id"]))
            rows.append((f"{image_id}_any", int(bool(present)), info["patient_id"]))
            done += 1
            if progress is not None:
                progress(done, params.n)
    with open(out / LABELS_CSV, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ID", "Label", "PatientID"])
        writer.writerows(rows)
    with open(out / "phantom.json", "w") as fh:
        json.dump({**asdict(params), "version": PHANTOM_VERSION}, fh, indent=2, sort_keys=True)
    return out


def cache_root() -> Path:
    """``$KERAS_MEDGAN_CACHE`` or ``~/.cache/keras_medgan``."""
    env = os.environ.get("KERAS_MEDGAN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "keras_medgan"


def ensure_phantom(
    params: PhantomParams = PhantomParams(), root: os.PathLike | None = None
) -> Path:
    """The cached phantom folder, generated once (atomically: temp dir, then rename)."""
    root = Path(root) if root is not None else cache_root()
    final = root / f"phantom-{params.key()}"
    if (final / LABELS_CSV).is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".phantom-{params.key()}-", dir=root))

    bar = Progress(params.n, f"generating phantom ({params.n} slices)")
    try:
        generate_phantom(tmp, params, progress=lambda done, total: bar.update(done))
        bar.close()
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / LABELS_CSV).is_file():  # lost a race with a broken winner
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final
