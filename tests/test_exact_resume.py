"""A stopped run resumed ends with the weights of an unbroken run (``--deterministic``),
and checkpoints come on time as well as on epoch counts."""

import json
import math
import pathlib
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest

from keras_medgan.training import callbacks as cb
from tests.conftest import subprocess_env

PHANTOM = "phantom:n=40,size=128"  # 14 training images per class: one batch of 8 per epoch
#: what makes two runs of one command bit-identical (no sample grids: they only cost time)
SAME_RUN = [
    "--sample-every",
    "100",
    "--seed",
    "5",
    "--deterministic",
    "--precision",
    "fp32",
]


def _weights(path):
    out = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(
            lambda name, obj: (
                out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None
            )
        )
    return out


def _start(*argv, cwd):
    return subprocess.Popen(
        [sys.executable, "-m", "keras_medgan.train", *argv],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=subprocess_env(HOME=str(cwd)),
    )


def _wait(*procs):
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode(errors="replace")[-3000:]


def test_resumed_run_is_bit_identical_to_an_unbroken_one(tmp_path):
    """dcgan32, whose discriminator has Dropout (its own seed generator, checkpointed too)."""
    common = [
        "--arch",
        "dcgan32",
        "--data",
        PHANTOM,
        "--classes",
        "normal",
        "--batch-size",
        "8",
        "--checkpoint-every",
        "1",
        *SAME_RUN,
    ]
    # The unbroken run and the one that stops after epoch 1 run side by side (they share
    # nothing but the CPU, and --deterministic makes each independent of the other's load).
    _wait(
        _start(*common, "--epochs", "3", "--out", str(tmp_path / "a"), cwd=tmp_path),
        _start(*common, "--epochs", "1", "--out", str(tmp_path / "b"), cwd=tmp_path),
    )
    run_b = tmp_path / "b" / "00000-dcgan32-phantom"
    _wait(_start("--resume", str(run_b), "--epochs", "3", cwd=tmp_path))
    a = _weights(tmp_path / "a" / "00000-dcgan32-phantom" / "export" / "generator_normal.h5")
    b = _weights(run_b / "export" / "generator_normal.h5")
    assert _same_weights(a, b)
    # what a user reads, not only the weights: every epoch's logged metrics (the resumed
    # run keeps epoch 1 from before the stop), and the card's final metrics incl. d_fake_last20
    run_a = tmp_path / "a" / "00000-dcgan32-phantom"
    assert _epochs(run_a) == _epochs(run_b)
    assert [e["epoch"] for e in _epochs(run_b)] == [1, 2, 3]
    card_a, card_b = (
        json.loads((r / "export" / "generator_normal.json").read_text()) for r in (run_a, run_b)
    )
    assert card_a["final_metrics"] == card_b["final_metrics"]
    assert card_b["final_metrics"]["epochs_trained"] == 3
    assert "d_fake_last20" in card_b["final_metrics"]


def _epochs(run: pathlib.Path) -> list[dict]:
    """metrics.jsonl's epoch records without their wall-clock time."""
    rows = [
        json.loads(line)
        for line in (run / "metrics.jsonl").read_text().splitlines()
        if line.strip()
    ]
    return [{k: v for k, v in r.items() if k != "time"} for r in rows if "epoch" in r]


class _Manager:
    def __init__(self):
        self.saved = []

    def save(self, checkpoint_number):
        self.saved.append(checkpoint_number)
        return f"ckpt-{checkpoint_number}"


class _Epoch:
    def assign(self, value):
        self.value = value


def test_same_command_twice_is_bit_identical_with_a_gradient_penalty(tmp_path):
    """A penalty on the critic's input gradient (P1's recipe, WGAN-GP) is a gradient of a
    gradient; with a static batch size TF 2.21's graph rewriting made such steps differ from
    run to run on CPU under op determinism (2 steps per epoch: 3 of 3 pairs differed;
    make_epoch_dataset's ``static_batch``). Two runs side by side, one epoch of 2 steps."""
    common = [
        "--arch",
        "dcgan32",
        "--data",
        "phantom:n=100,size=128",  # 36 training images of the class: 2 batches of 16
        "--classes",
        "normal",
        "--batch-size",
        "16",
        "--gp-weight",
        "10",
        "--epochs",
        "1",
        *SAME_RUN,
    ]
    _wait(*(_start(*common, "--out", str(tmp_path / o), cwd=tmp_path) for o in ("a", "b")))
    a, b = (
        _weights(tmp_path / o / "00000-dcgan32-phantom" / "export" / "generator_normal.h5")
        for o in ("a", "b")
    )
    assert _same_weights(a, b)


@pytest.mark.parametrize(
    "minutes, expected",
    [
        (math.inf, [50, 60]),  # epoch counts only
        (5.0, [*range(3, 50, 3), 50, 53, 56, 59, 60]),  # 100 s epochs: every 3rd too
    ],
)
def test_checkpoints_also_come_every_few_minutes(minutes, expected):
    now = [0.0]
    manager = _Manager()
    saver = cb.CheckpointSaver(
        manager, _Epoch(), every=50, total_epochs=60, max_seconds=60 * minutes, timer=lambda: now[0]
    )
    for epoch in range(60):
        now[0] += 100.0  # a fake clock: the test does not depend on wall time
        saver.on_epoch_end(epoch, {"d_loss": 0.5, "g_loss": 0.7})
    assert manager.saved == expected


def _matrix():
    import importlib.util

    path = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "kill_resume_matrix.py"
    spec = importlib.util.spec_from_file_location("kill_resume_matrix", path)
    matrix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(matrix)
    return matrix


@pytest.fixture(scope="module")
def matrix_reference(tmp_path_factory):
    """scripts/kill_resume_matrix.py's unbroken 4-epoch run, started once in the background
    so the first stopped run can go side by side with it (--deterministic makes load
    irrelevant); ``weights()`` waits for it."""
    import threading

    matrix = _matrix()
    work = tmp_path_factory.mktemp("matrix")
    result = {}
    thread = threading.Thread(
        target=lambda: result.setdefault(
            "rc", matrix.train([*matrix.command(4), "--out", str(work / "unbroken")], work)
        )
    )
    thread.start()

    def weights():
        thread.join()
        rc, text = result["rc"]
        assert rc == 0, text[-2000:]
        return matrix.generator_weights(work / "unbroken" / "00000-dcgan32-phantom")

    yield matrix, weights
    thread.join()


def _same_weights(a: dict, b: dict) -> bool:
    return sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)


def test_sigkill_while_checkpointing_resumes_bit_identically(tmp_path, matrix_reference):
    """SIGKILL inside the 2nd checkpoint save after its data file was cut in half (a full
    disk): the resume falls back to the checkpoint before and still ends bit-identical.
    scripts/kill_resume_matrix.py runs the whole matrix (mid-step, unrecorded checkpoint,
    mid-export, SIGTERM / SIGUSR1)."""
    matrix, reference = matrix_reference
    rc, _ = matrix.train(
        [*matrix.command(4), "--out", str(tmp_path / "killed")],
        tmp_path,
        kill_at="checkpoint-torn:2",
    )
    assert rc == -9
    run = tmp_path / "killed" / "00000-dcgan32-phantom"
    rc, text = matrix.train(["--resume", str(run)], tmp_path)
    assert rc == 0, text[-2000:]
    assert "ckpt-4 is unreadable" in text and "resuming at epoch 3/4" in text
    assert _same_weights(reference(), matrix.generator_weights(run))


def test_sigterm_mid_training_loses_no_epoch_and_resumes_bit_identically(
    tmp_path, matrix_reference
):
    """SLURM's SIGTERM (time limit, preemption) 0.2 s after epoch 1 is reported: the run
    finishes the epoch it is in, checkpoints and exports it although --checkpoint-every is
    2, exits 143 (what a requeue wrapper reads), and the resumed run starts right after
    that epoch and ends with the unbroken run's weights."""
    import signal

    matrix, reference = matrix_reference
    rc, text = matrix.train(
        [*matrix.command(4), "--out", str(tmp_path / "stopped")],
        tmp_path,
        kill_after_epoch=1,
        stop_signal=signal.SIGTERM,
    )
    assert rc == 143, text[-2000:]
    printed = matrix.last_epoch(text)
    kept = re.search(r"SIGTERM received: normal kept epoch (\d+) \(checkpoint \+ export", text)
    assert kept, text[-2000:]
    assert int(kept.group(1)) >= printed >= 1 and int(kept.group(1)) < 4  # nothing lost
    run = tmp_path / "stopped" / "00000-dcgan32-phantom"
    assert (run / "export" / "generator_normal.h5").is_file()
    rc, text = matrix.train(["--resume", str(run)], tmp_path)
    assert rc == 0, text[-2000:]
    assert f"resuming at epoch {int(kept.group(1)) + 1}/4" in text
    assert _same_weights(reference(), matrix.generator_weights(run))
