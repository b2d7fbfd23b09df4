"""Small, exact statistics for comparing classifiers trained on real vs. synthetic data.

Why a module of its own: every table in the papers we reproduce reports the same few
numbers — accuracy, sensitivity, specificity (P1, P4), the harmonic mean of sensitivity and
specificity (P3: ``HM = 2·Sen·Spe / (Sen + Spe)``) — and none reports a confidence interval.
With 22 test images (P1) one image moves accuracy by 4.5 points, so the benchmark repeats
each arm over several seeds and reports a t-interval and a paired test against the
real-data arm. These functions are pure (numbers in, numbers out) so they can be checked
against hand-computed values.

Convention: binary labels, positive class = 1 (e.g. "hemorrhage"); sensitivity is the
true-positive rate, specificity the true-negative rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats as _sp

__all__ = [
    "binary_metrics",
    "binomial_test",
    "bootstrap_ci",
    "brier_score",
    "choose_threshold",
    "corrected_mean_ci",
    "corrected_resampled_t",
    "detectable_difference",
    "harmonic_mean",
    "log_loss",
    "mcnemar_exact",
    "mean_ci",
    "paired_test",
    "percentile_interval",
    "stratified_bootstrap_ci",
    "stratified_resamples",
    "wilson_ci",
]


def safe_ratio(num: float, den: float) -> float:
    """num/den, or NaN when the denominator is zero (e.g. no positives in the test set)."""
    return float(num) / float(den) if den else float("nan")


def harmonic_mean(sensitivity: float, specificity: float) -> float:
    """P3's HM = 2·Sen·Spe / (Sen + Spe); 0 when both are 0, NaN if either is NaN."""
    if math.isnan(sensitivity) or math.isnan(specificity):
        return float("nan")
    total = sensitivity + specificity
    return 2.0 * sensitivity * specificity / total if total else 0.0


def _as_labels(y, name: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim == 2:  # one-hot or per-class probabilities → class index
        arr = arr.argmax(axis=1)
    arr = arr.reshape(-1)
    if arr.size and not np.isin(arr, (0, 1)).all():
        bad = sorted(set(np.unique(arr).tolist()) - {0, 1})[:5]
        raise ValueError(f"{name} must hold binary labels 0/1. Received values: {bad}")
    return arr.astype(np.int64)


def _as_scores(y_score) -> np.ndarray:
    """Positive-class scores: a 1-D vector, or column 1 of an [N, 2] probability matrix."""
    arr = np.asarray(y_score, dtype=np.float64)
    if arr.ndim == 2:
        if arr.shape[1] != 2:
            raise ValueError(
                f"y_score must be [N] or [N, 2] for a binary task. Received shape {arr.shape}"
            )
        arr = arr[:, 1]
    return arr.reshape(-1)


def _roc_auc(y_true: np.ndarray, score: np.ndarray) -> float | None:
    """ROC AUC as the Mann–Whitney U statistic (ties count ½); None with only one class."""
    pos = score[y_true == 1]
    neg = score[y_true == 0]
    if pos.size == 0 or neg.size == 0:
        return None
    ranks = _sp.rankdata(np.concatenate([pos, neg]))  # average ranks handle ties
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def binary_metrics(y_true, y_pred, y_score=None) -> dict[str, object]:
    """Accuracy, sensitivity, specificity, HM, ROC AUC and the confusion matrix.

    ``y_true``/``y_pred`` are 0/1 labels (or one-hot / probability rows, reduced by argmax).
    ``y_score`` (optional) is the positive-class score used for the AUC; without it
    ``auc`` is None. ``confusion`` is ``[[tn, fp], [fn, tp]]`` (rows = true class), the
    layout of sklearn's ``confusion_matrix`` with labels (0, 1).
    """
    t = _as_labels(y_true, "y_true")
    p = _as_labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length. Received {t.size} and {p.size}")
    tp = int(np.sum((t == 1) & (p == 1)))
    tn = int(np.sum((t == 0) & (p == 0)))
    fp = int(np.sum((t == 0) & (p == 1)))
    fn = int(np.sum((t == 1) & (p == 0)))
    sensitivity = safe_ratio(tp, tp + fn)
    specificity = safe_ratio(tn, tn + fp)
    auc = None
    if y_score is not None:
        s = _as_scores(y_score)
        if s.size != t.size:
            raise ValueError(f"y_score and y_true differ in length. Received {s.size} and {t.size}")
        auc = _roc_auc(t, s)
    return {
        "accuracy": safe_ratio(tp + tn, t.size),
        "sensitivity": sensitivity,
        "specificity": specificity,
        "hm": harmonic_mean(sensitivity, specificity),
        "auc": auc,
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "confusion": [[tn, fp], [fn, tp]],
        "n": int(t.size),
    }


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> dict[str, float]:
    """Mean, sample std (ddof=1) and a Student-t confidence interval for the mean.

    With K repeats the interval is ``mean ± t_{(1+c)/2, K-1} · std / sqrt(K)``. NaNs are
    dropped (a repeat whose test split had no positives has no sensitivity). With one value
    the interval is (mean, mean) and std 0 — there is no spread to estimate.
    """
    v = np.asarray([x for x in values if x is not None], dtype=np.float64)
    v = v[~np.isnan(v)]
    n = int(v.size)
    if n == 0:
        nan = float("nan")
        return {"mean": nan, "std": nan, "ci_low": nan, "ci_high": nan, "n": 0}
    mean = float(v.mean())
    if n == 1:
        return {"mean": mean, "std": 0.0, "ci_low": mean, "ci_high": mean, "n": 1}
    std = float(v.std(ddof=1))
    half = float(_sp.t.ppf((1.0 + confidence) / 2.0, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def bootstrap_ci(
    statistic: Callable[..., float],
    *arrays,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(*arrays)``.

    All arrays are resampled with the SAME row indices (pairs stay paired: y_true with
    y_pred). Resamples on which the statistic is undefined (NaN/None, e.g. no positives)
    are skipped. Deterministic for a given ``seed``.
    """
    if not arrays:
        raise ValueError("bootstrap_ci needs at least one array.")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(
            f"bootstrap_ci arrays differ in length. Received {[len(a) for a in arrays]}"
        )
    if n == 0:
        raise ValueError("bootstrap_ci needs non-empty arrays.")
    # One stratum: the same draws as an unstratified bootstrap.
    return stratified_bootstrap_ci(
        statistic,
        *arrays,
        strata=np.zeros(n, np.int64),
        n_boot=n_boot,
        confidence=confidence,
        seed=seed,
    )


def paired_test(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> dict:
    """Paired comparison of two arms measured on the same splits/seeds: ``a - b``.

    Returns the mean difference with its t-interval, the paired t-test p-value and the
    Wilcoxon signed-rank p-value (exact for small K; 1.0 when every difference is zero).
    When every difference is the same non-zero number the t-test is undefined (NaN).
    Pairs where either value is NaN/None are dropped. With fewer than two pairs the
    p-values are NaN: one repeat cannot say anything about significance.
    """
    if len(a) != len(b):
        raise ValueError(f"paired_test needs equal lengths. Received {len(a)} and {len(b)}")
    x = np.asarray([np.nan if v is None else v for v in a], dtype=np.float64)
    y = np.asarray([np.nan if v is None else v for v in b], dtype=np.float64)
    keep = ~(np.isnan(x) | np.isnan(y))
    d = x[keep] - y[keep]
    ci = mean_ci(d, confidence)
    out = {
        "mean_diff": ci["mean"],
        "ci_low": ci["ci_low"],
        "ci_high": ci["ci_high"],
        "n": int(d.size),
        "t_pvalue": float("nan"),
        "wilcoxon_pvalue": float("nan"),
    }
    if d.size < 2:
        return out
    if np.allclose(d, 0.0):
        out["t_pvalue"] = 1.0
        out["wilcoxon_pvalue"] = 1.0
        return out
    if np.allclose(d, d[0]):
        # Constant non-zero difference (e.g. one test image in every repeat): zero
        # variance makes t infinite; a p-value of 0 from K identical differences would
        # overstate the evidence, so the t-test is reported as undefined (NaN).
        pass
    else:
        out["t_pvalue"] = float(_sp.ttest_rel(x[keep], y[keep]).pvalue)
    out["wilcoxon_pvalue"] = float(_sp.wilcoxon(d, zero_method="wilcox").pvalue)
    return out


def binomial_test(k: int, n: int, p: float = 0.5) -> float:
    """Two-sided exact binomial p-value of ``k`` successes in ``n`` trials (scipy binomtest).

    Used for agreement rates such as P0's "45.3 % of hemorrhagic fakes labelled
    hemorrhagic" and for a visual Turing test's accuracy against chance (P4: 53 %).
    """
    if n <= 0:
        raise ValueError(f"binomial_test needs n > 0. Received n={n}")
    if not 0 <= k <= n:
        raise ValueError(f"binomial_test needs 0 <= k <= n. Received k={k}, n={n}")
    return float(_sp.binomtest(int(k), int(n), float(p)).pvalue)


def wilson_ci(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion: always inside [0, 1], sensible at 0/n and n/n.

    Why not mean ± t over repeats: with 3–5 repeats on 22 test images a t-interval of an
    accuracy runs outside 0–100 % ("66.7 ± 143.4") and ignores that the test set itself is
    a small sample. ``successes`` and ``n`` may be fractional (pooled means over repeats).
    Returns (nan, nan) when ``n`` is 0.
    """
    if n <= 0:
        return float("nan"), float("nan")
    if not 0 <= successes <= n:
        raise ValueError(f"wilson_ci needs 0 <= successes <= n. Received {successes}, {n}")
    z = float(_sp.norm.ppf((1.0 + confidence) / 2.0))
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def corrected_resampled_t(
    differences: Sequence[float], n_train: float, n_test: float, confidence: float = 0.95
) -> dict:
    """Nadeau & Bengio's (2003) corrected resampled t-test over J fold differences.

    Why not a plain paired t over folds: the training sets of k-fold cross-validation
    overlap, so fold differences are correlated and the naive variance ``s²/J`` is too
    small (intervals too narrow, p-values too low). Nadeau & Bengio replace it with
    ``(1/J + n_test/n_train) · s²``; Bouckaert & Frank (2004) recommend it for r×k CV.
    ``n_train``/``n_test``: images per fold in the classifier's training and test parts.
    Returns mean, interval, t, p (two-sided, J − 1 degrees of freedom) and J. With fewer
    than two differences, or zero spread, the test is undefined (NaN interval and p), save
    all-zero differences (p = 1).
    """
    d = np.asarray([np.nan if v is None else v for v in differences], dtype=np.float64)
    d = d[~np.isnan(d)]
    j = int(d.size)
    nan = float("nan")
    out = {
        "mean_diff": float(d.mean()) if j else nan,
        "ci_low": nan,
        "ci_high": nan,
        "t": nan,
        "pvalue": nan,
        "n": j,
        "df": max(j - 1, 0),
    }
    if j < 2 or n_train <= 0:
        return out
    var = float(d.var(ddof=1))
    se = math.sqrt((1.0 / j + float(n_test) / float(n_train)) * var)
    if se == 0.0:
        if np.allclose(d, 0.0):
            out.update(ci_low=0.0, ci_high=0.0, t=0.0, pvalue=1.0)
        return out
    t = out["mean_diff"] / se
    half = float(_sp.t.ppf((1.0 + confidence) / 2.0, j - 1)) * se
    out.update(
        ci_low=out["mean_diff"] - half,
        ci_high=out["mean_diff"] + half,
        t=float(t),
        pvalue=float(2.0 * _sp.t.sf(abs(t), j - 1)),
    )
    return out


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts.

    ``b``: images the reference classifier got right and the other wrong; ``c``: the
    reverse. Under "no difference" each discordant image goes either way with p = ½, so
    the p-value is the two-sided binomial tail ``min(1, 2·P(X ≤ min(b, c)))``,
    X ~ Bin(b + c, ½). 1.0 when there is no discordant pair.
    """
    b, c = int(b), int(c)
    if b < 0 or c < 0:
        raise ValueError(f"mcnemar_exact needs counts >= 0. Received b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    return float(min(1.0, 2.0 * _sp.binom.cdf(min(b, c), n, 0.5)))


def stratified_bootstrap_ci(
    statistic: Callable[..., float],
    *arrays,
    strata,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval, resampling rows WITHIN each stratum.

    The study's strata are (repeat, true class): every resample keeps each repeat's class
    counts, so sensitivity and specificity always have their denominators and a repeat
    never borrows another's images. Rows of all ``arrays`` move together. Undefined
    resamples (NaN/None) are skipped; (nan, nan) when none is defined.
    """
    arrs = [np.asarray(a) for a in arrays]
    strata = np.asarray(strata)
    if not arrs or any(len(a) != len(strata) for a in arrs):
        raise ValueError(
            "stratified_bootstrap_ci needs arrays as long as strata. "
            f"Received {[len(a) for a in arrs]} and {len(strata)}"
        )
    values = []
    for idx in stratified_resamples(strata, n_boot, seed):
        value = statistic(*(a[idx] for a in arrs))
        if value is not None and not np.isnan(value):
            values.append(float(value))
    if not values:
        return float("nan"), float("nan")
    return percentile_interval(values, confidence)


def percentile_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """The central ``confidence`` interval of resampled values: their ``(1 − c)/2`` and
    ``(1 + c)/2`` quantiles. The one place a bootstrap turns draws into bounds."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1). Received {confidence}")
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(np.asarray(values, np.float64), [alpha, 1.0 - alpha])
    return float(low), float(high)


def stratified_resamples(strata, n_boot: int = 1000, seed: int = 0):
    """Yield ``n_boot`` bootstrap index arrays, each drawing within every stratum as many
    rows as it holds (with replacement). Deterministic for a given ``seed``."""
    strata = np.asarray(strata)
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    rng = np.random.default_rng(seed)
    for _ in range(int(n_boot)):
        yield np.concatenate([g[rng.integers(0, g.size, size=g.size)] for g in groups])


# --------------------------------------------------------------------------- probabilities

#: Probabilities are clipped to [EPS, 1 - EPS] before a log: one confident mistake costs
#: -log(1e-7) = 16.1 nats, not infinity (sklearn's log_loss clips the same way).
PROBABILITY_EPS = 1e-7


def _prob_matrix(probs, n: int) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1:  # positive-class probabilities of a binary task
        p = np.stack([1.0 - p, p], axis=1)
    if p.ndim != 2 or p.shape[0] != n:
        raise ValueError(
            f"probabilities must be [N] or [N, C] with N = {n}. "
            f"Received shape {np.asarray(probs).shape}"
        )
    return p


def log_loss(y_true, probs) -> float:
    """Mean negative log-probability of the true class (nats): the threshold-free measure
    of how well calibrated AND how sharp the predictions are; 0.693 = a coin flip for two
    classes. ``probs``: [N, C] class probabilities, or [N] positive-class ones."""
    y = np.asarray(y_true, np.int64).reshape(-1)
    p = _prob_matrix(probs, y.size)
    picked = np.clip(p[np.arange(y.size), y], PROBABILITY_EPS, 1.0 - PROBABILITY_EPS)
    return float(-np.mean(np.log(picked)))


def brier_score(y_true, probs) -> float:
    """Half the multi-class Brier score, so that for two classes it is the usual
    ``mean((p_positive - y)²)``: 0 is perfect, 0.25 a constant 0.5."""
    y = np.asarray(y_true, np.int64).reshape(-1)
    p = _prob_matrix(probs, y.size)
    onehot = np.zeros_like(p)
    onehot[np.arange(y.size), y] = 1.0
    return float(np.mean(np.sum((p - onehot) ** 2, axis=1)) / 2.0)


def _threshold_score(rule: str, y: np.ndarray, s: np.ndarray, t: float) -> float:
    pred = s >= t
    tpr = np.mean(pred[y == 1])
    tnr = np.mean(~pred[y == 0])
    if rule == "youden":
        return float(tpr + tnr - 1.0)
    return float(np.mean(pred == (y == 1)))  # "accuracy"


#: How a decision threshold is chosen on validation predictions. ``youden``: maximise
#: sensitivity + specificity − 1 (balanced; the default); ``accuracy``: maximise accuracy
#: (follows the class balance); ``fixed``: 0.5, P1's argmax.
THRESHOLD_RULES = ("youden", "accuracy", "fixed")


def choose_threshold(y_true, positive_scores, rule: str = "youden") -> float:
    """The threshold ``t`` (predict positive when score >= t) that maximises ``rule`` on
    these (validation) predictions. Candidates are the midpoints between consecutive
    distinct scores (plus one below and one above all); ties go to the candidate closest
    to 0.5, so a validation set that cannot tell thresholds apart leaves P1's argmax.
    ValueError when the labels hold one class only (no threshold can be chosen)."""
    if rule not in THRESHOLD_RULES:
        raise ValueError(f"threshold rule {rule!r}; valid: {', '.join(THRESHOLD_RULES)}")
    if rule == "fixed":
        return 0.5
    y = _as_labels(y_true, "y_true")
    s = np.asarray(positive_scores, np.float64).reshape(-1)
    if s.size != y.size:
        raise ValueError(f"scores and labels differ in length: {s.size} and {y.size}")
    if y.min(initial=1) == y.max(initial=0):
        raise ValueError(
            "the validation predictions hold one class only: no threshold can be chosen on them"
        )
    u = np.unique(s)
    candidates = np.concatenate([[u[0] - 1e-6], (u[:-1] + u[1:]) / 2.0, [u[-1] + 1e-6]])
    scores = np.array([_threshold_score(rule, y, s, t) for t in candidates])
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    return float(candidates[best[np.argmin(np.abs(candidates[best] - 0.5))]])


def corrected_mean_ci(
    values: Sequence[float], n_train: float, n_test: float, confidence: float = 0.95
) -> dict:
    """Mean of J per-fold values with the corrected-resampled-t interval (Nadeau & Bengio
    2003; Bouckaert & Frank 2004): variance ``(1/J + n_test/n_train) · s²`` because folds
    share training images, so their scores are correlated. Same keys as :func:`mean_ci`."""
    v = np.asarray([np.nan if x is None else x for x in values], dtype=np.float64)
    v = v[~np.isnan(v)]
    j = int(v.size)
    nan = float("nan")
    if j == 0:
        return {"mean": nan, "std": nan, "ci_low": nan, "ci_high": nan, "n": 0}
    mean = float(v.mean())
    if j == 1 or n_train <= 0:
        return {"mean": mean, "std": 0.0, "ci_low": nan, "ci_high": nan, "n": j}
    std = float(v.std(ddof=1))
    se = math.sqrt(1.0 / j + float(n_test) / float(n_train)) * std
    half = float(_sp.t.ppf((1.0 + confidence) / 2.0, j - 1)) * se
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": j}


def detectable_difference(
    std: float, j: int, n_train: float, n_test: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest true mean difference the corrected resampled t-test over ``j`` fold
    differences with standard deviation ``std`` detects with probability ``power`` at
    two-sided level ``alpha``: ``(t_{1-α/2, j-1} + t_{power, j-1}) · se`` with the corrected
    ``se = std · sqrt(1/j + n_test/n_train)`` (the usual normal-approximation formula with
    t quantiles). NaN for j < 2. The ``n_test/n_train`` term does not shrink with more
    repeats: repeated CV buys power only down to ``std · sqrt(n_test/n_train) · (t + t)``."""
    if j < 2 or math.isnan(std) or n_train <= 0:
        return float("nan")
    se = float(std) * math.sqrt(1.0 / j + float(n_test) / float(n_train))
    df = j - 1
    return float((_sp.t.ppf(1.0 - alpha / 2.0, df) + _sp.t.ppf(power, df)) * se)
