"""The one seed rule and batching every sampler uses, checked by value."""

import numpy as np
import pytest

from keras_medgan.models.latents import images_from, latent_vectors


def test_latent_vectors_are_one_draw_of_the_seeded_generator():
    z = latent_vectors(5, 3, seed=7)
    assert z.dtype == np.float32 and z.shape == (5, 3)
    np.testing.assert_array_equal(z, np.random.default_rng(7).standard_normal((5, 3)).astype("f4"))
    np.testing.assert_array_equal(latent_vectors(2, 3, seed=7), z[:2])  # a prefix, not a redraw
    assert not np.array_equal(latent_vectors(5, 3, seed=8), z)


def _recording_predict(calls):
    def predict(inputs):
        z, y = inputs if isinstance(inputs, list) else (inputs, None)
        calls.append((len(z), None if y is None else len(y)))
        images = np.tanh(z[:, :4]).reshape(len(z), 2, 2, 1) * 3.0  # reaches past ±1
        return images if y is None else images + y[:, :1, None, None]

    return predict


@pytest.mark.parametrize("batch_size", [1, 2, 3, 7, 100])
def test_images_do_not_depend_on_the_batch_size_and_are_clipped(batch_size):
    z = latent_vectors(7, 4, seed=0)
    calls = []
    out = images_from(_recording_predict(calls), z, None, batch_size, lambda: (2, 2, 1))
    expected = np.clip(np.tanh(z).reshape(7, 2, 2, 1) * 3.0, -1.0, 1.0)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.min() == -1.0 and out.max() == 1.0  # the clip was needed and applied
    size = min(batch_size, 7)
    assert {n for n, _ in calls} == {size}  # every call a full (padded) batch
    assert len(calls) == -(-7 // size)


def test_labels_are_batched_and_padded_with_their_vectors():
    z = latent_vectors(3, 4, seed=1)
    one_hot = np.eye(2, dtype=np.float32)[[0, 1, 1]]
    calls = []
    out = images_from(_recording_predict(calls), z, one_hot, 2, lambda: (2, 2, 1))
    assert calls == [(2, 2), (2, 2)]
    base = np.clip(np.tanh(z).reshape(3, 2, 2, 1) * 3.0 + one_hot[:, :1, None, None], -1, 1)
    np.testing.assert_allclose(out, base, rtol=1e-6)


def test_no_images_asked_gives_an_empty_batch_of_the_right_shape():
    out = images_from(lambda x: 1 / 0, latent_vectors(0, 4, 0), None, 8, lambda: (5, 6, 1))
    assert out.shape == (0, 5, 6, 1) and out.dtype == np.float32
