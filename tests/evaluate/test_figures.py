import numpy as np

from keras_medgan.evaluate.figures import save_pairs_grid, save_tsne
from tests.evaluate.conftest import blob_images


def test_tsne_png_coloured_by_class(tmp_path):
    rng = np.random.default_rng(0)
    real, fake = rng.standard_normal((16, 4)), rng.standard_normal((14, 4)) + 3.0
    path = save_tsne(real, fake, tmp_path / "tsne.png", np.repeat([0, 1], 8), np.repeat([0, 1], 7),
                     ["normal", "hemorrhage"], seed=0, max_iter=250)
    data = (tmp_path / "tsne.png").read_bytes()
    assert path.endswith("tsne.png") and data[:4] == b"\x89PNG"


def test_pairs_grid_png(tmp_path):
    x = blob_images(4, 8)
    save_pairs_grid(x, x, [(0, 1, 0.1), (2, 3, 0.2)], tmp_path / "pairs.png")
    assert (tmp_path / "pairs.png").read_bytes()[:4] == b"\x89PNG"
