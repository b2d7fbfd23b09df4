"""Build hostile generator files and load each in a fresh process: message and peak RSS.

    python scripts/probe_untrusted_generators.py [--out DIR] [--json RESULTS.json]

Each file is handed to ``keras_medgan.generators.loading.load_generator`` (what synthesize, evaluate,
benchmark and turing call) in its own ``python`` process without ``--trust-model``; the
table shows the first line of the refusal and the process's peak resident memory
(``VmHWM``, Linux; it includes importing TensorFlow. ``ru_maxrss`` would report the
forking parent's peak instead). A file that loads is reported as
LOADED — none of these should.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from keras_medgan.core.console import quiet_tensorflow, wants_verbose

quiet_tensorflow(wants_verbose())  # TF 2.21 prints its start-up lines whatever the level says

PROBE = """
import json, sys
from keras_medgan.generators.cards import GeneratorLoadError
from keras_medgan.generators.loading import load_generator
try:
    load_generator(sys.argv[1])
    outcome = "LOADED"
except GeneratorLoadError as exc:
    outcome = str(exc).splitlines()[0]
print(json.dumps(outcome))
status = open("/proc/self/status").read()  # VmHWM: this process's own peak
print(int(status.split("VmHWM:")[1].split()[0]))
"""


def build(out: pathlib.Path) -> dict[str, pathlib.Path]:
    """name → hostile file (see each comment for what it tries)."""
    import h5py
    import keras
    import tensorflow as tf

    files = {}
    z = keras.Input((8,))
    image = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64)(z))
    # Python bytecode that runs on load
    lam = keras.layers.Lambda(lambda t: t * 2.0)(image)
    files["lambda_layer.h5"] = out / "lambda_layer.h5"
    keras.Model(z, lam).save(files["lambda_layer.h5"])
    # config-only size bomb: building it would allocate 5e6 x 100 floats
    big = {
        "class_name": "Functional",
        "config": {
            "name": "g",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "z",
                    "config": {"batch_shape": [None, 100], "name": "z"},
                },
                {
                    "module": "keras.layers",
                    "class_name": "Dense",
                    "name": "d",
                    "registered_name": None,
                    "config": {"name": "d", "units": 5_000_000},
                    "inbound_nodes": [
                        {
                            "args": [
                                {
                                    "class_name": "__keras_tensor__",
                                    "config": {"keras_history": ["z", 0, 0]},
                                }
                            ],
                            "kwargs": {},
                        }
                    ],
                },
            ],
            "input_layers": [["z", 0, 0]],
            "output_layers": [["d", 0, 0]],
        },
    }
    files["dense_5e6_config.h5"] = out / "dense_5e6_config.h5"
    with h5py.File(files["dense_5e6_config.h5"], "w") as handle:
        handle.attrs["model_config"] = json.dumps(big)
        handle.create_group("model_weights")
    # a valid small model plus 4 x 1 GiB of declared (never written) weights
    files["sparse_4gib_weights.h5"] = out / "sparse_4gib_weights.h5"
    keras.Model(z, image).save(files["sparse_4gib_weights.h5"])
    with h5py.File(files["sparse_4gib_weights.h5"], "a") as handle:
        for i in range(4):
            handle["model_weights"].create_dataset(
                f"bomb{i}", shape=(1 << 28,), dtype="float32", chunks=True
            )
    # an HDF5 external link to a local file
    files["external_link.h5"] = out / "external_link.h5"
    keras.Model(z, image).save(files["external_link.h5"])
    with h5py.File(files["external_link.h5"], "a") as handle:
        handle["model_weights"]["leak"] = h5py.ExternalLink("/etc/passwd", "/")
    # a config naming a class from another module (Keras would import it)
    files["foreign_module.keras"] = out / "foreign_module.keras"
    keras.Model(z, image).save(files["foreign_module.keras"])
    with zipfile.ZipFile(files["foreign_module.keras"]) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["module"] = "os"
    config["config"]["layers"][1]["class_name"] = "system"
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(files["foreign_module.keras"], "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)

    # SavedModels whose serving function reads a local file / appends to one
    secret = out / "secret.txt"
    secret.write_text("the first line of a local file\n")

    class Reader(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def serve(self, zz):
            line = next(iter(tf.data.TextLineDataset(str(secret))))
            leak = tf.cast(tf.strings.length(line), tf.float32)
            return tf.zeros([tf.shape(zz)[0], 8, 8, 1]) + 0.0 * leak

    class Writer(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def serve(self, zz):
            tf.print("written by a generator", output_stream=f"file://{out / 'victim.txt'}")
            return tf.zeros([tf.shape(zz)[0], 8, 8, 1])

    files["reads_a_file_savedmodel"] = out / "generator_reader_savedmodel"
    tf.saved_model.save(Reader(), str(files["reads_a_file_savedmodel"]))
    files["writes_a_file_savedmodel"] = out / "generator_writer_savedmodel"
    tf.saved_model.save(Writer(), str(files["writes_a_file_savedmodel"]))
    return files


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--out", default=None, help="folder for the files (default: a temp folder)")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)
    out = pathlib.Path(args.out or tempfile.mkdtemp(prefix="hostile-"))
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, path in build(out).items():
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(path)],
            check=False,
            capture_output=True,
            text=True,
            cwd=pathlib.Path(__file__).resolve().parents[1],
        )
        lines = done.stdout.strip().splitlines()
        outcome = json.loads(lines[0]) if lines else f"crashed: {done.stderr.strip()[-200:]}"
        rss_mb = int(lines[1]) / 1024 if len(lines) > 1 else float("nan")
        size = (
            sum(f.stat().st_size for f in path.rglob("*")) if path.is_dir() else path.stat().st_size
        )
        rows.append({"file": name, "bytes": size, "peak_rss_mb": round(rss_mb), "outcome": outcome})
        print(f"{name:28s} {size:>10,d} B  peak RSS {rss_mb:7.0f} MB  {outcome}", flush=True)
    victim = out / "victim.txt"
    print(f"victim file written: {victim.exists()}")
    if args.json:
        pathlib.Path(args.json).write_text(
            json.dumps(
                {
                    "command": "python scripts/probe_untrusted_generators.py",
                    "rows": rows,
                    "victim_file_written": victim.exists(),
                },
                indent=1,
            )
            + "\n"
        )
    return 0 if all(r["outcome"] != "LOADED" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
