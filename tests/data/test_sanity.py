"""Data sanity checks: broken data is named, file by file, before anyone trains on it."""

import json

import cv2
import numpy as np

from keras_medgan.cli.data import main
from keras_medgan.data import load_image_set
from keras_medgan.data.pipeline import ImageSet
from keras_medgan.data.sanity import CHECKS, check_image_sets, summarise
from tests.test_train_cli import tiny_registry  # noqa: F401 (fixture: the tiny32 arch)

RNG = np.random.default_rng(0)


def _texture(size=48):
    """A random, high-contrast slice (every call a different image)."""
    img = cv2.GaussianBlur(RNG.integers(0, 256, (size, size)).astype(np.uint8), (5, 5), 0)
    return cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX)


def _write(root, layout):
    """layout: {class: [uint8 image, ...]} → root/<class>/<i>.png; returns the paths."""
    paths = {}
    for name, images in layout.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(images):
            path = root / name / f"{name}_{i:02d}.png"
            cv2.imwrite(str(path), img)
            paths[(name, i)] = str(path)
    return paths


def _image_set(images, labels, names=("a", "b"), shapes=None):
    images = np.asarray(images, np.float32)[..., None]
    return ImageSet(
        images=images,
        labels=np.asarray(labels),
        class_names=list(names),
        patient_ids=[str(i) for i in range(len(labels))],
        paths=[f"img{i}.png" for i in range(len(labels))],
        source_shapes=None if shapes is None else np.asarray(shapes),
    )


def test_every_check_is_registered():
    assert set(CHECKS.names()) == {
        "near_constant",
        "duplicate",
        "class_imbalance",
        "small_source",
        "mixed_formats",
    }


def test_data_info_names_near_black_files_and_writes_all_of_them(tmp_path, capsys, monkeypatch):
    """The broken brain MRI copy: JPG/PNGs whose pixels hold only 0..2 of 255."""
    layout = {"yes": [_texture() for _ in range(8)], "no": [_texture() for _ in range(8)]}
    layout["yes"] += [RNG.integers(0, 3, (48, 48)).astype(np.uint8) for _ in range(5)]
    paths = _write(tmp_path / "mri", layout)
    monkeypatch.chdir(tmp_path)
    assert main(["info", "--data", f"folder:{tmp_path / 'mri'}"]) == 0
    out = capsys.readouterr().out
    assert "warning: data: 5 of 21 images have almost no contrast" in out
    assert "data_report.json" in out
    report = json.loads((tmp_path / "data_report.json").read_text())
    dark = next(f for f in report["findings"] if f["check"] == "near_constant")
    assert sorted(dark["files"]) == sorted(paths[("yes", i)] for i in range(8, 13))


def test_duplicates_across_classes_and_splits_are_found_exact_and_near(tmp_path):
    base = [_texture() for _ in range(12)]
    layout = {"a": base[:6], "b": base[6:]}
    layout["b"].append(base[0])  # the same slice filed under both classes
    rescaled = cv2.resize(cv2.resize(base[1], (96, 96)), (48, 48))  # a re-saved copy
    layout["a"].append(rescaled)
    paths = _write(tmp_path / "set", layout)
    sets = {
        s: load_image_set(
            f"folder:{tmp_path / 'set'}", 32, s, allow_empty=True, cache=False, progress=False
        )
        for s in ("train", "val", "test")
    }
    found = [f for f in check_image_sets(sets, 32) if f.check == "duplicate"]
    across = [f for f in found if "across classes" in f.message]
    assert len(across) == 1 and sorted(across[0].files) == sorted(
        [paths[("a", 0)], paths[("b", 6)]]
    )
    assert "identical images" in across[0].message
    near = [f for f in found if paths[("a", 1)] in f.files]
    assert near and paths[("a", 6)] in near[0].files and "nearly identical" in near[0].message
    assert all(len(f.files) == 2 for f in found)  # 12 distinct textures: nothing else


def test_class_imbalance_and_small_sources():
    flat = [_texture(32).astype(np.float32) / 127.5 - 1 for _ in range(11)]
    balanced = _image_set(flat[:6], [0, 0, 0, 1, 1, 1])
    assert check_image_sets({"train": balanced}, 32) == []
    skewed = _image_set(flat, [0] * 10 + [1], shapes=[(64, 64)] * 10 + [(14, 20)])
    found = {f.check: f for f in check_image_sets({"train": skewed}, 32)}
    assert set(found) == {"class_imbalance", "small_source"}
    assert "'a' has 10 images, 10.0x class 'b'" in found["class_imbalance"].message
    assert found["small_source"].files == ["img10.png"]


def test_summary_shows_a_few_and_points_to_the_report():
    flat = [_texture(32).astype(np.float32) / 127.5 - 1 for _ in range(4)]
    dup = _image_set(flat + flat, [0, 0, 1, 1, 0, 0, 1, 1])  # four duplicate pairs
    found = check_image_sets({"train": dup}, 32)
    lines = summarise(found, "r.json", shown=2)
    assert len(found) == 4 and len(lines) == 4
    assert lines[2] == "warning: data: ... and 2 more duplicate finding(s)"
    assert lines[3].endswith("listed in r.json")


def test_window_on_image_files_is_an_error(tmp_path, capsys):
    _write(
        tmp_path / "set", {"a": [_texture() for _ in range(3)], "b": [_texture() for _ in range(3)]}
    )
    assert main(["info", "--data", f"folder:{tmp_path / 'set'}", "--window", "minmax"]) == 2
    err = capsys.readouterr().err
    assert "--window minmax applies to DICOM files" in err and "only image files" in err


def test_training_warns_and_writes_the_data_report_into_its_run(tmp_path, capsys, tiny_registry):  # noqa: F811
    from keras_medgan.cli import train

    layout = {"a": [_texture() for _ in range(8)], "b": [_texture() for _ in range(8)]}
    layout["b"] += [np.zeros((48, 48), np.uint8) + i for i in range(4)]
    paths = _write(tmp_path / "set", layout)
    dark = {paths[("b", i)] for i in range(8, 12)}
    out = tmp_path / "runs"
    assert (
        train.main(
            [
                "--arch",
                "tiny32",
                "--data",
                f"folder:{tmp_path / 'set'}",
                "--epochs",
                "1",
                "--batch-size",
                "4",
                "--classes",
                "b",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "images have almost no contrast" in printed
    (run,) = out.iterdir()
    report = json.loads((run / "data_report.json").read_text())
    assert [f["check"] for f in report["findings"]] == ["near_constant"]
    assert report["findings"][0]["files"] and set(report["findings"][0]["files"]) <= dark


def test_benchmark_splits_carry_the_findings_of_any_loader():
    """The benchmark (and the study through it) sees the same checks, whatever loads the data."""
    from keras_medgan.compare.splits import load_splits

    flat = [_texture(32).astype(np.float32) / 127.5 - 1 for _ in range(6)]

    def loader(data, image_size, split, seed, data_dir):
        images = flat[:2] if split != "test" else [flat[0], flat[5]]  # test repeats a train image
        return _image_set(images if split != "val" else flat[2:4], [0, 1])

    splits = load_splits("toy", image_size=32, seed=0, loader=loader)
    (finding,) = splits.findings
    assert finding.check == "duplicate" and "across splits test, train" in finding.message


def test_mixed_bit_depths_and_channels_are_named_from_the_headers(tmp_path, capsys, monkeypatch):
    from keras_medgan.data.sanity import raster_format

    layout = {"a": [_texture() for _ in range(6)], "b": [_texture() for _ in range(6)]}
    paths = _write(tmp_path / "set", layout)
    deep = tmp_path / "set" / "a" / "deep.png"
    cv2.imwrite(str(deep), (_texture().astype(np.uint16) * 16))  # 12-bit data in 16-bit PNG
    colour = tmp_path / "set" / "b" / "colour.jpg"
    cv2.imwrite(str(colour), np.dstack([_texture()] * 3))
    assert raster_format(paths[("a", 0)]) == (8, 1)
    assert raster_format(deep) == (16, 1)
    assert raster_format(colour) == (8, 3)
    assert raster_format(tmp_path / "set" / "missing.png") is None
    monkeypatch.chdir(tmp_path)
    assert main(["info", "--data", f"folder:{tmp_path / 'set'}"]) == 0
    out = capsys.readouterr().out
    assert "files of different formats in one set: 8-bit grey (12 files" in out
    assert "16-bit grey (1 files" in out and "8-bit colour (1 files" in out
    report = json.loads((tmp_path / "data_report.json").read_text())
    mixed = next(f for f in report["findings"] if f["check"] == "mixed_formats")
    assert sorted(mixed["files"]) == sorted([str(deep), str(colour)])


def test_alpha_alone_is_not_a_different_format(tmp_path):
    from keras_medgan.data.sanity import mixed_formats

    rgb, rgba = tmp_path / "rgb.png", tmp_path / "rgba.png"
    cv2.imwrite(str(rgb), np.dstack([_texture()] * 3))
    cv2.imwrite(str(rgba), np.dstack([_texture()] * 4))
    image_set = _image_set(np.zeros((2, 4, 4)), [0, 1])
    image_set.paths = [str(rgb), str(rgba)]
    assert mixed_formats({"all": image_set}, 32) == []


def test_near_pairs_across_a_chunk_boundary_and_at_the_limit():
    """Pairs are found whichever chunk each member falls in (the first image of one chunk
    with the last of another), none twice, none with itself; a pair just inside NEAR_RMS
    is near, just outside is not."""
    from keras_medgan.data.sanity import NEAR_RMS, _near_pairs

    rng = np.random.default_rng(0)
    thumbs = rng.uniform(-1, 1, (10, 256)).astype(np.float64)
    thumbs[9] = thumbs[0] + 0.5 * NEAR_RMS  # rms 0.5·NEAR_RMS: near
    thumbs[5] = thumbs[3] + 1.5 * NEAR_RMS  # rms 1.5·NEAR_RMS: not near
    for chunk in (1, 3, 4, 2048):
        assert _near_pairs(thumbs, chunk=chunk) == [(0, 9)], chunk
