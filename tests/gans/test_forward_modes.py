"""BCE's three ways of getting a step's fakes (``forward``): each trains, each runs the
generator as often as it says, and an unknown mode is refused before training."""

import numpy as np
import pytest

from keras_medgan.gans import GAN_FAMILIES, make_optimizers
from keras_medgan.gans.base import GAN
from keras_medgan.models import ARCHS

from .test_conformance import Z_DIM, moved, snapshot

#: Generator forwards per step: fresh draws new z for D's update and for G's.
FORWARDS_PER_STEP = {"fresh": 2, "reuse": 1, "joint": 1}


def build_bce(forward, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    spec, family = ARCHS.get("dcgan32"), GAN_FAMILIES.get("bce")
    gan = family(
        spec.build_generator(z_dim=Z_DIM, image_size=32),
        spec.build_discriminator(image_size=32),
        z_dim=Z_DIM,
        seed=seed,
        forward=forward,
    )
    gan.compile(*make_optimizers(family, lr=1e-3))
    return gan


@pytest.mark.parametrize("forward", GAN.FORWARDS)
def test_each_forward_mode_trains_both_networks_with_its_number_of_g_forwards(forward, monkeypatch):
    assert set(FORWARDS_PER_STEP) == set(GAN.FORWARDS)
    gan = build_bce(forward)
    calls = []
    original = gan.generate_fake
    monkeypatch.setattr(gan, "generate_fake", lambda *a, **k: calls.append(1) or original(*a, **k))
    g0, d0 = snapshot(gan.generator), snapshot(gan.discriminator)
    images = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 1)).astype("float32")
    logs = gan.train_batch(images, None)  # eager: every call is counted
    assert len(calls) == FORWARDS_PER_STEP[forward]
    assert all(np.isfinite(float(logs[k])) for k in gan.metric_names)
    assert moved(g0, snapshot(gan.generator)) and moved(d0, snapshot(gan.discriminator))
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 1


def test_the_default_is_the_papers_fresh_step_and_unknown_modes_are_refused():
    assert GAN_FAMILIES.get("bce").option_defaults()["forward"] == "fresh"
    with pytest.raises(ValueError, match="forward must be one of fresh, reuse, joint"):
        build_bce("sideways")


def test_reuse_and_joint_differ_only_in_which_d_gs_loss_sees():
    """Same seed, same batch: D's update is the same in reuse and joint (both train D on
    the one fake batch before anything moves), G's is not (reuse takes G's loss through
    the UPDATED D, joint through the D the fakes were scored by). Only D's trainable
    weights compare: reuse runs D on the fakes once more, moving BatchNorm's statistics."""
    images = np.random.default_rng(1).uniform(-1, 1, (4, 32, 32, 1)).astype("float32")
    after = {}
    for forward in ("reuse", "joint"):
        gan = build_bce(forward)
        gan.train_batch(images, None)
        after[forward] = (
            snapshot(gan.generator),
            [np.array(w) for w in gan.discriminator.trainable_weights],
        )
    for a, b in zip(after["reuse"][1], after["joint"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert moved(after["reuse"][0], after["joint"][0])
