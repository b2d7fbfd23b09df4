"""BEGAN: the k_t controller, the convergence measure, training through fit on the phantom.

End-to-end runs use ``model.fit`` on ``load_image_set("phantom")`` data (the train CLI's
dataset → fit path), with tiny filter counts.
"""

import numpy as np
import pytest

from keras_medgan.data import load_image_set, make_tf_dataset
from keras_medgan.gans import GAN_FAMILIES, make_optimizers
from keras_medgan.gans import began as B
from keras_medgan.models import ARCHS
from keras_medgan.models import began as began_models  # noqa: F401  registers "began"


def test_pure_functions_hand_values():
    x = np.array([[0.0, 1.0], [2.0, -1.0]], "float32")
    r = np.array([[0.5, 1.0], [1.0, 1.0]], "float32")
    assert float(B.reconstruction_loss(x, r)) == pytest.approx((0.5 + 0 + 1 + 2) / 4)
    # k + λ_k (γ L(x) - L(G(z))): 0.2 + 0.1·(0.5·0.4 - 0.1) = 0.21
    assert float(B.update_k(0.2, 0.4, 0.1, 0.5, 0.1)) == pytest.approx(0.21)
    assert float(B.update_k(0.99, 1.0, 0.0, 0.5, 1.0)) == 1.0  # clipped above
    assert float(B.update_k(0.01, 0.0, 1.0, 0.5, 1.0)) == 0.0  # clipped below
    # M = L(x) + |γ L(x) - L(G(z))| = 0.4 + |0.2 - 0.5| = 0.7
    assert float(B.convergence_measure(0.4, 0.5, 0.5)) == pytest.approx(0.7)


def test_family_registered_and_checks_options():
    cls = GAN_FAMILIES.get("began")
    assert cls.option_defaults() == {
        "gamma": 0.5,
        "lambda_k": 0.001,
        "k_init": 0.0,
        "lr_decay_patience": 10,
    }
    g = ARCHS.get("began").build_generator(z_dim=3, image_size=32, filters=2)
    d = ARCHS.get("began").build_discriminator(image_size=32, filters=2, hidden=3)
    with pytest.raises(ValueError, match="gamma"):
        cls(generator=g, discriminator=d, z_dim=3, gamma=0.0)


def _fit(size, steps, **options):
    data = load_image_set("phantom", image_size=size, split="train")
    ds = make_tf_dataset(
        data.images[: 4 * steps],
        data.labels[: 4 * steps],
        num_classes=2,
        batch_size=4,
        shuffle=False,
        drop_remainder=True,
    )
    spec = ARCHS.get("began")
    g = spec.build_generator(z_dim=4, image_size=size, filters=4)
    d = spec.build_discriminator(image_size=size, filters=4, hidden=4)
    gan = GAN_FAMILIES.get("began")(generator=g, discriminator=d, z_dim=4, seed=0, **options)
    gan.compile(*make_optimizers("began"))
    return gan, ds


def test_k_stays_in_unit_interval_and_m_is_as_defined():
    # A huge λ_k drives k to a bound within a step: it must stay clipped to [0, 1].
    gan, ds = _fit(32, steps=1, lambda_k=100.0, gamma=1.0)
    seen = []
    for epoch in range(3):
        logs = gan.fit(ds, epochs=epoch + 1, initial_epoch=epoch, verbose=0, shuffle=False).history
        k_now = float(gan.k.numpy())
        seen.append(k_now)
        assert 0.0 <= k_now <= 1.0
        # One step per epoch: the epoch means are that step's values.
        real, fake = float(logs["d_real"][0]), float(logs["d_fake"][0])
        assert float(logs["m_global"][0]) == pytest.approx(real + abs(1.0 * real - fake), rel=1e-5)
        assert float(logs["d_loss"][0]) == pytest.approx(
            real - float(logs["k"][0]) * fake, rel=1e-4, abs=1e-6
        )
        assert float(logs["g_loss"][0]) == pytest.approx(fake, rel=1e-6)
    assert 1.0 in seen or 0.0 in seen  # the clip was exercised


@pytest.mark.parametrize("size", [32, 64])
def test_end_to_end_phantom(size):
    gan, ds = _fit(size, steps=2)
    hist = gan.fit(ds, epochs=1, verbose=0, shuffle=False).history
    assert set(hist) >= {"d_loss", "g_loss", "d_real", "d_fake", "k", "m_global"}
    assert all(np.isfinite(float(v[0])) for v in hist.values())
    # With λ_k = 0.001 and γ = 0.5, k moves by at most 0.001·max(L) per step from 0.
    assert 0.0 <= float(gan.k.numpy()) <= 0.002 * 2
    fake = gan.generate(3, seed=0)
    assert fake.shape == (3, size, size, 1) and np.abs(fake).max() <= 1.0


def test_learning_rates_halve_when_m_stalls_and_survive_a_checkpoint(tmp_path):
    import tensorflow as tf

    gan, _ = _fit(32, steps=1, lr_decay_patience=2)
    gan.build_optimizers()
    (decay,) = gan.training_callbacks()
    decay.set_model(gan)
    lines = []
    decay.print = lines.append
    # M per epoch: improves, improves, stalls twice → halve; stalls once; stalls again → halve
    for epoch, m in enumerate([1.0, 0.9, 0.95, 0.91, 0.92, 0.93]):
        decay.on_epoch_end(epoch, {"m_global": m})
    assert [e for e, _ in decay.decays] == [4, 6]
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert float(opt.learning_rate.numpy()) == pytest.approx(1e-4 / 4)
    assert "learning rate halved to 5e-05" in lines[0]
    # The rate is optimizer state: a checkpoint restores it into fresh optimizers.
    ckpt = tf.train.Checkpoint(d_optimizer=gan.d_optimizer, g_optimizer=gan.g_optimizer)
    path = ckpt.save(str(tmp_path / "ckpt"))
    fresh, _ = _fit(32, steps=1)
    fresh.build_optimizers()
    tf.train.Checkpoint(d_optimizer=fresh.d_optimizer, g_optimizer=fresh.g_optimizer).restore(path)
    assert float(fresh.g_optimizer.learning_rate.numpy()) == pytest.approx(1e-4 / 4)


def test_lr_decay_can_be_turned_off():
    gan, _ = _fit(32, steps=1, lr_decay_patience=0)
    assert gan.training_callbacks() == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_non_finite_loss_leaves_k_as_it_was(bad):
    """One NaN loss (a float16 overflow) must not make k NaN for good."""
    assert float(B.update_k(0.3, bad, 0.1, 0.5, 0.001)) == pytest.approx(0.3)
    assert float(B.update_k(0.3, 0.2, bad, 0.5, 0.001)) == pytest.approx(0.3)
    # a finite step right after moves k by hand's value: 0.3 + 0.001 (0.5·0.2 − 0.05)
    assert float(B.update_k(0.3, 0.2, 0.05, 0.5, 0.001)) == pytest.approx(0.30005)
