"""Measure the data layer: DICOM decode rate, tf.data batch rate, and how hard the
phantom is for a small CNN.

    python scripts/bench_data.py                      # all three parts
    python scripts/bench_data.py --part decode        # DICOM → windowed 32×32, slices/s per core
    python scripts/bench_data.py --part pipeline      # cached tf.data batches/s (+ dcgan32 steps/s)
    python scripts/bench_data.py --part phantom_cnn --seeds 0 1 2

Targets from the issue: ≥ 200 slices/s per core for DICOM → 32×32, and a pipeline at
≥ 20× dcgan32's training rate. The phantom should be learnable but not trivial: a small
CNN at 32×32 trained on 100 slices per class must land clearly above 50 % and clearly
below 100 % on held-out phantom slices. Prints one JSON line per part.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from keras_medgan.core.console import quiet_tensorflow, wants_verbose

quiet_tensorflow(wants_verbose())  # TF 2.21 prints its start-up lines whatever the level says

import numpy as np


def bench_decode(n: int, size: int) -> dict:
    """Single-process DICOM read + HU + brain window + resize to 32×32 (phantom files)."""
    from keras_medgan.data.labels import Record
    from keras_medgan.data.phantom import PhantomParams, ensure_phantom
    from keras_medgan.data.pipeline import decode_records
    from keras_medgan.data.readers import ReaderOptions

    root = ensure_phantom(PhantomParams(n=n, seed=123, size=size))
    files = sorted((root / "stage_2_train").glob("*.dcm"))
    records = [Record(str(p), "normal", p.stem) for p in files]
    decode_records(records[:10], 32, cache=False, progress=False)  # warm imports
    t0, c0 = time.perf_counter(), time.process_time()
    images, _, _ = decode_records(
        records, 32, "pad", ReaderOptions(window="brain"), cache=False, progress=False
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "part": "decode",
        "slices": len(images),
        "stored_size": size,
        "slices_per_s_wall": round(len(images) / wall, 1),
        "slices_per_cpu_s": round(len(images) / cpu, 1),
    }


def bench_pipeline(batches: int, dcgan_steps: int) -> dict:
    import tensorflow as tf

    from keras_medgan.data import load_image_set, make_tf_dataset

    s = load_image_set("phantom", image_size=32, split="train")
    ds = make_tf_dataset(
        s.images,
        s.labels,
        num_classes=len(s.class_names),
        batch_size=16,
        shuffle=True,
        seed=0,
        repeat=True,
    )
    it = iter(ds)
    for _ in range(20):
        next(it)  # fill cache/prefetch
    t0 = time.perf_counter()
    for _ in range(batches):
        next(it)
    wall = time.perf_counter() - t0
    out = {
        "part": "pipeline",
        "batch_size": 16,
        "image_size": 32,
        "batches": batches,
        "batches_per_s": round(batches / wall, 1),
    }
    try:
        out.update(_time_dcgan32(ds, dcgan_steps))
    except Exception as err:  # noqa: BLE001 - the GAN side may not exist yet
        out["dcgan32"] = f"not timed: {type(err).__name__}: {err}"
    if "dcgan32_steps_per_s" in out:
        out["ratio_pipeline_to_dcgan32"] = round(
            out["batches_per_s"] / out["dcgan32_steps_per_s"], 1
        )
    del tf
    return out


def _time_dcgan32(ds, steps: int) -> dict:
    import keras

    from keras_medgan.gans import GAN_FAMILIES
    from keras_medgan.models import ARCHS

    spec = ARCHS.get("dcgan32")
    g = spec.build_generator(z_dim=100, image_size=32, num_classes=0)
    d = spec.build_discriminator(image_size=32, num_classes=0, critic=False)
    gan = GAN_FAMILIES.get("bce")(generator=g, discriminator=d, z_dim=100, num_classes=0)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    gan.fit(ds.take(3), epochs=1, verbose=0)  # trace
    t0 = time.perf_counter()
    gan.fit(ds.take(steps), epochs=1, verbose=0)
    wall = time.perf_counter() - t0
    return {"dcgan32_steps": steps, "dcgan32_steps_per_s": round(steps / wall, 2)}


def _small_cnn(seed: int):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((32, 32, 1))
    x = inputs
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(2)(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def bench_phantom_cnn(seeds, epochs: int, n_test: int) -> dict:
    """Train on phantom seed s (100 slices per class, 32×32), test on an unseen phantom."""
    import keras

    from keras_medgan.data import load_image_set

    test = load_image_set(
        f"phantom:n={n_test},seed=9999", image_size=32, split="all", progress=False
    )
    accs = []
    for seed in seeds:
        train = load_image_set(
            f"phantom:n=200,seed={seed}", image_size=32, split="all", progress=False
        )
        model = _small_cnn(seed)
        model.fit(
            train.images,
            train.labels,
            batch_size=16,
            epochs=epochs,
            verbose=0,
            shuffle=True,
            validation_split=0.0,
        )
        logits = model.predict(test.images, verbose=0)
        accs.append(float((logits.argmax(1) == test.labels).mean()))
        keras.backend.clear_session()
    return {
        "part": "phantom_cnn",
        "train": "phantom n=200 (100/class) per seed, 32x32",
        "test": f"phantom seed 9999, n={n_test}",
        "epochs": epochs,
        "seeds": list(seeds),
        "test_accuracy": [round(a, 3) for a in accs],
        "mean": round(float(np.mean(accs)), 3),
        "std": round(float(np.std(accs)), 3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--part", choices=("decode", "pipeline", "phantom_cnn", "all"), default="all"
    )
    parser.add_argument("--n", type=int, default=400, help="slices for the decode benchmark")
    parser.add_argument("--stored-size", type=int, default=512, choices=(256, 512))
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--dcgan-steps", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--n-test", type=int, default=400)
    args = parser.parse_args(argv)
    if "KERAS_MEDGAN_CACHE" not in os.environ:
        os.environ["KERAS_MEDGAN_CACHE"] = os.path.join(tempfile.gettempdir(), "keras_medgan_bench")
    parts = ["decode", "pipeline", "phantom_cnn"] if args.part == "all" else [args.part]
    for part in parts:
        if part == "decode":
            result = bench_decode(args.n, args.stored_size)
        elif part == "pipeline":
            result = bench_pipeline(args.batches, args.dcgan_steps)
        else:
            result = bench_phantom_cnn(args.seeds, args.epochs, args.n_test)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
