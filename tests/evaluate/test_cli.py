"""End to end: python -m keras_medgan.evaluate on the generated phantom and a PNG folder."""

import json

import cv2
import numpy as np
import pytest

from keras_medgan.cli.evaluate import build_parser, main
from keras_medgan.evaluate.metrics import METRICS

REAL = "phantom:n=40"


@pytest.fixture
def phantom(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_MEDGAN_CACHE", str(tmp_path / "cache"))
    from keras_medgan.data import load_image_set

    return load_image_set(REAL, image_size=16, split="all", progress=False)


def write_pngs(folder, images, labels, class_names):
    for i, (im, lab) in enumerate(zip(images, labels)):
        d = folder / class_names[lab]
        d.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(d / f"{i:04d}.png"), np.round((im[..., 0] + 1) * 127.5).astype(np.uint8))


def test_metric_choices_come_from_the_registry():
    action = next(a for a in build_parser()._actions if a.dest == "metrics")
    assert action.choices == METRICS.names()
    assert {
        "swd",
        "fid",
        "kid",
        "ms_ssim",
        "nearest_real",
        "c2st",
        "memorization",
        "tsne",
        "d_fake",
    } == set(METRICS.names())


def test_full_report_with_planted_copies(phantom, tmp_path):
    rng = np.random.default_rng(0)
    fake = np.clip(
        phantom.images[:20] + 0.3 * rng.standard_normal(phantom.images[:20].shape), -1, 1
    )
    fake[3] = phantom.images[25]  # planted exact copy of a real image
    write_pngs(tmp_path / "fake", fake, phantom.labels[:20], phantom.class_names)
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text(
        "\n".join(json.dumps({"epoch": e, "d_fake": 0.3 + 0.001 * e}) for e in range(25))
    )
    out = tmp_path / "eval"
    rc = main(
        [
            "--real",
            REAL,
            "--split",
            "all",
            "--fake",
            str(tmp_path / "fake"),
            "--out",
            str(out),
            "--metrics",
            "swd",
            "fid",
            "kid",
            "ms_ssim",
            "nearest_real",
            "memorization",
            "d_fake",
            "--features",
            "pixels",
            "--run",
            str(run),
            "--num-bootstrap",
            "5",
            "--swd-repeats",
            "2",
            "--quiet",
        ]
    )
    assert rc == 0
    res = json.loads((out / "results.json").read_text())
    m = res["metrics"]
    assert set(m) == {"swd", "fid", "kid", "ms_ssim", "nearest_real", "memorization", "d_fake"}
    assert res["errors"] == {}
    assert m["swd"]["all"]["resolutions"] == [16] and m["swd"]["all"]["seeds"] == [0, 1]
    assert m["fid"]["extractor"]["name"] == "pixels"
    assert m["fid"]["fid"] > m["fid"]["real_vs_real"] > 0
    # PNG round trip (8-bit) keeps the planted copy within quantisation of the original
    flagged = m["memorization"]["flagged"]
    assert len(flagged) == 1 and m["memorization"]["flagged_files"][0].endswith("0003.png")
    assert m["memorization"]["pixels"]["nearest_train_index"][flagged[0]] == 25
    assert m["d_fake"]["mean"] == pytest.approx(0.3 + 0.001 * np.mean(range(5, 25)))
    md = (out / "report.md").read_text()
    assert "| quantity | value | real vs real | good |" in md
    assert "figures/memorization_pairs.png" in md and "feature extractor" in md
    assert "adapted to 16×16" in md
    assert (out / "figures" / "memorization_pairs.png").stat().st_size > 0
    assert (out / "figures" / "d_fake.png").stat().st_size > 0
    assert "<table>" in (out / "report.html").read_text()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--fake", "/nonexistent/fakes"], "no such file or folder"),
        (["--metrics", "fid", "--inception-weights", "/nonexistent/inc.h5"], "/nonexistent/inc.h5"),
        (["--metrics", "d_fake"], "needs --run"),
    ],
)
def test_user_errors_exit_2_with_one_clear_line(phantom, tmp_path, capsys, extra, message):
    write_pngs(tmp_path / "fake", phantom.images[:4], phantom.labels[:4], phantom.class_names)
    args = [
        "--real",
        REAL,
        "--split",
        "all",
        "--fake",
        str(tmp_path / "fake"),
        "--out",
        str(tmp_path / "e"),
        "--quiet",
    ] + extra
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_fakes_from_an_exported_generator_file(phantom, tmp_path):
    import keras

    from keras_medgan.generators.cards import make_model_card

    keras.utils.set_random_seed(0)
    z = keras.Input((8,))
    x = keras.layers.Dense(16 * 16, activation="tanh")(z)
    gen = keras.Model(z, keras.layers.Reshape((16, 16, 1))(x))
    path = tmp_path / "generator_normal.h5"
    gen.save(path)
    card = make_model_card(
        arch="tiny",
        data=REAL,
        class_names=phantom.class_names,
        label="normal",
        image_size=16,
        z_dim=8,
        epochs=1,
        seed=0,
    )
    (tmp_path / "generator_normal.json").write_text(json.dumps(card))
    out = tmp_path / "eval"
    assert (
        main(
            [
                "--real",
                REAL,
                "--split",
                "all",
                "--fake",
                str(path),
                "--n",
                "12",
                "--out",
                str(out),
                "--swd-repeats",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["fake images"] == 12 and "generator" in res["meta"]["fake"]
    assert res["metrics"]["swd"]["all"]["mean"] > 0
