"""Figures: what they show, not only that a PNG was written."""

import cv2
import numpy as np

from keras_medgan.evaluate.figures import save_pairs_grid, save_tsne, tsne_embedding
from tests.evaluate.conftest import blob_images


def test_tsne_png_coloured_by_class(tmp_path):
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((16, 4)), rng.standard_normal((14, 4)) + 3.0
    path = save_tsne(
        real,
        fake,
        tmp_path / "tsne.png",
        np.repeat([0, 1], 8),
        np.repeat([0, 1], 7),
        ["normal", "hemorrhage"],
        seed=0,
        max_iter=250,
    )
    img = cv2.imread(path)
    assert path.endswith("tsne.png") and img is not None and img.shape[0] > 200
    # colour: points of two classes in two colours beside the black/white of axes and text
    colourful = img[(img.max(axis=2).astype(int) - img.min(axis=2)) > 60]
    assert len(np.unique(colourful // 32, axis=0)) >= 2


def test_tsne_keeps_separated_groups_apart():
    """Two groups 3 SD apart in 4-D stay apart in the 2-D embedding: every point's nearest
    neighbour is in its own group (a shuffled or mislabelled embedding fails this)."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal((20, 4)), rng.standard_normal((20, 4)) + 6.0])
    emb = tsne_embedding(x, seed=0, max_iter=300)
    d = np.linalg.norm(emb[:, None] - emb[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nearest = d.argmin(axis=1)
    assert ((nearest < 20) == (np.arange(40) < 20)).all()


def test_pairs_grid_shows_each_fake_beside_its_training_image(tmp_path):
    x = blob_images(4, 8)
    path = save_pairs_grid(x, x, [(0, 1, 0.1), (2, 3, 0.2)], tmp_path / "pairs.png")
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert img is not None and img.std() > 5  # not a blank canvas
    one = save_pairs_grid(x, x, [(0, 1, 0.1)], tmp_path / "one.png")
    assert cv2.imread(str(one)).shape[1] < cv2.imread(str(path)).shape[1]  # 2 cells vs 4
