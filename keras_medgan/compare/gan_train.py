"""GAN-train / GAN-test (P3; Shmelkov et al. 2018) with a linear-time SVM on features.

P3 extracts VGG-16 features, trains an SVM on SYNTHETIC images and tests it on REAL ones
("GAN-train": do the fakes carry the class information of the real data?), and reports
sensitivity, specificity and HM = 2·Sen·Spe/(Sen+Spe) beside an SVM trained on real data
(its real row: 0.883 / 0.885 / 0.883). GAN-test is the reverse — train on real, test on
synthetic: are the fakes recognisable as their class (high) or off-manifold (low)?

The scoring functions here take feature arrays, so they are testable without a network;
:func:`extract` wraps :func:`keras_medgan.evaluate.features.get_extractor`.
"""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from keras_medgan.evaluate.stats import binary_metrics

__all__ = ["P3_REFERENCE", "gan_train_cell", "gan_train_test", "make_svm", "svm_score"]

#: P3's table (Sen / Spe / HM of an SVM on VGG-16 features, tested on real images).
P3_REFERENCE = {
    "real": {"sensitivity": 0.883, "specificity": 0.885, "hm": 0.883},
    "PGGAN": {"sensitivity": 0.762, "specificity": 0.712, "hm": 0.736},
    "DCGAN": {"sensitivity": 0.584, "specificity": 0.613, "hm": 0.598},
}


def make_svm(seed: int = 0):
    """Standardise, then an RBF SVC with probability-free decision scores (P3: an SVM)."""
    return make_pipeline(
        StandardScaler(), SVC(kernel="rbf", C=1.0, gamma="scale", random_state=seed)
    )


def svm_score(train_x, train_y, test_x, test_y, seed: int = 0) -> dict:
    """Fit the SVM on (train_x, train_y), return binary metrics on (test_x, test_y).

    The AUC uses the SVM's decision function as the score.
    """
    train_y = np.asarray(train_y).reshape(-1)
    test_y = np.asarray(test_y).reshape(-1)
    if len(np.unique(train_y)) < 2:
        raise ValueError("the SVM needs both classes in its training set")
    svm = make_svm(seed).fit(np.asarray(train_x, np.float64), train_y)
    test_x = np.asarray(test_x, np.float64)
    pred = svm.predict(test_x)
    if set(np.unique(train_y)) | set(np.unique(test_y)) <= {0, 1}:
        return binary_metrics(test_y, pred, svm.decision_function(test_x))
    # More than two classes: sensitivity/specificity/HM are binary notions.
    return {
        "accuracy": float(np.mean(pred == test_y)),
        "sensitivity": None,
        "specificity": None,
        "hm": None,
        "auc": None,
        "n": int(test_y.size),
    }


def gan_train_test(
    real_train: tuple, real_test: tuple, synthetic: tuple, seed: int = 0
) -> dict[str, dict]:
    """The three SVM scores P3's table needs, from ``(features, labels)`` pairs.

    ``real``: train on real train, test on real test (the ceiling).
    ``gan_train``: train on synthetic, test on real test.
    ``gan_test``: train on real train, test on synthetic.
    """
    return {
        "real": svm_score(*real_train, *real_test, seed=seed),
        "gan_train": svm_score(*synthetic, *real_test, seed=seed),
        "gan_test": svm_score(*real_train, *synthetic, seed=seed),
    }


def gan_train_cell(
    extractor, real_train: tuple, real_test: tuple, synthetic: tuple, seed: int = 0
) -> dict:
    """One GAN-train / GAN-test job, the same for the benchmark and the study: the
    synthetic pool cut to the real training split's per-class counts (so the three SVMs
    train on sets of one size and balance), every set through ``extractor``, then
    :func:`gan_train_test`. ``*_train``/``*_test``/``synthetic``: (images, labels)."""
    (train_x, train_y), (test_x, test_y) = real_train, real_test
    images, labels = (np.asarray(a) for a in synthetic)
    counts = np.bincount(np.asarray(train_y, np.int64))
    keep = np.concatenate([np.flatnonzero(labels == c)[:n] for c, n in enumerate(counts)])
    scores = gan_train_test(
        (extractor(train_x), train_y),
        (extractor(test_x), test_y),
        (extractor(images[keep]), labels[keep]),
        seed=seed,
    )
    return {"features": extractor.describe(), "scores": scores, "n_synthetic": len(keep)}
