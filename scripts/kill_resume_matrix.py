"""SIGKILL a deterministic training run at chosen moments, resume it, compare with an unbroken run.

    python scripts/kill_resume_matrix.py [--json experiments/results/kill_resume_matrix.json]

Each row trains P1's dcgan32 (one class of the phantom, 14 images, batch 8: one step per
epoch, ``--deterministic --precision fp32``, a checkpoint every 2 epochs) in a child
process that is killed with SIGKILL — from outside (``after-epoch:K``: 0.2 s after the
child reports epoch K, i.e. inside the next epoch's step or callbacks), or from inside at
a named moment, by wrapping the library function that runs then:

* ``checkpoint-unrecorded:N``: the N-th checkpoint's files are written, the index that
  names it is not (killed in ``update_checkpoint_state_internal``);
* ``checkpoint-torn:N``: the N-th checkpoint is recorded, then its data file is cut in half
  before the kill (a disk that filled up): resume must fall back to the one before;
* ``export:K``: the K-th ``os.replace`` of the final export (1: before any exported file
  is in place; 3: generator files in place, model card not yet).

and stopped the way a scheduler stops it (SLURM's time limit, preemption, ``--signal``):

* ``sigterm-after-epoch:K`` / ``sigusr1-after-epoch:K``: the signal 0.2 s after the child
  reports epoch K; the run must finish its step, keep its last whole epoch (checkpoint +
  export) and exit with 143, so that nothing is lost;
* ``sigterm-export:K``: SIGTERM to itself at the K-th ``os.replace`` of the final export;
  no half-written generator may be left where a later step could load it.

The run is then resumed with ``--resume`` and its exported generator compared bit for bit
with the unbroken run's. "epochs lost" = epochs finished before the kill (the last
progress line) minus the epochs the resumed run restored.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import os, pathlib, runpy, signal, sys
point, _, nth = os.environ.get("KILL_AT", "none:0").partition(":")
nth, calls = int(nth or 0), [0]

def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)

if point == "sigterm-export":  # the scheduler's signal, not a kill: the run must stop cleanly
    point = "export"
    def die():
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGTERM)

def counted(fn, before=None, after=None):
    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] == nth and before:
            before(*args, **kwargs)
        result = fn(*args, **kwargs)
        if calls[0] == nth and after:
            after(result, *args, **kwargs)
        return result
    return wrapped

if point == "checkpoint-unrecorded":
    import tensorflow as tf
    from tensorflow.python.checkpoint import checkpoint_management as cm
    real_update = cm.update_checkpoint_state_internal
    def update(*args, **kwargs):
        if calls[0] == nth:  # inside the N-th save, before its first state write
            die()
        return real_update(*args, **kwargs)
    cm.update_checkpoint_state_internal = update
    tf.train.CheckpointManager.save = counted(tf.train.CheckpointManager.save)
elif point == "checkpoint-torn":
    import tensorflow as tf
    def tear(path, *args, **kwargs):
        for data in pathlib.Path(path).parent.glob(pathlib.Path(path).name + ".data-*"):
            data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
        die()
    tf.train.CheckpointManager.save = counted(tf.train.CheckpointManager.save, after=tear)
elif point == "export":
    import keras_medgan.generators.export as export
    real_replace = os.replace
    def replace(src, dst):
        if "generator_" in str(dst):
            calls[0] += 1
            if calls[0] == nth:
                die()
        return real_replace(src, dst)
    export.os.replace = replace
    import keras_medgan.core.jsonio as jsonio
    jsonio.os.replace = replace
sys.argv = ["keras_medgan.train", *sys.argv[1:]]
runpy.run_module("keras_medgan.train", run_name="__main__")
"""

PHANTOM = "phantom:n=40,size=128"
EPOCHS = 6


def command(epochs: int = EPOCHS) -> list[str]:
    return [
        "--arch",
        "dcgan32",
        "--data",
        PHANTOM,
        "--classes",
        "normal",
        "--batch-size",
        "8",
        "--checkpoint-every",
        "2",
        "--sample-every",
        "100",
        "--log-every",
        "1",
        "--seed",
        "5",
        "--deterministic",
        "--precision",
        "fp32",
        "--epochs",
        str(epochs),
    ]


POINTS = [
    "after-epoch:1",
    "after-epoch:3",
    "checkpoint-unrecorded:2",
    "checkpoint-torn:2",
    "export:1",
    "export:3",
    "sigterm-after-epoch:1",
    "sigusr1-after-epoch:3",
    "sigterm-export:1",
    "sigterm-export:3",
]
#: how each signal point stops the child from outside
OUTSIDE_SIGNALS = {
    "after-epoch": signal.SIGKILL,
    "sigterm-after-epoch": signal.SIGTERM,
    "sigusr1-after-epoch": signal.SIGUSR1,
}


def _env(home: pathlib.Path, kill_at: str = "none:0") -> dict:
    return {
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "KILL_AT": kill_at,
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1]),
    }


def train(
    args: list[str],
    cwd: pathlib.Path,
    kill_at: str = "none:0",
    kill_after_epoch: int | None = None,
    delay: float = 0.2,
    stop_signal: signal.Signals = signal.SIGKILL,
) -> tuple[int, str]:
    """Run the child; with ``kill_after_epoch`` K, send it ``stop_signal`` ``delay`` s after
    it reports epoch K (one step per epoch: it lands inside epoch K + 1's step or callbacks)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        cwd=cwd,
        env=_env(cwd, kill_at),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if kill_after_epoch is not None and f"epoch {kill_after_epoch}/" in line:
            time.sleep(delay)
            proc.send_signal(stop_signal)
            kill_after_epoch = None  # once: a second signal would interrupt the clean stop
    proc.wait(timeout=900)
    return proc.returncode, "".join(lines)


def generator_weights(run: pathlib.Path) -> dict:
    import h5py

    out = {}
    with h5py.File(run / "export" / "generator_normal.h5", "r") as handle:
        handle.visititems(
            lambda name, obj: (
                out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None
            )
        )
    return out


def last_epoch(text: str) -> int:
    done = [int(m) for m in re.findall(r"epoch (\d+)/\d+ \[class normal\]", text)]
    return max(done or [0])


def kill_and_resume(point: str, work: pathlib.Path, reference: dict, epochs: int = EPOCHS) -> dict:
    import numpy as np

    out = work / point.replace(":", "_")
    kind, _, value = point.partition(":")
    if kind in OUTSIDE_SIGNALS:
        rc, text = train(
            [*command(epochs), "--out", str(out)],
            work,
            kill_after_epoch=int(value),
            stop_signal=OUTSIDE_SIGNALS[kind],
        )
    else:
        rc, text = train([*command(epochs), "--out", str(out)], work, kill_at=point)
    run = out / "00000-dcgan32-phantom"
    # epochs complete at the kill: a checkpoint kill is inside the N-th save (epoch 2N, the
    # epoch's own progress line not printed yet); an export kill after the last epoch; a
    # scheduler's signal lets the epoch it lands in finish (its progress line may not print)
    finished = {"export": epochs, "sigterm-export": epochs}.get(kind)
    if kind in OUTSIDE_SIGNALS:
        finished = last_epoch(text)
        kept = re.search(r"kept epoch (\d+)", text)
        if kind != "after-epoch" and kept:
            finished = max(finished, int(kept.group(1)))
    elif finished is None:
        finished = 2 * int(value or 0)
    rc2, text2 = train(["--resume", str(run)], work)
    restored = re.search(r"resuming at epoch (\d+)/", text2)
    start = (
        int(restored.group(1)) - 1 if restored else (epochs if "finished earlier" in text2 else 0)
    )
    notes = [
        line.strip()
        for line in text2.splitlines()
        if "unreadable" in line or "export incomplete" in line or "finished earlier" in line
    ]
    row = {
        "kill": point,
        "killed_rc": rc,
        "stop_message": next(
            (line.strip() for line in text.splitlines() if "received" in line), ""
        ),
        "epochs_finished_before_kill": finished,
        "resumed_from_epoch": start,
        "epochs_lost": max(finished - start, 0),
        "resume_rc": rc2,
        "resume_messages": notes,
        "tmp_files_left": sorted(p.name for p in (run / "export").glob(".tmp-*")),
    }
    if rc2 == 0:
        b = generator_weights(run)
        row["bit_identical"] = sorted(b) == sorted(reference) and all(
            np.array_equal(reference[k], b[k]) for k in reference
        )
    else:
        row["bit_identical"] = False
        row["resume_tail"] = text2[-800:]
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the rows here")
    parser.add_argument("--points", nargs="+", default=POINTS, help="kill points (see above)")
    args = parser.parse_args(argv)
    work = pathlib.Path(tempfile.mkdtemp(prefix="kill-resume-"))
    start = time.time()
    rc, text = train([*command(), "--out", str(work / "unbroken")], work)
    if rc != 0:
        print(text[-2000:])
        return 1
    reference = generator_weights(work / "unbroken" / "00000-dcgan32-phantom")
    rows = []
    for point in args.points:
        row = kill_and_resume(point, work, reference)
        rows.append(row)
        print(
            f"{row['kill']:<26} killed rc {row['killed_rc']:>3}  finished {row['epochs_finished_before_kill']}"
            f"  resumed from {row['resumed_from_epoch']}  lost {row['epochs_lost']}"
            f"  bit-identical {row['bit_identical']}  {'ok' if row_passes(row) else 'FAIL'}"
            f"  {'; '.join(row['resume_messages'])}",
            flush=True,
        )
    if args.json:
        pathlib.Path(args.json).write_text(
            json.dumps(
                {
                    "command": "python scripts/kill_resume_matrix.py",
                    "settings": command(),
                    "rows": rows,
                    "seconds": round(time.time() - start, 1),
                },
                indent=1,
            )
            + "\n"
        )
    return 0 if all(row_passes(r) for r in rows) else 1


def row_passes(row: dict) -> bool:
    """Bit-identical after the resume; a scheduler's signal must also exit with 143 (what a
    requeue wrapper reads) and lose no finished epoch."""
    if not row["bit_identical"]:
        return False
    if row["kill"].startswith("sig"):
        return row["killed_rc"] == 143 and row["epochs_lost"] == 0
    return True


if __name__ == "__main__":
    sys.exit(main())
