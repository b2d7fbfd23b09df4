"""The runner end to end on arrays with tiny exported generators: files, resume, errors."""

import io
import json

import numpy as np
import pytest

from keras_medgan.compare.benchmark import (
    BenchmarkConfig,
    plan_jobs,
    read_records,
    run_benchmark,
)
from keras_medgan.compare.classifier_training import TrainConfig
from keras_medgan.compare.errors import BenchmarkError
from tests.compare.conftest import CLASS_NAMES, export_tiny, toy_loader

ALL_ARMS = ["real", "synthetic", "real+synthetic", "classical", "classical+synthetic"]


def _config(out, generators, arms=ALL_ARMS, repeats=1, **kw):
    return BenchmarkConfig(
        data="toy",
        out=str(out),
        arms=list(arms),
        generators=generators,
        repeats=repeats,
        train=TrainConfig(classifier="small_cnn", steps=2, eval_every=2, seeds=1, run_eagerly=True),
        feature_epochs=1,
        **kw,
    )


def test_plan_jobs_counts():
    jobs = plan_jobs(ALL_ARMS, ["a", "b"], repeats=2, gan_train=True)
    # per repeat: real, classical + 3 synthetic arms × 2 sets + 2 GAN-train jobs = 10
    assert len(jobs) == 20 and len({j.key for j in jobs}) == 20


def test_run_writes_results_and_resumes(tmp_path, per_class_run, capsys):
    out = tmp_path / "bench"
    config = _config(out, {"tiny": [str(per_class_run)]})
    results = run_benchmark(config, loader=toy_loader())
    for name in ("results.json", "results.md", "results.png", "runs.jsonl", "config.json"):
        assert (out / name).is_file(), name
    records = read_records(out / "runs.jsonl")
    assert len(records) == 6  # five arms + one GAN-train job
    by_arm = {r["arm"]: r for r in records if r["kind"] == "arm"}
    # toy split: 12 + 12 real training images; synthetic arms follow those counts
    assert by_arm["real"]["train_class_counts"] == [12, 12]
    assert (by_arm["synthetic"]["n_real"], by_arm["synthetic"]["n_synthetic"]) == (0, 24)
    assert by_arm["real+synthetic"]["n_train"] == 48
    assert by_arm["real"]["metrics"]["n"] == 8  # 4 + 4 test images
    fid = by_arm["real"]["fidelity"]["tiny"]
    assert fid["normal"]["n"] == 12 and fid["hemorrhage"]["n"] == 12
    saved = json.loads((out / "results.json").read_text())
    assert saved["class_names"] == CLASS_NAMES and saved["positive_class"] == "hemorrhage"
    labels = [row["label"] for row in saved["summary"]["arms"]]
    assert labels == ALL_ARMS
    table = (out / "results.md").read_text()
    assert "| real+synthetic " in table and "78.65 / 73.14 / 86.60" in table
    assert "GAN-train" in table and "Class fidelity" in table
    assert results["jobs_run_now"] == 6

    # Rerun into the same --out: nothing to do, same records.
    again = run_benchmark(config, loader=toy_loader())
    assert again["jobs_run_now"] == 0
    assert len(read_records(out / "runs.jsonl")) == 6
    assert "resuming: 6 of 6" in capsys.readouterr().err


def test_killed_run_resumes_only_missing_jobs(tmp_path):
    out = tmp_path / "b"
    config = _config(out, {}, arms=["real"], repeats=2)
    run_benchmark(config, loader=toy_loader())
    lines = (out / "runs.jsonl").read_text().splitlines()
    # Simulate a kill during repeat 1: drop its record, leave a torn line.
    (out / "runs.jsonl").write_text(lines[0] + "\n" + lines[1][:20])
    res = run_benchmark(config, loader=toy_loader())
    assert res["jobs_run_now"] == 1
    repeats = sorted(r["repeat"] for r in read_records(out / "runs.jsonl"))
    assert repeats == [0, 1]
    row = res["summary"]["arms"][0]
    assert row["metrics"]["accuracy"]["n"] == 2


def test_resume_with_other_settings_is_refused(tmp_path):
    out = tmp_path / "b"
    out.mkdir()
    first = _config(out, {}, arms=["real"])
    (out / "config.json").write_text(json.dumps(first.to_dict()))
    (out / "runs.jsonl").write_text("")
    other = _config(out, {}, arms=["real"], synthetic_ratio=2.0)
    with pytest.raises(BenchmarkError, match="synthetic_ratio"):
        run_benchmark(other, loader=toy_loader())


def test_generator_of_wrong_size_fails_before_training(tmp_path):
    for name in CLASS_NAMES:
        export_tiny(tmp_path / "run" / "export", name, image_size=16)
    with pytest.raises(BenchmarkError, match="16×16 images but the data is 32×32"):
        run_benchmark(_config(tmp_path / "o", {"g": [str(tmp_path / "run")]}), loader=toy_loader())
    assert not (tmp_path / "o" / "runs.jsonl").exists()


def test_conditional_generator_is_accepted(tmp_path):
    path = export_tiny(tmp_path / "export", None)
    res = run_benchmark(
        _config(tmp_path / "o", {"cgan": [str(path)]}, arms=["synthetic"], gan_train=False),
        loader=toy_loader(),
    )
    row = res["summary"]["arms"][0]
    assert row["n_synthetic"] == 24 and np.isfinite(row["metrics"]["accuracy"]["mean"])


def test_split_leakage_notes():
    from keras_medgan.compare.benchmark import split_leakage
    from keras_medgan.compare.generators import GeneratorSet

    same = GeneratorSet(
        "a",
        {},
        cards={
            "normal": {"data": "head_ct", "seed": 0},
            "hemorrhage": {"data": "head_ct", "seed": 0},
        },
    )
    other = GeneratorSet("b", {}, cards={"normal": {"data": "phantom", "seed": 0}})
    notes = split_leakage({"a": same, "b": other}, "head_ct", repeats=3)
    assert notes["a"]["repeats_at_risk"] == [1, 2]
    assert notes["b"]["repeats_at_risk"] == [] and "not 'head_ct'" in notes["b"]["note"]
    assert split_leakage({"a": same}, "head_ct", repeats=1) == {}
    assert "--split-seed 0" in notes["a"]["note"]
    # --split-seed 0 keeps every repeat on the generators' own split: nothing at risk
    assert split_leakage({"a": same}, "head_ct", repeats=3, split_seed_of=lambda r: 0) == {}
    assert split_leakage({"a": same}, "head_ct", repeats=2, split_seed_of=lambda r: 4)["a"][
        "repeats_at_risk"
    ] == [0, 1]
    untrained = GeneratorSet("u", {}, cards={"normal": {"data": "head_ct", "seed": 3, "epochs": 0}})
    assert split_leakage({"u": untrained}, "head_ct", repeats=2) == {}


def test_pretrained_extractor_without_weights_fails_before_training(tmp_path, per_class_run):
    config = _config(
        tmp_path / "o", {"tiny": [str(per_class_run)]}, arms=["real"], features="vgg16"
    )
    with pytest.raises(BenchmarkError, match="--features vgg16: .*local weights"):
        run_benchmark(config, loader=toy_loader())
    assert not (tmp_path / "o" / "runs.jsonl").exists()


def test_pixels_extractor_gan_train(tmp_path, per_class_run):
    config = _config(
        tmp_path / "o",
        {"tiny": [str(per_class_run)]},
        arms=["real"],
        features="pixels",
        fidelity=False,
    )
    res = run_benchmark(config, loader=toy_loader())
    entry = res["summary"]["gan_train"]["tiny"]
    assert entry["features"] == "pixels"
    # the toy classes are separable in pixel space: the real → real SVM is near perfect
    assert entry["real"]["accuracy"]["mean"] >= 0.875
    assert res["summary"]["fidelity"] == {}


def test_precision_is_restored_after_the_benchmark(tmp_path):
    import keras

    before = keras.mixed_precision.global_policy().name
    run_benchmark(
        _config(tmp_path, {}, arms=["real"], precision="bf16"),
        loader=toy_loader(),
        stream=io.StringIO(),
    )
    assert keras.mixed_precision.global_policy().name == before
