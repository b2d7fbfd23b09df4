"""Classifier two-sample test (C2ST) and the realism filter built on it.

Lopez-Paz & Oquab (2017): train a classifier to tell real from fake images; on held-out
images its accuracy is ≈ 50 % when the two sets are indistinguishable, and a one-sided
binomial test of "accuracy > 50 %" is a valid two-sample test. Here the classifier is a
small CNN (``build_probe``: three conv blocks, no BatchNorm — see why there; any
``keras_medgan.models.classifiers`` name can be chosen instead), trained with stratified
k-fold cross-validation so every image gets an out-of-fold prediction.

The out-of-fold probability "real" of each fake is a per-image realism score. P1 names
"discard unrealistic fakes with a classifier two-sample test" as future work:
``keep_most_realistic`` returns the fakes ranked by that score, and the synthesize CLI's
``--keep-most-realistic 0.8`` keeps the top 80 % through exactly this function.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sp_stats

from keras_medgan.core.console import Progress
from keras_medgan.evaluate.stats import binary_metrics

REAL, FAKE = 1, 0
PROBE = "probe"


def build_probe(input_shape, num_classes: int = 2, dropout: float = 0.4):
    """The default C2ST classifier: three conv blocks without BatchNorm → GAP → softmax.

    Why not the benchmark's ``small_cnn``: its BatchNorm layers predict held-out images
    with moving averages that are still far from the batch statistics after the few
    hundred steps a C2ST fold trains for, which pushes held-out accuracy towards chance
    for reasons that have nothing to do with the images. Without BN the out-of-fold
    prediction is exactly the function that was trained. (Any ``CLASSIFIERS`` name can
    still be chosen with ``classifier=``.)
    """
    import keras  # lazy: loads TensorFlow; module stays light
    from keras import layers  # lazy: loads TensorFlow; module stays light

    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for i, filters in enumerate((16, 32, 64)):
        x = layers.Conv2D(filters, 3, padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"lrelu{i}")(x)
        if min(x.shape[1:3]) >= 2:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling2D(name="features")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(
        x
    )
    return keras.Model(inputs, outputs, name="c2st_probe")


def _build(classifier: str, input_shape):
    if classifier == PROBE:
        return build_probe(input_shape)
    # lazy: loads TensorFlow; module stays light
    from keras_medgan.models.classifiers import build_classifier

    return build_classifier(classifier, input_shape, num_classes=2)


def _check(images: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(images, np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(
            f"{what} must be images [N, H, W, C] with N > 0. Received shape: {x.shape}."
        )
    return x


def out_of_fold_scores(
    real: np.ndarray,
    fake: np.ndarray,
    folds: int = 5,
    epochs: int = 10,
    batch_size: int = 32,
    seed: int = 0,
    classifier: str = PROBE,
    verbose: bool = False,
) -> dict[str, np.ndarray]:
    """Cross-validated P(real) for every image of both sets.

    Stratified ``folds``-fold split; per fold the classifier restarts from the same seeded
    initial weights and trains on the other folds with balanced class weights (so unequal
    set sizes do not push it towards the larger set), shuffled with seed ``seed + fold``. Returns ``{"y_true", "p_real", "fold"}`` over the
    concatenation ``[real; fake]``.
    """
    import keras  # lazy: loads TensorFlow; module stays light

    # lazy: loads scikit-learn; module stays light
    from sklearn.model_selection import StratifiedKFold

    real, fake = _check(real, "real images"), _check(fake, "fake images")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(
            f"Real and fake images differ in shape: {real.shape[1:]} vs {fake.shape[1:]}."
        )
    x = np.concatenate([real, fake])
    y = np.concatenate([np.full(len(real), REAL), np.full(len(fake), FAKE)])
    folds = int(min(folds, len(real), len(fake)))
    if folds < 2:
        raise ValueError("C2ST needs at least 2 images in each set for cross-validation.")
    weights = {REAL: len(y) / (2.0 * len(real)), FAKE: len(y) / (2.0 * len(fake))}
    p_real = np.zeros(len(y), np.float64)
    fold_of = np.zeros(len(y), np.int64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # One model and one traced train step for all folds: each fold restarts from the same
    # seeded initial weights with a zeroed optimizer (tracing per fold costs more than the
    # few hundred tiny steps a fold trains for).
    # lazy: loads TensorFlow; module stays light
    from keras_medgan.core.runtime import grappler_options

    keras.utils.set_random_seed(int(seed))
    model = _build(classifier, x.shape[1:])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)
    initial = model.get_weights()
    initial_opt = [np.array(v.numpy()) for v in model.optimizer.variables]  # lr kept, moments 0
    bar = Progress(folds, "C2ST folds", enabled=verbose)
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
        keras.utils.set_random_seed(int(seed) + k)
        model.set_weights(initial)
        for var, value in zip(model.optimizer.variables, initial_opt):
            var.assign(value)
        with grappler_options(remapping=False):  # see runtime.grappler_options
            model.fit(
                x[train],
                y[train],
                epochs=int(epochs),
                batch_size=int(batch_size),
                shuffle=True,
                class_weight=weights,
                verbose=0,
            )
        p_real[test] = np.concatenate(
            [
                keras.ops.convert_to_numpy(model(x[test[i : i + 256]], training=False))
                for i in range(0, len(test), 256)
            ]
        )[:, REAL]
        fold_of[test] = k
        bar.update(k + 1)
    bar.close()
    return {"y_true": y, "p_real": p_real, "fold": fold_of}


def c2st(
    real: np.ndarray,
    fake: np.ndarray,
    folds: int = 5,
    epochs: int = 10,
    batch_size: int = 32,
    seed: int = 0,
    classifier: str = PROBE,
    confidence: float = 0.95,
    verbose: bool = False,
) -> dict[str, object]:
    """C2ST accuracy with a Clopper–Pearson CI and binomial p-values against 50 %.

    The larger set is subsampled (seeded) to the smaller one's size so that chance is
    exactly 50 %. ``p_value`` is the one-sided test of Lopez-Paz & Oquab (accuracy > ½);
    ``p_value_two_sided`` is also given.
    """

    real, fake = _check(real, "real images"), _check(fake, "fake images")
    n = min(len(real), len(fake))
    rng = np.random.default_rng(seed)
    real_b = real[np.sort(rng.choice(len(real), n, replace=False))]
    fake_b = fake[np.sort(rng.choice(len(fake), n, replace=False))]
    oof = out_of_fold_scores(real_b, fake_b, folds, epochs, batch_size, seed, classifier, verbose)
    y_pred = (oof["p_real"] >= 0.5).astype(np.int64)
    m = binary_metrics(oof["y_true"], y_pred, oof["p_real"])
    correct = int(m["tp"] + m["tn"])
    total = int(m["n"])
    test = sp_stats.binomtest(correct, total, 0.5, alternative="greater")
    ci = sp_stats.binomtest(correct, total, 0.5).proportion_ci(confidence, method="exact")
    fold_acc = [
        float(np.mean(y_pred[oof["fold"] == k] == oof["y_true"][oof["fold"] == k]))
        for k in range(int(oof["fold"].max()) + 1)
    ]
    return {
        "accuracy": correct / total,
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "confidence": confidence,
        "p_value": float(test.pvalue),
        "p_value_two_sided": float(sp_stats.binomtest(correct, total, 0.5).pvalue),
        "auc": m["auc"],
        "real_called_real": m["sensitivity"],
        "fake_called_fake": m["specificity"],
        "n_per_set": int(n),
        "folds": len(fold_acc),
        "fold_accuracy": fold_acc,
        "epochs": int(epochs),
        "classifier": classifier,
        "seed": int(seed),
        "fake_realism": oof["p_real"][oof["y_true"] == FAKE].tolist(),
        "interpretation": interpret_c2st(correct / total, float(test.pvalue)),
    }


def interpret_c2st(accuracy: float, p_value: float, alpha: float = 0.05) -> str:
    """One line a reader can act on."""
    if p_value >= alpha:
        return (
            f"indistinguishable at this sample size (accuracy {accuracy:.1%}, "
            f"p = {p_value:.3g} ≥ {alpha})"
        )
    return (
        f"the classifier tells real from fake (accuracy {accuracy:.1%}, p = {p_value:.3g}); "
        "≈50 % would mean indistinguishable"
    )


def keep_most_realistic(
    fake_images: np.ndarray,
    real_images: np.ndarray,
    fraction: float,
    seed: int = 0,
    folds: int = 5,
    epochs: int = 10,
    classifier: str = PROBE,
) -> np.ndarray:
    """Indices into ``fake_images`` of the most realistic ``fraction``, most realistic first.

    Realism = the out-of-fold C2ST probability that a fake is real (every fake is scored
    by a classifier that never saw it). Keeps ``ceil(fraction · N)`` fakes (at least one);
    ties keep the original order. Deterministic for a given ``seed``.
    """
    fraction = float(fraction)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1]. Received: {fraction}")
    fake = _check(fake_images, "fake images")
    oof = out_of_fold_scores(
        real_images, fake, folds=folds, epochs=epochs, seed=seed, classifier=classifier
    )
    realism = oof["p_real"][oof["y_true"] == FAKE]
    order = np.argsort(-realism, kind="stable")
    keep = max(1, math.ceil(fraction * len(fake) - 1e-9))
    return order[:keep].astype(np.int64)


def most_realistic_selector(fraction: float, real_images_of, batch_size: int = 256):
    """A ``select`` for ``generators.sampling.synthesize_set``: generate ⌈n / fraction⌉, keep the n most realistic.

    Realism is scored by the evaluation stage's classifier two-sample test (P1's future
    work: "discard unrealistic fakes with a C2ST") against ``real_images_of(name, gen)``,
    the real training images of the same class (the CLI loads them from the data set;
    the study passes its fold's training part, so the filter never sees a test image).
    """

    def select(name: str, gen, n: int, seed: int) -> np.ndarray:
        real = real_images_of(name, gen)
        if len(real) == 0:
            raise ValueError(f"no real images of class {name!r} to score realism against")
        total = math.ceil(n / fraction)
        label = gen.label_index(name) if gen.conditional else None
        fake = gen.generate(total, label=label, seed=seed, batch_size=batch_size)
        keep = [int(i) for i in keep_most_realistic(fake, real, n / total, seed=0)][:n]
        if len(keep) < n:  # rounding in the scorer: top up in generation order
            chosen = set(keep)
            keep += [i for i in range(total) if i not in chosen][: n - len(keep)]
        return fake[np.asarray(keep, np.int64)]

    return select
