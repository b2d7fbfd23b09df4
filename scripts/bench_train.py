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
* ``cli-<precision>``: :func:`keras_medgan.training.trainer.run_training` exactly as
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
from keras_medgan.core.console import quiet_tensorflow, wants_verbose

quiet_tensorflow(wants_verbose())  # TF 2.21 prints its start-up lines whatever the level says

IMAGES = 72  # P1: 144 training images, one GAN per class
BATCH = 16  # P1's batch size


def reference_loop(precision: str, epochs: int, warmup: int, jit: bool, seed: int = 0):
    """img/s of the keras.io-style loop (see the module docstring)."""
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_medgan.core.runtime import precision_policy
    from keras_medgan.models import ARCHS

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
        ds = (
            tf.data.Dataset.from_tensor_slices(images)
            .cache()
            .shuffle(IMAGES, seed=seed)
            .batch(BATCH, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE)
        )

        @tf.function(jit_compile=jit)
        def step(real):
            z = tf.random.normal((BATCH, 100))
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fake = g(z, training=True)
                real_logits = tf.cast(d(real, training=True), tf.float32)
                fake_logits = tf.cast(d(fake, training=True), tf.float32)
                d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(
                    tf.zeros_like(fake_logits), fake_logits
                )
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


def cli_path(
    precision: str | None,
    epochs: int,
    warmup: int,
    jit: str,
    seed: int = 0,
    forward: str | None = None,
):
    """img/s of run_training as the train CLI calls it, and the precision it chose."""
    import numpy as np

    from keras_medgan.training import runs
    from keras_medgan.training import trainer as training

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


#: Passes of each network per step and image, in units of one forward pass: a backward pass
#: costs about two forwards (input and weight gradients), one through D to reach G only about
#: one (D's weight gradients are pruned). "fresh" runs G twice (D's update, then G's).
STEP_PASSES = {
    "joint": {"g": 1 + 2, "d": 2 + 4 + 1},  # the reference: one G forward, two tapes
    "reuse": {"g": 1 + 2, "d": 2 + 4 + 1 + 1},  # + D's forward on the fakes after its update
    "fresh": {"g": 1 + 1 + 2, "d": 2 + 4 + 1 + 1},
}


def forward_flops(model) -> float:
    """FLOPs (2 × multiply-adds) of one forward pass of ONE image through ``model``'s
    convolutions and dense layers (what dominates a DCGAN step; element-wise work is left
    out, so this is a floor, not a prediction)."""
    import math

    from keras import layers

    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2DTranspose):  # before Conv2D: it subclasses it
            _, h, w, c_in = layer.input.shape
            total += h * w * c_in * math.prod(layer.kernel_size) * layer.filters
        elif isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            total += h * w * c_out * math.prod(layer.kernel_size) * layer.input.shape[-1]
        elif isinstance(layer, layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return 2.0 * total


def step_flops(g_flops: float, d_flops: float) -> dict[str, float]:
    """FLOPs per image of one training step in each forward mode (``STEP_PASSES``)."""
    return {mode: n["g"] * g_flops + n["d"] * d_flops for mode, n in STEP_PASSES.items()}


def compute_note() -> str:
    """One line: dcgan32's FLOPs per image and the speed "fresh" can reach against the
    one-forward reference at equal efficiency (the ceiling a faster loop cannot lift)."""
    from keras_medgan.models import ARCHS

    spec = ARCHS.get("dcgan32")
    g = forward_flops(spec.build_generator(z_dim=100, image_size=32))
    d = forward_flops(spec.build_discriminator(image_size=32))
    step = step_flops(g, d)
    return (
        f"dcgan32 per image: G forward {g / 1e9:.2f} GFLOP, D forward {d / 1e9:.2f}; "
        f"step: joint (the reference) {step['joint'] / 1e9:.1f}, reuse "
        f"{step['reuse'] / 1e9:.1f}, fresh {step['fresh'] / 1e9:.1f} GFLOP: at the same "
        f"precision and efficiency fresh runs at {step['joint'] / step['fresh']:.2f}× the "
        f"reference, reuse at {step['joint'] / step['reuse']:.2f}×"
    )


def measure(mode: str, jit: str, epochs: int, warmup: int, round_: int = 1) -> dict:
    """One timed run of ``mode`` (``ref-fp32``, ``cli-default-reuse``, ...) as a JSON-able row."""
    import multiprocessing

    kind, precision, forward = (mode.split("-") + [None])[:3]
    if kind == "ref":
        speed, seconds = reference_loop(precision, epochs, warmup, jit == "on")
        chosen = precision
    else:
        speed, seconds, chosen = cli_path(
            None if precision == "default" else precision, epochs, warmup, jit, forward=forward
        )
    return {
        "mode": mode,
        "jit": jit,
        "round": round_,
        "images_per_s": round(speed, 2),
        "timed_seconds": round(seconds, 2),
        "epochs_timed": epochs - warmup,
        "chosen": chosen,
        "cpus": multiprocessing.cpu_count(),
    }


def summary_table(rows: list[dict]) -> str:
    """Markdown: each (mode, XLA) with its median img/s and its ratio to ``ref-fp32``.

    A ratio is taken within a round (same minutes, same host load), then the median and
    the range over rounds are shown, so a slow minute for one mode does not pass for a
    difference between modes.
    """
    import statistics

    ref_speed = {
        (r["jit"], r.get("round", 1)): r["images_per_s"] for r in rows if r["mode"] == "ref-fp32"
    }

    lines = [
        "",
        "| mode | XLA | rounds | img/s (median) | × ref-fp32, same round: median (range) |",
        "|---|---|---|---|---|",
    ]
    for key in dict.fromkeys((r["mode"], r["jit"]) for r in rows):
        group = [r for r in rows if (r["mode"], r["jit"]) == key]
        speeds = [r["images_per_s"] for r in group]
        ratios = [
            r["images_per_s"] / ref_speed[r["jit"], r.get("round", 1)]
            for r in group
            if (r["jit"], r.get("round", 1)) in ref_speed
        ]
        ratio = "—"
        if ratios:
            ratio = f"{statistics.median(ratios):.2f}"
            if len(ratios) > 1:
                ratio += f" ({min(ratios):.2f}–{max(ratios):.2f})"
        lines.append(
            f"| {key[0]} | {key[1]} | {len(group)} | {statistics.median(speeds):.1f} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--modes",
        nargs="+",
        default=["ref-fp32", "cli-fp32", "cli-bf16", "cli-default", "ref-bf16"],
        help="ref-<fp32|bf16|fp16>, cli-<fp32|bf16|fp16|default>[-<fresh|reuse|joint>]",
    )
    p.add_argument("--epochs", type=int, default=55, help="epochs per mode (4 steps each)")
    p.add_argument("--warmup", type=int, default=5, help="epochs not timed (tracing)")
    p.add_argument(
        "--jit",
        nargs="+",
        default=["off"],
        choices=["off", "on"],
        help="XLA settings to measure (each mode × each)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the whole list of modes this many times, interleaved, and report "
        "each mode's median (the host's speed drifts between minutes; a ratio "
        "is taken within a round)",
    )
    p.add_argument("--json", help="also write the rows to this JSON file")
    args = p.parse_args(argv)
    if args.epochs <= args.warmup:
        p.error("--epochs must exceed --warmup")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")

    print(compute_note(), flush=True)
    rows = []
    for round_ in range(1, args.rounds + 1):
        for jit in args.jit:
            for mode in args.modes:
                rows.append(measure(mode, jit, args.epochs, args.warmup, round_))
                print(json.dumps(rows[-1]), flush=True)
                if args.json:  # as it goes: a killed run keeps the rounds it finished
                    pathlib.Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    print(summary_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
