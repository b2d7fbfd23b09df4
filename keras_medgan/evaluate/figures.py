"""Figures of the evaluation report: closest pairs, t-SNE, the D(G(z)) curve.

Every function writes one PNG and returns its path; matplotlib runs headless (Agg).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from keras_medgan.data.grid import save_grid
from keras_medgan.data.pipeline import to_display_range


def _plt():
    import matplotlib  # lazy: loads matplotlib; module stays light

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # lazy: loads matplotlib; module stays light

    return plt


def save_pairs_grid(
    fake: np.ndarray, train: np.ndarray, pairs: Sequence[tuple[int, int, float]], path
) -> str:
    """Each closest pair as two adjacent cells: the fake, then its nearest training image."""

    cells, titles = [], []
    for fi, ti, ratio in pairs:
        cells += [fake[fi], train[ti]]
        titles += [f"fake {fi} (ratio {ratio:.2f})", f"→ train {ti}"]
    return save_grid(
        to_display_range(np.asarray(cells)),
        path,
        titles=titles,
        cols=min(8, len(cells)),
        suptitle="Closest fake / training pairs (pixel L2; ratio = distance / "
        "median real-to-real NN distance)",
    )


def tsne_embedding(features: np.ndarray, seed: int = 0, max_iter: int = 1000) -> np.ndarray:
    """2-D t-SNE (scikit-learn) of ``[N, D]`` features; perplexity capped for small N."""
    from sklearn.manifold import TSNE  # lazy: loads scikit-learn; module stays light

    n = len(features)
    perplexity = float(max(2.0, min(30.0, (n - 1) / 3.0)))
    return TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=seed, max_iter=int(max_iter)
    ).fit_transform(np.asarray(features, np.float64))


def save_tsne(
    real_feats: np.ndarray,
    fake_feats: np.ndarray,
    path,
    real_labels: np.ndarray | None = None,
    fake_labels: np.ndarray | None = None,
    class_names: list[str] | None = None,
    seed: int = 0,
    title: str = "",
    max_iter: int = 1000,
) -> str:
    """t-SNE of real (circles) vs synthetic (crosses) features, coloured by class (P1)."""
    plt = _plt()
    emb = tsne_embedding(np.concatenate([real_feats, fake_feats]), seed, max_iter)
    n_real = len(real_feats)
    groups = [
        ("real", emb[:n_real], real_labels, "o"),
        ("synthetic", emb[n_real:], fake_labels, "x"),
    ]
    names = list(class_names or [])
    colors = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(6, 5))
    for kind, pts, labels, marker in groups:
        if labels is None or len(names) == 0:
            ax.scatter(pts[:, 0], pts[:, 1], s=14, marker=marker, label=kind, alpha=0.7)
            continue
        for c, name in enumerate(names):
            sel = np.asarray(labels) == c
            if sel.any():
                ax.scatter(
                    pts[sel, 0],
                    pts[sel, 1],
                    s=14,
                    marker=marker,
                    color=colors(c % 10),
                    label=f"{kind} · {name}",
                    alpha=0.7,
                )
    ax.legend(fontsize=7, loc="best")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "t-SNE of real vs synthetic features", fontsize=9)
    fig.tight_layout()
    return _save(fig, plt, path)


def save_curve(
    epochs: Sequence[float],
    values: Sequence[float],
    path,
    ylabel: str,
    title: str,
    highlight_from: int | None = None,
) -> str:
    """A line plot (e.g. mean D(G(z)) per epoch), shading the window that is averaged."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(epochs, values, lw=1.2)
    if highlight_from is not None and len(epochs):
        ax.axvspan(
            epochs[highlight_from],
            epochs[-1],
            alpha=0.15,
            color="tab:orange",
            label="averaged window",
        )
        ax.legend(fontsize=7)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, plt, path)


def _save(fig, plt, path) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    fig.savefig(os.fspath(path), dpi=110)
    plt.close(fig)
    return os.fspath(path)
