"""Report rows for each metric's numbers: formatting kept apart from measuring.

A metric (``evaluate/metrics.py``) returns values only -- the same dict that goes to
``results.json`` and that a script or test reads. This module turns one metric's values
into the ``[quantity, value, real-vs-real, good]`` rows of ``report.md`` / ``report.html``,
so changing how a number is shown never touches how it is measured, and a caller that only
wants numbers never builds strings. A metric without a table entry (t-SNE: a figure) shows
its figure and notes only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from keras_medgan.core.registry import Registry

__all__ = ["TABLES", "rows_for"]

Rows = list[list[str]]
TABLES: Registry[Callable[[dict], Rows]] = Registry("metric table")


def rows_for(name: str, data: dict) -> Rows:
    """The report rows of metric ``name`` from its values ([] if it has no table)."""
    return TABLES.get(name)(data) if name in TABLES else []


def _f(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not np.isfinite(value):
        return "∞" if value > 0 else "nan"
    return f"{value:.{digits}f}"


def _mean_std(v: dict) -> str:
    return f"{_f(v['mean'], 2)} ± {_f(v['std'], 2)}"


def _interval(value, ci: dict, scale: float = 1.0, digits: int = 2) -> str:
    return (
        f"{_f(value * scale, digits)} [{_f(ci['low'] * scale, digits)}, "
        f"{_f(ci['high'] * scale, digits)}]"
    )


def _level(swd: dict, resolution: int):
    """One pyramid level's SWD; keys are ints in memory and strings once read from JSON."""
    levels = swd["levels"]
    return levels[resolution] if resolution in levels else levels[str(resolution)]


@TABLES.register("swd")
def swd_rows(d: dict) -> Rows:
    same, base = d["same_size"], d["real_vs_real"]
    rows = [
        ["SWD mean (all images)", _mean_std(d["all"]), "–", "lower is better"],
        [
            f"SWD mean at n = {d['n_per_side_same_size']} per side",
            _mean_std(same),
            _mean_std(base),
            "≈ real-vs-real",
        ],
    ]
    for r in d["all"]["resolutions"]:
        rows.append(
            [f"SWD level {r}×{r}", _f(_level(same, r), 2), _f(_level(base, r), 2), "≈ real-vs-real"]
        )
    return rows


@TABLES.register("fid")
def fid_rows(d: dict) -> Rows:
    return [
        ["FID (all images)", _interval(d["fid"], d["ci"]), "–", "lower is better"],
        [
            f"FID at n = {d['n_per_side_same_size']} per side",
            _f(d["fid_same_size"], 2),
            _interval(d["real_vs_real"], d["real_vs_real_ci"]),
            "≈ real-vs-real",
        ],
    ]


@TABLES.register("kid")
def kid_rows(d: dict) -> Rows:
    return [
        [
            "KID ×10³",
            _interval(d["kid"]["mean"], d["ci"], 1e3, 3),
            _interval(d["real_vs_real"]["mean"], d["real_vs_real_ci"], 1e3, 3),
            "≈ real-vs-real (0 = same)",
        ]
    ]


@TABLES.register("ms_ssim")
def ms_ssim_rows(d: dict) -> Rows:
    def show(v):
        return f"{_f(v['mean'])} [{_f(v['ci_low'])}, {_f(v['ci_high'])}]"

    return [
        ["MS-SSIM among pairs", show(d["fake"]), show(d["real"]), "≈ real; higher = less diverse"]
    ]


@TABLES.register("nearest_real")
def nearest_real_rows(d: dict) -> Rows:
    base = d["real_vs_real"]
    return [
        [
            "PSNR to nearest real (dB, median)",
            _f(d["psnr_median"], 2),
            _f(base["psnr_median"], 2),
            "≈ real-vs-real; far higher = copying",
        ],
        [
            "SSIM to nearest real (mean)",
            _f(d["ssim_mean"]),
            _f(base["ssim_mean"]),
            "≈ real-vs-real",
        ],
    ]


@TABLES.register("c2st")
def c2st_rows(d: dict) -> Rows:
    return [
        [
            "C2ST accuracy",
            f"{d['accuracy']:.1%} [{d['ci_low']:.1%}, {d['ci_high']:.1%}]",
            "50 %",
            "≈ 50 %",
        ],
        ["C2ST p-value (one-sided, acc > 50 %)", f"{d['p_value']:.3g}", "–", "≥ 0.05"],
        ["C2ST AUC", _f(d["auc"]), "0.5", "≈ 0.5"],
    ]


@TABLES.register("memorization")
def memorization_rows(d: dict) -> Rows:
    px, ft = d["pixels"], d["features"]
    return [
        [
            "near-copies flagged (pixel ratio < threshold)",
            f"{px['num_flagged']} / {len(px['ratio'])}",
            "–",
            "0",
        ],
        [
            "NN distance ratio, pixels (median / min)",
            f"{_f(px['ratio_median'], 2)} / {_f(px['ratio_min'], 2)}",
            "1.00 (median, by definition)",
            "≈ 1; ≪ 1 = copy",
        ],
        [
            "NN distance ratio, features (median / min)",
            f"{_f(ft['ratio_median'], 2)} / {_f(ft['ratio_min'], 2)}",
            "1.00",
            "≈ 1",
        ],
    ]


@TABLES.register("d_fake")
def d_fake_rows(d: dict) -> Rows:
    return [
        [
            f"mean D(G(z)), last {d['last_epochs']} epochs",
            _f(d["mean"]),
            "–",
            "→ 0.5 (bce family; P0: 0.314)",
        ]
    ]
