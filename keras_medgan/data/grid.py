"""Sample grids: a quick look at what a dataset (or the phantom) really contains."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np


def save_grid(
    images: np.ndarray,
    path,
    titles: Sequence[str] | None = None,
    cols: int | None = None,
    cell_inches: float = 1.9,
    suptitle: str = "",
    dpi: int = 110,
) -> str:
    """Write images ([N, H, W] or [N, H, W, 1], values in [0, 1]) as a titled PNG grid."""
    import matplotlib  # lazy: loads matplotlib; module stays light

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # lazy: loads matplotlib; module stays light

    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    n = len(images)
    cols = cols or min(n, 6)
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(cols * cell_inches, rows * (cell_inches + 0.25)), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[i], fontsize=7)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    fig.savefig(os.fspath(path), dpi=dpi)
    plt.close(fig)
    return os.fspath(path)
