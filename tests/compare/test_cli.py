"""``python -m keras_medgan.benchmark``: an end-to-end --quick run on a tiny phantom and
the bad-input exit codes (2, one clear message, no traceback)."""

import json
import re

import pytest

from keras_medgan.cli import benchmark
from keras_medgan.compare.errors import BenchmarkError
from tests.compare.conftest import CLASS_NAMES, export_tiny

TINY_PHANTOM = "phantom:n=40"


def test_quick_end_to_end_on_tiny_phantom(tmp_path, per_class_run, capsys):
    out = tmp_path / "bench"
    rc = benchmark.main(
        [
            "--data",
            TINY_PHANTOM,
            "--generators",
            f"tiny={per_class_run}",
            "--quick",
            "--repeats",
            "1",
            "--steps",
            "2",
            "--seeds",
            "1",
            "--no-gan-train",
            "--arms",
            "real",
            "real+synthetic",
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "[2/2]" in captured.err and "ETA" in captured.err
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["train"]["classifier"] == "small_cnn"  # --quick profile
    assert results["config"]["profile"] == "quick"
    rows = {r["label"]: r for r in results["summary"]["arms"]}
    assert set(rows) == {"real", "real+synthetic"}
    # phantom:n=40 → 14 + 14 training slices; real+synthetic adds as many fakes
    assert rows["real"]["n_train"] == 28 and rows["real+synthetic"]["n_train"] == 56
    assert rows["real"]["metrics"]["accuracy"]["n"] == 1
    assert "accuracy" in rows["real+synthetic"]["vs_real"]
    assert results["summary"]["gan_train"] == {}  # --no-gan-train; the runner test covers it
    assert set(results["summary"]["fidelity"]["tiny"]) == set(CLASS_NAMES)
    table = (out / "results.md").read_text()
    assert (
        re.search(r"\| real( ⚠ one class in 1/1)? \| 28 \|", table)
        and "76.51 / 72.37 / 83.04" in table
    )
    assert (out / "results.png").stat().st_size > 1000
    assert len((out / "runs.jsonl").read_text().splitlines()) == 2


def _run_bad(argv, capsys):
    rc = benchmark.main(argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err
    return err


def test_generator_image_size_mismatch_exits_2(tmp_path, capsys):
    for name in CLASS_NAMES:
        export_tiny(tmp_path / "run" / "export", name, image_size=16)
    err = _run_bad(
        [
            "--data",
            TINY_PHANTOM,
            "--generators",
            str(tmp_path / "run"),
            "--image-size",
            "32",
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert "16×16 images but the data is 32×32" in err


def test_image_size_comes_from_the_generators_cards(tmp_path):
    for name in CLASS_NAMES:
        export_tiny(tmp_path / "run" / "export", name, image_size=16)
    export_tiny(tmp_path / "other" / "export", "normal", image_size=64)
    argv = ["--data", TINY_PHANTOM, "--generators", str(tmp_path / "run")]
    assert (
        benchmark.config_from_args(benchmark.build_parser().parse_args(argv), argv).image_size == 16
    )
    argv = ["--data", TINY_PHANTOM, "--arms", "real"]
    assert (
        benchmark.config_from_args(benchmark.build_parser().parse_args(argv), argv).image_size == 32
    )
    argv = [
        "--data",
        TINY_PHANTOM,
        "--generators",
        f"a={tmp_path / 'run'}",
        f"b={tmp_path / 'other'}",
    ]
    with pytest.raises(BenchmarkError, match="different sizes: 16×16 .*; 64×64"):
        benchmark.config_from_args(benchmark.build_parser().parse_args(argv), argv)


def test_class_without_generator_exits_2(tmp_path, capsys):
    export_tiny(tmp_path / "run" / "export", "normal")
    err = _run_bad(
        [
            "--data",
            TINY_PHANTOM,
            "--generators",
            str(tmp_path / "run"),
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert "no generator for class(es) ['hemorrhage']" in err


def test_conditional_generator_with_other_classes_exits_2(tmp_path, capsys):
    path = export_tiny(tmp_path / "export", None, class_names=["healthy", "tumour"])
    err = _run_bad(
        ["--data", TINY_PHANTOM, "--generators", str(path), "--out", str(tmp_path / "o")], capsys
    )
    assert "['normal', 'hemorrhage'] are not among them" in err


def test_too_few_images_exits_2_with_counts(tmp_path, capsys):
    err = _run_bad(
        ["--data", "phantom:n=6", "--arms", "real", "--out", str(tmp_path / "o")], capsys
    )
    assert "whole set: normal=3, hemorrhage=3" in err


def test_wrong_weights_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "not_weights.h5"
    bad.write_bytes(b"not an HDF5 file")
    err = _run_bad(
        [
            "--data",
            TINY_PHANTOM,
            "--arms",
            "real",
            "--classifier",
            "resnet50",
            "--weights",
            str(bad),
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert f"cannot load weights file {bad}" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--data", "no_such_set", "--arms", "real"], "no_such_set"),
        (["--data", TINY_PHANTOM, "--arms", "synthetic"], "--generators"),
        (["--data", TINY_PHANTOM, "--generators", "/nonexistent/run"], "/nonexistent/run"),
        (
            ["--data", TINY_PHANTOM, "--classifier", "small_cnn", "--weights", "w.h5"],
            "--weights is a local ImageNet file",
        ),
    ],
)
def test_user_errors_exit_2(tmp_path, capsys, argv, message):
    err = _run_bad(argv + ["--out", str(tmp_path / "o")], capsys)
    assert message in err
