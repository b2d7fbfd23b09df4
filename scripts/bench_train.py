"""Training speed of dcgan32: a hand-written keras.io-style loop against the train CLI's path.

    python scripts/bench_train.py                      # ref fp32 + CLI fp32 / bf16 / default
    python scripts/bench_train.py --modes ref-fp32 cli-default --epochs 40
    python scripts/bench_train.py --modes ref-fp32 ref-bf16 cli-fp32 cli-bf16 --jit off on

Everything runs in ONE process, one mode after the other, so the ratios compare like with
like on a shared machine (never run it beside a training run or the test suite).

* ``ref-<precision>``: the reference. P1's dcgan32 pair (stock Keras layers), one
  ``tf.function`` step that generates ONE fake batch shared by the D and G tapes, Adam
  2e-4 β1 0.5, BCE from logits, iterating a ``tf.data`` dataset of 72 images
  (batch 16, drop_remainder: 4 steps per epoch) epoch by epoch, as the keras.io DCGAN
  example does.
* ``cli-<precision>``: :func:`keras_medgan.training.run_training` exactly as
  ``python -m keras_medgan.train --arch dcgan32`` runs it (every callback at its default
  cadence: metrics, progress, sample grids every 10 epochs, a checkpoint every 50),
  on one unit of 72 images. ``cli-default`` leaves ``--precision`` at its default;
  ``cli-<precision>-<forward>`` (``cli-default-reuse``) also sets BCE's ``--forward``
  (fresh by default; reuse and joint run the generator once per step, as the reference).

Speed = images trained between the end of warm-up epoch ``--warmup`` and the last epoch,
divided by the wall time between them (the CLI's epoch-end times come from its
``metrics.jsonl``), so tracing and the final export are not counted. Prints one JSON
line per mode and a table with each mode's ratio to ``ref-fp32``.
On a GPU machine: ``--modes ref-fp32 ref-bf16 ref-fp16 cli-fp32 cli-bf16 cli-fp16 --jit off on``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from keras_medgan.console import quiet_tensorflow, wants_verbose

quiet_tensorflow(wants_verbose())  # TF 2.21 prints its start-up lines whatever the level says

IMAGES = 72   # P1: 144 training images, one GAN per class
BATCH = 16    # P1's batch size


def reference_loop(precision: str, epochs: int, warmup: int, jit: bool, seed: int = 0):
    """img/s of the keras.io-style loop (see the module docstring)."""
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_medgan.models import ARCHS
    from keras_medgan.runtime import precision_policy

    with precision_policy(precision):
        keras.utils.set_random_seed(seed)
        spec = ARCHS.get("dcgan32")
        g = spec.build_generator(z_dim=100, image_size=32)
        d = spec.build_discriminator(image_size=32)
        d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
        g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
        if precision == "fp16":
            d_opt = keras.optimizers.LossScaleOptimizer(d_opt)
            g_opt = keras.optimizers.LossScaleOptimizer(g_opt)
        bce = keras.losses.BinaryCrossentropy(from_logits=True)
        images = np.random.default_rng(seed).uniform(-1, 1, (IMAGES, 32, 32, 1)).astype("float32")
        ds = (tf.data.Dataset.from_tensor_slices(images).cache().shuffle(IMAGES, seed=seed)
              .batch(BATCH, drop_remainder=True).prefetch(tf.data.AUTOTUNE))

        @tf.function(jit_compile=jit)
        def step(real):
            z = tf.random.normal((BATCH, 100))
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fake = g(z, training=True)
                real_logits = tf.cast(d(real, training=True), tf.float32)
                fake_logits = tf.cast(d(fake, training=True), tf.float32)
                d_loss = (bce(tf.ones_like(real_logits), real_logits)
                          + bce(tf.zeros_like(fake_logits), fake_logits))
                g_loss = bce(tf.ones_like(fake_logits), fake_logits)
                d_scaled, g_scaled = d_opt.scale_loss(d_loss), g_opt.scale_loss(g_loss)
            d_opt.apply(d_tape.gradient(d_scaled, d.trainable_variables), d.trainable_variables)
            g_opt.apply(g_tape.gradient(g_scaled, g.trainable_variables), g.trainable_variables)
            return d_loss, g_loss

        start = None
        for epoch in range(epochs):
            for batch in ds:
                losses = step(batch)
            float(losses[0])  # wait for the epoch's work, as a loop that logs would
            if epoch + 1 == warmup:
                start = time.perf_counter()
        seconds = time.perf_counter() - start
    steps = (epochs - warmup) * (IMAGES // BATCH)
    return steps * BATCH / seconds, seconds


def cli_path(precision: str | None, epochs: int, warmup: int, jit: str, seed: int = 0,
             forward: str | None = None):
    """img/s of run_training as the train CLI calls it, and the precision it chose."""
    import numpy as np

    from keras_medgan import runs, training

    cli = {"arch": "dcgan32", "data": "phantom", "epochs": epochs, "jit": jit, "seed": seed}
    if precision is not None:
        cli["precision"] = precision
    if forward is not None:
        cli["forward"] = forward
    config = runs.resolve_config(cli)
    images = np.random.default_rng(seed).uniform(-1, 1, (IMAGES, 32, 32, 1)).astype("float32")
    unit = training.Unit("normal", "normal", images, np.zeros(IMAGES, np.int64))
    prepared = training.PreparedData(["normal"], [unit], IMAGES)
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="bench_train_"))
    runs.write_config(run_dir, config)
    lines: list[str] = []
    training.run_training(config, run_dir, print_fn=lines.append, prepared=prepared)
    times = {}
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        row = json.loads(line)
        times[row["epoch"]] = row["time"]
    seconds = times[epochs] - times[warmup]
    steps = (epochs - warmup) * (IMAGES // BATCH)
    chosen = next((ln for ln in lines if ln.startswith("precision")), "")
    return steps * BATCH / seconds, seconds, chosen


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--modes", nargs="+",
                   default=["ref-fp32", "cli-fp32", "cli-bf16", "cli-default", "ref-bf16"],
                   help="ref-<fp32|bf16|fp16>, cli-<fp32|bf16|fp16|default>[-<fresh|reuse|joint>]")
    p.add_argument("--epochs", type=int, default=55, help="epochs per mode (4 steps each)")
    p.add_argument("--warmup", type=int, default=5, help="epochs not timed (tracing)")
    p.add_argument("--jit", nargs="+", default=["off"], choices=["off", "on"],
                   help="XLA settings to measure (each mode × each)")
    p.add_argument("--json", help="also write the rows to this JSON file")
    args = p.parse_args(argv)
    if args.epochs <= args.warmup:
        p.error("--epochs must exceed --warmup")

    import multiprocessing

    rows = []
    for jit in args.jit:
        for mode in args.modes:
            kind, precision, forward = (mode.split("-") + [None])[:3]
            if kind == "ref":
                speed, seconds = reference_loop(precision, args.epochs, args.warmup, jit == "on")
                chosen = precision
            else:
                speed, seconds, chosen = cli_path(None if precision == "default" else precision,
                                                  args.epochs, args.warmup, jit, forward=forward)
            row = {"mode": mode, "jit": jit, "images_per_s": round(speed, 2),
                   "timed_seconds": round(seconds, 2), "epochs_timed": args.epochs - args.warmup,
                   "chosen": chosen, "cpus": multiprocessing.cpu_count()}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| mode | XLA | img/s | × ref-fp32 (same XLA) |\n|---|---|---|---|")
    for row in rows:
        ref = next((r for r in rows if r["mode"] == "ref-fp32" and r["jit"] == row["jit"]), None)
        ratio = f"{row['images_per_s'] / ref['images_per_s']:.2f}" if ref else "—"
        print(f"| {row['mode']} | {row['jit']} | {row['images_per_s']:.1f} | {ratio} |")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
