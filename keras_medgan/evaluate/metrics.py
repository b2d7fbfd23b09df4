"""The metric registry: ``METRICS`` gives the CLI its ``--metrics`` choices.

A metric is a function ``(EvalContext) -> MetricResult``. The context holds the two image
sets, lazily computed features of the chosen extractor (computed once, shared by FID, KID,
t-SNE and the memorization audit), the output folder for figures and the options. Each
result carries VALUES only -- the numbers for the JSON, figures and notes on the protocol;
the report's table rows are made from those values in ``evaluate/tables.py``, so a script
that wants numbers never parses strings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from keras_medgan.core.registry import Registry
from keras_medgan.evaluate import c2st as c2st_mod
from keras_medgan.evaluate import fid as fid_mod
from keras_medgan.evaluate import memorization as mem_mod
from keras_medgan.evaluate import ssim as ssim_mod
from keras_medgan.evaluate import swd as swd_mod
from keras_medgan.evaluate import training_log
from keras_medgan.evaluate.figures import save_curve, save_pairs_grid, save_tsne


@dataclass
class MetricResult:
    name: str
    data: dict[str, object]  # the values (results.json)
    figures: list[str] = field(default_factory=list)  # paths relative to the out dir
    notes: list[str] = field(default_factory=list)


@dataclass
class EvalContext:
    real: np.ndarray
    fake: np.ndarray
    out_dir: str
    real_labels: np.ndarray | None = None
    fake_labels: np.ndarray | None = None
    class_names: list[str] = field(default_factory=list)
    fake_paths: list[str] = field(default_factory=list)  # source files, when read from disk
    extractor_factory: Callable[[], object] | None = None
    run_dir: str | None = None
    seed: int = 0
    options: dict[str, object] = field(default_factory=dict)
    verbose: bool = False
    _extractor: object = None
    _features: dict[str, np.ndarray] = field(default_factory=dict)

    def opt(self, name: str, default):
        value = self.options.get(name)
        return default if value is None else value

    @property
    def extractor(self):
        if self._extractor is None:
            if self.extractor_factory is None:
                raise ValueError("this metric needs a feature extractor (--features)")
            self._extractor = self.extractor_factory()
        return self._extractor

    def features(self, which: str) -> np.ndarray:
        if which not in self._features:
            images = self.real if which == "real" else self.fake
            self._features[which] = self.extractor(images, verbose=self.verbose)
        return self._features[which]

    def figure_path(self, name: str) -> str:
        os.makedirs(os.path.join(self.out_dir, "figures"), exist_ok=True)
        return os.path.join(self.out_dir, "figures", name)

    def halves(self):
        return fid_mod.split_halves(len(self.real), self.seed)


@dataclass
class Metric:
    name: str
    description: str
    fn: Callable[[EvalContext], MetricResult]
    needs_features: bool = False


METRICS: Registry[Metric] = Registry("metric")
DEFAULT_METRICS = ("swd",)


def register_metric(name: str, description: str, needs_features: bool = False):
    def deco(fn):
        METRICS.register(name, Metric(name, description, fn, needs_features))
        return fn

    return deco


# ------------------------------------------------------------------------------ SWD


@register_metric(
    "swd",
    "multi-scale sliced Wasserstein distance on Laplacian-pyramid 7×7 "
    "patches (progressive GAN; ×10³; no pretrained network)",
)
def metric_swd(ctx: EvalContext) -> MetricResult:
    seeds = tuple(range(ctx.seed, ctx.seed + int(ctx.opt("swd_repeats", 3))))
    full = swd_mod.swd_repeats(ctx.real, ctx.fake, seeds=seeds)
    a, b = ctx.halves()
    baseline = swd_mod.swd_repeats(ctx.real[a], ctx.real[b], seeds=seeds)
    n = min(len(a), len(ctx.fake))
    same_n = swd_mod.swd_repeats(ctx.real[a][:n], ctx.fake[:n], seeds=seeds)
    return MetricResult(
        "swd",
        {"all": full, "same_size": same_n, "real_vs_real": baseline, "n_per_side_same_size": n},
        notes=[
            (
                f"{len(seeds)} repeats (seeds {list(seeds)}), 128 patches "
                "per image and level, 4×128 projections; ± is the std "
                "over repeats"
            )
        ],
    )


# ------------------------------------------------------------------------- FID / KID


def _extractor_note(ctx: EvalContext) -> str:
    return f"features: {ctx.extractor.name} — {ctx.extractor.description}"


@register_metric(
    "fid",
    "Fréchet distance of extractor activations, bootstrap CI and real-vs-real baseline",
    needs_features=True,
)
def metric_fid(ctx: EvalContext) -> MetricResult:
    fr, ff = ctx.features("real"), ctx.features("fake")
    nb = int(ctx.opt("num_bootstrap", 50))
    value = fid_mod.fid_from_features(fr, ff)
    ci = fid_mod.bootstrap_distance(fr, ff, fid_mod.fid_from_features, nb, seed=ctx.seed)
    a, b = ctx.halves()
    n = min(len(a), len(ff))
    same_n = fid_mod.fid_from_features(fr[a], ff[:n])
    base = fid_mod.fid_from_features(fr[a], fr[b])
    base_ci = fid_mod.bootstrap_distance(fr[a], fr[b], fid_mod.fid_from_features, nb, seed=ctx.seed)
    return MetricResult(
        "fid",
        {
            "fid": value,
            "ci": ci,
            "fid_same_size": same_n,
            "real_vs_real": base,
            "real_vs_real_ci": base_ci,
            "n_per_side_same_size": n,
            "extractor": ctx.extractor.describe(),
        },
        notes=[
            _extractor_note(ctx),
            (
                f"95 % interval: {ci['method']}, {nb} resamples; FID is "
                "biased upwards at small n — compare with the "
                "real-vs-real value at the same n"
            ),
        ],
    )


@register_metric(
    "kid",
    "kernel inception distance (unbiased polynomial MMD²) on extractor "
    "activations, with real-vs-real baseline",
    needs_features=True,
)
def metric_kid(ctx: EvalContext) -> MetricResult:
    fr, ff = ctx.features("real"), ctx.features("fake")
    subsets = int(ctx.opt("kid_subsets", 100))
    nb = int(ctx.opt("num_bootstrap", 50))
    value = fid_mod.kid_from_features(fr, ff, num_subsets=subsets, seed=ctx.seed)
    ci = fid_mod.bootstrap_distance(
        fr, ff, fid_mod.polynomial_mmd2_unbiased, nb, seed=ctx.seed, clip_at_zero=False
    )
    a, b = ctx.halves()
    base = fid_mod.kid_from_features(fr[a], fr[b], num_subsets=subsets, seed=ctx.seed)
    base_ci = fid_mod.bootstrap_distance(
        fr[a], fr[b], fid_mod.polynomial_mmd2_unbiased, nb, seed=ctx.seed, clip_at_zero=False
    )
    return MetricResult(
        "kid",
        {
            "kid": value,
            "ci": ci,
            "real_vs_real": base,
            "real_vs_real_ci": base_ci,
            "extractor": ctx.extractor.describe(),
        },
        notes=[
            _extractor_note(ctx),
            (
                f"kernel (xᵀy/d + 1)³, mean over {subsets} subsets of "
                f"{value['subset_size']}; interval: {ci['method']}, {nb} "
                "resamples; KID's unbiased estimate may be < 0"
            ),
        ],
    )


# ------------------------------------------------------------------------- MS-SSIM etc.


@register_metric(
    "ms_ssim", "MS-SSIM among random pairs of fakes vs among real pairs (diversity / mode collapse)"
)
def metric_ms_ssim(ctx: EvalContext) -> MetricResult:
    pairs = int(ctx.opt("ms_ssim_pairs", 500))
    fake = ssim_mod.pairwise_ms_ssim(ctx.fake, pairs, ctx.seed)
    real = ssim_mod.pairwise_ms_ssim(ctx.real, pairs, ctx.seed)
    return MetricResult(
        "ms_ssim",
        {"fake": fake, "real": real},
        notes=[
            (
                f"MS-SSIM protocol: {fake['protocol']['note']}; {pairs} random "
                "pairs of distinct images"
            )
        ],
    )


@register_metric("nearest_real", "PSNR / SSIM of each fake to its nearest real image (P4)")
def metric_nearest_real(ctx: EvalContext) -> MetricResult:
    q = ssim_mod.nearest_real_quality(ctx.fake, ctx.real)
    a, b = ctx.halves()
    base = ssim_mod.nearest_real_quality(ctx.real[a], ctx.real[b])
    data = {k: v for k, v in q.items()}
    data["real_vs_real"] = {k: v for k, v in base.items() if not isinstance(v, list)}
    return MetricResult(
        "nearest_real",
        data,
        notes=[
            (
                "nearest = smallest pixel L2 among the real images; baseline: "
                "each image of one real half to its nearest in the other half; "
                "PSNR with peak-to-peak range 2 ([-1, 1])"
            )
        ],
    )


# ------------------------------------------------------------------------------ C2ST


@register_metric(
    "c2st",
    "classifier two-sample test: small CNN real-vs-fake, "
    "cross-validated accuracy (≈50 % = indistinguishable)",
)
def metric_c2st(ctx: EvalContext) -> MetricResult:
    r = c2st_mod.c2st(
        ctx.real,
        ctx.fake,
        folds=int(ctx.opt("c2st_folds", 5)),
        epochs=int(ctx.opt("c2st_epochs", 10)),
        seed=ctx.seed,
        verbose=ctx.verbose,
    )
    return MetricResult(
        "c2st",
        r,
        notes=[
            (
                f"{r['classifier']}, {r['folds']}-fold stratified CV, {r['epochs']} "
                f"epochs, {r['n_per_set']} images per set; exact (Clopper–Pearson) "
                f"95 % CI; {r['interpretation']}"
            )
        ],
    )


# ---------------------------------------------------------------------- memorization


@register_metric(
    "memorization",
    "nearest training image of each fake in pixel and feature "
    "space; near-copies flagged; closest pairs grid",
    needs_features=True,
)
def metric_memorization(ctx: EvalContext) -> MetricResult:
    threshold = float(ctx.opt("copy_threshold", mem_mod.DEFAULT_THRESHOLD))
    audit = mem_mod.memorization_audit(
        ctx.fake, ctx.real, ctx.features("fake"), ctx.features("real"), threshold
    )
    pairs = mem_mod.closest_pairs(audit, k=int(ctx.opt("closest_pairs", 8)))
    fig = save_pairs_grid(ctx.fake, ctx.real, pairs, ctx.figure_path("memorization_pairs.png"))
    audit["closest_pairs"] = [{"fake": f, "train": t, "ratio": r} for f, t, r in pairs]
    if ctx.fake_paths:
        audit["flagged_files"] = [ctx.fake_paths[i] for i in audit["flagged"]]
    return MetricResult(
        "memorization",
        audit,
        [os.path.relpath(fig, ctx.out_dir)],
        notes=[audit["rule"], _extractor_note(ctx)],
    )


# ------------------------------------------------------------------------------ t-SNE


@register_metric(
    "tsne", "t-SNE of real vs synthetic features coloured by class (P1)", needs_features=True
)
def metric_tsne(ctx: EvalContext) -> MetricResult:
    fig = save_tsne(
        ctx.features("real"),
        ctx.features("fake"),
        ctx.figure_path("tsne.png"),
        ctx.real_labels,
        ctx.fake_labels,
        ctx.class_names,
        seed=ctx.seed,
        title=f"t-SNE of {ctx.extractor.name} features: real (o) vs synthetic (x)",
    )
    return MetricResult(
        "tsne",
        {"figure": os.path.relpath(fig, ctx.out_dir), "extractor": ctx.extractor.describe()},
        [os.path.relpath(fig, ctx.out_dir)],
        notes=[_extractor_note(ctx)],
    )


# ------------------------------------------------------------------------- D(G(z))


@register_metric(
    "d_fake",
    "mean D(G(z)) over the last 20 epochs from the run's metrics.jsonl (P0: 0.314); needs --run",
)
def metric_d_fake(ctx: EvalContext) -> MetricResult:
    if not ctx.run_dir:
        raise ValueError("metric d_fake needs --run RUN_DIR (a folder with metrics.jsonl)")
    r = training_log.mean_d_fake(
        training_log.read_metrics(ctx.run_dir), int(ctx.opt("last_epochs", 20))
    )
    fig = save_curve(
        r["epochs"],
        r["values"],
        ctx.figure_path("d_fake.png"),
        "mean D(G(z))",
        "Discriminator output on fakes per epoch",
        highlight_from=len(r["values"]) - r["last_epochs"],
    )
    return MetricResult(
        "d_fake",
        r,
        [os.path.relpath(fig, ctx.out_dir)],
        notes=[
            (
                "d_fake is mean sigmoid(D(G(z))) for the bce family; for "
                "Wasserstein families it is the raw critic value"
            )
        ],
    )
