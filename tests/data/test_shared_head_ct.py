"""The real Kaggle head CT set beside the checkout (skipped when absent)."""

import numpy as np


def test_real_head_ct_loads_200_images_100_per_class(shared_head_ct):
    from keras_medgan.data import load_image_set

    s = load_image_set("head_ct", data_dir=shared_head_ct, image_size=32, split="all")
    assert len(s) == 200 and s.skipped == []
    assert s.counts() == {"normal": 100, "hemorrhage": 100}
    assert s.images.shape == (200, 32, 32, 1)
    assert -1.0 <= s.images.min() and s.images.max() <= 1.0
    # 188.png and 189.png are the same slice at 32 px in the Kaggle set itself
    assert np.unique(s.images.reshape(200, -1), axis=0).shape[0] >= 198
    sizes = {
        k: len(load_image_set("head_ct", data_dir=shared_head_ct, split=k))
        for k in ("train", "val", "test")
    }
    assert sizes == {"train": 144, "val": 34, "test": 22}
