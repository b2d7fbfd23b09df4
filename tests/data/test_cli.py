"""``python -m keras_medgan.data``: info / convert / phantom, exit codes and messages."""

import numpy as np
import pydicom
import pytest

from keras_medgan.cli.data import main

from .helpers import pydicom_file


def test_info_prints_counts_and_writes_grid(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert (
        main(["info", "--data", "phantom:n=20,seed=0,size=128", "--out", str(out), "--grid-n", "4"])
        == 0
    )
    text = capsys.readouterr().out
    assert "normal" in text and "hemorrhage" in text
    assert "total" in text and "128x128" in text
    assert out.is_file() and out.stat().st_size > 1000


def test_info_reports_empty_splits_and_every_skipped_file(tmp_path, capsys, monkeypatch):
    import cv2

    monkeypatch.chdir(tmp_path)  # data_report.json lands in the working folder

    for name in ("yes", "no"):
        (tmp_path / name).mkdir()
        for i in range(2):
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), np.full((8, 8), 40 * i, np.uint8))
        (tmp_path / name / "broken.png").write_bytes(b"")
    assert main(["info", "--data", f"folder:{tmp_path}"]) == 0
    text = capsys.readouterr().out
    # 4 images cannot fill three splits: zeros and a note instead of an error
    assert "note: split 'test' has no images of class(es) no, yes" in text
    assert text.count("broken.png") == 2  # each skipped file listed once, whatever its split
    assert all(not (tmp_path / n / "broken.png").stat().st_size for n in ("yes", "no"))


def test_info_missing_data_exits_2_with_one_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["info", "--data", "head_ct", "--data-dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: dataset 'head_ct' not found") and "Traceback" not in err


def test_unknown_data_name_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["info", "--data", "nope"])
    assert info.value.code == 2
    assert "unknown dataset 'nope'; valid names:" in capsys.readouterr().err


def test_convert_mirrors_tree_and_keeps_inputs(tmp_path, capsys):
    src = tmp_path / "in"
    (src / "a" / "b").mkdir(parents=True)
    ct = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    ct.save_as(src / "a" / "b" / "slice1.dcm")
    ct.save_as(src / "top.dcm")
    (src / "a" / "bad.dcm").write_bytes(b"junk")
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    assert main(["convert", "--input", str(src), "--out", str(out), "--window", "brain"]) == 0
    assert (out / "a" / "b" / "slice1.png").is_file() and (out / "top.png").is_file()
    import cv2

    png = cv2.imread(str(out / "top.png"), cv2.IMREAD_UNCHANGED)
    raw = np.frombuffer(ct.PixelData, "<i2").reshape(128, 128).astype(float) - 1024
    np.testing.assert_array_equal(png, np.rint(np.clip(raw / 80, 0, 1) * 255).astype(np.uint8))
    assert "bad.dcm" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before
    # a second run keeps existing outputs; --strict makes the junk file fatal
    assert main(["convert", "--input", str(src), "--out", str(out)]) == 0
    assert main(["convert", "--input", str(src), "--out", str(tmp_path / "o2"), "--strict"]) == 2


def test_convert_multiframe_16_bit(tmp_path):
    out = tmp_path / "o"
    assert (
        main(
            [
                "convert",
                "--input",
                pydicom_file("rtdose.dcm"),
                "--out",
                str(out),
                "--window",
                "minmax",
                "--bits",
                "16",
            ]
        )
        == 0
    )
    assert len(list(out.glob("rtdose_f*.png"))) == 15


def test_phantom_command(tmp_path, capsys):
    out = tmp_path / "ph"
    grid = tmp_path / "g.png"
    assert (
        main(["phantom", "--out", str(out), "--n", "4", "--size", "128", "--grid", str(grid)]) == 0
    )
    assert len(list((out / "stage_2_train").glob("*.dcm"))) == 4
    assert (out / "stage_2_train.csv").is_file() and grid.is_file()
    assert main(["phantom", "--out", str(out), "--n", "4"]) == 2  # not empty: refused
    assert "not an empty folder" in capsys.readouterr().err


def test_bad_window_is_one_early_error(tmp_path, capsys):
    assert (
        main(
            [
                "convert",
                "--input",
                pydicom_file("CT_small.dcm"),
                "--out",
                str(tmp_path / "o"),
                "--window",
                "lung",
            ]
        )
        == 2
    )
    assert "unknown window 'lung'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_convert_three_windows_writes_rgb(tmp_path):
    import cv2

    out = tmp_path / "o"
    assert (
        main(
            [
                "convert",
                "--input",
                pydicom_file("CT_small.dcm"),
                "--out",
                str(out),
                "--window",
                "three",
            ]
        )
        == 0
    )
    img = cv2.imread(str(out / "CT_small.png"), cv2.IMREAD_UNCHANGED)
    assert img.shape == (128, 128, 3)
    ct = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    hu = np.frombuffer(ct.PixelData, "<i2").reshape(128, 128).astype(float) - 1024
    np.testing.assert_array_equal(img[..., 2], np.rint(np.clip(hu / 80, 0, 1) * 255))  # R = brain
