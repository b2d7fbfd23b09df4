"""Conformance: every registered architecture × every loss it declares trains one step.

Parametrised over the registries (keras-hub style): a new architecture or loss family is
covered the moment it is registered, with no new test. Each case checks that the step's
losses are finite, that BOTH networks' weights moved, and that a checkpoint of the
networks, both optimizers and the GAN's own state restores into a fresh build.

The last test adds a loss family the way a user would -- the hinge loss in a dozen lines,
one file, one registry line -- and runs it through the same harness.
"""

from typing import ClassVar

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from keras_medgan.gans import GAN_FAMILIES, make_optimizers
from keras_medgan.gans.base import GAN
from keras_medgan.gans.options import Option, at_least
from keras_medgan.models import ARCHS

Z_DIM = 8
#: Builder widths that keep the real builders fast (the builders' own options).
SMALL = {"pggan": {"fmap_base": 32, "fmap_max": 8}, "began": {"filters": 4, "hidden": 8}}
#: Options that keep one step short (fewer critic iterations, a 2-stage pggan schedule).
FAST = {
    "wgan": {"n_critic": 1},
    "wgan-gp": {"n_critic": 1},
    "pggan": {"stage_images": 2, "label_flip_prob": 0.0},
}

CASES = [(arch, loss) for arch in ARCHS.names() for loss in ARCHS.get(arch).losses]


def _case(arch, loss):
    """The fast suite steps every architecture with its first loss and every loss on the
    smallest architecture declaring it; the rest of the matrix (big 64/128 models with the
    losses dcgan32 already covers) runs with ``-m slow``."""
    first_loss = ARCHS.get(arch).losses[0]
    smallest = min((a for a, b in CASES if b == loss), key=lambda a: ARCHS.get(a).image_sizes[0])
    marks = [] if loss == first_loss or arch == smallest else [pytest.mark.slow]
    return pytest.param(arch, loss, id=f"{arch}-{loss}", marks=marks)


def build(arch, loss, seed=0, num_classes=0):
    import keras

    keras.utils.set_random_seed(seed)
    spec, family = ARCHS.get(arch), GAN_FAMILIES.get(loss)
    size = spec.image_sizes[0]
    width = SMALL.get(arch, {})
    g = spec.build_generator(z_dim=Z_DIM, image_size=size, num_classes=num_classes, **width)
    d = spec.build_discriminator(
        image_size=size, num_classes=num_classes, critic=family.CRITIC, **width
    )
    gan = family(
        generator=g,
        discriminator=d,
        z_dim=Z_DIM,
        num_classes=num_classes,
        seed=seed,
        **FAST.get(loss, {}),
    )
    gan.compile(*make_optimizers(family, lr=1e-3))
    return gan, size


def one_step(gan, size, num_classes=0, batch=2):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (batch, size, size, 1)).astype("float32")
    one_hot = np.eye(max(num_classes, 1), dtype="float32")[np.arange(batch) % max(num_classes, 1)]
    data = tf.data.Dataset.from_tensors((images, one_hot)).repeat()
    return gan.fit(data, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False).history


def checkpoint(gan):
    return tf.train.Checkpoint(
        generator=gan.generator,
        discriminator=gan.discriminator,
        d_optimizer=gan.d_optimizer,
        g_optimizer=gan.g_optimizer,
        seed_state=gan.seed_generator.state,
    )


def snapshot(model):
    return [np.array(w) for w in model.weights]


def moved(before, after):
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


def check_family(arch, loss, tmp_path):
    gan, size = build(arch, loss)
    g0, d0 = snapshot(gan.generator), snapshot(gan.discriminator)
    history = one_step(gan, size)
    assert set(gan.metric_names) <= set(history)
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    assert moved(g0, snapshot(gan.generator)), f"{arch}/{loss}: generator did not move"
    assert moved(d0, snapshot(gan.discriminator)), f"{arch}/{loss}: discriminator did not move"

    path = checkpoint(gan).save(str(tmp_path / "ckpt"))
    fresh, _ = build(arch, loss, seed=1)
    assert moved(snapshot(gan.generator), snapshot(fresh.generator))
    checkpoint(fresh).restore(path).assert_existing_objects_matched()
    for a, b in zip(
        snapshot(gan.generator) + snapshot(gan.discriminator),
        snapshot(fresh.generator) + snapshot(fresh.discriminator),
    ):
        np.testing.assert_array_equal(a, b)
    assert int(fresh.g_optimizer.iterations.numpy()) == int(gan.g_optimizer.iterations.numpy())


@pytest.mark.parametrize("arch,loss", [_case(a, b) for a, b in CASES])
def test_every_arch_and_loss_steps_moves_both_networks_and_checkpoints(arch, loss, tmp_path):
    check_family(arch, loss, tmp_path)


def test_every_declared_loss_is_a_registered_family():
    for arch in ARCHS.names():
        for loss in ARCHS.get(arch).losses:
            assert loss in GAN_FAMILIES, f"{arch} declares unknown loss {loss!r}"


class HingeGAN(GAN):
    """Hinge loss (Lim & Ye 2017; SAGAN): a whole new family is its loss pair and options."""

    NAME = "hinge"
    FAMILY_DEFAULTS: ClassVar[dict] = {
        "optimizer": "adam",
        "lr": 2e-4,
        "beta_1": 0.0,
        "beta_2": 0.9,
    }
    FORWARD = "joint"
    OPTIONS: ClassVar[tuple] = (
        Option("r1_weight", 0.0, "R1 penalty weight", flag="r1_weight", **at_least(0.0)),
    )

    def discriminator_loss(self, real_out, fake_out, real, fake, ctx):
        loss = ops.mean(ops.relu(1.0 - real_out)) + ops.mean(ops.relu(1.0 + fake_out))
        return loss, {"d_real": ops.mean(real_out), "d_fake": ops.mean(fake_out)}

    def generator_loss(self, fake_out, fake, ctx):
        return -ops.mean(fake_out)


def test_a_new_loss_family_is_one_class_and_one_registry_line(tmp_path):
    GAN_FAMILIES.register("hinge", HingeGAN)
    try:
        check_family("dcgan32", "hinge", tmp_path)
        gan, size = build("dcgan32", "hinge")
        gan = HingeGAN(gan.generator, gan.discriminator, z_dim=Z_DIM, r1_weight=1.0)
        gan.compile(*make_optimizers(HingeGAN))
        assert "r1" in one_step(gan, size)  # the shared regulariser comes for free
        with pytest.raises(ValueError, match="r1_weight must be >= 0"):
            HingeGAN(gan.generator, gan.discriminator, r1_weight=-1)
        with pytest.raises(ValueError, match="Unknown option.*gp_weight"):
            HingeGAN(gan.generator, gan.discriminator, gp_weight=1)
    finally:
        GAN_FAMILIES.unregister("hinge")
