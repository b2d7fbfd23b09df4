"""What a study cell costs, and which of the machine's options cut it: one run, ratios only.

    python scripts/bench_study_cost.py --out experiments/results/study_cost_xeon_amx.json

Two measurements, one after the other on an otherwise idle machine (pause any long run
first: ``kill -STOP PID`` … ``kill -CONT PID``):

* **GAN cells**: P1's recipe (dcgan32, BCE + gradient penalty, batch 16, ``--precision
  auto``) on the phantom's two classes (72 images each), ``--epochs`` epochs per class,
  trained (a) as a study trains a fold's GANs: one class after the other in one process
  each, and (b) both classes at once, two processes side by side. Wall time of each,
  including start-up (a study pays it per cell too).
* **Classifier cells**: milliseconds per optimizer step at 32×32, batch 32, of each
  ``--classifiers`` network in fp32 and bf16 (Keras ``mixed_bfloat16``), after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
RECIPE = "experiments/p1_dcgan32_head_ct.yaml"


def _train_cmd(out: str, epochs: int, classes: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "keras_medgan.train",
        "--config",
        str(REPO / RECIPE),
        "--data",
        "phantom",
        "--epochs",
        str(epochs),
        "--classes",
        classes,
        "--out",
        out,
        "--checkpoint-every",
        "100000",
        "--sample-every",
        "100000",
    ]


def gan_cost(epochs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.time()
        for cls in ("normal", "hemorrhage"):
            subprocess.run(
                _train_cmd(f"{tmp}/seq", epochs, cls),
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        sequential = time.time() - start
        start = time.time()
        procs = [
            subprocess.Popen(
                _train_cmd(f"{tmp}/par_{cls}", epochs, cls),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for cls in ("normal", "hemorrhage")
        ]
        if any(p.wait() for p in procs):
            raise SystemExit("a concurrent training run failed")
        concurrent = time.time() - start
    return {
        "epochs_per_class": epochs,
        "images_per_class": 72,
        "sequential_seconds": round(sequential, 1),
        "concurrent_seconds": round(concurrent, 1),
        "concurrent_speedup": round(sequential / concurrent, 3),
    }


def classifier_cost(classifiers: list[str], steps: int, warmup: int) -> list[dict]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(REPO))
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_medgan.core.runtime import precision_policy
    from keras_medgan.models.classifiers import build_classifier

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (128, 32, 32, 1)).astype("float32")
    y = rng.integers(0, 2, 128)
    rows = []
    for name in classifiers:
        for precision in ("fp32", "bf16"):
            with precision_policy(precision):
                keras.utils.set_random_seed(0)
                model = build_classifier(name, (32, 32, 1), 2, dropout=0.4)
                model.compile(
                    optimizer=keras.optimizers.RMSprop(1e-3), loss="sparse_categorical_crossentropy"
                )
                data = (
                    tf.data.Dataset.from_tensor_slices((x, y))
                    .shuffle(128, seed=0)
                    .repeat()
                    .batch(32, drop_remainder=True)
                )
                model.fit(data, steps_per_epoch=warmup, epochs=1, verbose=0)
                start = time.time()
                model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
                ms = 1000 * (time.time() - start) / steps
            rows.append({"classifier": name, "precision": precision, "ms_per_step": round(ms, 1)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--epochs", type=int, default=20, help="GAN epochs per class")
    p.add_argument("--classifiers", nargs="+", default=["resnet50", "small_cnn"])
    p.add_argument("--steps", type=int, default=30, help="timed classifier steps")
    p.add_argument("--warmup", type=int, default=10, help="untimed classifier steps first")
    p.add_argument("--skip-gan", action="store_true")
    args = p.parse_args(argv)
    result = {
        "command": "python scripts/bench_study_cost.py " + " ".join(argv or sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "classifier": classifier_cost(args.classifiers, args.steps, args.warmup),
    }
    if not args.skip_gan:
        result["gan"] = gan_cost(args.epochs)
        print(json.dumps(result["gan"]), flush=True)
    pathlib.Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
