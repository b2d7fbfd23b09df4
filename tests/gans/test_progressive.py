"""Progressive GAN: the growth schedule, training through fit, resume mid-stage, export.

End-to-end runs use ``model.fit`` on ``load_image_set("phantom")`` data (the same
dataset → fit path the train CLI takes), with tiny filter counts.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_medgan.data import load_image_set, make_tf_dataset
from keras_medgan.gans import GAN_FAMILIES, make_optimizers
from keras_medgan.gans import progressive as P
from keras_medgan.models import (
    ARCHS,
    progan,  # noqa: F401  registers "pggan"
)

TINY = {"fmap_base": 16, "fmap_max": 4}


def test_progress_schedule_table():
    # stage_images 10, 3 stages: [0,10) s0; [10,20) s1 fading; [20,30) s1; [30,40) s2
    # fading; then s2 at α = 1 for ever.
    table = {
        0: (0, 1.0),
        9: (0, 1.0),
        10: (1, 0.0),
        14: (1, 0.4),
        20: (1, 1.0),
        29: (1, 1.0),
        30: (2, 0.0),
        37: (2, 0.7),
        40: (2, 1.0),
        55: (2, 1.0),
        1000: (2, 1.0),
    }
    for shown, (stage, alpha) in table.items():
        assert P.progress_at(shown, 10, 3) == (stage, pytest.approx(alpha)), shown
    for shown in range(0, 120, 3):
        stage, alpha = P.progress_tensor(shown, 10, 3)
        assert (int(stage), float(alpha)) == (
            P.progress_at(shown, 10, 3)[0],
            pytest.approx(P.progress_at(shown, 10, 3)[1]),
        )
    assert P.images_to_grow(10, 3) == 50


def test_stage_images_for_run_length():
    # Phases: s0 at batch 4, s1 fade + s1 stabilise at batch 2 → 1/4 + 1/2 + 1/2 = 1.25
    # steps per image per phase; 100 steps → 80 images per phase.
    assert P.stage_images_for(100, 2, [4, 2]) == 80
    assert P.epochs_for(80, 2, dataset_images=50, batch_size=8) == 5  # 240 / 48


def test_family_registered_and_checks_networks():
    cls = GAN_FAMILIES.get("pggan")
    assert cls.CRITIC and cls.option_defaults()["drift_weight"] == 1e-3
    assert cls.option_defaults()["label_flip_prob"] == pytest.approx(1 / 3)  # P3
    g = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="progressive networks"):
        cls(generator=g, discriminator=g, z_dim=4)


@pytest.fixture(scope="module")
def phantom32():
    """The phantom at 32×32 — an end-to-end input (sliced/pooled for smaller stages)."""
    return load_image_set("phantom", image_size=32, split="train")


def _gan(image_size, stage_images=None, seed=3, **options):
    spec = ARCHS.get("pggan")
    g = spec.build_generator(z_dim=4, image_size=image_size, num_classes=0, **TINY)
    d = spec.build_discriminator(image_size=image_size, num_classes=0, critic=True, **TINY)
    gan = GAN_FAMILIES.get("pggan")(
        generator=g, discriminator=d, z_dim=4, seed=seed, stage_images=stage_images, **options
    )
    gan.compile(*make_optimizers("pggan"))
    return gan


def _ds(images, batch):
    return make_tf_dataset(
        images,
        np.zeros(len(images), "int64"),
        num_classes=2,
        batch_size=batch,
        shuffle=False,
        drop_remainder=True,
    )


def test_fit_grows_then_resumes_mid_stage(phantom32, tmp_path):
    images = phantom32.images[:32, ::2, ::2]  # 16×16: three stages
    ds = _ds(images, 8)  # 4 steps, 32 images per epoch
    gan = _gan(16, stage_images=40, label_flip_prob=0.0)
    hist = gan.fit(ds, epochs=2, verbose=0, shuffle=False).history
    # After 32 and 64 images: (stage 0, α 1) then stage 1 fading, α = (64-40)/40.
    assert [int(s) for s in hist["stage"]] == [0, 1]
    assert float(hist["alpha"][-1]) == pytest.approx(0.6)
    assert all(np.isfinite(float(v)) for v in hist["d_loss"] + hist["g_loss"])

    ckpt = tf.train.Checkpoint(gan=gan, d_opt=gan.d_optimizer, g_opt=gan.g_optimizer)
    path = ckpt.save(str(tmp_path / "ckpt"))

    resumed = _gan(16, stage_images=None, seed=99)
    resumed.build_optimizers()
    status = tf.train.Checkpoint(
        gan=resumed, d_opt=resumed.d_optimizer, g_opt=resumed.g_optimizer
    ).restore(path)
    status.assert_existing_objects_matched()
    assert resumed.progress() == (1, pytest.approx(0.6))
    assert int(resumed.stage_images.numpy()) == 40
    assert float(resumed.generator.alpha.numpy()) == pytest.approx(0.6)
    z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(resumed.generator(z), gan.generator(z), atol=1e-6)

    # It continues from there: 64 + 32 = 96 images → phase 2, stage 1 stabilising.
    more = resumed.fit(ds, epochs=3, initial_epoch=2, verbose=0, shuffle=False).history
    assert int(more["images_shown"][-1]) == 96
    assert [int(more["stage"][-1]), float(more["alpha"][-1])] == [1, 1.0]

    # The exported generator: stock layers, plain load_model, same images.
    exported = resumed.exportable_generator()
    exported.save(tmp_path / "g.h5")
    loaded = keras.models.load_model(tmp_path / "g.h5", compile=False)
    np.testing.assert_allclose(loaded(z), resumed.generator(z), atol=5e-5)
    assert loaded.output_shape == (None, 16, 16, 1)


def test_fit_chooses_stage_images_and_uses_batch_per_stage(phantom32, tmp_path):
    ds = _ds(phantom32.images[:32, ::4, ::4], 8)
    # 8×8 target: 2 stages; 4×4 uses 8 images a step, 8×8 only 4.
    gan = _gan(8, stage_images=None, batch_sizes={4: 8, 8: 4}, label_flip_prob=0.0)
    snapshots = gan.training_callbacks(stage_export_dir=tmp_path / "stages")
    hist = gan.fit(ds, epochs=2, verbose=0, shuffle=False, callbacks=snapshots).history
    # 8 steps over 3 phases at 1/8 + 1/4 + 1/4 steps per image → 12 images per phase.
    assert int(gan.stage_images.numpy()) == 12
    # Steps: 2 at 4×4 (16 images ≥ 12 → stage 1), then 6 at batch 4 → 16 + 24 = 40.
    assert int(hist["images_shown"][-1]) == 40
    assert gan.progress() == (1, 1.0)
    # The finished 4×4 stage was exported on leaving it: stock layers, full-size output.
    stage0 = keras.models.load_model(tmp_path / "stages" / "generator_stage0_4px.h5", compile=False)
    assert stage0.output_shape == (None, 8, 8, 1)
    assert sorted(p.name for p in (tmp_path / "stages").iterdir()) == ["generator_stage0_4px.h5"]


def test_label_flip_swaps_critic_roles(phantom32):
    ds = _ds(phantom32.images[:8, ::4, ::4], 8)
    gan = _gan(8, stage_images=1000, gp_weight=0.0, drift_weight=0.0, label_flip_prob=1.0)
    logs = gan.fit(ds, epochs=1, verbose=0, shuffle=False).history
    d_real, d_fake = float(logs["d_real"][0]), float(logs["d_fake"][0])
    assert abs(d_real - d_fake) > 1e-4
    # Flipped: the critic minimises E[D(x)] - E[D(G(z))] instead of the reverse.
    assert float(logs["d_loss"][0]) == pytest.approx(d_real - d_fake, abs=1e-5)


def test_wrong_image_size_is_a_clear_error(phantom32):
    gan = _gan(8, stage_images=10)
    with pytest.raises(ValueError, match="image_size=8"):
        gan.fit(_ds(phantom32.images[:8], 8), epochs=1, verbose=0, shuffle=False)


def test_end_to_end_phantom_64():
    data = load_image_set("phantom", image_size=64, split="train")
    ds = _ds(data.images[:8], 4)
    gan = _gan(64, stage_images=100)  # growth is tested above; one trace keeps this fast
    hist = gan.fit(ds, epochs=1, verbose=0, shuffle=False).history
    assert [int(hist["stage"][0]), int(hist["images_shown"][0])] == [0, 8]
    assert np.isfinite(float(hist["d_loss"][0]))
    fake = gan.generate(5, seed=0)
    assert fake.shape == (5, 64, 64, 1) and np.abs(fake).max() <= 1.0


def test_label_reaches_networks_only_from_label_start_stage():
    spec = ARCHS.get("pggan")
    g = spec.build_generator(z_dim=4, image_size=8, num_classes=2, **TINY)
    d = spec.build_discriminator(image_size=8, num_classes=2, **TINY)
    gan = GAN_FAMILIES.get("pggan")(
        generator=g, discriminator=d, z_dim=4, num_classes=2, label_start_stage=1, stage_images=10
    )
    y = np.eye(2, dtype="float32")
    np.testing.assert_array_equal(gan._stage_labels(y, 0, 2), np.zeros((2, 2)))
    np.testing.assert_array_equal(gan._stage_labels(y, 1, 1), y[:1])
    assert gan.generate(4, seed=0).shape == (4, 8, 8, 1)  # labels cycle through classes
