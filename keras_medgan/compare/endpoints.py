"""What a classifier's predictions are scored by: threshold-free endpoints first.

Primary (threshold-free): ROC AUC (does the classifier rank a positive above a negative?),
log-loss and Brier score (are its probabilities right?). Secondary: accuracy, sensitivity,
specificity and HM at a decision threshold chosen on the VALIDATION predictions
(``stats.choose_threshold``), never on the test ones; accuracy at P1's fixed 0.5 is kept
beside them to show how much the threshold alone moves it.

Why: on head CT the same stored predictions said "synthetic hurts by 6 points" by
accuracy at 0.5 and "synthetic helps in 5 of 5 folds" by AUC. A classifier whose scores
rank well but sit on one side of 0.5 loses accuracy at 0.5 without being worse; only the
threshold-free numbers separate "ranks worse" from "is calibrated differently".
"""

from __future__ import annotations

import numpy as np

from keras_medgan.evaluate.stats import binary_metrics, brier_score, choose_threshold, log_loss

__all__ = ["PRIMARY", "SECONDARY", "average_metrics", "score_predictions"]

#: Threshold-free endpoints, and whether higher is better.
PRIMARY = {"auc": True, "log_loss": False, "brier": False}
#: At the validation-chosen threshold (and accuracy at P1's 0.5).
SECONDARY = {
    "accuracy": True,
    "sensitivity": True,
    "specificity": True,
    "hm": True,
    "accuracy_at_0.5": True,
}


def score_predictions(y_test, test_probs, y_val=None, val_probs=None, rule: str = "youden") -> dict:
    """Every endpoint of one classifier's test predictions.

    ``val_probs`` None (cells of the old protocol kept no validation predictions): the
    threshold is 0.5 and ``threshold_rule`` says so. More than two classes: AUC, threshold,
    sensitivity and specificity are None; accuracy is the argmax's.
    """
    y = np.asarray(y_test, np.int64).reshape(-1)
    p = np.asarray(test_probs, np.float64)
    out = {"log_loss": log_loss(y, p), "brier": brier_score(y, p), "n": int(y.size)}
    if p.shape[1] != 2:
        pred = p.argmax(axis=1)
        c = p.shape[1]
        confusion = np.zeros((c, c), np.int64)
        np.add.at(confusion, (y, pred), 1)
        acc = float(np.mean(pred == y))
        return {
            **out,
            "auc": None,
            "threshold": None,
            "threshold_rule": None,
            "accuracy": acc,
            "accuracy_at_0.5": acc,
            "sensitivity": None,
            "specificity": None,
            "hm": None,
            "confusion": confusion.tolist(),
        }
    if val_probs is None:
        threshold, how = 0.5, "fixed (no validation predictions)"
    else:
        threshold = choose_threshold(y_val, np.asarray(val_probs, np.float64)[:, 1], rule)
        how = rule
    at_half = binary_metrics(y, (p[:, 1] >= 0.5).astype(np.int64))
    m = binary_metrics(y, (p[:, 1] >= threshold).astype(np.int64), p[:, 1])
    return {
        **out,
        "auc": m["auc"],
        "threshold": threshold,
        "threshold_rule": how,
        "accuracy": m["accuracy"],
        "sensitivity": m["sensitivity"],
        "specificity": m["specificity"],
        "hm": m["hm"],
        "accuracy_at_0.5": at_half["accuracy"],
        "confusion": m["confusion"],
    }


def average_metrics(per_seed: list[dict]) -> dict:
    """The mean over classifier seeds of every numeric endpoint (NaN/None skipped), the
    summed confusion matrix, and how many seeds were averaged."""
    out: dict = {"seeds": len(per_seed)}
    for key in (*PRIMARY, *SECONDARY, "threshold"):
        vals = [m.get(key) for m in per_seed]
        vals = [float(v) for v in vals if v is not None and not np.isnan(v)]
        out[key] = float(np.mean(vals)) if vals else None
    confusions = [m["confusion"] for m in per_seed if m.get("confusion") is not None]
    out["confusion"] = np.sum(confusions, axis=0).tolist() if confusions else None
    out["threshold_rule"] = per_seed[0].get("threshold_rule") if per_seed else None
    out["n"] = per_seed[0].get("n") if per_seed else 0
    return out
