"""Aggregate whatever cells of a study have finished into tables, a figure and a leakage check.

Statistics (docs/benchmark.md, "Cross-validated study"):

* every (repeat, fold) cell is scored on its own test images (``bench.endpoints``):
  primary, threshold-free — AUC, log-loss, Brier; secondary — accuracy, sensitivity,
  specificity at the threshold the validation predictions chose, and accuracy at 0.5;
* per arm: the mean over the r × f cells with the corrected repeated-CV interval (Nadeau &
  Bengio; Bouckaert & Frank), because folds share training images;
* per arm against the real arm: the paired fold differences of every endpoint with the
  corrected resampled t-test, the smallest difference this design detects at 80 % power
  (from the observed spread), and one sentence on whether the endpoints agree;
* a classifier that predicts one class for every test image of a fold is flagged.

Reads only ``<out>/config.json``, ``folds.json``, ``cells/*.json`` and the GANs' model
cards, so ``study report --out DIR`` works on any machine that has the folder.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import pathlib
import shutil

import numpy as np

from keras_medgan.compare.endpoints import PRIMARY, SECONDARY, score_predictions
from keras_medgan.compare.report import P1_TABLE1, answers_one_class, environment
from keras_medgan.core.jsonio import jsonable, write_text_atomic
from keras_medgan.evaluate.stats import (
    corrected_mean_ci,
    corrected_resampled_t,
    detectable_difference,
    mean_ci,
)
from keras_medgan.generators.cards import read_model_card
from keras_medgan.study.cells import (
    Cell,
    Variant,
    finished,
    order_sizes,
    plan_cells,
    size_label,
)
from keras_medgan.study.config import CONFIG_FILE, StudyError

__all__ = [
    "ENDPOINTS",
    "agreement",
    "archive_results",
    "fold_metrics",
    "learning_curve",
    "load_plan",
    "planned_rows",
    "summarize_arms",
    "write_report",
]

REFERENCE = "real"


def load_plan(out) -> tuple[dict, dict, list[Cell]]:
    """(config, folds, planned cells) of the study in ``out``; StudyError if there is none."""
    out = pathlib.Path(out)
    try:
        config = json.loads((out / CONFIG_FILE).read_text())
        folds = json.loads((out / "folds.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise StudyError(
            f"{out} holds no study (config.json / folds.json unreadable: {exc})"
        ) from None
    units = {}
    for name, resolved in (config.get("resolved_recipes") or {}).items():
        units[name] = list(folds["class_names"]) if resolved.get("per_class") else ["conditional"]
    cells = plan_cells(
        repeats=int(config["repeats"]),
        folds=int(config["folds"]),
        recipes=units,
        arms=config["arms"],
        ratios=config["synthetic_ratios"],
        keeps=config["keep_fractions"],
        gan_train=bool(config.get("gan_train")) and bool(units),
        sizes=config.get("real_per_class") or [None],
    )
    return config, folds, cells


# --------------------------------------------------------------------------- arms

#: Endpoints reported per arm: the threshold-free ones first (PRIMARY), then those at the
#: validation threshold (SECONDARY); True where higher is better.
ENDPOINTS = {**PRIMARY, **SECONDARY}
#: The endpoints whose differences the "do the metrics agree?" sentence compares.
AGREEMENT = ("auc", "log_loss", "brier", "accuracy")
POWER = 0.8


def _row_key(rec: dict) -> str:
    return rec["arm"] + (f" [{rec['variant']}]" if rec.get("variant") else "")


def fold_metrics(rec: dict) -> dict:
    """A cell's endpoints. Protocol-2 cells carry them (mean over classifier seeds, each at
    its validation threshold); older cells kept only test probabilities, so their
    endpoints are computed here with the threshold at 0.5."""
    if rec.get("seeds"):
        return rec["metrics"]
    return score_predictions(rec["labels"], np.asarray(rec["probs"], np.float64))


def fold_steps(rec: dict) -> list[int]:
    """Optimizer steps the cell's final weights trained for (one entry per distinct value
    over its seeds); for old cells, the restored epoch × batches per epoch."""
    t = rec.get("training") or {}
    if "steps" in t:
        return list(t["steps"]) if isinstance(t["steps"], list) else [int(t["steps"])]
    if "best_epoch" in t:
        return [int(t["best_epoch"]) * math.ceil(rec["n_train"] / 32)]
    return []


def _value(v) -> float:
    return float("nan") if v is None else float(v)


def _direction(diff: dict, higher_better: bool) -> str:
    """'better' / 'worse' when the interval excludes 0, else 'no detectable difference'."""
    lo, hi = diff.get("ci_low"), diff.get("ci_high")
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi) or lo <= 0.0 <= hi:
        return "no detectable difference"
    return "better" if (diff["mean_diff"] > 0) == higher_better else "worse"


def agreement(vs_real: dict) -> str:
    """One sentence: what AUC, log-loss, Brier and accuracy each say against real, and
    whether they agree."""
    said = {m: _direction(vs_real[m], ENDPOINTS[m]) for m in AGREEMENT if m in vs_real}
    if not said:
        return "no paired folds with the real arm"
    names = {"auc": "AUC", "log_loss": "log-loss", "brier": "Brier", "accuracy": "accuracy"}
    verdicts = set(said.values())
    parts = "; ".join(f"{names[m]}: {v}" for m, v in said.items())
    if len(verdicts) == 1:
        return f"the metrics agree ({parts})"
    return f"the metrics disagree ({parts})"


def summarize_arms(
    records: list[dict], planned: dict[str, int], num_classes: int, confidence: float
) -> dict:
    """Per row (arm [variant]): per-fold endpoints, their mean with the corrected
    repeated-CV interval, paired differences against real (corrected resampled t), the
    smallest difference the design detects at 80 % power, the steps trained, flags."""
    rows: dict[str, list[dict]] = {}
    for rec in records:
        rows.setdefault(_row_key(rec), []).append(rec)
    real = {(r["repeat"], r["fold"]): r for r in rows.get(REFERENCE, [])}
    summary = {}
    for key in [k for k in planned if k in rows]:
        recs = sorted(rows[key], key=lambda r: (r["repeat"], r["fold"]))
        per_fold = [fold_metrics(r) for r in recs]
        n_train = float(np.mean([r["n_train"] for r in recs]))
        n_test = float(np.mean([len(r["labels"]) for r in recs]))
        one_class = [
            f"r{r['repeat']}-f{r['fold']}"
            for r, m in zip(recs, per_fold)
            if m.get("confusion") is not None and answers_one_class(m["confusion"])
        ]
        entry = {
            "arm": recs[0]["arm"],
            "variant": recs[0].get("variant"),
            "recipe": recs[0].get("recipe"),
            "ratio": recs[0].get("ratio"),
            "keep": recs[0].get("keep"),
            "cells": len(recs),
            "cells_planned": planned[key],
            "protocol_version": recs[0].get("protocol_version", 1),
            "seeds": int(np.mean([m.get("seeds", 1) for m in per_fold])),
            "folds": [
                {
                    "repeat": r["repeat"],
                    "fold": r["fold"],
                    **{m: pm.get(m) for m in (*ENDPOINTS, "threshold")},
                }
                for r, pm in zip(recs, per_fold)
            ],
            "metrics": {
                m: corrected_mean_ci(
                    [_value(pm.get(m)) for pm in per_fold], n_train, n_test, confidence
                )
                for m in (*ENDPOINTS, "threshold")
            },
            "steps": sorted({s for r in recs for s in fold_steps(r)}),
            "one_class_folds": one_class,
            "threshold_rule": per_fold[0].get("threshold_rule"),
            "n_train_mean": n_train,
        }
        if key != REFERENCE and real:
            entry["vs_real"] = _paired(recs, per_fold, real, confidence)
        summary[key] = entry
    return summary


def _paired(recs: list[dict], per_fold: list[dict], real: dict, confidence: float) -> dict:
    """Corrected resampled t on the fold-by-fold differences to the real arm (same repeat,
    fold and classifier seeds), for every endpoint, with the detectable difference."""
    pairs = [
        (pm, fold_metrics(real[(r["repeat"], r["fold"])]), real[(r["repeat"], r["fold"])])
        for r, pm in zip(recs, per_fold)
        if (r["repeat"], r["fold"]) in real
    ]
    out: dict = {"folds_paired": len(pairs)}
    if not pairs:
        return out
    n_train = float(np.mean([b["n_train"] for _, _, b in pairs]))
    n_test = float(np.mean([len(b["labels"]) for _, _, b in pairs]))
    for m, higher_better in ENDPOINTS.items():
        diffs = [_value(a.get(m)) - _value(b.get(m)) for a, b, _ in pairs]
        test = corrected_resampled_t(diffs, n_train, n_test, confidence)
        finite = [d for d in diffs if not math.isnan(d)]
        test["folds_better"] = sum((d > 0) == higher_better and d != 0 for d in finite)
        test["detectable"] = detectable_difference(
            float(np.std(finite, ddof=1)) if len(finite) > 1 else float("nan"),
            len(finite),
            n_train,
            n_test,
            1.0 - confidence,
            POWER,
        )
        out[m] = test
    out["in_words"] = in_words(out["auc"], "AUC", scale=1.0, unit="")
    out["agreement"] = agreement(out)
    return out


def in_words(
    diff: dict, what: str = "accuracy", scale: float = 100.0, unit: str = " points"
) -> str:
    """One sentence on a difference's interval (accuracy in percentage points; AUC as is)."""
    lo, hi, mean = diff.get("ci_low"), diff.get("ci_high"), diff.get("mean_diff")
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return f"too few folds to put an interval on the {what} difference"
    fmt = "{:+.1f}" if scale == 100.0 else "{:+.3f}"
    span = f"[{fmt.format(scale * lo)}, {fmt.format(scale * hi)}]{unit}"
    if lo <= 0.0 <= hi:
        return (
            f"the interval {span} includes 0: no detectable {what} difference from "
            f"real-only at this sample size"
        )
    side = "better" if mean > 0 else "worse"
    size = f"{scale * abs(mean):.1f}" if scale == 100.0 else f"{abs(mean):.3f}"
    return f"{side} than real-only by {size} {what}{unit}, interval {span}"


# --------------------------------------------------------------------------- learning curve

#: What the learning curve follows per arm and size: the primary endpoints.
CURVE_METRICS = ("auc", "log_loss")


def learning_curve(by_size: dict[str, dict], full_records: list[dict], num_classes: int) -> dict:
    """Per arm row and size: the endpoints' fold means with their corrected intervals and
    the paired difference to the real arm at the same size. ``x``: real images per class
    at each size (for "all", the mean over the finished cells' training parts)."""
    x = {}
    # the real images an arm of the whole training part trained on (the synthetic-only
    # arm trains on none, so it cannot say how many there were)
    real_counts = [r["n_real"] / num_classes for r in full_records if r.get("n_real")]
    for label in by_size:
        if label != "all":
            x[label] = float(label)
        elif real_counts:
            x[label] = float(np.mean(real_counts))
    rows: dict[str, dict] = {}
    for label, arms in by_size.items():
        for key, e in arms.items():
            point = {
                m: {k: e["metrics"][m].get(k) for k in ("mean", "ci_low", "ci_high")}
                for m in CURVE_METRICS
            }
            point["cells"] = e["cells"]
            vs = e.get("vs_real") or {}
            point["vs_real"] = {
                m: {
                    k: vs[m].get(k)
                    for k in ("mean_diff", "ci_low", "ci_high", "pvalue", "folds_better", "n")
                }
                for m in CURVE_METRICS
                if m in vs
            }
            rows.setdefault(key, {})[label] = point
    return {
        "sizes": list(by_size),
        "real_per_class": x,
        "rows": rows,
        "in_words": curve_words(rows, x),
    }


def curve_words(rows: dict, x: dict) -> list[str]:
    """Per arm: at which sizes its Δ AUC interval lies above 0, below 0, or covers 0 —
    and, where log-loss says otherwise, what log-loss says (a verdict names the metric it
    rests on and whether the others agree)."""
    words = []
    for key, points in rows.items():
        if key == REFERENCE:
            continue
        said = []
        for label, point in points.items():
            d = point["vs_real"].get("auc")
            if not d or d.get("mean_diff") is None or math.isnan(_value(d["mean_diff"])):
                continue
            verdict = _direction(d, True)
            where = f"{x[label]:.0f}" if label in x else label
            text = f"{where}/class: {d['mean_diff']:+.3f} ({verdict}"
            ll = point["vs_real"].get("log_loss")
            if (
                ll
                and ll.get("mean_diff") is not None
                and _direction(ll, ENDPOINTS["log_loss"]) != verdict
            ):
                text += (
                    f"; log-loss disagrees: {ll['mean_diff']:+.3f} "
                    f"[{ll['ci_low']:+.3f}, {ll['ci_high']:+.3f}], "
                    f"{_direction(ll, ENDPOINTS['log_loss'])}"
                )
            said.append(text + ")")
        if said:
            words.append(f"**{key}** (Δ AUC vs real, by real images per class): " + "; ".join(said))
    return words


def curve_markdown(curve: dict, confidence: float) -> list[str]:
    labels = curve["sizes"]
    head = [
        f"{curve['real_per_class'][lab]:.0f}" if lab in curve["real_per_class"] else lab
        for lab in labels
    ]
    level = round(100 * confidence)
    lines = [
        "## Learning curve: AUC by real training images per class",
        "",
        (
            f"Each fold's training part cut to N real images per class (stratified, seeded, "
            f"nested: the smaller sets are inside the larger); the GANs of each point "
            f"trained on exactly those images; validation and test parts unchanged. Fold "
            f"means with {level} % corrected intervals; ![learning curve](learning_curve.png)"
        ),
        "",
        "| arm | " + " | ".join(f"AUC at {h}/class" for h in head) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for key, points in curve["rows"].items():
        lines.append(
            f"| {key} | "
            + " | ".join(
                _level(
                    {
                        "mean": points[lab]["auc"]["mean"],
                        "ci_low": points[lab]["auc"]["ci_low"],
                        "ci_high": points[lab]["auc"]["ci_high"],
                    }
                )
                if lab in points
                else "–"
                for lab in labels
            )
            + " |"
        )
    lines += [
        "",
        "| arm | " + " | ".join(f"Δ AUC vs real at {h}/class" for h in head) + " |",
        "|---|" + "---|" * len(labels),
    ]
    for key, points in curve["rows"].items():
        if key == REFERENCE:
            continue
        cells = []
        for lab in labels:
            d = (points.get(lab) or {}).get("vs_real", {}).get("auc")
            cells.append(_delta(d) if d else "–")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    if curve["in_words"]:
        lines += [""] + [f"- {w}" for w in curve["in_words"]]
    return lines + [""]


def curve_plot(results: dict, path: pathlib.Path) -> None:
    """AUC (left) and Δ AUC vs real (right) against real images per class, one line per
    arm, error bars = the corrected intervals; x on a log2 scale."""
    import matplotlib  # lazy: loads matplotlib; module stays light

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: loads matplotlib; module stays light

    curve = results["learning_curve"]
    x = curve["real_per_class"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, (key, points) in enumerate(curve["rows"].items()):
        labs = [lab for lab in curve["sizes"] if lab in points and lab in x]
        if not labs:
            continue
        shift = 1.0 + 0.015 * (i - len(curve["rows"]) / 2)  # keep error bars apart
        xs = np.array([x[lab] for lab in labs]) * shift
        # one colour per arm in both panels; bounds clipped to what AUC (or Δ AUC) can be
        for ax, get, mean_key, (low, high) in (
            (left, lambda p: p["auc"], "mean", (0.0, 1.0)),
            (right, lambda p: p["vs_real"].get("auc"), "mean_diff", (-1.0, 1.0)),
        ):
            vals = [get(points[lab]) for lab in labs]
            keep = [j for j, v in enumerate(vals) if v]
            if not keep or (ax is right and key == REFERENCE):
                continue
            m = np.array([_value(vals[j][mean_key]) for j in keep])
            lo = np.clip(np.array([_value(vals[j]["ci_low"]) for j in keep]), low, high)
            hi = np.clip(np.array([_value(vals[j]["ci_high"]) for j in keep]), low, high)
            err = np.clip(np.nan_to_num(np.array([m - lo, hi - m])), 0.0, None)
            ax.errorbar(xs[keep], m, yerr=err, marker="o", capsize=3, label=key, color=f"C{i}")
    left.set_ylim(0.0, 1.02)
    right.axhline(0.0, color="k", lw=0.8, ls="--")
    for ax, title in ((left, "AUC (higher is better)"), (right, "Δ AUC vs real-only")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("real training images per class")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    if left.get_legend_handles_labels()[0]:  # nothing to name before any arm cell finished
        left.legend(fontsize=8)
    c = results["config"]
    level = round(100 * float(c.get("confidence", 0.95)))
    fig.suptitle(
        f"{c['data']}: learning curve, {c['repeats']}×{c['folds']}-fold CV, "
        f"{level} % corrected intervals"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- GAN-train, leakage


def summarize_gan_train(records: list[dict], confidence: float) -> dict:
    """Per recipe: fold means of P3's SVM scores with t-intervals clipped to [0, 1]."""
    out = {}
    for rec in records:
        out.setdefault(rec["recipe"], []).append(rec)
    table = {}
    for recipe, recs in out.items():
        table[recipe] = {"folds": len(recs), "features": recs[0].get("features")}
        for which in ("real", "gan_train", "gan_test"):
            table[recipe][which] = {}
            for m in ("sensitivity", "specificity", "hm", "accuracy"):
                ci = mean_ci([r["scores"][which].get(m) for r in recs], confidence)
                table[recipe][which][m] = {
                    "mean": ci["mean"],
                    "ci": [max(0.0, ci["ci_low"]), min(1.0, ci["ci_high"])]
                    if ci["n"] > 1
                    else [None, None],
                }
    return table


def leakage(out: pathlib.Path, records: list[dict], folds: dict) -> dict:
    """From every finished GAN's model card: how many of its fold's test (and validation)
    images it trained on, and how many of its images came from outside the training part.
    Computed, not assumed: a card without training ids counts as unknown."""

    cells, unknown = [], []
    test_seen = val_seen = outside = 0
    for rec in records:
        card = read_model_card(out / rec["export"]) or {}
        ids = card.get("train_ids")
        if not ids:
            unknown.append(rec["cell"])
            continue
        part = folds["repeats"][rec["repeat"]][rec["fold"]]
        seen_test = sorted(set(ids) & set(part["test"]))
        seen_val = sorted(set(ids) & set(part["val"]))
        # a learning-curve GAN must train on its size's subset, not the whole training part
        allowed = (
            part.get("train_by_size", {}).get(str(rec["size"])) if rec.get("size") else None
        ) or part["train"]
        n_out = len(set(ids) - set(allowed))
        test_seen += len(seen_test)
        val_seen += len(seen_val)
        outside += n_out
        cells.append(
            {
                "cell": rec["cell"],
                "train_ids": len(ids),
                "test_images_seen": seen_test,
                "val_images_seen": seen_val,
                "ids_outside_training_part": n_out,
            }
        )
    return {
        "gan_cells_checked": len(cells),
        "test_images_seen": test_seen,
        "duplicates_split": duplicates_split(out, folds),
        "val_images_seen": val_seen,
        "ids_outside_training_part": outside,
        "cards_without_train_ids": unknown,
        "cells": [
            c
            for c in cells
            if c["test_images_seen"] or c["val_images_seen"] or c["ids_outside_training_part"]
        ],
    }


def duplicates_split(out: pathlib.Path, folds: dict) -> list[dict]:
    """Copies the data checks found (``data_report.json``) that a fold puts on both sides:
    one in its test part, another in its training part -- a test image whose twin the GANs
    and classifiers of that fold trained on."""
    try:
        findings = json.loads((out / "data_report.json").read_text()).get("findings", [])
    except (OSError, json.JSONDecodeError):
        return []
    ids = set(folds["ids"])
    split = []
    for finding in findings:
        if finding.get("check") != "duplicate":
            continue
        members = sorted(
            i for f in finding.get("files", []) for i in ids if f == i or f.endswith("/" + i)
        )
        for r, repeat in enumerate(folds["repeats"]):
            for f, part in enumerate(repeat):
                test, train = set(part["test"]), set(part["train"])
                if any(m in test for m in members) and any(m in train for m in members):
                    split.append({"repeat": r, "fold": f, "images": members})
    return split


# --------------------------------------------------------------------------- cost


def study_cost(records: list[dict]) -> dict:
    """Where the study's time went, from the cells' own clocks: per GAN recipe the seconds
    per epoch and per 1 000 training images seen; per classifier cell the milliseconds per
    optimizer step (training only) and the seconds outside training (building, synthetic
    pools, predicting). Machines and sharing differ: compare ratios within one study."""
    gans: dict[str, dict] = {}
    for r in records:
        if r["kind"] != "gan" or not r.get("seconds") or not r.get("epochs"):
            continue
        g = gans.setdefault(
            r["recipe"], {"cells": 0, "seconds": 0.0, "epochs": 0, "images_seen": 0}
        )
        g["cells"] += 1
        g["seconds"] += r["seconds"]
        g["epochs"] += int(r["epochs"])
        g["images_seen"] += int(r["epochs"]) * int(r.get("n_train") or 0)
    for g in gans.values():
        g["seconds_per_epoch"] = g["seconds"] / g["epochs"]
        g["seconds_per_1000_images"] = (
            1000 * g["seconds"] / g["images_seen"] if g["images_seen"] else None
        )
    arm = {"cells": 0, "seconds": 0.0, "train_seconds": 0.0, "steps": 0}
    for r in records:
        t = r.get("training") or {}
        if r["kind"] != "arm" or not r.get("seconds") or "train_seconds" not in t:
            continue
        arm["cells"] += 1
        arm["seconds"] += r["seconds"]
        arm["train_seconds"] += t["train_seconds"]
        arm["steps"] += sum(
            int(seed["training"]["steps"]) for seed in r.get("seeds", []) if "training" in seed
        )
    arm["ms_per_step"] = 1000 * arm["train_seconds"] / arm["steps"] if arm["steps"] else None
    arm["seconds_outside_training_per_cell"] = (
        (arm["seconds"] - arm["train_seconds"]) / arm["cells"] if arm["cells"] else None
    )
    return {"gan": gans, "classifier": arm}


def cost_markdown(cost: dict) -> list[str]:
    lines = [
        "## Cost (from the cells' clocks; other work may have shared the machine)",
        "",
        "| cells | count | seconds | per unit |",
        "|---|---|---|---|",
    ]
    for recipe, g in cost["gan"].items():
        per = f"{g['seconds_per_epoch']:.2f} s per GAN epoch"
        if g["seconds_per_1000_images"]:
            per += f", {g['seconds_per_1000_images']:.1f} s per 1 000 images seen"
        lines.append(f"| GAN {recipe} | {g['cells']} | {g['seconds']:.0f} | {per} |")
    a = cost["classifier"]
    if a["cells"]:
        lines.append(
            f"| classifier | {a['cells']} | {a['seconds']:.0f} | "
            f"{a['ms_per_step']:.1f} ms per step; "
            f"{a['seconds_outside_training_per_cell']:.1f} s per cell outside "
            f"training |"
        )
    return lines + [""]


# --------------------------------------------------------------------------- files


def write_predictions(path: pathlib.Path, records: list[dict], class_names: list[str]) -> None:
    positive = 1 if len(class_names) == 2 else None
    lines = []
    for rec in sorted(records, key=lambda r: (r["repeat"], r["fold"], _row_key(r))):
        probs = np.asarray(rec["probs"])
        for i, (img, y) in enumerate(zip(rec["ids"], rec["labels"])):
            pred = int(probs[i].argmax())
            prob = probs[i, positive] if positive is not None else probs[i, pred]
            lines.append(
                [
                    rec["repeat"],
                    rec["fold"],
                    img,
                    class_names[y],
                    rec["arm"],
                    rec.get("recipe") or "",
                    rec.get("variant") or "",
                    class_names[pred],
                    f"{prob:.6f}",
                ]
            )
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "repeat",
            "fold",
            "image_id",
            "true_label",
            "arm",
            "recipe",
            "variant",
            "predicted",
            "probability" if positive is None else f"probability_{class_names[positive]}",
        ]
    )
    writer.writerows(lines)
    write_text_atomic(path, buf.getvalue())


def _pct(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}"


def _with_ci(v, ci) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    lo, hi = ci
    return f"{_pct(v)} [{_pct(lo)}, {_pct(hi)}]" if lo is not None else _pct(v)


def markdown(results: dict) -> str:
    c = results["config"]
    lines = [
        f"# Cross-validated augmentation study: {c['data']}",
        "",
        f"`{c['command']}`",
        "",
        (
            f"{c['repeats']} repeat(s) × {c['folds']} folds (stratified, patient-level, seed "
            f"{c['seed']}); classifier {c['train']['classifier']}; GANs trained inside every "
            f"fold on its training part only. Cells finished: {results['cells_done']} of "
            f"{results['cells_planned']}."
        ),
        "",
    ]
    if results["missing"]:
        lines += [
            f"**Incomplete**: {len(results['missing'])} cell(s) not finished, e.g. "
            + ", ".join(results["missing"][:5])
            + ". Rows below use what exists.",
            "",
        ]
    if results.get("learning_curve"):
        lines += [
            (f"Tables below: the {results['size']} size of the learning curve (its last section)."),
            "",
        ]
    lines += arm_tables(results["arms"], float(c.get("confidence", 0.95)))
    goal = goal_line(results["arms"])
    if goal:
        lines += ["", goal]
    if results["gan_train"]:
        lines += [
            "",
            "## GAN-train / GAN-test (P3's SVM, fold means, %)",
            "",
            "| recipe | SVM trained on → tested on | sensitivity | specificity | HM | folds |",
            "|---|---|---|---|---|---|",
        ]
        what = {
            "real": "real → real",
            "gan_train": "synthetic → real (GAN-train)",
            "gan_test": "real → synthetic (GAN-test)",
        }
        for recipe, t in results["gan_train"].items():
            for which, label in what.items():
                lines.append(
                    f"| {recipe} | {label} | "
                    + " | ".join(
                        _with_ci(t[which][m]["mean"], t[which][m]["ci"])
                        for m in ("sensitivity", "specificity", "hm")
                    )
                    + f" | {t['folds']} |"
                )
    if results.get("learning_curve"):
        lines += [""] + curve_markdown(results["learning_curve"], float(c.get("confidence", 0.95)))
    if results.get("cost") and (results["cost"]["gan"] or results["cost"]["classifier"]["cells"]):
        lines += [""] + cost_markdown(results["cost"])
    leak = results["leakage"]
    lines += [
        "",
        "## Leakage (from the generators' model cards)",
        "",
        (
            f"{leak['gan_cells_checked']} GAN(s) checked: {leak['test_images_seen']} test "
            f"image(s) and {leak['val_images_seen']} validation image(s) of their fold seen in "
            f"training; {leak['ids_outside_training_part']} training id(s) outside the fold's "
            f"training part; {len(leak['cards_without_train_ids'])} card(s) without ids."
        ),
    ]
    lines += [
        f"- repeat {item['repeat']} fold {item['fold']}: the copies "
        f"{', '.join(item['images'])} (data checks) fall on both sides of the test/train "
        "line: a test image whose twin this fold's GANs and classifiers trained on."
        for item in leak.get("duplicates_split", [])
    ]
    lines.append("")
    lines += [
        (
            "P1's Table 1 (one 22-image test split): real 76.51 / 72.37 / 83.04, synthetic "
            "60.61 / 93.15 / 68.48, real + synthetic 78.65 / 73.14 / 86.60 "
            "(accuracy / sensitivity / specificity, %)."
        ),
        "",
    ]
    return "\n".join(lines)


def _num(v, digits: int = 3) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


#: Where an endpoint can lie: a t-interval's bounds are clipped to it (AUC and the
#: proportions to [0, 1], Brier to [0, 1], log-loss to [0, ∞)).
VALID_RANGE = {"log_loss": (0.0, math.inf)}


def _level(ci: dict, pct: bool = False, metric: str = "") -> str:
    """``0.914 [0.87, 0.95]`` (or in % for proportions), bounds clipped to the endpoint's
    range; the bare mean with one fold."""
    scale, digits = (100.0, 1) if pct else (1.0, 3)
    mean = ci.get("mean")
    if mean is None or math.isnan(mean):
        return "–"
    text = f"{scale * mean:.{digits}f}"
    lo, hi = ci.get("ci_low"), ci.get("ci_high")
    if lo is None or math.isnan(lo):
        return text
    low, high = VALID_RANGE.get(metric, (0.0, 1.0))
    lo, hi = max(low, lo), min(high, hi)
    return f"{text} [{scale * lo:.{digits}f}, {scale * hi:.{digits}f}]"


def _delta(test: dict | None, pct: bool = False) -> str:
    if not test or math.isnan(_value(test.get("mean_diff"))):
        return "–"
    scale, fmt = (100.0, "{:+.1f}") if pct else (1.0, "{:+.3f}")
    text = fmt.format(scale * test["mean_diff"])
    if not math.isnan(_value(test.get("ci_low"))):
        text += f" [{fmt.format(scale * test['ci_low'])}, {fmt.format(scale * test['ci_high'])}]"
    p = test.get("pvalue")
    if p is not None and not math.isnan(p):
        text += f", p {p:.2g}"
    return text + f", {test.get('folds_better', 0)}/{test.get('n', 0)} folds better"


def arm_tables(arms: dict, confidence: float) -> list[str]:
    """The primary (threshold-free) and secondary (validation threshold) tables, the
    agreement sentences and the power line."""
    level = round(100 * confidence)
    lines = [
        (
            f"## Primary endpoints: threshold-free (mean over folds, {level} % corrected "
            "repeated-CV interval; Δ vs real: corrected resampled t)"
        ),
        "",
        (
            "| arm | AUC | Δ AUC vs real | log-loss | Δ log-loss | Brier | Δ Brier | steps "
            "| seeds | cells |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, e in arms.items():
        m, vs = e["metrics"], e.get("vs_real") or {}
        flag = (
            f" ⚠ one class in {len(e['one_class_folds'])}/{e['cells']} folds"
            if e["one_class_folds"]
            else ""
        )
        steps = (
            "/".join(str(s) for s in e["steps"])
            if len(e["steps"]) <= 3
            else f"{e['steps'][0]}–{e['steps'][-1]}"
        )
        lines.append(
            f"| {key}{flag} | {_level(m['auc'])} | {_delta(vs.get('auc'))} | "
            f"{_level(m['log_loss'], metric='log_loss')} | "
            f"{_delta(vs.get('log_loss'))} | "
            f"{_level(m['brier'])} | {_delta(vs.get('brier'))} | {steps} | "
            f"{e['seeds']} | {e['cells']}/{e['cells_planned']} |"
        )
    rule = next(iter(arms.values()), {}).get("threshold_rule") if arms else None
    lines += [
        "",
        (
            f"## Secondary: at the threshold chosen on the validation predictions "
            f"(rule: {rule}), and accuracy at 0.5"
        ),
        "",
        (
            "| arm | threshold | accuracy | sensitivity | specificity | Δ accuracy vs real "
            "| accuracy at 0.5 | Δ accuracy at 0.5 | P1 acc / sen / spe |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, e in arms.items():
        m, vs = e["metrics"], e.get("vs_real") or {}
        like_p1 = e.get("ratio") in (None, 1.0) and e.get("keep") in (None, 1.0)
        ref = P1_TABLE1.get(e["arm"]) if like_p1 else None
        ref_s = (
            f"{ref['accuracy']:.1f} / {ref['sensitivity']:.1f} / {ref['specificity']:.1f}"
            if ref
            else ""
        )
        lines.append(
            f"| {key} | {_num(m['threshold']['mean'], 2)} | "
            f"{_level(m['accuracy'], True)} | {_level(m['sensitivity'], True)} | "
            f"{_level(m['specificity'], True)} | {_delta(vs.get('accuracy'), True)} | "
            f"{_level(m['accuracy_at_0.5'], True)} | "
            f"{_delta(vs.get('accuracy_at_0.5'), True)} | {ref_s} |"
        )
    words = [
        f"- **{k}**: by AUC, {e['vs_real']['in_words']}; {e['vs_real']['agreement']}."
        for k, e in arms.items()
        if e.get("vs_real", {}).get("in_words")
    ]
    if words:
        lines += [
            "",
            (
                "Against the real arm, per arm (an endpoint counts as better or worse "
                "only when its interval excludes 0):"
            ),
            "",
        ] + words
    power = [(k, e["vs_real"]) for k, e in arms.items() if e.get("vs_real", {}).get("auc")]
    if power:
        parts = [
            f"{k}: Δ AUC {_num(v['auc']['detectable'])}, Δ accuracy "
            f"{_num(100 * _value(v['accuracy']['detectable']), 1)} points"
            for k, v in power
        ]
        j = power[0][1]["auc"]["n"]
        lines += [
            "",
            (
                f"**Power.** Smallest true difference this design ({j} paired folds) "
                f"detects with 80 % probability at α = {1 - confidence:.2g}, from the "
                f"observed spread of each arm's fold differences: " + "; ".join(parts) + "."
            ),
        ]
    return lines


GOAL_POINTS = 3.0  # the project's question: does synthesis add >= 3 accuracy points?


def goal_line(arms: dict) -> str:
    """Which arm came closest to "+3 accuracy points over real (at the validation
    threshold), interval above 0", and what AUC said for it."""
    compared = [
        (k, e["vs_real"])
        for k, e in arms.items()
        if e.get("vs_real", {}).get("accuracy") and e["arm"] != REFERENCE
    ]
    compared = [(k, v) for k, v in compared if not math.isnan(v["accuracy"]["mean_diff"])]
    if not compared:
        return ""
    key, best = max(compared, key=lambda kv: kv[1]["accuracy"]["mean_diff"])
    acc = best["accuracy"]
    met = (
        100 * acc["mean_diff"] >= GOAL_POINTS
        and acc["ci_low"] is not None
        and not math.isnan(acc["ci_low"])
        and acc["ci_low"] > 0
    )
    parts = [
        f"{m} {100 * best[m]['mean_diff']:+.1f}"
        for m in ("sensitivity", "specificity")
        if best.get(m) and not math.isnan(best[m]["mean_diff"])
    ]
    return (
        f"**Goal (≥ +{GOAL_POINTS:g} accuracy points over real, interval above 0): "
        f"{'met' if met else 'not met'}.** Closest: {key}, {100 * acc['mean_diff']:+.1f} "
        f"points [{_signed(acc['ci_low'])}, {_signed(acc['ci_high'])}]"
        + (f" ({', '.join(parts)} points)" if parts else "")
        + "."
    )


def _signed(v) -> str:
    return "–" if v is None or math.isnan(v) else f"{100 * v:+.1f}"


def bar_plot(results: dict, path: pathlib.Path) -> None:
    """Per arm: AUC, log-loss and accuracy at the validation threshold, fold means with
    their corrected intervals; the real arm's value as a dashed line."""
    import matplotlib  # lazy: loads matplotlib; module stays light

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: loads matplotlib; module stays light

    rows = list(results["arms"].items())
    if not rows:
        return
    shown = (
        ("auc", "AUC (higher is better)"),
        ("log_loss", "log-loss (lower is better)"),
        ("accuracy", "accuracy at the validation threshold"),
    )
    fig, axes = plt.subplots(1, 3, figsize=(13, 0.45 * len(rows) + 1.8), sharey=True)
    y = np.arange(len(rows))
    for ax, (metric, title) in zip(axes, shown):
        cis = [e["metrics"][metric] for _, e in rows]
        vals = np.array([_value(c["mean"]) for c in cis])
        lo = np.array([_value(c["ci_low"]) for c in cis])
        hi = np.array([_value(c["ci_high"]) for c in cis])
        err = np.clip(np.nan_to_num(np.array([vals - lo, hi - vals])), 0.0, None)
        ax.barh(y, np.nan_to_num(vals), xerr=err, color="#4c72b0", alpha=0.8, capsize=3)
        if rows[0][0] == REFERENCE:
            ax.axvline(vals[0], color="k", lw=0.8, ls="--")
        if metric != "log_loss":
            ax.set_xlim(0, 1)
        ax.set_title(title, fontsize=9)
    axes[0].set_yticks(y, [k for k, _ in rows])
    axes[0].invert_yaxis()
    level = round(100 * float(results["config"].get("confidence", 0.95)))
    fig.suptitle(
        f"{results['config']['data']}: {results['config']['repeats']}×"
        f"{results['config']['folds']}-fold CV, {level} % corrected intervals"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(out) -> dict:
    """Aggregate ``out``'s finished cells → results.json / .md / .png, predictions.csv."""
    out = pathlib.Path(out)
    config, folds, cells = load_plan(out)
    done = finished(out, cells)
    records = [done[c.id] for c in cells if c.id in done]
    arms = [r for r in records if r["kind"] == "arm"]
    class_names = folds["class_names"]
    confidence = float(config.get("confidence", 0.95))
    sizes = order_sizes({c.size for c in cells})
    main = None if None in sizes else sizes[-1]  # the headline tables: the largest size
    by_size = {
        size_label(n): summarize_arms(
            [r for r in arms if r.get("size") == n],
            planned_rows(cells, n),
            len(class_names),
            confidence,
        )
        for n in sizes
    }
    results = {
        "config": {k: v for k, v in config.items() if k != "resolved_recipes"},
        "recipes": config.get("resolved_recipes", {}),
        "class_names": class_names,
        "cells_planned": len(cells),
        "cells_done": len(records),
        "missing": [c.id for c in cells if c.id not in done],
        "size": size_label(main),
        "arms": by_size[size_label(main)],
        "learning_curve": (
            learning_curve(by_size, [r for r in arms if r.get("size") is None], len(class_names))
            if len(sizes) > 1
            else None
        ),
        "gan_train": summarize_gan_train(
            [r for r in records if r["kind"] == "gan_train" and r.get("size") == main], confidence
        ),
        "leakage": leakage(out, [r for r in records if r["kind"] == "gan"], folds),
        "seconds": {
            k: round(sum(r.get("seconds", 0.0) for r in records if r["kind"] == k), 1)
            for k in ("gan", "arm", "gan_train")
        },
        "cost": study_cost(records),
        "environment": environment(),
    }
    write_predictions(out / "predictions.csv", arms, class_names)
    write_text_atomic(out / "results.json", json.dumps(jsonable(results), indent=2) + "\n")
    write_text_atomic(out / "results.md", markdown(results))
    bar_plot(results, out / "results.png")
    if results["learning_curve"]:
        curve_plot(results, out / "learning_curve.png")
    return results


def planned_rows(cells: list[Cell], size) -> dict[str, int]:
    """Row key (arm [variant]) → arm cells planned at one learning-curve size."""
    planned: dict[str, int] = {}
    for c in cells:
        if c.kind == "arm" and c.size == size:
            key = c.arm + (f" [{c.variant.name}]" if isinstance(c.variant, Variant) else "")
            planned[key] = planned.get(key, 0) + 1
    return planned


#: What ``archive_results`` copies: everything the report reads, nothing large.
#: data_report.json too: the leakage section's copies-across-folds check reads it
ARCHIVED = (
    "config.json",
    "folds.json",
    "data_report.json",
    "cells/*.json",
    "*.log",
    "gans/*/*/*/export/generator_*.json",
    "gans/*/*/*/loss_*.png",
)


def archive_results(out, dest) -> pathlib.Path:
    """Copy the study's small files (settings, folds, data checks, finished cells, the GANs'
    model cards and loss plots; this machine's paths replaced, see ``machine_paths``) to
    ``dest`` and report there: a folder to commit or send that
    ``study report`` and the leakage check work on, without the generator files. A rerun
    of the study into ``out`` on another machine can start from such a copy: finished
    cells are kept and only the GANs of unfinished folds are trained again."""

    out, dest = pathlib.Path(out), pathlib.Path(dest)
    config, _, _ = load_plan(out)  # a StudyError when there is no study
    places = machine_paths(out, config)
    for pattern in ARCHIVED:
        for src in out.glob(pattern):
            target = dest / src.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
            if target.suffix in (".json", ".md", ".log"):
                target.write_text(redact(target.read_text(), places))
    write_report(dest)
    return dest


#: ``--data KIND:PATH`` forms whose PATH is a place on this machine
DATA_PATH_KINDS = ("folder", "csv", "nifti")


def machine_paths(out: pathlib.Path, config: dict) -> dict[str, str]:
    """Absolute paths of this machine an archive should not carry → placeholders: the
    study folder → ``<study>``, the data folder (``--data-dir``, ``KERAS_MEDGAN_DATA``, or
    the PATH of ``--data folder:PATH`` / ``csv:`` / ``nifti:``) → ``<data>``, the home
    folder → ``~``. Longest first, so a data folder inside the home
    folder becomes ``<data>``, not ``~/…``."""

    places = {str(out.resolve()): "<study>", str(out.absolute()): "<study>"}
    if config.get("out"):  # where the study ran, if it was copied since
        places[str(pathlib.Path(config["out"]).absolute())] = "<study>"
    given = str(config.get("data") or "")
    kind, sep, data_path = given.partition(":")
    # folder:PATH, csv:PATH, nifti:PATH: the path as typed and as resolved
    folder = data_path if sep and kind in DATA_PATH_KINDS and data_path else None
    for data in (config.get("data_dir"), os.environ.get("KERAS_MEDGAN_DATA"), folder):
        if data:
            places[str(pathlib.Path(data).expanduser().resolve())] = "<data>"
            if data == folder and len(data) > 1:
                places[data] = "<data>"
    home = os.path.expanduser("~")
    if home not in ("", "/"):
        places[home] = "~"
    return dict(sorted(places.items(), key=lambda kv: -len(kv[0])))


def redact(text: str, places: dict[str, str]) -> str:
    for path, placeholder in places.items():
        text = text.replace(path, placeholder)
    return text
