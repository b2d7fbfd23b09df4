import cv2
import numpy as np
import pytest

from keras_medgan.evaluate.inputs import (
    InputError,
    is_generator_spec,
    load_fake,
    read_image_folder,
)


def _png(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((8, 8), value, np.uint8))


def test_folder_with_labels_csv_maps_to_real_class_indices(tmp_path):
    _png(tmp_path / "hemorrhage" / "hemorrhage_00000.png", 255)
    _png(tmp_path / "normal" / "normal_00000.png", 0)
    (tmp_path / "labels.csv").write_text(
        "file,label\nhemorrhage/hemorrhage_00000.png,hemorrhage\nnormal/normal_00000.png,normal\n"
    )
    s = read_image_folder(tmp_path, class_names=["normal", "hemorrhage"])
    assert s.images.shape == (2, 8, 8, 1) and s.images.dtype == np.float32
    np.testing.assert_allclose(s.images[:, 0, 0, 0], [1.0, -1.0])  # 255 → 1, 0 → -1
    assert s.labels.tolist() == [1, 0] and s.class_names == ["normal", "hemorrhage"]


def test_flat_folder_is_unlabelled_and_resized(tmp_path):
    _png(tmp_path / "a.png", 128)
    s = read_image_folder(tmp_path, image_size=4)
    assert s.labels is None and s.images.shape == (1, 4, 4, 1)
    assert not is_generator_spec(tmp_path)


def test_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_fake(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images"):
        load_fake(str(tmp_path / "empty"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="not a generator"):
        load_fake(str(tmp_path / "notes.txt"))
