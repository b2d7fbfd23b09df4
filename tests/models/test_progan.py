"""ProGAN networks: stage shapes, the fade-in blend, equalized LR, the baked export."""

import math

import keras
import numpy as np
import pytest

from keras_medgan.models import (
    ARCHS,
    progan,
)
from keras_medgan.models.layers import downsample, upsample

TINY = {"fmap_base": 32, "fmap_max": 8}


@pytest.fixture(scope="module")
def nets():
    g = progan.build_pggan_generator(z_dim=6, image_size=16, **TINY)
    d = progan.build_pggan_discriminator(image_size=16, **TINY)
    return g, d


def _z(n=4):
    return np.random.default_rng(1).normal(size=(n, 6)).astype("float32")


def test_registered():
    spec = ARCHS.get("pggan")
    assert spec.image_sizes == (8, 16, 32, 64, 128, 256)
    assert spec.paper_defaults()["batch_size"] == 4 and spec.paper_defaults()["lr"] == 2e-4
    assert spec.paper_defaults()["loss"] == "pggan"


def test_stage_arithmetic():
    assert [progan.num_stages(s) for s in (8, 32, 256)] == [2, 4, 7]
    assert [progan.stage_filters(s, 8192, 512) for s in range(7)] == [
        512,
        512,
        512,
        512,
        256,
        128,
        64,
    ]
    with pytest.raises(ValueError, match="power-of-two"):
        progan.num_stages(48)


def test_every_stage_shapes(nets):
    g, d = nets
    z = _z()
    assert g.num_stages == d.num_stages == 3
    for stage, res in enumerate((4, 8, 16)):
        assert g.forward(z, stage, 0.5).shape == (4, res, res, 1)
        full = g(z, stage=stage, alpha=0.5)
        assert full.shape == (4, 16, 16, 1)
        assert d.forward(np.zeros((4, res, res, 1), "float32"), stage, 0.5).shape == (4, 1)
        assert d(full, stage=stage, alpha=0.5).shape == (4, 1)
        # The full-size output is the stage's image, nearest-upsampled.
        np.testing.assert_allclose(full, upsample(g.forward(z, stage, 0.5), 16 // res), atol=1e-6)


def test_generator_alpha_blends_old_and_new(nets):
    g, _ = nets
    z = _z()
    for stage in (1, 2):
        old = np.asarray(g.forward(z, stage - 1, 1.0))
        at0 = np.asarray(g.forward(z, stage, 0.0))
        at1 = np.asarray(g.forward(z, stage, 1.0))
        # α = 0: exactly the previous stage's image, upsampled.
        np.testing.assert_allclose(at0, upsample(old, 2), atol=1e-6)
        assert np.abs(at1 - at0).max() > 1e-3  # the new block does change the output
        # In between, the pre-tanh images are linear in α.
        for alpha in (0.25, 0.7):
            mid = np.arctanh(np.asarray(g.forward(z, stage, alpha)))
            np.testing.assert_allclose(
                mid, (1 - alpha) * np.arctanh(at0) + alpha * np.arctanh(at1), atol=1e-4
            )


def test_critic_alpha_blends_old_and_new(nets):
    _, d = nets
    x = np.random.default_rng(2).uniform(-1, 1, (4, 16, 16, 1)).astype("float32")
    old = np.asarray(d.forward(downsample(x, 2), 1, 1.0))
    np.testing.assert_allclose(d.forward(x, 2, 0.0), old, rtol=1e-5, atol=1e-5)
    new = np.asarray(d.forward(x, 2, 1.0))
    assert np.abs(new - old).max() > 1e-4
    mid = np.asarray(d.forward(x, 2, 0.5))
    assert np.all(np.isfinite(mid))


def test_stage_and_alpha_variables_drive_call(nets):
    g, _ = nets
    z = _z()
    g.set_progress(1, 0.3)
    np.testing.assert_allclose(g(z), g(z, stage=1, alpha=0.3), atol=1e-6)
    g.set_progress(2, 1.0)
    with pytest.raises(ValueError, match="stage"):
        g.set_progress(3, 1.0)


def test_equalized_lr_scales_in_networks(nets):
    g, d = nets
    nf0 = progan.stage_filters(0, **TINY)
    conv = g.convs[1][0]  # 3×3 conv on nf(0) channels
    assert conv.runtime_scale == pytest.approx(math.sqrt(2) / math.sqrt(9 * nf0))
    assert g.to_rgb[2].runtime_scale == pytest.approx(
        1.0 / math.sqrt(progan.stage_filters(2, **TINY))
    )
    assert g.dense.runtime_scale == pytest.approx(math.sqrt(2) / 4 / math.sqrt(6))
    assert d.final_conv.runtime_scale == pytest.approx(math.sqrt(2) / math.sqrt(9 * (nf0 + 1)))


@pytest.mark.parametrize("stage, alpha", [(2, 1.0), (2, 0.4), (0, 1.0)])
def test_baked_generator_is_stock_and_equal(nets, stage, alpha, tmp_path):
    g, _ = nets
    z = _z()
    baked = g.bake(stage, alpha)
    for layer in baked.layers:
        assert type(layer).__module__.startswith("keras.src.layers"), type(layer)
    # the baked layers fold the equalized-lr scale into the weights, so float32 sums round
    # differently (up to 5.5e-5 seen on tanh outputs in [-1, 1]); a wrong scale or a
    # missing fade-in is off by orders of magnitude more
    np.testing.assert_allclose(baked(z), g(z, stage=stage, alpha=alpha), atol=2e-4)
    if stage == 2 and alpha == 1.0:
        path = tmp_path / "g.h5"
        baked.save(path)
        loaded = keras.models.load_model(path, compile=False)  # no custom objects
        np.testing.assert_allclose(loaded(z), baked(z), atol=1e-6)


def test_conditional_shapes():
    g = progan.build_pggan_generator(z_dim=6, image_size=8, num_classes=2, **TINY)
    d = progan.build_pggan_discriminator(image_size=8, num_classes=2, **TINY)
    z, y = _z(2), np.eye(2, dtype="float32")
    img = g([z, y], stage=1, alpha=0.5)
    assert img.shape == (2, 8, 8, 1)
    assert d([img, y], stage=1, alpha=0.5).shape == (2, 1)
    # The label changes the image.
    assert (
        np.abs(
            np.asarray(g([z, y[::-1]], stage=1, alpha=1.0))
            - np.asarray(g([z, y], stage=1, alpha=1.0))
        ).max()
        > 1e-4
    )
    baked = g.bake(1, 1.0)
    np.testing.assert_allclose(baked([z, y]), g([z, y], stage=1, alpha=1.0), atol=5e-5)
