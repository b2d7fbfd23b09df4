"""``train --run-name NAME --resume auto``: the first call starts OUT/NAME, the same
command again continues it (the requeue-safe form a batch script needs)."""

import json

import pytest

from keras_medgan.cli import train
from keras_medgan.training.runs import ConfigError, named_run_dir


def _cmd(tmp_path, epochs):
    return [
        "--arch",
        "dcgan32",
        "--data",
        "phantom:n=16",
        "--epochs",
        str(epochs),
        "--batch-size",
        "4",
        "--precision",
        "fp32",
        "--sample-every",
        "1000",
        "--out",
        str(tmp_path),
        "--run-name",
        "p1-a",
        "--resume",
        "auto",
    ]


def test_resume_auto_starts_then_continues_the_named_run(tmp_path, capsys):
    assert train.main(_cmd(tmp_path, 1)) == 0
    run = tmp_path / "p1-a"
    assert (run / "config.json").is_file()
    assert train.main(_cmd(tmp_path, 2)) == 0  # the same command, one epoch more
    out = capsys.readouterr()
    assert "resuming at epoch 2/2" in out.out + out.err
    epochs = [
        json.loads(line)["epoch"] for line in (run / "metrics.jsonl").read_text().splitlines()
    ]
    assert epochs == [1, 1, 2, 2]  # both class GANs (P1: one per class), epoch 2 appended
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["p1-a"]  # no second folder


def test_run_name_refusals(tmp_path, capsys):
    with pytest.raises(ConfigError, match="plain folder name"):
        named_run_dir(tmp_path, "../x")
    assert train.main(["--arch", "dcgan32", "--data", "phantom", "--resume", "auto"]) == 2
    assert "--resume auto needs --run-name" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match="already holds a run"):
        named_run_dir(tmp_path, "taken", create=True)
