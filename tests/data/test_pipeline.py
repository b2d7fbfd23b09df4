"""Pipeline: resize/pad/crop, [-1, 1], class filter, tf.data batches."""

import numpy as np
import pytest

from keras_medgan.data import DataError, load_image_set, make_tf_dataset
from keras_medgan.data.pipeline import fit_crop, fit_pad, to_model_range

from .fixtures import write_class_folders


def test_fit_pad_keeps_aspect_and_pads_with_zero():
    img = np.ones((100, 50), np.float32)
    out = fit_pad(img, 32)
    assert out.shape == (32, 32)
    np.testing.assert_allclose(out[:, 8:24], 1.0, atol=1e-6)
    assert out[:, :8].max() == 0.0 and out[:, 24:].max() == 0.0
    assert to_model_range(out)[0, 0] == -1.0  # the pad is the window's low end


def test_fit_crop_takes_the_centre():
    img = np.zeros((50, 100), np.float32)
    img[:, 25:75] = 1.0  # the centre half
    out = fit_crop(img, 32)
    assert out.shape == (32, 32)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)


def test_upscaling_small_images():
    out = fit_pad(np.full((8, 16), 0.5, np.float32), 64)
    assert out.shape == (64, 64)
    np.testing.assert_allclose(out[16:48], 0.5, atol=1e-6)
    assert out[:16].max() == 0


@pytest.mark.parametrize("size", [32, 64])
def test_phantom_set_shapes_dtypes_ranges(size):
    s = load_image_set("phantom:n=20,seed=0,size=128", image_size=size, split="all")
    assert s.images.shape == (20, size, size, 1) and s.images.dtype == np.float32
    assert s.labels.dtype == np.int64
    assert s.images.min() >= -1.0 and s.images.max() <= 1.0
    assert s.images.min() == -1.0  # air/background
    assert len(s.paths) == len(s.patient_ids) == 20 and s.skipped == []


def test_class_filter_keeps_full_class_list(tmp_path):
    root = write_class_folders(tmp_path / "mri", n=10)
    full = load_image_set(f"folder:{root}", split="all", cache=False)
    assert full.class_names == ["no", "yes"] and full.counts() == {"no": 10, "yes": 10}
    yes = load_image_set(f"folder:{root}", split="all", classes=["yes"], cache=False)
    assert yes.class_names == ["no", "yes"]
    assert set(yes.labels.tolist()) == {1} and len(yes) == 10
    train_yes = load_image_set(f"folder:{root}", split="train", classes=["yes"], cache=False)
    train = load_image_set(f"folder:{root}", split="train", cache=False)
    assert set(train_yes.paths) == {p for p, y in zip(train.paths, train.labels) if y == 1}
    with pytest.raises(DataError, match="has no class 'maybe'; classes: no, yes"):
        load_image_set(f"folder:{root}", classes=["maybe"])


def test_grey_values_survive_the_pipeline(tmp_path):
    root = write_class_folders(tmp_path / "mri", n=4)  # 'no' = 50, 'yes' = 150 (8-bit)
    s = load_image_set(f"folder:{root}", image_size=32, resize="crop", split="all", cache=False)
    for img, y in zip(s.images, s.labels):
        expected = (50 + 100 * y) / 255 * 2 - 1
        np.testing.assert_allclose(img, expected, atol=2e-3)


def test_array_cache_gives_identical_arrays(tmp_path, data_cache):
    root = write_class_folders(tmp_path / "mri", n=4)
    a = load_image_set(f"folder:{root}", split="all")
    assert list((data_cache / "arrays").glob("*.npz"))
    b = load_image_set(f"folder:{root}", split="all")
    np.testing.assert_allclose(a.images, b.images, atol=1 / 65535 * 2 + 1e-7)
    assert a.paths == b.paths


def test_make_tf_dataset_batches_and_one_hot():
    images = np.linspace(-1, 1, 20 * 8 * 8).reshape(20, 8, 8, 1).astype(np.float32)
    labels = np.array([0, 1] * 10)
    ds = make_tf_dataset(images, labels, num_classes=2, batch_size=6, shuffle=True, seed=1)
    batches = list(ds.as_numpy_iterator())
    assert len(batches) == 3  # drop_remainder
    x, y = batches[0]
    assert x.shape == (6, 8, 8, 1) and x.dtype == np.float32
    assert y.shape == (6, 2) and y.dtype == np.float32
    np.testing.assert_array_equal(y.sum(axis=1), 1.0)
    # one-hot agrees with the image it belongs to
    for xi, yi in zip(*batches[1]):
        index = int(np.argmin(np.abs(images - xi).reshape(20, -1).sum(1)))
        assert int(np.argmax(yi)) == labels[index]
    again = list(make_tf_dataset(images, labels, 2, 6, True, 1).as_numpy_iterator())
    np.testing.assert_array_equal(again[0][0], x)  # seeded


def test_make_tf_dataset_repeat_and_no_shuffle():
    images = np.zeros((5, 4, 4, 1), np.float32)
    ds = make_tf_dataset(
        images, np.zeros(5, int), num_classes=3, batch_size=2, shuffle=False, drop_remainder=False
    )
    assert [b[0].shape[0] for b in ds.as_numpy_iterator()] == [2, 2, 1]
    rep = make_tf_dataset(images, np.zeros(5, int), num_classes=3, batch_size=4, repeat=True)
    assert len(list(rep.take(7).as_numpy_iterator())) == 7
    with pytest.raises(DataError, match="only 5 images but batch_size=16"):
        make_tf_dataset(images, np.zeros(5, int), num_classes=1, batch_size=16)


def test_epoch_dataset_order_depends_only_on_seed_and_epoch():
    from keras_medgan.data import make_epoch_dataset

    images = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1) * np.ones(
        (1, 2, 2, 1), np.float32
    )
    labels = np.arange(10) % 2

    def first_ids(start, batches):
        ds = make_epoch_dataset(
            images, labels, num_classes=2, batch_size=4, seed=3, start_epoch=start
        )
        return [x.numpy()[:, 0, 0, 0].astype(int).tolist() for x, _ in ds.take(batches)]

    unbroken = first_ids(0, 6)  # 3 epochs of 2 batches (2 images dropped each)
    assert first_ids(2, 2) == unbroken[4:6]  # a run resumed at epoch 2 sees epoch 2's batches
    for e in range(3):
        epoch = unbroken[2 * e] + unbroken[2 * e + 1]
        assert len(set(epoch)) == 8  # no image twice within an epoch
    assert unbroken[0:2] != unbroken[2:4]  # each epoch reshuffles
    _, one_hot = next(iter(make_epoch_dataset(images, labels, 2, 4, seed=3)))
    x, _ = next(iter(make_epoch_dataset(images, labels, 2, 4, seed=3)))
    np.testing.assert_array_equal(one_hot.numpy().argmax(1), x.numpy()[:, 0, 0, 0].astype(int) % 2)
    with pytest.raises(DataError, match="the dataset would be empty"):
        make_epoch_dataset(images[:3], labels[:3], 2, 4)


def test_a_cache_miss_returns_the_images_a_cache_hit_returns(tmp_path, monkeypatch):
    """The run that fills the array cache must train on what every later run reads."""
    from keras_medgan.data import load_image_set

    monkeypatch.setenv("KERAS_MEDGAN_CACHE", str(tmp_path / "cache"))
    first = load_image_set("phantom:n=8,size=128", image_size=32, split="all")
    second = load_image_set("phantom:n=8,size=128", image_size=32, split="all")
    assert np.array_equal(first.images, second.images)
