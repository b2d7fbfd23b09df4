"""Score a visual Turing test exactly as P4 reports it.

P4's table (50 real + 50 synthetic, one physician): real→real 18, real→synt 32,
synt→real 15, synt→synt 35; accuracy 53 %, sensitivity 36 %, specificity 70 %, LR+ 1.20,
LR− 0.91. Those numbers come out only with **"real" as the positive class**:
sensitivity = real images called real / real images = 18/50, specificity = synthetic
images called synthetic / synthetic images = 35/50, LR+ = sens / (1 − spec) = 0.36/0.30,
LR− = (1 − sens) / spec = 0.64/0.70. ``turing_metrics`` uses that convention.

Beside P4's numbers: a two-sided exact binomial test of the accuracy against 50 % (can the
reader tell at all?) and Cohen's kappa between every pair of readers (do they agree beyond
chance — i.e. do they see the same thing?).
"""

from __future__ import annotations

import itertools
import json
import math
import pathlib
from collections.abc import Sequence

import numpy as np

from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.evaluate.report import jsonable
from keras_medgan.evaluate.stats import binary_metrics, binomial_test, safe_ratio
from keras_medgan.turing.study import read_key

POSITIVE = "real"


def turing_metrics(
    real_real: int, real_synt: int, synt_real: int, synt_synt: int
) -> dict[str, object]:
    """P4's metrics from the four cells (rows: truth, columns: the reader's answer)."""
    y_true = np.array([1] * (real_real + real_synt) + [0] * (synt_real + synt_synt))
    y_pred = np.array([1] * real_real + [0] * real_synt + [1] * synt_real + [0] * synt_synt)
    if y_true.size == 0:
        raise ValueError("no answers to score")
    m = binary_metrics(y_true, y_pred)
    sens, spec = m["sensitivity"], m["specificity"]
    correct = real_real + synt_synt
    return {
        "table": {
            "real→real": real_real,
            "real→synt": real_synt,
            "synt→real": synt_real,
            "synt→synt": synt_synt,
        },
        "n": int(y_true.size),
        "correct": int(correct),
        "accuracy": m["accuracy"],
        "sensitivity": sens,
        "specificity": spec,
        "lr_plus": safe_ratio(sens, 1.0 - spec),  # NaN in, NaN out
        "lr_minus": safe_ratio(1.0 - sens, spec),
        "binomial_p": binomial_test(int(correct), int(y_true.size), 0.5),
        "positive_class": POSITIVE,
    }


def table_from_answers(key: dict[str, str], answers: dict[str, str]) -> dict[str, int]:
    """Count the four cells over the images a reader answered."""
    cells = {"real_real": 0, "real_synt": 0, "synt_real": 0, "synt_synt": 0}
    for image, answer in answers.items():
        truth = key.get(image)
        if truth is None:
            continue
        t = "real" if truth == "real" else "synt"
        a = "real" if answer == "real" else "synt"
        cells[f"{t}_{a}"] += 1
    return cells


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two raters' labels for the same items: (pₒ − pₑ) / (1 − pₑ)."""
    if len(a) != len(b):
        raise ValueError(f"raters labelled different numbers of items: {len(a)} vs {len(b)}")
    if not a:
        return float("nan")
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    po = float(np.mean(a_arr == b_arr))
    cats = sorted(set(a) | set(b))
    pe = float(sum(np.mean(a_arr == c) * np.mean(b_arr == c) for c in cats))
    if pe == 1.0:
        return 1.0 if po == 1.0 else float("nan")
    return (po - pe) / (1.0 - pe)


def read_answers(study_dir) -> dict[str, dict[str, str]]:
    """``{reader: {image: answer}}`` from answers/*.json."""
    out = {}
    for path in sorted((pathlib.Path(study_dir) / "answers").glob("*.json")):
        record = json.loads(path.read_text())
        answers = {
            img: (v["answer"] if isinstance(v, dict) else v)
            for img, v in record.get("answers", {}).items()
        }
        out[str(record.get("reader") or path.stem)] = answers
    return out


def score_study(study_dir) -> dict[str, object]:
    """Per-reader and pooled P4 metrics plus pairwise Cohen's kappa."""
    key = read_key(study_dir)
    readers = read_answers(study_dir)
    if not readers:
        raise ValueError(f"{study_dir}: no answers yet (answers/*.json) — run `turing serve` first")
    per_reader = {}
    pooled = {"real_real": 0, "real_synt": 0, "synt_real": 0, "synt_synt": 0}
    for name, answers in readers.items():
        cells = table_from_answers(key, answers)
        for k in pooled:
            pooled[k] += cells[k]
        per_reader[name] = dict(
            turing_metrics(**cells),
            answered=len(answers),
            total=len(key),
            complete=len(answers) >= len(key),
        )
    kappas = []
    for (ra, aa), (rb, ab) in itertools.combinations(readers.items(), 2):
        common = sorted(set(aa) & set(ab))
        kappas.append(
            {
                "readers": [ra, rb],
                "images": len(common),
                "kappa": cohen_kappa([aa[i] for i in common], [ab[i] for i in common]),
            }
        )
    return {
        "images": len(key),
        "readers": per_reader,
        "pooled": turing_metrics(**pooled),
        "kappa": kappas,
    }


def _pct(v: float) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.0%}"


def _num(v: float) -> str:
    return "–" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.2f}"


def markdown(result: dict[str, object]) -> str:
    lines = [
        "# Visual Turing test",
        "",
        (
            f"{result['images']} images; positive class = real (P4's convention: sensitivity = "
            "real images called real, specificity = synthetic images called synthetic)."
        ),
        "",
    ]
    blocks: list = list(result["readers"].items())
    if len(blocks) > 1:
        blocks.append(("all readers pooled", result["pooled"]))
    for name, m in blocks:
        t = m["table"]
        lines += [
            f"## {name}",
            "",
            "| truth \\ answer | real | synthetic |",
            "|---|---|---|",
            f"| real | {t['real→real']} | {t['real→synt']} |",
            f"| synthetic | {t['synt→real']} | {t['synt→synt']} |",
            "",
            "| accuracy | sensitivity | specificity | LR+ | LR− | binomial p (vs 50 %) | answered |",
            "|---|---|---|---|---|---|---|",
            (
                f"| {_pct(m['accuracy'])} | {_pct(m['sensitivity'])} | {_pct(m['specificity'])} | "
                f"{_num(m['lr_plus'])} | {_num(m['lr_minus'])} | {m['binomial_p']:.3g} | "
                f"{m.get('answered', m['n'])} / {m.get('total', m['n'])} |"
            ),
            "",
        ]
    if result["kappa"]:
        lines += [
            "## Agreement between readers (Cohen's kappa)",
            "",
            "| readers | images | kappa |",
            "|---|---|---|",
        ]
        lines += [
            f"| {k['readers'][0]} – {k['readers'][1]} | {k['images']} | {_num(k['kappa'])} |"
            for k in result["kappa"]
        ]
        lines.append("")
    return "\n".join(lines)


def write_score(result: dict[str, object], out_dir) -> dict[str, str]:
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "score.json", "markdown": out / "score.md"}
    for kind, text in (
        ("json", json.dumps(jsonable(result), indent=2)),
        ("markdown", markdown(result)),
    ):
        write_text_atomic(paths[kind], text)
    return {k: str(v) for k, v in paths.items()}
