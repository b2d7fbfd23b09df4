"""One command for a session lent a GPU: is mixed precision right there, and how fast is it?

    python scripts/gpu_check.py --out gpu_check/            # on the GPU machine, ≤ 8 min
    python scripts/gpu_check.py --out /tmp/gc --dry-run     # CPU, seconds (the test suite)

Writes ``<out>/gpu_check.json`` as it goes (a killed run keeps what finished):

1. ``mechanics``: the float16 tests — every architecture's G and D finite under fp16 and
   bf16 on zero/tiny latents and constant images, loss-scale skips/halving/SGD step,
   the monitor's stops (``tests/models/test_mixed_numerics.py``,
   ``tests/gans/test_loss_scale.py``, slow cases included), pass/fail and the tail.
2. ``runs``: dcgan32 + WGAN-GP on the phantom with the same seed in every precision (and
   with XLA off and on): per epoch the loss scales, skipped steps and w-distance from the
   run's ``metrics.jsonl``, and images per second after the first epoch (tracing
   excluded), from the train CLI exactly as a user runs it.

``--dry-run``: fp32 only, one epoch, no XLA, no mechanics (the suite runs those tests),
WGAN with weight clipping instead of WGAN-GP (no double back-propagation to trace) and a
24-patient phantom: the point there is the script's plumbing, in seconds on a CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}


def mechanics(timeout: int) -> dict:
    tests = ["tests/models/test_mixed_numerics.py", "tests/gans/test_loss_scale.py"]
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "slow or not slow", *tests],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return {
        "tests": tests,
        "passed": out.returncode == 0,
        "returncode": out.returncode,
        "seconds": round(time.time() - start, 1),
        "tail": out.stdout[-2000:],
    }


def train_run(
    folder: pathlib.Path,
    precision: str,
    jit: str,
    epochs: int,
    batch: int,
    timeout: int,
    loss: str = "wgan-gp",
    data: str = "phantom",
) -> dict:
    """One train CLI run; its per-epoch scale / skips / w-distance and its speed."""
    cmd = [
        sys.executable,
        "-m",
        "keras_medgan.train",
        "--arch",
        "dcgan32",
        "--loss",
        loss,
        "--data",
        data,
        "--no-per-class",
        "--epochs",
        str(epochs),
        "--batch-size",
        str(batch),
        "--precision",
        precision,
        "--force",
        "--jit",
        jit,
        "--seed",
        "0",
        "--out",
        str(folder),
        "--sample-every",
        "100000",
        "--checkpoint-every",
        "100000",
    ]
    start = time.time()
    record = {
        "precision": precision,
        "jit": jit,
        "loss": loss,
        "epochs": epochs,
        "batch_size": batch,
    }
    try:
        out = subprocess.run(
            cmd, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {**record, "returncode": None, "error": f"timed out after {timeout} s"}
    record.update(returncode=out.returncode, wall_seconds=round(time.time() - start, 1))
    runs = sorted(folder.glob("*/metrics.jsonl"))
    if out.returncode != 0 or not runs:
        record["error"] = (out.stderr or out.stdout)[-1500:]
        return record
    rows = [json.loads(line) for line in runs[-1].read_text().splitlines() if line.strip()]
    keys = (
        "epoch",
        "d_loss",
        "g_loss",
        "w_distance",
        "d_loss_scale",
        "d_skipped",
        "g_loss_scale",
        "g_skipped",
    )
    record["per_epoch"] = [{k: r.get(k) for k in keys if k in r} for r in rows]
    cards = sorted(runs[-1].parent.glob("export/generator_*.json"))
    n_images = len(json.loads(cards[0].read_text()).get("train_ids", [])) if cards else 0
    times = [r["time"] for r in rows if "time" in r]
    if len(times) >= 2 and n_images:  # epochs after the first: tracing excluded
        per_epoch = (n_images // batch) * batch
        record["images_per_second"] = round(
            per_epoch * (len(times) - 1) / (times[-1] - times[0]), 1
        )
    return record


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="folder for gpu_check.json and the runs")
    p.add_argument("--dry-run", action="store_true", help="CPU smoke mode (see above)")
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs per run (default 23: ≈ 200 steps at batch 16; dry run 1)",
    )
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--timeout", type=int, default=150, help="seconds per run")
    args = p.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    epochs = args.epochs or (1 if args.dry_run else 23)
    plan = (
        [("fp32", "off")]
        if args.dry_run
        else [(prec, jit) for jit in ("off", "on") for prec in ("fp32", "bf16", "fp16")]
    )
    result = {
        "command": "python scripts/gpu_check.py " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "dry_run": args.dry_run,
        "runs": [],
    }
    path = out / "gpu_check.json"

    def save():
        path.write_text(json.dumps(result, indent=1) + "\n")

    try:
        import tensorflow as tf

        result["devices"] = [d.name for d in tf.config.list_physical_devices()]
    except ImportError:  # pragma: no cover - tensorflow is a dependency
        result["devices"] = []
    save()
    if not args.dry_run:
        result["mechanics"] = mechanics(timeout=240)
        save()
    for precision, jit in plan:
        folder = out / f"runs_{precision}_jit{jit}"
        result["runs"].append(
            train_run(
                folder,
                precision,
                jit,
                epochs,
                args.batch_size,
                args.timeout,
                "wgan" if args.dry_run else "wgan-gp",
                "phantom:n=24" if args.dry_run else "phantom",
            )
        )
        save()
        print(
            json.dumps({k: v for k, v in result["runs"][-1].items() if k != "per_epoch"}),
            flush=True,
        )
    print(f"wrote {path}")
    return 0 if all(r.get("returncode") == 0 for r in result["runs"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
