"""Wall time of the phantom quick study as one process and as 2 local shards, same results.

    python scripts/time_local_shards.py [--json experiments/results/local_shards.json]

Runs, one after another on an otherwise idle machine (take no timing while anything else
runs; the numbers are ratios of runs made in one call):

* ``one process``: ``study --data phantom --quick --gan-workers 1``;
* ``one process, 2 GAN workers``: the same with ``--gan-workers 2``;
* ``2 shards``: ``--shard 0/2`` and ``--shard 1/2`` started together (``--stage all``:
  each shard trains the GANs its own classifiers need), then ``study report``.

and compares the three results.json files with the one-process study's: the largest
absolute difference over every number of the arms without GAN images (real, classical:
0 when the shards dealt the same folds and trained the same classifiers), and the largest
difference of an arm's mean AUC (GAN training on a CPU is not bit-reproducible across
processes unless the recipe sets ``deterministic``, so arms with GAN images may differ).

``--equivalence`` instead runs the quick study with P1's recipe made deterministic
(``deterministic: true``, ``precision: fp32``; arms real and real+synthetic, one
classifier seed) once in one process and once as 4 shards in two stages (GAN
cells as one 4-process wave, classifier cells as another, then ``study report``), and
requires every number of every arm to be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

STUDY = [sys.executable, "-m", "keras_medgan.study", "--data", "phantom", "--quick"]
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _env() -> dict:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
    }


def _run_together(commands: list[list[str]]) -> float:
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            c, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for c in commands
    ]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(proc.args)}\n{err[-2000:]}")
    return time.perf_counter() - start


def _leaves(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield from _leaves(v, f"{path}[{k}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, float(value)


def _arm_numbers(out: pathlib.Path) -> dict:
    return dict(_leaves(json.loads((out / "results.json").read_text())["arms"]))


#: arms whose numbers involve no GAN image
NO_GAN_ARMS = (".real.", ".classical.")


def _difference(x: float, y: float) -> float:
    """|x − y|, with two NaNs (an interval a design cannot give) counting as equal."""
    return 0.0 if x != x and y != y else abs(x - y)


def compare(one: pathlib.Path, other: pathlib.Path) -> dict:
    a, b = _arm_numbers(one), _arm_numbers(other)
    if sorted(a) != sorted(b):
        return {"same_keys": False}
    no_gan = [k for k in a if k.startswith(NO_GAN_ARMS)]
    auc = [k for k in a if k.endswith(".metrics.auc.mean")]
    return {
        "same_keys": True,
        "largest_difference_without_gan_images": max(_difference(a[k], b[k]) for k in no_gan),
        "largest_auc_difference": max(_difference(a[k], b[k]) for k in auc),
    }


def equivalence(work: pathlib.Path) -> dict:
    """One process vs 4 shards in two stages, with a deterministic recipe."""
    recipe = work / "p1_deterministic.yaml"
    recipe.write_text(
        (ROOT / "experiments" / "p1_dcgan32_head_ct.yaml").read_text()
        + "\ndeterministic: true\nprecision: fp32\n"
    )
    # two arms (with and without GAN images), one classifier seed: what is compared is the
    # bookkeeping and the determinism, not the study's size
    study = [
        *STUDY,
        "--recipe",
        f"p1={recipe}",
        "--gan-workers",
        "1",
        "--arms",
        "real",
        "real+synthetic",
        "--no-gan-train",
        "--seeds",
        "1",
    ]
    one, shards = work / "one", work / "shards"
    _run_together([[*study, "--out", str(one)]])
    for stage in ("gans", "classifiers"):
        _run_together(
            [
                [*study, "--stage", stage, "--shard", f"{i}/4", "--out", str(shards)]
                for i in range(4)
            ]
        )
    _run_together([[sys.executable, "-m", "keras_medgan.study", "report", "--out", str(shards)]])
    a, b = _arm_numbers(one), _arm_numbers(shards)
    differ = sorted(k for k in a if k not in b or _difference(a[k], b[k]) != 0)
    return {
        "setup": "4 shards in two stages vs one process, deterministic: true, precision: fp32",
        "numbers": len(a),
        "same_keys": sorted(a) == sorted(b),
        "n_differing": len(differ),
        "differing": differ[:20],
        "equal": sorted(a) == sorted(b) and not differ,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the timings here")
    parser.add_argument(
        "--equivalence",
        action="store_true",
        help="check 4 shards in two stages equal one process (deterministic)",
    )
    args = parser.parse_args(argv)
    work = pathlib.Path(tempfile.mkdtemp(prefix="local-shards-"))
    if args.equivalence:
        row = equivalence(work)
        print(json.dumps(row, indent=1))
        if args.json:
            pathlib.Path(args.json).write_text(
                json.dumps(
                    {"command": "python scripts/time_local_shards.py --equivalence", **row},
                    indent=1,
                )
                + "\n"
            )
        return 0 if row["equal"] else 1
    rows = []
    one = work / "one"
    rows.append(
        {
            "setup": "one process, --gan-workers 1",
            "seconds": _run_together([[*STUDY, "--gan-workers", "1", "--out", str(one)]]),
        }
    )
    two_workers = work / "two_workers"
    rows.append(
        {
            "setup": "one process, --gan-workers 2",
            "seconds": _run_together([[*STUDY, "--gan-workers", "2", "--out", str(two_workers)]]),
        }
    )
    shards = work / "shards"
    seconds = _run_together(
        [
            [*STUDY, "--gan-workers", "1", "--shard", f"{i}/2", "--out", str(shards)]
            for i in range(2)
        ]
    )
    seconds += _run_together(
        [[sys.executable, "-m", "keras_medgan.study", "report", "--out", str(shards)]]
    )
    rows.append({"setup": "2 shards in parallel (--shard 0/2, 1/2) + report", "seconds": seconds})
    for row, out in zip(rows, (one, two_workers, shards)):
        row["seconds"] = round(row["seconds"], 1)
        row["ratio_to_one_process"] = round(row["seconds"] / rows[0]["seconds"], 2)
        row.update(compare(one, out))
        print(
            f"{row['setup']:<52} {row['seconds']:>7.1f} s  ×{row['ratio_to_one_process']:.2f}"
            f"  real/classical arms differ by {row['largest_difference_without_gan_images']:.3g}"
            f", mean AUCs by {row['largest_auc_difference']:.3g}",
            flush=True,
        )
    if args.json:
        pathlib.Path(args.json).write_text(
            json.dumps(
                {
                    "command": "python scripts/time_local_shards.py",
                    "cpu_count": os.cpu_count(),
                    "rows": rows,
                },
                indent=1,
            )
            + "\n"
        )
    return (
        0
        if all(r["same_keys"] and r["largest_difference_without_gan_images"] == 0 for r in rows)
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
