"""Turn per-job records into the numbers, the Markdown table and the bar plot.

The table is laid out like P1's Table 1 (rows = training sets; accuracy, sensitivity,
specificity) with HM (P3) and ROC AUC added, the paired difference to the ``real`` arm,
and P1's own numbers beside. Proportions carry a Wilson interval over the test images
(pooled over repeats, each split's images counted once); HM and AUC the t-interval over
the K repeats; every bound stays in 0–100 %. P1 reports one run on a 22-image test split;
the interval shows how far such a single number can move. A row whose classifier answered
one class for every image is flagged: its numbers are the class balance, not skill.
"""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Sequence

import keras
import numpy as np
import sklearn

from keras_medgan.compare.arms import ARM_ORDER, ARMS, REFERENCE_ARM
from keras_medgan.compare.classifier_augment import AUGMENTATION
from keras_medgan.compare.fidelity import P0_REFERENCE, pool_agreement
from keras_medgan.compare.gan_train import P3_REFERENCE
from keras_medgan.evaluate.stats import mean_ci, paired_test, wilson_ci

__all__ = ["METRICS", "REFERENCES", "bar_plot", "markdown", "summarize"]

#: Threshold-free endpoints first (the primary table), then those at the validation
#: threshold and accuracy at 0.5 (keras_medgan.compare.endpoints).
METRICS = (
    "auc",
    "log_loss",
    "brier",
    "accuracy",
    "sensitivity",
    "specificity",
    "hm",
    "accuracy_at_0.5",
    "threshold",
)
SVM_METRICS = ("sensitivity", "specificity", "hm", "accuracy", "auc")

#: P1 Table 1 (test set, %), P3's GAN-train table, P0's class-fidelity number.
P1_TABLE1 = {
    "real": {"accuracy": 76.51, "sensitivity": 72.37, "specificity": 83.04},
    "synthetic": {"accuracy": 60.61, "sensitivity": 93.15, "specificity": 68.48},
    "real+synthetic": {"accuracy": 78.65, "sensitivity": 73.14, "specificity": 86.60},
}
REFERENCES = {
    "P1_table1_percent": P1_TABLE1,
    "P3_gan_train": P3_REFERENCE,
    "P0_class_fidelity": P0_REFERENCE,
}


def augmentation_settings() -> dict:
    return dict(AUGMENTATION)


def environment() -> dict:
    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


def _value(v) -> float:
    return float("nan") if v is None else float(v)


def _arm_rows(records: list[dict], arms: Sequence[str], gen_sets: Sequence[str]):
    ordered = [a for a in ARM_ORDER if a in arms] + [a for a in arms if a not in ARM_ORDER]
    for arm in ordered:
        gens = list(gen_sets) if ARMS.get(arm).uses_synthetic else [None]
        for g in gens:
            recs = sorted(
                (
                    r
                    for r in records
                    if r.get("kind") == "arm" and r["arm"] == arm and r.get("generator") == g
                ),
                key=lambda r: r["repeat"],
            )
            label = arm if g is None or len(gen_sets) == 1 else f"{arm} [{g}]"
            yield arm, g, label, recs


def answers_one_class(confusion) -> bool:
    """True when a classifier gave every test image the same class (one non-empty column):
    its accuracy is the class balance and its sensitivity/specificity 100/0, not skill."""
    return int(np.count_nonzero(np.asarray(confusion).sum(axis=0))) <= 1


def proportion_intervals(
    confusions: Sequence, distinct_splits: int, confidence: float = 0.95
) -> dict[str, dict]:
    """Wilson intervals of accuracy (and, for two classes, sensitivity and specificity)
    from the confusion matrices of K repeats, pooled.

    Repeats that share one test split see the same images again, so the pooled counts are
    scaled back to the images that exist (× distinct splits / K): 22 test images stay 22,
    however many classifier seeds looked at them. Every bound lies in [0, 1].
    """
    pooled = np.sum([np.asarray(c, dtype=np.float64) for c in confusions], axis=0)
    scale = distinct_splits / len(confusions)
    counts = {"accuracy": (np.trace(pooled), pooled.sum())}
    if pooled.shape == (2, 2):
        counts["sensitivity"] = (pooled[1, 1], pooled[1].sum())
        counts["specificity"] = (pooled[0, 0], pooled[0].sum())
    out = {}
    for name, (hits, total) in counts.items():
        low, high = wilson_ci(hits * scale, total * scale, confidence)
        out[name] = {
            "estimate": float(hits / total) if total else float("nan"),
            "ci_low": low,
            "ci_high": high,
            "n_effective": float(total * scale),
        }
    return out


def summarize(
    records: list[dict],
    arms: Sequence[str],
    gen_sets: Sequence[str],
    *,
    num_classes: int,
    confidence: float = 0.95,
) -> dict:
    """Aggregate: per arm mean/std/CI of every metric, paired test vs the real arm,
    GAN-train/GAN-test per generator set, class fidelity per generator set."""
    rows = []
    ref = {
        r["repeat"]: r["metrics"]
        for r in records
        if r.get("kind") == "arm" and r["arm"] == REFERENCE_ARM
    }
    for arm, gen, label, recs in _arm_rows(records, arms, gen_sets):
        row = {
            "arm": arm,
            "generator": gen,
            "label": label,
            "repeats": [r["repeat"] for r in recs],
            "metrics": {},
            "vs_real": {},
        }
        for m in METRICS:
            row["metrics"][m] = mean_ci([_value(r["metrics"].get(m)) for r in recs], confidence)
        if recs:
            row["confusion_sum"] = np.sum(
                [r["metrics"]["confusion"] for r in recs], axis=0
            ).tolist()
            confusions = [r["metrics"]["confusion"] for r in recs]
            row["proportions"] = proportion_intervals(
                confusions, len({r.get("split_seed") for r in recs}), confidence
            )
            row["one_class_repeats"] = sum(answers_one_class(c) for c in confusions)
            row["n_train"] = float(np.mean([r["n_train"] for r in recs]))
            row["n_synthetic"] = float(np.mean([r["n_synthetic"] for r in recs]))
            row["steps"] = sorted({int(v) for r in recs for v in r["training"]["steps"]})
            row["seeds"] = int(np.mean([r["metrics"].get("seeds", 1) for r in recs]))
        if arm != REFERENCE_ARM and ref:
            common = [r for r in recs if r["repeat"] in ref]
            for m in METRICS:
                row["vs_real"][m] = paired_test(
                    [_value(r["metrics"].get(m)) for r in common],
                    [_value(ref[r["repeat"]].get(m)) for r in common],
                    confidence,
                )
        rows.append(row)

    gan_train: dict[str, dict] = {}
    for g in gen_sets:
        recs = [r for r in records if r.get("kind") == "gan_train" and r["generator"] == g]
        if not recs:
            continue
        entry = {
            "repeats": sorted(r["repeat"] for r in recs),
            "features": recs[0].get("features", {}).get("name"),
        }
        for scenario in ("real", "gan_train", "gan_test"):
            entry[scenario] = {
                m: mean_ci([_value(r["scores"][scenario].get(m)) for r in recs], confidence)
                for m in SVM_METRICS
            }
        gan_train[g] = entry

    fidelity: dict[str, dict] = {}
    for g in gen_sets:
        per_repeat = [
            r["fidelity"][g]
            for r in records
            if r.get("kind") == "arm"
            and r["arm"] == REFERENCE_ARM
            and g in (r.get("fidelity") or {})
        ]
        if per_repeat:
            fidelity[g] = pool_agreement(per_repeat, num_classes)
    return {"arms": rows, "gan_train": gan_train, "fidelity": fidelity, "confidence": confidence}


# ------------------------------------------------------------------------- Markdown


def _mean_ci(ci: dict, scale: float, digits: int) -> str:
    """``mean ± CI half-width`` (just the mean below two repeats; — when undefined)."""
    mean = ci.get("mean")
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    if ci.get("n", 0) < 2:
        return f"{scale * mean:.{digits}f}"
    return f"{scale * mean:.{digits}f} ± {scale * (ci['ci_high'] - mean):.{digits}f}"


def _pct(ci: dict) -> str:
    return _mean_ci(ci, 100.0, 1)


def _interval(value, low, high) -> str:
    """``72.7 [61.2, 81.8]`` in %, the bounds clipped to [0, 100]; — when undefined."""
    if value is None or math.isnan(_value(value)):
        return "—"
    if low is None or math.isnan(_value(low)) or low == high == value:
        return f"{100 * value:.1f}"
    return f"{100 * value:.1f} [{100 * max(0.0, low):.1f}, {100 * min(1.0, high):.1f}]"


def row_interval(row: dict, metric: str) -> tuple[float, float, float]:
    """(value, low, high) as a fraction, bounds inside [0, 1]: a proportion's pooled value
    with its Wilson interval; HM and AUC (not counts): the mean with its t-interval over
    repeats, clipped."""
    if metric in row.get("proportions", {}):
        p = row["proportions"][metric]
        return p["estimate"], p["ci_low"], p["ci_high"]
    ci = row["metrics"][metric]
    value, low, high = (_value(ci.get(k)) for k in ("mean", "ci_low", "ci_high"))
    return (
        value,
        max(0.0, low) if not math.isnan(low) else low,
        min(1.0, high) if not math.isnan(high) else high,
    )


def _cell(row: dict, metric: str) -> str:
    return _interval(*row_interval(row, metric))


def _label(row: dict) -> str:
    flagged = row.get("one_class_repeats", 0)
    return (
        f"{row['label']} ⚠ one class in {flagged}/{len(row['repeats'])}"
        if flagged
        else row["label"]
    )


def _num(ci: dict) -> str:
    return _mean_ci(ci, 1.0, 3)


def _pvalue(p) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return f"{p:.3f}" if p >= 0.001 else "<0.001"


def _diff(test: dict | None, scale: float = 100.0) -> str:
    """Mean paired difference (points for proportions, as is for AUC / log-loss)."""
    if not test or test.get("mean_diff") is None or math.isnan(_value(test["mean_diff"])):
        return "—"
    value = f"{100 * test['mean_diff']:+.1f}" if scale == 100.0 else f"{test['mean_diff']:+.3f}"
    return (
        f"{value} (t p={_pvalue(test.get('t_pvalue'))}, W p={_pvalue(test.get('wilcoxon_pvalue'))})"
    )


def protocol_words(tr: dict) -> str:
    """How the classifier trained, in one clause of the report."""
    if tr.get("protocol", "p1") == "steps":
        return (
            f"{tr['steps']} RMSprop steps in every arm (lr {tr['learning_rate']} cosine-"
            "decayed to 0, final weights kept, no early stopping)"
        )
    return (
        f"RMSprop {tr['learning_rate']}, ≤ {tr['epochs']} epochs, early stopping on the "
        f"real validation split (patience {tr['patience']}, watched from epoch "
        f"{tr.get('warmup_epochs', 0) + 1}, best weights restored)"
    )


def markdown(results: dict) -> str:
    """The human-readable report (results.md)."""
    cfg = results["config"]
    summ = results["summary"]
    tr = cfg["train"]
    level = round(100 * summ["confidence"])
    k = cfg["repeats"]
    lines = [
        f"# Augmentation benchmark — {cfg['data']} ({cfg['image_size']}×{cfg['image_size']})",
        "",
        (
            f"Classifier `{tr['classifier']}` (weights: {tr['weights'] or 'random init'}), "
            f"dropout {tr['dropout']}, batch {tr['batch_size']}, {protocol_words(tr)}; "
            f"{tr.get('seeds', 1)} classifier seed(s) per repeat, metrics averaged over them. "
            f"K = {k} repeats ({_split_mode(cfg)}). Synthetic ratio {cfg['synthetic_ratio']}:1. "
            f"Precision: {cfg['precision'] or 'fp32'}. Profile: {cfg['profile']}."
        ),
        "",
    ]
    if results.get("generators"):
        lines.append(
            "Generators: "
            + "; ".join(
                f"`{n}` = {', '.join(f'{c}: {p}' for c, p in g['files'].items())} "
                f"(arch {'/'.join(g['arch'])}, epochs {'/'.join(g['epochs'])})"
                for n, g in results["generators"].items()
            )
        )
        lines.append("")
    for name, note in (results.get("split_leakage") or {}).items():
        lines.append(f"**Note on `{name}`:** {note['note']}.")
        lines.append("")
    if results.get("positive_class"):
        lines.append(f"Positive class: `{results['positive_class']}` (sensitivity = its recall).")
        lines.append("")
    lines += [
        (
            f"## Primary: threshold-free, on the held-out real test split (mean [{level} % "
            "t-interval] over repeats)"
        ),
        "",
        (
            "| Training set | n train | AUC | Δ AUC vs real (paired) | log-loss | Δ log-loss "
            "| Brier | steps |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summ["arms"]:
        n_train = f"{row['n_train']:.0f}" if "n_train" in row else "—"
        steps = "/".join(str(v) for v in row.get("steps", []))
        lines.append(
            f"| {_label(row)} | {n_train} | {_num(row['metrics']['auc'])} | "
            f"{_diff(row['vs_real'].get('auc'), 1.0)} | "
            f"{_num(row['metrics']['log_loss'])} | "
            f"{_diff(row['vs_real'].get('log_loss'), 1.0)} | "
            f"{_num(row['metrics']['brier'])} | {steps} |"
        )
    lines += [
        "",
        (
            f"## Secondary: at the threshold chosen on the validation split "
            f"(rule: {tr.get('threshold_rule', 'fixed')}) (%, value [{level} % interval])"
        ),
        "",
        (
            "| Training set | Accuracy | Sensitivity | Specificity | HM | Accuracy at 0.5 "
            "| Δ accuracy vs real (paired) | P1 Table 1 (acc / sen / spe) |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in summ["arms"]:
        p1 = P1_TABLE1.get(row["arm"])
        p1_text = (
            f"{p1['accuracy']:.2f} / {p1['sensitivity']:.2f} / {p1['specificity']:.2f}"
            if p1
            else "—"
        )
        lines.append(
            f"| {_label(row)} | {_cell(row, 'accuracy')} | {_cell(row, 'sensitivity')} | "
            f"{_cell(row, 'specificity')} | {_cell(row, 'hm')} | "
            f"{_pct(row['metrics']['accuracy_at_0.5'])} | "
            f"{_diff(row['vs_real'].get('accuracy'))} | {p1_text} |"
        )
    lines += [
        "",
        (
            "Accuracy, sensitivity and specificity: the repeats' confusion matrices pooled, "
            "with a Wilson interval over the test images that exist (repeats on one split "
            "count its images once), so it never leaves 0–100 %. HM and AUC: mean and "
            "t-interval over repeats, clipped to 0–100 %."
        ),
    ]
    if any(r.get("one_class_repeats") for r in summ["arms"]):
        lines.append(
            "⚠ one class in k/K: in k of the K repeats the classifier gave every test "
            "image the same class (sensitivity or specificity 0 %); such a row's numbers "
            "describe the class balance, not a classifier."
        )
    lines += [
        "",
        "Repeats per row: "
        + ", ".join(f"{r['label']} {len(r['repeats'])}" for r in summ["arms"])
        + ". "
        "Δ: mean paired difference in points; t = paired t-test, W = Wilcoxon "
        f"signed-rank (two-sided; with K = {k} its smallest possible p is "
        f"{2 / 2**k:.3g}, so W cannot reach 0.05 below K = 6).",
        "",
    ]
    lines.append(
        "Summed confusion matrices over repeats, [[TN, FP], [FN, TP]]: "
        + "; ".join(f"{r['label']} {r.get('confusion_sum')}" for r in summ["arms"])
        + "."
    )
    lines.append("")

    if summ.get("gan_train"):
        first = next(iter(summ["gan_train"].values()))
        lines += [
            f"## GAN-train / GAN-test (P3): SVM on `{first['features']}` features",
            "",
            "| Train → test | Sensitivity | Specificity | HM | Accuracy | P3 (sen / spe / hm) |",
            "|---|---|---|---|---|---|",
        ]
        ref = P3_REFERENCE["real"]
        lines.append(
            f"| real → real | {_num(first['real']['sensitivity'])} | "
            f"{_num(first['real']['specificity'])} | {_num(first['real']['hm'])} | "
            f"{_num(first['real']['accuracy'])} | "
            f"{ref['sensitivity']} / {ref['specificity']} / {ref['hm']} |"
        )
        for name, e in summ["gan_train"].items():
            for scenario, arrow in (
                ("gan_train", "synthetic → real (GAN-train)"),
                ("gan_test", "real → synthetic (GAN-test)"),
            ):
                s = e[scenario]
                lines.append(
                    f"| `{name}` {arrow} | {_num(s['sensitivity'])} | "
                    f"{_num(s['specificity'])} | {_num(s['hm'])} | "
                    f"{_num(s['accuracy'])} | — |"
                )
        lines += [
            "",
            (
                "P3's GAN-train rows: PGGAN 0.762 / 0.712 / 0.736, DCGAN 0.584 / 0.613 / "
                "0.598 (VGG-16 features, their data)."
            ),
            "",
        ]

    if summ.get("fidelity"):
        lines += [
            "## Class fidelity (P0): the real-arm classifier labels each class's fakes",
            "",
            "| Generator set | Class | Agreement | Rate | p vs chance (binomial) | P0 |",
            "|---|---|---|---|---|---|",
        ]
        for name, per_class in summ["fidelity"].items():
            for cls, v in per_class.items():
                p0 = P0_REFERENCE.get(cls)
                lines.append(
                    f"| `{name}` | {cls} | {v['agree']}/{v['n']} | {100 * v['rate']:.1f} % "
                    f"| {_pvalue(v['binomial_pvalue_vs_chance'])} | "
                    f"{f'{100 * p0:.1f} %' if p0 is not None else '—'} |"
                )
        lines += [
            "",
            (
                "Counts pooled over repeats (each repeat's real-arm classifier labels that "
                "repeat's synthetic pool)."
            ),
            "",
        ]
    lines.append(
        f"Wall time of this invocation: {results['wall_seconds_this_run']} s "
        f"({results['jobs_run_now']} of {results['jobs']} jobs run now); all jobs "
        f"together: {results.get('job_seconds_total', 0)} s."
    )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------- figure


def bar_plot(results: dict, path) -> None:
    """Grouped bars (AUC, then accuracy, sensitivity, specificity at the validation
    threshold) per arm with CI error bars; P1's Table 1 values as black markers."""
    import matplotlib  # lazy: loads matplotlib; module stays light

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: loads matplotlib; module stays light

    rows = results["summary"]["arms"]
    shown = ("auc", "accuracy", "sensitivity", "specificity")
    width = 0.8 / len(shown)
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(rows) + 2), 4.8))
    for i, m in enumerate(shown):
        value, low, high = (100 * np.array(v) for v in zip(*(row_interval(r, m) for r in rows)))
        # clipped: a proportion of 1.0 has a Wilson bound of 1 - 1e-16, not a negative bar
        err = np.clip(np.nan_to_num(np.stack([value - low, high - value])), 0.0, None)
        pos = x - 0.4 + width * (i + 0.5)
        ax.bar(pos, np.nan_to_num(value), width, yerr=err, capsize=3, label=m)
        for j, r in enumerate(rows):
            ref = P1_TABLE1.get(r["arm"], {}).get(m)
            if ref is not None:
                ax.plot(pos[j], ref, marker="_", color="black", markersize=12, mew=2)
    ax.plot(
        [],
        [],
        marker="_",
        color="black",
        linestyle="none",
        markersize=12,
        mew=2,
        label="P1 Table 1",
    )
    ax.set_xticks(x)
    ax.set_xticklabels([r["label"] for r in rows], rotation=15, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel("% on the real test split")
    level = round(100 * results["summary"]["confidence"])
    ax.set_title(
        f"{results['config']['data']}: {level} % intervals (Wilson for proportions) over "
        f"{results['config']['repeats']} repeats"
    )
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),
        fontsize=8,
        ncol=5,
        frameon=False,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _split_mode(cfg: dict) -> str:
    """How repeats map to splits: variance over splits, or over classifier seeds only."""
    if cfg.get("split_seed") is None:
        return "split seed = repeat"
    return (
        f"one split, seed {cfg['split_seed']}; repeats vary the classifier seed and synthetic draw"
    )
