"""Pilot for the classifier protocol: which network, how many steps, which augmentation.

Everything here is chosen on INNER validation data: for each outer fold of the study's own
split (same seed, same validation fraction), the real-only classifier trains on the fold's
training part and is scored on its validation part. No test image is ever predicted, so
the choices cannot be tuned to the test predictions the study reports.

Two parts, each resumable (every finished run is written to ``--out`` at once; a rerun
skips what is there):

1. ``classifiers``: every ``--classifiers`` × ``--steps`` × fold × seed. Rule, fixed
   before the numbers: the default classifier is the one with the highest mean validation
   AUC; within 0.01 of it, the one whose AUC varies least across seeds (mean within-fold
   SD) wins. Its step budget is the smallest whose mean AUC is within 0.01 of its best.
2. ``augment``: with that classifier and budget, the classical arm with each op alone,
   all ops, and none. The default classical arm is the set with the highest mean
   validation AUC (ties within 0.005 go to fewer ops).

    KERAS_MEDGAN_DATA=/path/to/data python scripts/pilot_classifier.py --data head_ct \\
        --out experiments/results/classifier_pilot_head_ct.json
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from keras_medgan.core.console import format_duration, quiet_tensorflow

AUGMENT_SETS = {
    "none": (),
    "flip": ("flip",),
    "shift": ("shift",),
    "rotation": ("rotation",),
    "intensity": ("intensity",),
    "all": ("flip", "shift", "rotation", "intensity"),
}
AUC_MARGIN = 0.01


def run_key(part: str, classifier: str, steps: int, augment: str, fold: int, seed: int) -> str:
    return f"{part}|{classifier}|{steps}|{augment}|f{fold}|s{seed}"


def summarize(runs: dict, part: str) -> dict:
    """(classifier, steps, augment) → mean AUC, SD over runs, mean within-fold seed SD;
    over the folds that every setting of the part has finished (a stopped run compares
    like with like)."""
    groups: dict[tuple, list[dict]] = {}
    for r in runs.values():
        if r["part"] == part:
            groups.setdefault((r["classifier"], r["steps"], r["augment"]), []).append(r)
    common = (
        set.intersection(*({r["fold"] for r in rs} for rs in groups.values())) if groups else set()
    )
    groups = {k: [r for r in rs if r["fold"] in common] for k, rs in groups.items()}
    out = {}
    for key, rs in sorted(groups.items()):
        aucs = np.array([r["val_auc"] for r in rs])
        by_fold: dict[int, list[float]] = {}
        for r in rs:
            by_fold.setdefault(r["fold"], []).append(r["val_auc"])
        seed_sd = [np.std(v, ddof=1) for v in by_fold.values() if len(v) > 1]
        out["|".join(map(str, key))] = {
            "classifier": key[0],
            "steps": key[1],
            "augment": key[2],
            "runs": len(rs),
            "folds": sorted({r["fold"] for r in rs}),
            "val_auc_mean": float(aucs.mean()),
            "val_auc_sd": float(aucs.std(ddof=1)) if len(aucs) > 1 else None,
            "seed_sd_mean": float(np.mean(seed_sd)) if seed_sd else None,
            "val_log_loss_mean": float(np.mean([r["val_log_loss"] for r in rs])),
            "seconds_mean": float(np.mean([r["seconds"] for r in rs])),
        }
    return out


def choose_classifier(summary: dict) -> tuple[str, int]:
    best_by_clf: dict[str, dict] = {}
    for row in summary.values():
        cur = best_by_clf.get(row["classifier"])
        if cur is None or row["val_auc_mean"] > cur["val_auc_mean"]:
            best_by_clf[row["classifier"]] = row
    top = max(r["val_auc_mean"] for r in best_by_clf.values())
    close = [r for r in best_by_clf.values() if r["val_auc_mean"] >= top - AUC_MARGIN]
    chosen = min(
        close, key=lambda r: r["seed_sd_mean"] if r["seed_sd_mean"] is not None else np.inf
    )
    rows = [r for r in summary.values() if r["classifier"] == chosen["classifier"]]
    best = max(r["val_auc_mean"] for r in rows)
    steps = min(r["steps"] for r in rows if r["val_auc_mean"] >= best - AUC_MARGIN)
    return chosen["classifier"], steps


def choose_augment(summary: dict) -> str:
    top = max(r["val_auc_mean"] for r in summary.values())
    close = [r for r in summary.values() if r["val_auc_mean"] >= top - 0.005]
    return min(close, key=lambda r: len(AUGMENT_SETS[r["augment"]]))["augment"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--data", default="head_ct")
    p.add_argument("--data-dir")
    p.add_argument("--out", required=True, help="results JSON (resumed when it exists)")
    p.add_argument("--classifiers", nargs="+", default=["resnet50", "resnet18_cifar", "small_cnn"])
    p.add_argument("--steps", nargs="+", type=int, default=[200, 400, 800])
    p.add_argument(
        "--resnet50-steps",
        nargs="+",
        type=int,
        default=[400],
        help="resnet50 is 4x slower than the others: fewer budgets",
    )
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument(
        "--augment-seeds",
        type=int,
        default=None,
        help="seeds per fold in the augment part (default: --seeds); 1 keeps "
        "resnet50's ablation to 25 runs",
    )
    p.add_argument(
        "--parts", nargs="+", default=["classifiers", "augment"], choices=["classifiers", "augment"]
    )
    args = p.parse_args(argv)
    quiet_tensorflow()
    from keras_medgan.compare.arms import build_training_set
    from keras_medgan.compare.cell import seeds_of
    from keras_medgan.compare.classifier_training import (
        TrainConfig,
        predict_proba,
        train_classifier,
    )
    from keras_medgan.evaluate.stats import binary_metrics, log_loss
    from keras_medgan.study.config import StudyConfig
    from keras_medgan.study.runner import load_study_data

    study = StudyConfig(
        data=args.data,
        out="unused",
        recipes={},
        arms=["real"],
        folds=args.folds,
        data_dir=args.data_dir,
        group_duplicates=True,
    )
    data = load_study_data(study)
    out = pathlib.Path(args.out)
    state = json.loads(out.read_text()) if out.is_file() else {"runs": {}}
    runs = state["runs"]

    def save():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1) + "\n")
        tmp.replace(out)

    def plan_for(part):
        if part == "classifiers":
            return [
                (c, s, "none")
                for c in args.classifiers
                for s in (args.resnet50_steps if c == "resnet50" else args.steps)
            ]
        clf, steps = state["chosen"]["classifier"], state["chosen"]["steps"]
        return [(clf, steps, a) for a in AUGMENT_SETS]

    start, done_now = time.time(), 0
    for part in args.parts:
        n_seeds = args.seeds if part == "classifiers" else (args.augment_seeds or args.seeds)
        # fold-major: a run stopped early still compares every setting on the same folds
        todo = [
            (c, s, a, f, seed)
            for f in range(args.folds)
            for c, s, a in plan_for(part)
            for seed in seeds_of(f, n_seeds)
            if run_key(part, c, s, a, f, seed) not in runs
        ]
        print(f"{part}: {len(todo)} runs to do", flush=True)
        for i, (clf, steps, aug, fold, seed) in enumerate(todo):
            same = runs.get(run_key("classifiers", clf, steps, aug, fold, seed))
            if part == "augment" and same is not None:  # "none" is part 1's run: reuse it
                runs[run_key(part, clf, steps, aug, fold, seed)] = {**same, "part": part}
                continue
            parts = data.parts(study, 0, fold)
            tx, ty = data.images[parts.train], data.labels[parts.train]
            vx, vy = data.images[parts.val], data.labels[parts.val]
            ts = build_training_set(
                "classical" if aug != "none" else "real",
                tx,
                ty,
                num_classes=len(data.class_names),
                seed=fold,
            )
            config = TrainConfig(
                classifier=clf,
                steps=steps,
                eval_every=next(d for d in range(50, 0, -1) if steps % d == 0),
                augment_ops=AUGMENT_SETS[aug] or ("flip",),
            )
            t0 = time.time()
            model, info = train_classifier(
                ts.images,
                ts.labels,
                vx,
                vy,
                num_classes=2,
                config=config,
                augment=aug != "none",
                seed=seed,
            )
            probs = predict_proba(model, vx)
            runs[run_key(part, clf, steps, aug, fold, seed)] = {
                "part": part,
                "classifier": clf,
                "steps": steps,
                "augment": aug,
                "fold": fold,
                "seed": seed,
                "val_auc": binary_metrics(vy, probs.argmax(1), probs)["auc"],
                "val_log_loss": log_loss(vy, probs),
                "n_train": len(ty),
                "n_val": len(vy),
                "curve": info["curve"],
                "seconds": round(time.time() - t0, 1),
            }
            done_now += 1
            left = len(todo) - i - 1
            eta = (time.time() - start) / done_now * left
            r = runs[run_key(part, clf, steps, aug, fold, seed)]
            print(
                f"[{i + 1}/{len(todo)}] {clf} {steps} steps aug={aug} fold {fold} seed {seed}: "
                f"val AUC {r['val_auc']:.3f} ({r['seconds']:.0f}s; ETA {format_duration(eta)})",
                flush=True,
            )
            save()
        state[f"summary_{part}"] = summarize(runs, part)
        if part == "classifiers":
            clf, steps = choose_classifier(state["summary_classifiers"])
            state["chosen"] = {
                "classifier": clf,
                "steps": steps,
                "rule": "highest mean validation AUC; within 0.01, the "
                "smallest seed SD; steps: smallest budget within 0.01 "
                "of the classifier's best",
            }
        else:
            state["chosen"]["augment"] = choose_augment(state["summary_augment"])
        save()
        print(json.dumps(state.get("chosen"), indent=1), flush=True)
    for part in args.parts:
        for row in state.get(f"summary_{part}", {}).values():
            print(
                f"{part:12s} {row['classifier']:15s} {row['steps']:5d} {row['augment']:10s} "
                f"AUC {row['val_auc_mean']:.3f} (sd {row['val_auc_sd'] or 0:.3f}, seed sd "
                f"{row['seed_sd_mean'] or 0:.3f}) log-loss {row['val_log_loss_mean']:.3f} "
                f"{row['seconds_mean']:.0f}s/run"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
