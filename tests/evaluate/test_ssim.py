import numpy as np
import pytest

from keras_medgan.evaluate import ssim as ssim_mod
from tests.evaluate.conftest import blob_images


def test_ms_ssim_of_identical_images_is_one():
    x = blob_images(4, 32)
    np.testing.assert_allclose(ssim_mod.ms_ssim(x, x), 1.0, atol=1e-12)
    np.testing.assert_allclose(ssim_mod.ssim(x, x), 1.0, atol=1e-12)


def test_protocol_is_adapted_at_32_and_standard_at_256():
    p32 = ssim_mod.ms_ssim_protocol(32)
    assert (p32["scales"], p32["window"], p32["sigma"]) == (3, 7, 1.0)
    assert "adapted" in p32["note"]
    assert sum(p32["weights"]) == pytest.approx(1.0)
    p256 = ssim_mod.ms_ssim_protocol(256)
    assert (p256["scales"], p256["window"]) == (5, 11) and "standard" in p256["note"]


def test_ssim_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    a = blob_images(3, 32)
    b = np.clip(a + 0.2 * rng.standard_normal(a.shape), -1, 1).astype(np.float32)
    np.testing.assert_allclose(
        ssim_mod.ssim(a, b), tf.image.ssim(a, b, max_val=2.0).numpy(), atol=1e-5
    )


def test_ms_ssim_matches_tensorflow_with_its_five_scales():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (2, 176, 176, 1)).astype(np.float32)
    b = np.clip(a + 0.3 * rng.standard_normal(a.shape), -1, 1).astype(np.float32)
    p = dict(ssim_mod.ms_ssim_protocol(176), weights=list(ssim_mod.WANG_WEIGHTS))
    assert p["scales"] == 5 and p["window"] == 11
    np.testing.assert_allclose(
        ssim_mod.ms_ssim(a, b, protocol=p),
        tf.image.ssim_multiscale(a, b, max_val=2.0).numpy(),
        atol=1e-4,
    )


def test_psnr_hand_value_and_identity():
    a = np.zeros((1, 4, 4, 1), np.float32)
    b = np.full((1, 4, 4, 1), 0.2, np.float32)  # mse 0.04, range 2 → 10·log10(4/0.04) = 20
    assert ssim_mod.psnr(a, b)[0] == pytest.approx(20.0)
    assert ssim_mod.psnr(a, a)[0] == np.inf


def test_diversity_drops_for_a_collapsed_set():
    x = blob_images(20, 32)
    collapsed = np.repeat(x[:1], 20, axis=0) + 0.01 * np.random.default_rng(0).standard_normal(
        x.shape
    )
    diverse = ssim_mod.pairwise_ms_ssim(x, num_pairs=50)["mean"]
    same = ssim_mod.pairwise_ms_ssim(collapsed.astype(np.float32), num_pairs=50)["mean"]
    assert same > 0.9 > diverse


def test_nearest_real_finds_the_planted_copy():
    real = blob_images(10, 16, seed=5)
    fake = np.concatenate([real[[7]], blob_images(2, 16, seed=9)])
    q = ssim_mod.nearest_real_quality(fake, real)
    assert q["nearest_index"][0] == 7
    assert q["psnr"][0] == np.inf and q["num_identical"] == 1
    assert q["ssim"][0] == pytest.approx(1.0)
