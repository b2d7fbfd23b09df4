"""The train CLI end to end on a small phantom: run folder, resume, Ctrl-C, NaN, bad input."""

import json
import os
import subprocess
import sys
from typing import ClassVar

import numpy as np
import pytest
from keras import ops

from keras_medgan.cli import train
from keras_medgan.gans import GAN_FAMILIES
from keras_medgan.gans.bce import BCEGAN
from keras_medgan.gans.options import Option
from keras_medgan.models import ARCHS, ArchSpec
from tests.standins import tiny32_discriminator, tiny32_generator

PHANTOM = "phantom:n=40,size=128"  # 28 train images, 14 per class


@pytest.fixture(scope="module", autouse=True)
def phantom_cache(tmp_path_factory):
    """A private phantom cache: tests never touch ~/.cache."""
    old = os.environ.get("KERAS_MEDGAN_CACHE")
    os.environ["KERAS_MEDGAN_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("KERAS_MEDGAN_CACHE", None)
    else:
        os.environ["KERAS_MEDGAN_CACHE"] = old


class FlakyGAN(BCEGAN):
    """BCE GAN that can report NaN after N steps or raise Ctrl-C after an epoch (tests)."""

    NAME = "flaky"
    OPTIONS: ClassVar[tuple] = BCEGAN.OPTIONS + (
        Option("nan_after_steps", 0, "report NaN after this many steps", kind=int),
        Option("interrupt_at_epoch", 0, "press Ctrl-C after this epoch", kind=int),
    )

    def train_batch(self, images, labels):
        values = dict(super().train_batch(images, labels))
        if self.nan_after_steps:
            step = ops.cast(self.g_optimizer.iterations, "float32")
            values["d_loss"] = ops.where(
                step > self.nan_after_steps, float("nan"), values["d_loss"]
            )
        return values

    interrupts_left = 0  # Ctrl-C is pressed once per test, not in every unit

    def training_callbacks(self, config, stage_export_dir=None):
        import keras

        at = self.interrupt_at_epoch

        class Interrupt(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if at and epoch + 1 == at and FlakyGAN.interrupts_left > 0:
                    FlakyGAN.interrupts_left -= 1
                    raise KeyboardInterrupt

        return [Interrupt()]


@pytest.fixture(scope="module", autouse=True)
def tiny_registry():
    """A 32×32 arch that trains in milliseconds and the flaky loss family."""
    ARCHS.register(
        "tiny32",
        ArchSpec(
            name="tiny32",
            build_generator=tiny32_generator,
            build_discriminator=tiny32_discriminator,
            image_sizes=(32,),
            defaults={
                "epochs": 2,
                "batch_size": 8,
                "optimizer": "adam",
                "lr": 2e-4,
                "beta_1": 0.5,
                "loss": "bce",
                "z_dim": 100,
                "per_class": True,
            },
            losses=("bce", "wgan", "wgan-gp", "flaky"),
        ),
    )
    GAN_FAMILIES.register("flaky", FlakyGAN)
    yield
    ARCHS.unregister("tiny32")
    GAN_FAMILIES.unregister("flaky")


def _records(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def _ckpt_value(run, unit, name):
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(str(run / "checkpoints" / unit))
    return int(tf.train.load_variable(latest, name))


EPOCH = "epoch/.ATTRIBUTES/VARIABLE_VALUE"


def _g_iterations(run, unit):
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(str(run / "checkpoints" / unit))
    names = [
        n
        for n, _ in tf.train.list_variables(latest)
        if n.startswith("g_optimizer/") and "iterations" in n
    ]
    assert names, tf.train.list_variables(latest)
    return int(tf.train.load_variable(latest, names[0]))


def test_one_epoch_writes_a_complete_run_folder(tmp_path, capsys):
    out = tmp_path / "runs"
    code = train.main(
        [
            "--arch",
            "tiny32",
            "--data",
            PHANTOM,
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--sample-count",
            "4",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    run = out / "00000-tiny32-phantom"
    config = json.loads((run / "config.json").read_text())
    assert config["epochs"] == 1 and config["batch_size"] == 8 and config["per_class"] is True
    assert config["command"].startswith("python -m keras_medgan.train --arch tiny32")
    records = _records(run)
    assert [(r["class"], r["epoch"]) for r in records] == [("normal", 1), ("hemorrhage", 1)]
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(records[0])
    assert (run / "metrics.csv").read_text().splitlines()[0].startswith("class,epoch,")
    for unit in ("normal", "hemorrhage"):
        assert (run / "samples" / unit / "epoch_00001.png").is_file()
        assert (run / f"loss_{unit}.png").is_file()
        assert _ckpt_value(run, unit, EPOCH) == 1
        assert _g_iterations(run, unit) == 1  # 14 images // batch 8 = 1 step
        for suffix in (".h5", ".keras", ".json"):
            assert (run / "export" / f"generator_{unit}{suffix}").is_file()
        assert not (run / "export" / f"generator_{unit}_savedmodel").exists()  # on request only
        assert list((run / "logs" / unit).glob("events.out.tfevents.*"))
    card = json.loads((run / "export" / "generator_hemorrhage.json").read_text())
    assert card["label"] == "hemorrhage" and card["arch"] == "tiny32" and card["epochs"] == 1
    assert card["train_images"] == 14 and len(set(card["train_ids"])) == 14
    assert all(i.endswith(".dcm") and "/" not in i for i in card["train_ids"])
    assert card["final_metrics"]["d_fake_last20"] == pytest.approx(records[1]["d_fake"])
    printed = capsys.readouterr().out
    assert "epoch 1/1 [class hemorrhage] d_loss" in printed and "ETA" in printed
    assert "d_fake" not in printed.split("trained:")[1]  # a mean of the last 20 needs 20 epochs
    assert f"report: {run / 'report.html'}" in printed
    page = (run / "report.html").read_text()
    for unit in ("normal", "hemorrhage"):
        assert (run / f"real_vs_fake_{unit}.png").is_file()
        assert f"id='unit-{unit}'" in page
    assert "src='samples/" not in page and page.count("data:image/png;base64,") == 6

    from keras_medgan.cli.synthesize import main as synthesize

    assert synthesize(["--generator", str(run), "--n", "3", "--out", str(tmp_path / "s")]) == 0
    assert len(list((tmp_path / "s").rglob("*.png"))) == 6


def test_dcgan32_paper_recipe_trains_and_exports_a_plain_h5(tmp_path):
    """The real P1 architecture, one class, one epoch (the slowest test here)."""
    import keras

    out = tmp_path / "runs"
    assert (
        train.main(
            [
                "--arch",
                "dcgan32",
                "--data",
                PHANTOM,
                "--epochs",
                "1",
                "--batch-size",
                "8",
                "--classes",
                "hemorrhage",
                "--sample-count",
                "4",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    run = out / "00000-dcgan32-phantom"
    config = json.loads((run / "config.json").read_text())
    assert config["lr"] == 2e-4 and config["beta_1"] == 0.5 and config["loss"] == "bce"
    assert config["image_size"] == 32 and config["z_dim"] == 100
    g = keras.models.load_model(run / "export" / "generator_hemorrhage.h5", compile=False)
    assert sum(int(np.prod(w.shape)) for w in g.trainable_weights) == 4_870_785  # P1
    assert not (run / "export" / "generator_normal.h5").exists()


def test_ctrl_c_saves_then_resume_continues_epochs_and_optimizer_state(tmp_path, capsys):
    out = tmp_path / "runs"
    base = [
        "--arch",
        "tiny32",
        "--data",
        PHANTOM,
        "--out",
        str(out),
        "--checkpoint-every",
        "1",
        "--sample-every",
        "10",
        "--sample-count",
        "4",
    ]
    FlakyGAN.interrupts_left = 1
    code = train.main(
        base + ["--loss", "flaky", "--epochs", "4", "--option", "interrupt_at_epoch=2"]
    )
    assert code == 130
    err = capsys.readouterr().err
    run = out / "00000-tiny32-phantom"
    assert f"--resume {run}" in err
    assert _ckpt_value(run, "normal", EPOCH) == 2 and _g_iterations(run, "normal") == 2
    assert (run / "export" / "generator_normal.h5").is_file()
    assert not (run / "checkpoints" / "hemorrhage").exists()

    assert train.main(["--resume", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "[normal] resuming at epoch 3/4 (optimizer step 2)" in printed
    assert _ckpt_value(run, "normal", EPOCH) == 4 and _g_iterations(run, "normal") == 4
    assert _ckpt_value(run, "hemorrhage", EPOCH) == 4 and _g_iterations(run, "hemorrhage") == 4
    epochs = {}
    for r in _records(run):
        epochs.setdefault(r["class"], []).append(r["epoch"])
    assert epochs == {"normal": [1, 2, 3, 4], "hemorrhage": [1, 2, 3, 4]}
    assert json.loads((run / "export" / "generator_normal.json").read_text())["epochs"] == 4

    # resuming a finished run skips every class; more epochs continue from the checkpoint
    assert train.main(["--resume", str(run)]) == 0
    assert "finished earlier (4/4 epochs); skipped" in capsys.readouterr().out
    assert train.main(["--resume", str(run), "--epochs", "5"]) == 0
    assert _ckpt_value(run, "hemorrhage", EPOCH) == 5 and _g_iterations(run, "hemorrhage") == 5
    assert train.main(["--resume", str(run), "--batch-size", "4"]) == 2
    assert "cannot change batch_size" in capsys.readouterr().err


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    out = tmp_path / "runs"
    code = train.main(
        [
            "--arch",
            "tiny32",
            "--data",
            PHANTOM,
            "--out",
            str(out),
            "--loss",
            "flaky",
            "--epochs",
            "6",
            "--checkpoint-every",
            "1",
            "--classes",
            "normal",
            "--option",
            "nan_after_steps=3",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert (
        "non-finite or diverged loss in epoch 4" in err and "last good checkpoint (epoch 3" in err
    )
    run = out / "00000-tiny32-phantom"
    assert _ckpt_value(run, "normal", EPOCH) == 3
    card = json.loads((run / "export" / "generator_normal.json").read_text())
    assert card["epochs"] == 3
    from keras_medgan.generators.loading import load_generator

    images = load_generator(run / "export" / "generator_normal.h5").generate(4)
    assert np.isfinite(images).all()


def test_an_exploding_loss_stops_like_nan(tmp_path, capsys):
    from keras_medgan.training.callbacks import is_finite_logs

    assert is_finite_logs({"d_loss": 3.0, "g_loss": -2.0}, limit=5.0)
    assert not is_finite_logs({"d_loss": 3.0, "g_loss": 1e14}, limit=1e6)
    out = tmp_path / "runs"
    code = train.main(
        [
            "--arch",
            "tiny32",
            "--data",
            PHANTOM,
            "--out",
            str(out),
            "--epochs",
            "2",
            "--batch-size",
            "8",
            "--classes",
            "normal",
            "--max-loss",
            "1e-6",
        ]
    )
    assert code == 1
    assert "diverged (|loss| > --max-loss) loss in epoch 1" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value", [("--beta-1", "1.0"), ("--max-loss", "0")])
def test_out_of_range_settings_are_refused(flag, value, tmp_path, capsys):
    argv = ["--arch", "tiny32", "--data", PHANTOM, "--out", str(tmp_path), flag, value]
    assert train.main(argv) == 2
    assert flag[2:].replace("-", "_") in capsys.readouterr().err


def test_conditional_run_exports_one_conditional_generator(tmp_path):
    out = tmp_path / "runs"
    assert (
        train.main(
            [
                "--arch",
                "tiny32",
                "--data",
                PHANTOM,
                "--out",
                str(out),
                "--epochs",
                "1",
                "--conditional",
                "--sample-count",
                "4",
            ]
        )
        == 0
    )
    run = out / "00000-tiny32-phantom"
    card = json.loads((run / "export" / "generator_conditional.json").read_text())
    assert card["conditional"] is True and card["label"] is None
    assert card["num_classes"] == 2 and card["class_names"] == ["normal", "hemorrhage"]
    assert [r["class"] for r in _records(run)] == ["conditional"]


def test_yaml_config_sits_between_defaults_and_flags(tmp_path):
    from keras_medgan.training.runs import resolve_config

    yaml_config = {
        "arch": "dcgan32",
        "data": "phantom",
        "epochs": 100,
        "lr": 1e-3,
        "label_flip": 0.1,
    }
    config = resolve_config({"epochs": 7}, yaml_config)
    assert config.epochs == 7  # CLI > YAML
    assert config.lr == 1e-3  # YAML > arch default 2e-4
    assert config.batch_size == 16  # arch default (P1)
    assert config.options["flip_prob"] == 0.1  # friendly name → the family's option


def test_every_experiment_yaml_resolves():
    import pathlib

    from keras_medgan.training.runs import read_yaml_config, resolve_config

    files = sorted((pathlib.Path(__file__).resolve().parents[1] / "experiments").glob("*.yaml"))
    resolved = set()
    for path in files:
        raw = read_yaml_config(path)
        if raw.get("arch") not in ARCHS:  # an architecture not wired into ARCHS yet
            continue
        config = resolve_config({}, raw)
        assert config.image_size in ARCHS.get(config.arch).image_sizes, path.name
        resolved.add(path.name)
    assert {
        "p0_dcgan128_rsna.yaml",
        "p0_cgan128_rsna.yaml",
        "p1_dcgan32_head_ct.yaml",
        "p2_dcgan64_brain_mri.yaml",
        "p4_wgan64_brats.yaml",
    } <= resolved


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--arch", "dcgan32", "--data", PHANTOM, "--image-size", "64"],
            "'dcgan32' cannot build image size 64; supported: 32",
        ),
        (
            ["--arch", "dcgan32", "--data", PHANTOM, "--classes", "tumour"],
            "class 'tumour' is not in data",
        ),
        (
            ["--arch", "dcgan32", "--data", PHANTOM, "--n-critic", "5"],
            "option 'n_critic' does not apply to loss 'bce'",
        ),
        (
            ["--arch", "dcgan32", "--data", PHANTOM, "--forward", "sideways"],
            "loss 'bce': forward must be one of fresh, reuse, joint. Received: forward='sideways'",
        ),
        (
            ["--arch", "dcgan32", "--data", PHANTOM, "--label-flip", "2"],
            "loss 'bce': flip_prob must be in [0, 1). Received: flip_prob=2.0",
        ),
        (
            ["--arch", "dcgan32", "--data", PHANTOM, "--batch-size", "64"],
            "fewer than one batch (batch_size 64); give --batch-size 14 or less",
        ),
    ],
)
def test_bad_settings_exit_2_with_a_clear_message(tmp_path, capsys, argv, message):
    assert train.main(argv + ["--out", str(tmp_path / "runs")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # nothing created for a failed start


@pytest.mark.parametrize(
    "argv, message, valid",
    [
        (["--arch", "nope", "--data", "phantom"], "invalid choice: 'nope'", ("dcgan32", "pggan")),
        (
            ["--arch", "dcgan32", "--data", "nosuch"],
            "unknown dataset 'nosuch'",
            ("phantom", "head_ct"),
        ),
    ],
)
def test_unknown_names_list_the_valid_ones(capsys, argv, message, valid):
    with pytest.raises(SystemExit) as exit_info:
        train.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert all(name in err for name in valid), err  # the message names the valid ones


def test_missing_real_data_set_is_exit_2_without_traceback(tmp_path, capsys):
    argv = [
        "--arch",
        "dcgan32",
        "--data",
        "head_ct",
        "--data-dir",
        str(tmp_path / "nowhere"),
        "--out",
        str(tmp_path / "runs"),
    ]
    assert train.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "head_ct" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_empty_class_is_named():
    from keras_medgan.training.runs import resolve_config
    from keras_medgan.training.trainer import EmptyClassError, plan_units

    config = resolve_config({"arch": "dcgan32", "data": "x", "batch_size": 2})
    images = np.zeros((4, 32, 32, 1), np.float32)
    with pytest.raises(EmptyClassError, match="class 'hemorrhage' has no train images"):
        plan_units(images, np.zeros(4, np.int64), ["normal", "hemorrhage"], config)


def test_classes_sharing_a_file_name_are_refused():
    from keras_medgan.training.runs import resolve_config
    from keras_medgan.training.trainer import ClassNameError, plan_units

    config = resolve_config({"arch": "dcgan32", "data": "x", "batch_size": 2})
    images = np.zeros((4, 32, 32, 1), np.float32)
    with pytest.raises(ClassNameError, match="'脑 出血' and '脑_出血' would share"):
        plan_units(images, np.array([0, 0, 1, 1]), ["脑 出血", "脑_出血"], config)


@pytest.mark.slow  # a fresh interpreter importing TensorFlow: ~5-15 s
def test_module_entry_point_exits_2_on_bad_arch():
    result = subprocess.run(
        [sys.executable, "-m", "keras_medgan.train", "--arch", "nope", "--data", "phantom"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid choice: 'nope'" in result.stderr and "Traceback" not in result.stderr


def test_a_run_folder_in_use_is_refused(tmp_path, capsys):
    from keras_medgan.training import runs

    out = tmp_path / "runs"
    assert (
        train.main(
            [
                "--arch",
                "tiny32",
                "--data",
                PHANTOM,
                "--epochs",
                "1",
                "--batch-size",
                "8",
                "--classes",
                "normal",
                "--sample-count",
                "4",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    run = out / "00000-tiny32-phantom"
    config_before = (run / "config.json").read_text()
    capsys.readouterr()
    with runs.run_lock(run):  # as if another process were training there
        assert train.main(["--resume", str(run), "--epochs", "2"]) == 2
    assert f"run folder {run} is in use by process" in capsys.readouterr().err
    assert (run / "config.json").read_text() == config_before
    assert train.main(["--resume", str(run), "--epochs", "2"]) == 0  # released: resumes


def _tiny_run(tmp_path, *extra):
    out = tmp_path / "runs"
    assert (
        train.main(
            [
                "--arch",
                "tiny32",
                "--data",
                PHANTOM,
                "--batch-size",
                "8",
                "--classes",
                "normal",
                "--sample-count",
                "4",
                "--out",
                str(out),
                *extra,
            ]
        )
        == 0
    )
    return out / "00000-tiny32-phantom"


def test_ctrl_c_at_an_epoch_boundary_keeps_that_epoch_exactly(tmp_path, capsys):
    """No checkpoint was due at epoch 2; Ctrl-C there saves it, with exactly 2 epochs of
    optimizer steps (a checkpoint never holds part of an epoch)."""
    out = tmp_path / "runs"
    FlakyGAN.interrupts_left = 1
    assert (
        train.main(
            [
                "--arch",
                "tiny32",
                "--data",
                PHANTOM,
                "--out",
                str(out),
                "--classes",
                "normal",
                "--checkpoint-every",
                "10",
                "--sample-count",
                "4",
                "--loss",
                "flaky",
                "--epochs",
                "4",
                "--option",
                "interrupt_at_epoch=2",
            ]
        )
        == 130
    )
    run = out / "00000-tiny32-phantom"
    assert "interrupted: normal kept epoch 2" in capsys.readouterr().err
    assert _ckpt_value(run, "normal", EPOCH) == 2 and _g_iterations(run, "normal") == 2
    assert json.loads((run / "export" / "generator_normal.json").read_text())["epochs"] == 2


def test_an_export_mixing_epochs_is_written_again_on_resume(tmp_path, capsys):
    from keras_medgan.generators.export import export_is_complete
    from keras_medgan.generators.loading import load_generator

    run = _tiny_run(tmp_path, "--epochs", "2")
    export = run / "export"
    assert export_is_complete(export, "normal", 2) and not export_is_complete(export, "normal", 1)
    good = load_generator(export / "generator_normal.h5").generate(4, seed=1)
    # as if killed mid-export: a new .h5 beside the old card and other formats
    (export / "generator_normal.h5").write_bytes((export / "generator_normal.keras").read_bytes())
    (export / ".tmp-generator_normal_savedmodel").mkdir()  # a half-written format
    assert not export_is_complete(export, "normal", 2)
    capsys.readouterr()
    assert train.main(["--resume", str(run)]) == 0
    assert "export incomplete or from another epoch" in capsys.readouterr().out
    assert export_is_complete(export, "normal", 2) and not list(export.glob(".tmp-*"))
    np.testing.assert_array_equal(
        load_generator(export / "generator_normal.h5").generate(4, seed=1), good
    )  # the epoch-2 weights again


def test_a_corrupted_latest_checkpoint_falls_back_to_the_previous_one(tmp_path, capsys):
    run = _tiny_run(tmp_path, "--epochs", "2", "--checkpoint-every", "1")
    data = next((run / "checkpoints" / "normal").glob("ckpt-2.data-*"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])  # a disk that filled up
    capsys.readouterr()
    assert train.main(["--resume", str(run), "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "ckpt-2 is unreadable" in out and "resuming at epoch 2/3" in out
    assert _ckpt_value(run, "normal", EPOCH) == 3


def test_resume_after_a_hard_kill_forgets_epochs_the_checkpoint_lacks(tmp_path):
    """metrics.jsonl/.csv lines past the restored epoch are dropped (those epochs rerun)."""
    from keras_medgan.training.metrics_file import drop_after as drop_metrics_after
    from keras_medgan.training.metrics_file import unit_records

    lines = [
        {"class": c, "epoch": e, "d_loss": 0.1 * e, "time": 0.0}
        for c in ("normal", "hemorrhage")
        for e in (1, 2, 3)
    ]
    (tmp_path / "metrics.jsonl").write_text(
        "".join(json.dumps(x) + "\n" for x in lines) + '{"class": "normal", "epo'
    )  # cut by the kill
    (tmp_path / "metrics.csv").write_text(
        "class,epoch,d_loss,time\n"
        + "".join(f"{x['class']},{x['epoch']},{x['d_loss']},0.0\n" for x in lines)
    )
    drop_metrics_after(tmp_path, "normal", 1)
    kept = [(r["class"], r["epoch"]) for r in _records(tmp_path)]
    assert kept == [("normal", 1), ("hemorrhage", 1), ("hemorrhage", 2), ("hemorrhage", 3)]
    csv_rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[:2] for r in csv_rows[1:]] == [[c, str(e)] for c, e in kept]
    assert [r["epoch"] for r in unit_records(tmp_path, "hemorrhage", 2)] == [1, 2]


def test_split_seed_fixes_the_split_while_seed_redraws_the_init():
    """--split-seed keeps the GAN's training images; the model card records that split."""
    from keras_medgan.cli import train

    def resolved(*flags):
        argv = ["--arch", "dcgan32", "--data", "phantom", *flags]
        args = train.build_parser().parse_args(argv)
        config, _ = train.resolve(args, train.cli_settings(args))
        return config

    assert resolved("--seed", "3").data_split_seed == 3
    both = resolved("--seed", "3", "--split-seed", "0")
    assert both.seed == 3 and both.data_split_seed == 0


def test_pggan_export_stages_writes_each_finished_stage(tmp_path):
    """--export-stages through the CLI: the 4×4 stage is exported on leaving it."""
    import keras

    recipe = tmp_path / "pggan.yaml"
    recipe.write_text(
        "arch: pggan\nimage_size: 8\nfmap_base: 16\nfmap_max: 4\n"
        "batch_size: 4\noptions: {stage_images: 8, batch_sizes: null}\n"
    )
    out = tmp_path / "runs"
    assert (
        train.main(
            [
                "--config",
                str(recipe),
                "--data",
                PHANTOM,
                "--classes",
                "hemorrhage",
                "--epochs",
                "2",
                "--sample-count",
                "4",
                "--export-stages",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    export = out / "00000-pggan-phantom" / "export"
    stages = sorted(p.name for p in (export / "stages" / "all").iterdir())
    assert stages == ["generator_stage0_4px.h5"]
    stage0 = keras.models.load_model(export / "stages" / "all" / stages[0], compile=False)
    assert stage0.output_shape == (None, 8, 8, 1)  # upsampled to the run's size
    assert (export / "generator_all.h5").is_file()  # pggan: one GAN over the chosen classes


def test_pggan_trains_a_stage_in_fp16_with_every_critic_step_after_the_first_scale_applied(
    tmp_path,
):
    """float16 ProGAN (on a CPU with --force): its critic once skipped every update while
    its scale fell to 4e-6. Now the run finishes, the critic skips only while its scale
    first comes down from 2**15 to what fits float16 (2 steps here), every step after that
    is applied, and the exported generator gives finite images."""
    import tensorflow as tf

    from keras_medgan.generators.loading import load_generator

    recipe = tmp_path / "pggan.yaml"
    recipe.write_text(
        "arch: pggan\nimage_size: 8\nfmap_base: 16\nfmap_max: 4\n"
        "batch_size: 4\noptions: {stage_images: 8, batch_sizes: null}\n"
    )
    out = tmp_path / "runs"
    argv = ["--config", str(recipe), "--data", PHANTOM, "--classes", "hemorrhage"]
    argv += ["--epochs", "4", "--sample-count", "4", "--checkpoint-every", "1"]
    assert train.main([*argv, "--precision", "fp16", "--force", "--out", str(out)]) == 0
    run = out / "00000-pggan-phantom"
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4] and rows[-1]["stage"] >= 1
    assert all(r["d_skipped"] == 0 for r in rows[1:])  # after epoch 1, nothing skipped
    ckpt = tf.train.latest_checkpoint(str(run / "checkpoints" / "all"))

    def value(name):
        return int(tf.train.load_variable(ckpt, f"d_optimizer/{name}/.ATTRIBUTES/VARIABLE_VALUE"))

    skipped, warmup = value("skipped_steps"), value("warmup_skipped_steps")
    applied = value("inner_optimizer/_iterations")
    assert skipped == warmup <= 3  # every skip was the first scale search
    assert applied + skipped == 4 * 3 and applied >= 9  # 3 critic steps per epoch
    assert rows[-1]["d_loss_scale"] == 2.0**15 / 2**skipped
    images = load_generator(run / "export" / "generator_all.h5").generate(8, seed=0)
    assert np.all(np.isfinite(images))


def test_export_stages_is_refused_for_a_single_stage_arch(tmp_path, capsys):
    assert (
        train.main(
            [
                "--arch",
                "dcgan32",
                "--data",
                PHANTOM,
                "--export-stages",
                "--out",
                str(tmp_path / "runs"),
            ]
        )
        == 2
    )
    assert "export_stages needs an architecture that grows by stage" in capsys.readouterr().err


def test_fp16_on_a_cpu_is_refused_unless_forced(tmp_path, capsys, monkeypatch):
    from keras_medgan.core import runtime

    monkeypatch.setattr(runtime, "gpu_compute_capability", lambda: None)
    argv = [
        "--arch",
        "tiny32",
        "--data",
        PHANTOM,
        "--precision",
        "fp16",
        "--out",
        str(tmp_path / "runs"),
    ]
    assert train.main(argv) == 2
    assert "fp16 needs a GPU" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_export_formats_on_request_and_changed_on_resume(tmp_path, capsys):
    """SavedModel only when asked; a finished run resumed with other formats is exported
    again in exactly those (a left-over format would describe other weights)."""
    from keras_medgan.generators.export import export_is_complete

    run = _tiny_run(tmp_path, "--epochs", "1", "--export-formats", "h5,savedmodel")
    export = run / "export"
    assert (export / "generator_normal.h5").is_file()
    assert (export / "generator_normal_savedmodel" / "saved_model.pb").is_file()
    assert not (export / "generator_normal.keras").exists()
    card = json.loads((export / "generator_normal.json").read_text())
    assert set(card["files_sha256"]) == {"h5", "savedmodel"}
    assert train.main(["--resume", str(run), "--export-formats", "keras"]) == 0
    assert "exporting epoch 1 again" in capsys.readouterr().out
    assert sorted(p.name for p in export.iterdir()) == [
        "generator_normal.json",
        "generator_normal.keras",
    ]
    assert export_is_complete(export, "normal", 1, ("keras",))
    assert train.main(["--resume", str(run), "--export-formats", "h5,pdf"]) == 2
    assert (
        "export formats must be a comma-separated subset of h5, keras, savedmodel; got 'h5,pdf'"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "data,label",
    [
        ("head_ct", "head_ct"),
        ("phantom:n=40,seed=1", "phantom"),
        ("folder:/data/brats64/", "brats64"),
        ("csv:/x/labels.csv", "labels"),
        ("nifti:/scans/vol01.nii.gz", "vol01"),
        ("folder:/", "folder"),
    ],
)
def test_run_folders_are_named_by_the_data_not_its_kind(data, label, tmp_path):
    from keras_medgan.training.runs import data_label, new_run_dir

    assert data_label(data) == label
    assert new_run_dir(tmp_path, "dcgan64", data).name.endswith(f"-dcgan64-{label}")


def test_disk_full_is_one_line_and_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    import errno

    from keras_medgan.training import trainer as training

    def full_disk(generator, export_dir, name, card, formats):
        tmp = export_dir / f".tmp-generator_{name}.h5"
        export_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(b"half")  # what a write cut short leaves
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    monkeypatch.setattr(training, "export_generator", full_disk)
    out = tmp_path / "runs"
    code = train.main(
        [
            "--arch",
            "tiny32",
            "--data",
            PHANTOM,
            "--epochs",
            "1",
            "--classes",
            "normal",
            "--batch-size",
            "8",
            "--out",
            str(out),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no space left on the device while writing")
    assert ".tmp-generator_normal.h5" in err[0] and "--resume" in err[0]
    run = out / "00000-tiny32-phantom"
    assert not list(run.rglob(".tmp-*"))
    assert (run / "checkpoints" / "normal" / "checkpoint").is_file()  # the complete one is kept
    monkeypatch.undo()
    assert train.main(["--resume", str(run)]) == 0  # space again: the export is written
    assert (run / "export" / "generator_normal.h5").is_file()


def test_preset_and_print_config_say_where_each_value_comes_from(capsys):
    assert train.main(["--preset", "p1_dcgan32_head_ct", "--epochs", "300", "--print-config"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["epochs"].split()[1] == "300" and lines["epochs"].endswith("# flag")
    assert lines["lr"].endswith("# preset p1_dcgan32_head_ct")
    assert lines["options.gp_weight"].endswith("# preset p1_dcgan32_head_ct")
    assert lines["options.label_smoothing"].endswith("# bce default")
    assert lines["checkpoint_minutes"].endswith("# default")
    assert lines["beta_2"].endswith("# bce family")  # P1 gives none: Adam's, via the family


def test_print_config_names_the_arch_recipe_file_and_the_switched_loss(capsys):
    """--arch alone: its numbers come from the recipe file it names; with another loss,
    the optimizer is that loss's paper's (P4: dcgan64 + wgan = RMSprop 5e-5)."""
    assert train.main(["--arch", "dcgan64", "--data", "phantom", "--print-config"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["lr"].endswith("# recipe p2_dcgan64_brain_mri")
    assert (
        train.main(["--arch", "dcgan64", "--data", "phantom", "--loss", "wgan", "--print-config"])
        == 0
    )
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["optimizer"].split()[1] == '"rmsprop"' and lines["lr"].endswith("# wgan family")
    assert lines["z_dim"].endswith("# recipe p2_dcgan64_brain_mri")


def test_unknown_or_ambiguous_preset_lists_the_presets(capsys):
    assert train.main(["--preset", "p9"]) == 2
    err = capsys.readouterr().err
    assert "unknown preset 'p9'; presets: p0_cgan128_rsna" in err
    assert train.main(["--preset", "p1"]) == 2
    assert "'p1' matches p1_dcgan32_head_ct, p1_dcgan32_head_ct_plain" in capsys.readouterr().err
    assert train.main(["--preset", "p4_began", "--print-config"]) == 0  # a unique prefix
    assert '"began"' in capsys.readouterr().out
