"""Does bf16 -- or a one-forward BCE step -- cost quality? dcgan32, same seeds, one class.

    python scripts/bench_precision_quality.py --epochs 150 --seeds 0 1 2 --out /tmp/precq
    python scripts/bench_precision_quality.py --precisions bf16 --forwards fresh reuse joint \
        --epochs 150 --seeds 0 1 2 3 4 5 --out /tmp/forwardq
    KERAS_MEDGAN_DATA=/path/to/data python scripts/bench_precision_quality.py --data head_ct \
        --precisions bf16 --forwards fresh joint --epochs 150 --seeds 0 1 2 3 4 5 --out /tmp/ctq

For each arm (precision × BCE ``forward`` mode) and seed, trains ONE class of ``--data``
(the embedded phantom by default; the train CLI's path: ``keras_medgan.training.trainer.run_training``,
P1's dcgan32 recipe, batch 16, the training split) for ``--epochs``, then scores 256 fakes
of the exported generator (computed in fp32) against every image of that class by SWD
(``keras_medgan.evaluate.swd.swd_repeats``, ×10³, lower is better). Prints a JSON line per run and a summary: each arm's runs, and
each arm against the FIRST arm seed by seed (same seed: same initial weights and batch
order) with a sign test. Resumable: a finished run's JSON in ``--out`` is reused.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from keras_medgan.core.console import quiet_tensorflow, wants_verbose

quiet_tensorflow(wants_verbose())  # TF 2.21 prints its start-up lines whatever the level says


def score_run(run_dir: pathlib.Path, klass: str, seed: int, data: str = "phantom") -> float:
    """SWD (×10³, as ``swd_repeats`` reports it) of 256 fakes against every image of ``klass``
    in ``data`` (all splits); fakes computed in fp32 whatever the run trained in."""
    import numpy as np

    from keras_medgan.data import load_image_set
    from keras_medgan.evaluate.swd import swd_repeats
    from keras_medgan.generators.loading import load_generator

    generator = load_generator(run_dir / "export" / f"generator_{klass}.h5", precision="fp32")
    fakes = generator.generate(256, seed=1000 + seed)
    every = load_image_set(data, image_size=32, split="all", seed=0, progress=False)
    real = every.images[every.labels == every.class_names.index(klass)]
    return round(swd_repeats(np.asarray(real), fakes)["mean"], 2)


def arm_name(precision: str, forward: str) -> str:
    """``fp32`` / ``bf16`` for the default step (the file names earlier versions wrote),
    ``bf16-joint`` for another forward mode."""
    return precision if forward == "fresh" else f"{precision}-{forward}"


def train_and_score(
    precision: str,
    forward: str,
    seed: int,
    epochs: int,
    klass: str,
    out: pathlib.Path,
    data: str = "phantom",
):
    from keras_medgan.training import runs
    from keras_medgan.training import trainer as training

    arm = arm_name(precision, forward)
    result_path = out / f"{arm}_seed{seed}.json"
    if result_path.is_file():
        result = json.loads(result_path.read_text())
        made = (result.get("data", "phantom"), result.get("epochs", epochs))
        if made != (data, epochs):
            raise SystemExit(
                f"{result_path}: a run of {made[0]}, {made[1]} epochs; this call "
                f"asks for {data}, {epochs} epochs: give another --out"
            )
        if "swd" not in result:  # written by an earlier version: score its run again
            result["swd"] = score_run(pathlib.Path(result["run"]), klass, seed, data)
            result.pop("swd_x1e3", None)
            result_path.write_text(json.dumps(result) + "\n")
        return {"arm": arm, "forward": forward, **result}
    config = runs.resolve_config(
        {
            "arch": "dcgan32",
            "data": data,
            "epochs": epochs,
            "seed": seed,
            "split_seed": 0,
            "precision": precision,
            "classes": [klass],
            "out": str(out / "runs"),
            "forward": forward,
        }
    )
    run_dir = runs.new_run_dir(config.out, "dcgan32", data)
    runs.write_config(run_dir, config)
    start = time.perf_counter()
    training.run_training(config, run_dir, print_fn=lambda line: None)
    seconds = time.perf_counter() - start
    result = {
        "arm": arm,
        "precision": precision,
        "forward": forward,
        "seed": seed,
        "epochs": epochs,
        "data": data,
        "class": klass,
        "train_seconds": round(seconds, 1),
        "swd": score_run(run_dir, klass, seed, data),
        "run": str(run_dir),
    }
    result_path.write_text(json.dumps(result) + "\n")
    return result


def paired(rows: list[dict], base: str, other: str) -> dict:
    """``other`` − ``base`` per seed (same seed: same initial weights and batch order), with
    an exact two-sided sign test: robust to the one run in a few that fails outright, which
    dominates a mean of a handful of runs."""
    from scipy.stats import binomtest

    by = {(r["arm"], r["seed"]): r["swd"] for r in rows}
    seeds = sorted(s for a, s in by if a == base and (other, s) in by)
    diffs = [round(by[other, s] - by[base, s], 2) for s in seeds]
    worse = sum(d > 0 for d in diffs)
    decided = sum(d != 0 for d in diffs)
    return {
        "seeds": seeds,
        f"{other}_minus_{base}": diffs,
        "worse_on": worse,
        "better_on": decided - worse,
        "sign_test_p": round(binomtest(worse, decided).pvalue, 3) if decided else None,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--precisions", nargs="+", default=["fp32", "bf16"])
    p.add_argument(
        "--forwards",
        nargs="+",
        default=["fresh"],
        choices=["fresh", "reuse", "joint"],
        help="BCE step forward modes to compare (train --forward)",
    )
    p.add_argument(
        "--data",
        default="phantom",
        help="dataset, as train --data names it (default: the embedded phantom; "
        "head_ct reads $KERAS_MEDGAN_DATA/head_ct)",
    )
    p.add_argument(
        "--class", dest="klass", default="hemorrhage", help="class to train (default hemorrhage)"
    )
    p.add_argument("--out", default="precision_quality")
    args = p.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import numpy as np

    arms = [(p_, f) for p_ in args.precisions for f in args.forwards]
    rows = []
    for seed in args.seeds:
        for precision, forward in arms:
            row = train_and_score(precision, forward, seed, args.epochs, args.klass, out, args.data)
            rows.append(row)
            print(json.dumps(row), flush=True)
    names = [arm_name(*a) for a in arms]
    summary = {}
    for arm in names:
        values = np.array([r["swd"] for r in rows if r["arm"] == arm])
        summary[arm] = {
            "mean": round(float(values.mean()), 2),
            "median": round(float(np.median(values)), 2),
            "sd": round(float(values.std(ddof=1)), 2) if len(values) > 1 else None,
            "min": float(values.min()),
            "max": float(values.max()),
            "values": values.tolist(),
        }
    summary["paired"] = {f"{arm} vs {names[0]}": paired(rows, names[0], arm) for arm in names[1:]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
