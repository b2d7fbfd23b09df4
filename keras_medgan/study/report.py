"""Aggregate whatever cells of a study have finished into tables, a figure and a leakage check.

Statistics (docs/benchmark.md, "Cross-validated study"):

* per arm, on the pooled out-of-fold predictions (every image once per repeat): accuracy,
  sensitivity, specificity, HM and AUC, each with a 95 % percentile bootstrap interval that
  resamples images within (repeat, true class) — always inside [0, 100] %;
* per arm against the real arm: the mean of the r × f paired fold differences with
  Nadeau & Bengio's corrected resampled t-test, and an exact McNemar test on the pooled,
  image-matched predictions; both are reported and the interval is put in plain words;
* a classifier that predicts one class for every test image of a fold is flagged.

Reads only ``<out>/config.json``, ``folds.json``, ``cells/*.json`` and the GANs' model
cards, so ``study report --out DIR`` works on any machine that has the folder.
"""

from __future__ import annotations

import csv
import io
import json
import math
import pathlib

import numpy as np

from keras_medgan.bench.report import P1_TABLE1, environment
from keras_medgan.jsonio import jsonable, write_text_atomic
from keras_medgan.stats import (
    binary_metrics,
    corrected_resampled_t,
    mcnemar_exact,
    mean_ci,
    stratified_resamples,
)
from keras_medgan.study.cells import Cell, Variant, finished, plan_cells
from keras_medgan.study.config import CONFIG_FILE, StudyError

__all__ = ["METRICS", "archive_results", "load_plan", "summarize_arms", "write_report"]

METRICS = ("accuracy", "sensitivity", "specificity", "hm", "auc")
DIFF_METRICS = ("accuracy", "sensitivity", "specificity")
REFERENCE = "real"


def load_plan(out) -> tuple[dict, dict, list[Cell]]:
    """(config, folds, planned cells) of the study in ``out``; StudyError if there is none."""
    out = pathlib.Path(out)
    try:
        config = json.loads((out / CONFIG_FILE).read_text())
        folds = json.loads((out / "folds.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise StudyError(f"{out} holds no study (config.json / folds.json unreadable: "
                         f"{exc})") from None
    units = {}
    for name, resolved in (config.get("resolved_recipes") or {}).items():
        units[name] = (list(folds["class_names"]) if resolved.get("per_class")
                       else ["conditional"])
    cells = plan_cells(repeats=int(config["repeats"]), folds=int(config["folds"]), recipes=units,
                       arms=config["arms"], ratios=config["synthetic_ratios"],
                       keeps=config["keep_fractions"],
                       gan_train=bool(config.get("gan_train")) and bool(units))
    return config, folds, cells


# --------------------------------------------------------------------------- arms


def _row_key(rec: dict) -> str:
    return rec["arm"] + (f" [{rec['variant']}]" if rec.get("variant") else "")


def _pooled(records: list[dict]) -> dict:
    """Concatenated predictions of a row's cells, in (repeat, fold) order."""
    records = sorted(records, key=lambda r: (r["repeat"], r["fold"]))
    labels = np.concatenate([np.asarray(r["labels"], np.int64) for r in records])
    probs = np.concatenate([np.asarray(r["probs"], np.float64) for r in records])
    repeats = np.concatenate([np.full(len(r["labels"]), r["repeat"]) for r in records])
    ids = [(r["repeat"], i) for r in records for i in r["ids"]]
    return {"labels": labels, "probs": probs, "pred": probs.argmax(axis=1), "repeat": repeats,
            "ids": ids}


def _metrics(labels, pred, probs) -> dict:
    if probs.shape[1] == 2:
        return binary_metrics(labels, pred, probs[:, 1])
    return {"accuracy": float(np.mean(labels == pred)), "sensitivity": None,
            "specificity": None, "hm": None, "auc": None}


def _bootstrap(p: dict, num_classes: int, n_boot: int, confidence: float) -> dict:
    """Percentile intervals of every metric, resampling within (repeat, true class)."""
    strata = p["repeat"] * num_classes + p["labels"]
    draws = {m: [] for m in METRICS}
    for idx in stratified_resamples(strata, n_boot, seed=0):
        m = _metrics(p["labels"][idx], p["pred"][idx], p["probs"][idx])
        for k in METRICS:
            v = m.get(k)
            if v is not None and not math.isnan(v):
                draws[k].append(v)
    alpha = (1.0 - confidence) / 2.0
    return {k: ([float(x) for x in np.quantile(v, [alpha, 1 - alpha])] if v else [None, None])
            for k, v in draws.items()}


def _paired(row: list[dict], real: list[dict], p_row: dict, p_real: dict,
            confidence: float) -> dict:
    """Corrected resampled t on fold differences + exact McNemar on matched images."""
    by_fold = {(r["repeat"], r["fold"]): r for r in real}
    pairs = [(rec, by_fold[(rec["repeat"], rec["fold"])]) for rec in row
             if (rec["repeat"], rec["fold"]) in by_fold]
    out = {"folds_paired": len(pairs)}
    if not pairs:
        return out
    n_train = float(np.mean([b["n_train"] for _, b in pairs]))
    n_test = float(np.mean([len(b["labels"]) for _, b in pairs]))
    for m in DIFF_METRICS:
        diffs = [(a["metrics"].get(m) if a["metrics"].get(m) is not None else np.nan)
                 - (b["metrics"].get(m) if b["metrics"].get(m) is not None else np.nan)
                 for a, b in pairs]
        out[m] = corrected_resampled_t(diffs, n_train, n_test, confidence)
    right_real = dict(zip(p_real["ids"], p_real["pred"] == p_real["labels"]))
    b = c = 0
    for key, ok in zip(p_row["ids"], p_row["pred"] == p_row["labels"]):
        if key in right_real:
            b += int(right_real[key] and not ok)
            c += int(ok and not right_real[key])
    out["mcnemar"] = {"real_right_arm_wrong": b, "arm_right_real_wrong": c,
                      "pvalue": mcnemar_exact(b, c), "images": len(p_row["ids"])}
    out["in_words"] = in_words(out["accuracy"])
    return out


def in_words(diff: dict, what: str = "accuracy") -> str:
    """One sentence on a difference's interval, in percentage points."""
    lo, hi, mean = diff.get("ci_low"), diff.get("ci_high"), diff.get("mean_diff")
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return f"too few folds to put an interval on the {what} difference"
    span = f"[{100 * lo:+.1f}, {100 * hi:+.1f}] points"
    if lo <= 0.0 <= hi:
        return (f"the interval {span} includes 0: no detectable {what} difference from "
                f"real-only at this sample size")
    side = "better" if mean > 0 else "worse"
    return f"{side} than real-only by {100 * abs(mean):.1f} {what} points, interval {span}"


def summarize_arms(records: list[dict], planned: dict[str, int], num_classes: int,
                   n_boot: int, confidence: float) -> dict:
    """Per row (arm [variant]): pooled metrics, intervals, flags, paired tests."""
    rows: dict[str, list[dict]] = {}
    for rec in records:
        rows.setdefault(_row_key(rec), []).append(rec)
    real = rows.get(REFERENCE, [])
    p_real = _pooled(real) if real else None
    summary = {}
    for key in [k for k in planned if k in rows]:
        recs = rows[key]
        p = _pooled(recs)
        one_class = [f"r{r['repeat']}-f{r['fold']}" for r in recs
                     if len(set(np.asarray(r["probs"]).argmax(axis=1).tolist())) == 1]
        entry = {"arm": recs[0]["arm"], "variant": recs[0].get("variant"),
                 "recipe": recs[0].get("recipe"), "ratio": recs[0].get("ratio"),
                 "keep": recs[0].get("keep"), "cells": len(recs), "cells_planned": planned[key],
                 "images_predicted": len(p["labels"]),
                 "metrics": _metrics(p["labels"], p["pred"], p["probs"]),
                 "ci": _bootstrap(p, num_classes, n_boot, confidence),
                 "one_class_folds": one_class,
                 "epochs_run_mean": float(np.mean([r["training"]["epochs_run"] for r in recs])),
                 "n_train_mean": float(np.mean([r["n_train"] for r in recs]))}
        if key != REFERENCE and p_real is not None:
            entry["vs_real"] = _paired(recs, real, p, p_real, confidence)
        summary[key] = entry
    return summary


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
                table[recipe][which][m] = {"mean": ci["mean"],
                                           "ci": [max(0.0, ci["ci_low"]), min(1.0, ci["ci_high"])]
                                           if ci["n"] > 1 else [None, None]}
    return table


def leakage(out: pathlib.Path, records: list[dict], folds: dict) -> dict:
    """From every finished GAN's model card: how many of its fold's test (and validation)
    images it trained on, and how many of its images came from outside the training part.
    Computed, not assumed: a card without training ids counts as unknown."""
    from keras_medgan.export import read_model_card

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
        n_out = len(set(ids) - set(part["train"]))
        test_seen += len(seen_test)
        val_seen += len(seen_val)
        outside += n_out
        cells.append({"cell": rec["cell"], "train_ids": len(ids), "test_images_seen": seen_test,
                      "val_images_seen": seen_val, "ids_outside_training_part": n_out})
    return {"gan_cells_checked": len(cells), "test_images_seen": test_seen,
            "duplicates_split": duplicates_split(out, folds),
            "val_images_seen": val_seen, "ids_outside_training_part": outside,
            "cards_without_train_ids": unknown,
            "cells": [c for c in cells if c["test_images_seen"] or c["val_images_seen"]
                      or c["ids_outside_training_part"]]}


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
        members = sorted(i for f in finding.get("files", []) for i in ids
                         if f == i or f.endswith("/" + i))
        for r, repeat in enumerate(folds["repeats"]):
            for f, part in enumerate(repeat):
                test, train = set(part["test"]), set(part["train"])
                if any(m in test for m in members) and any(m in train for m in members):
                    split.append({"repeat": r, "fold": f, "images": members})
    return split


# --------------------------------------------------------------------------- files


def write_predictions(path: pathlib.Path, records: list[dict], class_names: list[str]) -> None:
    positive = 1 if len(class_names) == 2 else None
    lines = []
    for rec in sorted(records, key=lambda r: (r["repeat"], r["fold"], _row_key(r))):
        probs = np.asarray(rec["probs"])
        for i, (img, y) in enumerate(zip(rec["ids"], rec["labels"])):
            pred = int(probs[i].argmax())
            prob = probs[i, positive] if positive is not None else probs[i, pred]
            lines.append([rec["repeat"], rec["fold"], img, class_names[y], rec["arm"],
                          rec.get("recipe") or "", rec.get("variant") or "", class_names[pred],
                          f"{prob:.6f}"])
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["repeat", "fold", "image_id", "true_label", "arm", "recipe", "variant",
                     "predicted", "probability" if positive is None
                     else f"probability_{class_names[positive]}"])
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
    lines = [f"# Cross-validated augmentation study: {c['data']}", "",
             f"`{c['command']}`", "",
             (f"{c['repeats']} repeat(s) × {c['folds']} folds (stratified, patient-level, seed "
             f"{c['seed']}); classifier {c['train']['classifier']}; GANs trained inside every "
             f"fold on its training part only. Cells finished: {results['cells_done']} of "
             f"{results['cells_planned']}."), ""]
    if results["missing"]:
        lines += [f"**Incomplete**: {len(results['missing'])} cell(s) not finished, e.g. "
                  + ", ".join(results["missing"][:5]) + ". Rows below use what exists.", ""]
    lines += ["## Arms (pooled out-of-fold predictions, % with 95 % bootstrap intervals)", "",
              ("| arm | accuracy | sensitivity | specificity | HM | AUC | Δ accuracy vs real "
              "(corrected t) | p (t) | p (McNemar) | P1 acc / sen / spe | cells |"),
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, e in results["arms"].items():
        m, ci = e["metrics"], e["ci"]
        vs = e.get("vs_real") or {}
        acc = vs.get("accuracy") or {}
        diff = ("–" if not acc else
                f"{100 * acc['mean_diff']:+.1f} [{_signed(acc['ci_low'])}, {_signed(acc['ci_high'])}]")
        p_t = "–" if not acc or acc["pvalue"] is None or math.isnan(acc["pvalue"]) \
            else f"{acc['pvalue']:.3g}"
        p_mc = f"{vs['mcnemar']['pvalue']:.3g}" if vs.get("mcnemar") else "–"
        # P1's rows are 1:1 and unfiltered: only those variants stand beside them
        like_p1 = e.get("ratio") in (None, 1.0) and e.get("keep") in (None, 1.0)
        ref = P1_TABLE1.get(e["arm"]) if like_p1 else None
        ref_s = (f"{ref['accuracy']:.1f} / {ref['sensitivity']:.1f} / {ref['specificity']:.1f}"
                 if ref else "")
        flag = f" ⚠ one class in {len(e['one_class_folds'])}/{e['cells']} folds" \
            if e["one_class_folds"] else ""
        lines.append(f"| {key}{flag} | " + " | ".join(_with_ci(m.get(k), ci[k]) for k in METRICS)
                     + f" | {diff} | {p_t} | {p_mc} | {ref_s} | {e['cells']}/{e['cells_planned']} |")
    words = [f"- **{k}**: {e['vs_real']['in_words']} (McNemar p = "
             f"{e['vs_real']['mcnemar']['pvalue']:.3g})"
             for k, e in results["arms"].items() if e.get("vs_real", {}).get("in_words")]
    if words:
        lines += ["", "In words (accuracy against the real arm):", ""] + words
    goal = goal_line(results["arms"])
    if goal:
        lines += ["", goal]
    if results["gan_train"]:
        lines += ["", "## GAN-train / GAN-test (P3's SVM, fold means, %)", "",
                  "| recipe | SVM trained on → tested on | sensitivity | specificity | HM | folds |",
                  "|---|---|---|---|---|---|"]
        what = {"real": "real → real", "gan_train": "synthetic → real (GAN-train)",
                "gan_test": "real → synthetic (GAN-test)"}
        for recipe, t in results["gan_train"].items():
            for which, label in what.items():
                lines.append(f"| {recipe} | {label} | " + " | ".join(
                    _with_ci(t[which][m]["mean"], t[which][m]["ci"])
                    for m in ("sensitivity", "specificity", "hm")) + f" | {t['folds']} |")
    leak = results["leakage"]
    lines += ["", "## Leakage (from the generators' model cards)", "",
              (f"{leak['gan_cells_checked']} GAN(s) checked: {leak['test_images_seen']} test "
              f"image(s) and {leak['val_images_seen']} validation image(s) of their fold seen in "
              f"training; {leak['ids_outside_training_part']} training id(s) outside the fold's "
              f"training part; {len(leak['cards_without_train_ids'])} card(s) without ids.")]
    lines += [f"- repeat {item['repeat']} fold {item['fold']}: the copies "
              f"{', '.join(item['images'])} (data checks) fall on both sides of the test/train "
              "line: a test image whose twin this fold's GANs and classifiers trained on."
              for item in leak.get("duplicates_split", [])]
    lines.append("")
    lines += [("P1's Table 1 (one 22-image test split): real 76.51 / 72.37 / 83.04, synthetic "
              "60.61 / 93.15 / 68.48, real + synthetic 78.65 / 73.14 / 86.60 "
              "(accuracy / sensitivity / specificity, %)."), ""]
    return "\n".join(lines)


GOAL_POINTS = 3.0  # the project's question: does synthesis add >= 3 accuracy points?


def goal_line(arms: dict) -> str:
    """Which arm came closest to "+3 accuracy points over real, interval above 0", and what
    it did to sensitivity and specificity."""
    compared = [(k, e["vs_real"]) for k, e in arms.items()
                if e.get("vs_real", {}).get("accuracy") and e["arm"] != REFERENCE]
    compared = [(k, v) for k, v in compared if not math.isnan(v["accuracy"]["mean_diff"])]
    if not compared:
        return ""
    key, best = max(compared, key=lambda kv: kv[1]["accuracy"]["mean_diff"])
    acc = best["accuracy"]
    met = (100 * acc["mean_diff"] >= GOAL_POINTS and acc["ci_low"] is not None
           and not math.isnan(acc["ci_low"]) and acc["ci_low"] > 0)
    parts = [f"{m} {100 * best[m]['mean_diff']:+.1f}" for m in ("sensitivity", "specificity")
             if best.get(m) and not math.isnan(best[m]["mean_diff"])]
    return (f"**Goal (≥ +{GOAL_POINTS:g} accuracy points over real, interval above 0): "
            f"{'met' if met else 'not met'}.** Closest: {key}, {100 * acc['mean_diff']:+.1f} "
            f"points [{_signed(acc['ci_low'])}, {_signed(acc['ci_high'])}]"
            + (f" ({', '.join(parts)} points)" if parts else "") + ".")


def _signed(v) -> str:
    return "–" if v is None or math.isnan(v) else f"{100 * v:+.1f}"


def bar_plot(results: dict, path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(results["arms"].items())
    if not rows:
        return
    fig, axes = plt.subplots(1, 3, figsize=(13, 0.45 * len(rows) + 1.8), sharey=True)
    y = np.arange(len(rows))
    for ax, metric in zip(axes, ("accuracy", "sensitivity", "specificity")):
        vals = [100 * (e["metrics"].get(metric) or np.nan) for _, e in rows]
        lo = [100 * (e["ci"][metric][0] if e["ci"][metric][0] is not None else np.nan)
              for _, e in rows]
        hi = [100 * (e["ci"][metric][1] if e["ci"][metric][1] is not None else np.nan)
              for _, e in rows]
        err = np.array([np.subtract(vals, lo), np.subtract(hi, vals)])
        ax.barh(y, vals, xerr=np.nan_to_num(err), color="#4c72b0", alpha=0.8, capsize=3)
        if rows[0][0] == REFERENCE:
            ax.axvline(vals[0], color="k", lw=0.8, ls="--")
        ax.set_xlim(0, 100)
        ax.set_title(f"{metric} (%)")
    axes[0].set_yticks(y, [k for k, _ in rows])
    axes[0].invert_yaxis()
    fig.suptitle(f"{results['config']['data']}: {results['config']['repeats']}×"
                 f"{results['config']['folds']}-fold CV, 95 % bootstrap intervals")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(out) -> dict:
    """Aggregate ``out``'s finished cells → results.json / .md / .png, predictions.csv."""
    out = pathlib.Path(out)
    config, folds, cells = load_plan(out)
    done = finished(out, cells)
    records = [done[c.id] for c in cells if c.id in done]
    planned: dict[str, int] = {}
    for c in cells:
        if c.kind == "arm":
            key = c.arm + (f" [{c.variant.name}]" if isinstance(c.variant, Variant) else "")
            planned[key] = planned.get(key, 0) + 1
    arms = [r for r in records if r["kind"] == "arm"]
    class_names = folds["class_names"]
    results = {
        "config": {k: v for k, v in config.items() if k != "resolved_recipes"},
        "recipes": config.get("resolved_recipes", {}),
        "class_names": class_names,
        "cells_planned": len(cells),
        "cells_done": len(records),
        "missing": [c.id for c in cells if c.id not in done],
        "arms": summarize_arms(arms, planned, len(class_names), int(config.get("n_boot", 1000)),
                               float(config.get("confidence", 0.95))),
        "gan_train": summarize_gan_train([r for r in records if r["kind"] == "gan_train"],
                                         float(config.get("confidence", 0.95))),
        "leakage": leakage(out, [r for r in records if r["kind"] == "gan"], folds),
        "seconds": {k: round(sum(r.get("seconds", 0.0) for r in records if r["kind"] == k), 1)
                    for k in ("gan", "arm", "gan_train")},
        "environment": environment(),
    }
    write_predictions(out / "predictions.csv", arms, class_names)
    write_text_atomic(out / "results.json", json.dumps(jsonable(results), indent=2) + "\n")
    write_text_atomic(out / "results.md", markdown(results))
    bar_plot(results, out / "results.png")
    return results


#: What ``archive_results`` copies: everything the report reads, nothing large.
#: data_report.json too: the leakage section's copies-across-folds check reads it
ARCHIVED = ("config.json", "folds.json", "data_report.json", "cells/*.json",
            "gans/*/*/*/export/generator_*.json", "gans/*/*/*/loss_*.png")


def archive_results(out, dest) -> pathlib.Path:
    """Copy the study's small files (settings, folds, data checks, finished cells, the GANs'
    model cards and loss plots) to ``dest`` and report there: a folder to commit or send that
    ``study report`` and the leakage check work on, without the generator files. A rerun
    of the study into ``out`` on another machine can start from such a copy: finished
    cells are kept and only the GANs of unfinished folds are trained again."""
    import shutil

    out, dest = pathlib.Path(out), pathlib.Path(dest)
    load_plan(out)  # a StudyError when there is no study
    for pattern in ARCHIVED:
        for src in out.glob(pattern):
            target = dest / src.relative_to(out)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    write_report(dest)
    return dest
