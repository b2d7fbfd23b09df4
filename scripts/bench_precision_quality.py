"""Does bf16 cost quality? dcgan32 on the phantom, same seeds and epochs in fp32 and bf16.

    python scripts/bench_precision_quality.py --epochs 150 --seeds 0 1 2 --out /tmp/precq

For each precision and seed, trains ONE class of the phantom (the train CLI's path:
``keras_medgan.training.run_training``, P1's dcgan32 recipe, batch 16) for ``--epochs``,
then scores 256 fakes of the exported generator (computed in fp32) against every phantom
image of that class by SWD (``keras_medgan.evaluate.swd.swd_repeats``, ×10³, lower is
better). Prints a
JSON line per run and a summary: the bf16 mean against the fp32 runs' spread (min-max
and mean ± 2 SD across seeds). Resumable: a finished run's JSON in ``--out`` is reused.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from keras_medgan.console import quiet_tensorflow, wants_verbose

quiet_tensorflow(wants_verbose())  # TF 2.21 prints its start-up lines whatever the level says


def score_run(run_dir: pathlib.Path, klass: str, seed: int) -> float:
    """SWD (×10³, as ``swd_repeats`` reports it) of 256 fakes against every phantom image of
    ``klass``; fakes computed in fp32 whatever the run trained in."""
    import numpy as np

    from keras_medgan.data import load_image_set
    from keras_medgan.evaluate.swd import swd_repeats
    from keras_medgan.export import load_generator

    generator = load_generator(run_dir / "export" / f"generator_{klass}.h5", precision="fp32")
    fakes = generator.generate(256, seed=1000 + seed)
    every = load_image_set("phantom", image_size=32, split="all", seed=0)
    real = every.images[every.labels == every.class_names.index(klass)]
    return round(swd_repeats(np.asarray(real), fakes)["mean"], 2)


def train_and_score(precision: str, seed: int, epochs: int, klass: str, out: pathlib.Path):
    from keras_medgan import runs, training

    result_path = out / f"{precision}_seed{seed}.json"
    if result_path.is_file():
        result = json.loads(result_path.read_text())
        if "swd" not in result:  # written by an earlier version: score its run again
            result["swd"] = score_run(pathlib.Path(result["run"]), klass, seed)
            result.pop("swd_x1e3", None)
            result_path.write_text(json.dumps(result) + "\n")
        return result
    config = runs.resolve_config({"arch": "dcgan32", "data": "phantom", "epochs": epochs,
                                  "seed": seed, "split_seed": 0, "precision": precision,
                                  "classes": [klass], "out": str(out / "runs")})
    run_dir = runs.new_run_dir(config.out, "dcgan32", "phantom")
    runs.write_config(run_dir, config)
    start = time.perf_counter()
    training.run_training(config, run_dir, print_fn=lambda line: None)
    seconds = time.perf_counter() - start
    result = {"precision": precision, "seed": seed, "epochs": epochs, "class": klass,
              "train_seconds": round(seconds, 1), "swd": score_run(run_dir, klass, seed),
              "run": str(run_dir)}
    result_path.write_text(json.dumps(result) + "\n")
    return result


def paired(rows: list[dict]) -> dict:
    """bf16 − fp32 per seed (same seed: same initial weights and batch order), with an
    exact two-sided sign test: robust to the one run in a few that fails outright, which
    dominates a mean of a handful of runs."""
    from scipy.stats import binomtest

    by = {(r["precision"], r["seed"]): r["swd"] for r in rows}
    seeds = sorted(s for p, s in by if p == "fp32" and ("bf16", s) in by)
    diffs = [round(by["bf16", s] - by["fp32", s], 2) for s in seeds]
    worse = sum(d > 0 for d in diffs)
    decided = sum(d != 0 for d in diffs)
    return {"seeds": seeds, "bf16_minus_fp32": diffs, "bf16_worse_on": worse,
            "bf16_better_on": decided - worse,
            "sign_test_p": round(binomtest(worse, decided).pvalue, 3) if decided else None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--precisions", nargs="+", default=["fp32", "bf16"])
    p.add_argument("--class", dest="klass", default="hemorrhage",
                   help="phantom class to train (default hemorrhage)")
    p.add_argument("--out", default="precision_quality")
    args = p.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import numpy as np

    rows = []
    for seed in args.seeds:
        for precision in args.precisions:
            row = train_and_score(precision, seed, args.epochs, args.klass, out)
            rows.append(row)
            print(json.dumps(row), flush=True)
    summary = {}
    for precision in args.precisions:
        values = np.array([r["swd"] for r in rows if r["precision"] == precision])
        summary[precision] = {"mean": round(float(values.mean()), 2),
                              "median": round(float(np.median(values)), 2),
                              "sd": round(float(values.std(ddof=1)), 2) if len(values) > 1 else None,
                              "min": float(values.min()), "max": float(values.max()),
                              "values": values.tolist()}
    if {"fp32", "bf16"} <= set(summary):
        ref, bf = summary["fp32"], summary["bf16"]
        low, high = ref["mean"] - 2 * (ref["sd"] or 0), ref["mean"] + 2 * (ref["sd"] or 0)
        summary["bf16_mean_within_fp32_range"] = ref["min"] <= bf["mean"] <= ref["max"]
        summary["bf16_mean_within_fp32_mean_2sd"] = low <= bf["mean"] <= high
        summary["paired"] = paired(rows)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
