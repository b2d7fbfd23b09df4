"""The small pieces around the step, by value: label handling, sampling, BEGAN's learning
rate halving, and ProGAN's schedule arithmetic, stage batches, reals, logs and the
``fit`` that chooses the phase length. Eager and tiny, so they run in seconds."""

import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_medgan.gans import GAN_FAMILIES
from keras_medgan.gans import progressive as P
from keras_medgan.gans.base import CountingLossScaleOptimizer, labels_to_one_hot
from keras_medgan.gans.began import HalveLearningRateOnStall
from keras_medgan.models import progan
from keras_medgan.models.latents import latent_vectors

from .tiny4 import Z, tiny_critic, tiny_generator


# ----------------------------------------------------------------------------- labels
def test_labels_become_one_hot_rows_of_float32():
    eye = np.eye(3, dtype="float32")
    cases = {
        "None cycles the classes": (None, eye[[0, 1, 2, 0, 1]]),
        "an int is every row's class": (2, eye[[2] * 5]),
        "a 0-d array too": (np.array(1), eye[[1] * 5]),
        "indices": ([2, 0, 0, 1, 2], eye[[2, 0, 0, 1, 2]]),
        "one-hot passes through": (eye[[1, 1, 0, 2, 2]].astype("int32"), eye[[1, 1, 0, 2, 2]]),
    }
    for what, (labels, want) in cases.items():
        got = labels_to_one_hot(labels, 3, 5)
        assert got.dtype == np.float32, what
        np.testing.assert_array_equal(got, want, err_msg=what)


@pytest.mark.parametrize(
    "labels, message",
    [
        (
            np.zeros((5, 2)),
            r"One-hot labels must have shape \(5, 3\). Received: labels.shape=\(5, 2\)",
        ),
        (np.zeros((4, 3)), r"One-hot labels must have shape \(5, 3\)"),
        ([0, 1], r"Expected 5 labels. Received: labels.shape=\(2,\)"),
        ([0, 1, 3, 1, 0], r"must lie in \[0, 3\). Received: labels=\[0 1 3\]"),
        ([0, -1, 2, 1, 0], r"must lie in \[0, 3\). Received: labels=\[-1  0  1  2\]"),
    ],
)
def test_wrong_labels_say_what_was_expected(labels, message):
    with pytest.raises(ValueError, match=message):
        labels_to_one_hot(labels, 3, 5)


def test_the_last_class_index_is_allowed():
    assert labels_to_one_hot([2], 3, 1).tolist() == [[0.0, 0.0, 1.0]]


# ----------------------------------------------------------------------------- sampling
def _gan(num_classes=0):
    return GAN_FAMILIES.get("bce")(
        generator=tiny_generator(num_classes),
        discriminator=tiny_critic(num_classes),
        z_dim=Z,
        num_classes=num_classes,
    )


def test_generate_runs_the_generator_in_inference_mode_on_the_seed_rules_z():
    gan = _gan()
    # BatchNorm's moving statistics away from (0, 1): train mode would ignore them
    bn = next(layer for layer in gan.generator.layers if "batch_norm" in layer.name)
    bn.moving_mean.assign(np.full(16, 0.7, "float32"))
    bn.moving_variance.assign(np.full(16, 3.0, "float32"))
    z = latent_vectors(5, Z, 11)
    want = gan.generator(z, training=False).numpy()
    np.testing.assert_allclose(gan.generate(5, seed=11, batch_size=2), want, rtol=1e-6)
    assert gan.generate(0, seed=1).shape == (0, 4, 4, 1)
    with pytest.raises(
        ValueError, match=r"^This GAN is unconditional. Received: labels \(expected None\)$"
    ):
        gan.generate(2, labels=1)


def test_conditional_generate_passes_the_labels_it_was_given():
    gan = _gan(num_classes=2)
    z = latent_vectors(4, Z, 3)
    for labels, rows in ((1, [1, 1, 1, 1]), ([0, 1, 1, 0], [0, 1, 1, 0]), (None, [0, 1, 0, 1])):
        want = gan.generator([z, np.eye(2, dtype="float32")[rows]], training=False).numpy()
        np.testing.assert_allclose(gan.generate(4, labels=labels, seed=3), want, rtol=1e-6)


# ----------------------------------------------------------------------------- BEGAN's lr
@pytest.mark.parametrize("patience, factor", [(0, 0.5), (1, 0.0), (1, 1.0), (1, 1.5)])
def test_halving_needs_a_patience_and_a_factor_below_one(patience, factor):
    with pytest.raises(
        ValueError,
        match=rf"need patience >= 1 and 0 < factor < 1. Received: patience={patience}, factor={factor}",
    ):
        HalveLearningRateOnStall(patience, factor=factor)


def test_halving_waits_for_patience_epochs_without_a_new_lowest_m():
    said = []
    cb = HalveLearningRateOnStall(1, print_fn=said.append)  # patience 1 is allowed
    assert (cb.monitor, cb.factor, cb.min_lr, cb.wait) == ("m_global", 0.5, 1e-7, 0)
    cb = HalveLearningRateOnStall(2, print_fn=said.append, min_lr=3e-5)
    cb.set_model(
        types.SimpleNamespace(
            d_optimizer=keras.optimizers.Adam(1e-4), g_optimizer=keras.optimizers.Adam(2e-4)
        )
    )
    # 1.0 best; 1.0 again is no improvement; None and NaN are not epochs of M
    for epoch, m in enumerate([1.0, 1.0, None, float("nan"), 0.9, 0.95]):
        cb.on_epoch_end(epoch, {"m_global": m} if m is not None else {})
    assert cb.decays == [] and cb.wait == 1 and cb.best == 0.9
    cb.on_epoch_end(6, {"m_global": 0.9})  # the second epoch without a new lowest M
    lrs = [float(o.learning_rate) for o in (cb.model.d_optimizer, cb.model.g_optimizer)]
    assert lrs == pytest.approx([5e-5, 1e-4]) and cb.wait == 0
    assert cb.decays == [(7, pytest.approx(1e-4))]
    assert said == ["  m_global stalled for 2 epochs (best 0.9000): learning rate halved to 0.0001"]
    for epoch in (7, 8):  # halved again, but never below min_lr
        cb.on_epoch_end(epoch, {"m_global": 2.0})
    lrs = [float(o.learning_rate) for o in (cb.model.d_optimizer, cb.model.g_optimizer)]
    assert lrs == pytest.approx([3e-5, 5e-5])


# ----------------------------------------------------------------------------- ProGAN
def test_schedule_arithmetic_edges():
    assert P.progress_at(0, 1, 2) == (0, 1.0)  # one image per phase is allowed
    assert P.progress_at(1, 1, 2) == (1, 0.0)
    for bad in (0, -3):
        with pytest.raises(ValueError, match=rf"^stage_images must be positive. Received: {bad}$"):
            P.progress_at(5, bad, 2)
    assert P.stage_images_for(1, 2, [4, 2]) == 1  # at least one image per phase
    assert P.epochs_for(20, 2, dataset_images=20, batch_size=8) == 4  # 60 / 16 per epoch
    assert P.epochs_for(1, 1, dataset_images=1, batch_size=1) == 1
    with pytest.raises(ValueError, match=r"^batch_size 8 is larger than the dataset \(5 images\)$"):
        P.epochs_for(10, 2, dataset_images=5, batch_size=8)


def test_batch_sizes_per_stage_from_an_int_a_list_or_a_resolution_map():
    three = types.SimpleNamespace(num_stages=3)  # stages at 4, 8, 16 pixels

    def parse(value):
        return P.ProgressiveGAN._parse_batch_sizes(three, value)

    assert parse(None) is None
    assert parse(6) == [6, 6, 6] and parse(np.int64(2)) == [2, 2, 2]
    assert parse([8, "4", 2]) == [8, 4, 2]
    assert parse({4: 16, "8": 8, 16: 4}) == [16, 8, 4]
    assert parse({4: 16, 16: 2}) == [16, 16, 2]  # a missing resolution keeps the last batch
    assert parse([1, 1, 1]) == [1, 1, 1]  # a batch of one is a batch
    for bad in ([4, 2], {8: 4, 16: 2}, [4, 0, 2]):
        with pytest.raises(ValueError, match=r"needs a positive batch for each of the 3 stages"):
            parse(bad)
    gan = types.SimpleNamespace(batch_sizes=[8, 4, 2])
    assert P.ProgressiveGAN.stage_batch(gan, 1, None) == 4
    assert (
        P.ProgressiveGAN.stage_batch(gan, 1, 3) == 3
        and P.ProgressiveGAN.stage_batch(gan, 2, 16) == 2
    )
    assert P.ProgressiveGAN.stage_batch(types.SimpleNamespace(batch_sizes=None), 1, 5) == 5


TINY = {"fmap_base": 16, "fmap_max": 4}


def _pggan(num_classes=0, **options):
    G = progan.build_pggan_generator(z_dim=Z, image_size=8, num_classes=num_classes, **TINY)
    D = progan.build_pggan_discriminator(image_size=8, num_classes=num_classes, **TINY)
    gan = GAN_FAMILIES.get("pggan")(G, D, z_dim=Z, num_classes=num_classes, **options)
    gan.compile(keras.optimizers.SGD(0.0), keras.optimizers.SGD(0.0))
    return gan


def _images(n=5):
    return tf.constant(np.random.default_rng(2).uniform(-1, 1, (n, 8, 8, 1)).astype("float32"))


def test_reals_are_pooled_to_the_stage_and_blended_during_a_fade():
    gan = _pggan()
    x = _images().numpy()
    pooled = x.reshape(5, 4, 2, 4, 2, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(gan._real_at_stage(x, 0, 0.3), pooled, rtol=1e-6)  # no blend
    up = pooled.repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_allclose(gan._real_at_stage(x, 1, 0.25), 0.75 * up + 0.25 * x, rtol=1e-5)


def test_begin_step_takes_the_stages_batch_labels_and_flip(monkeypatch):
    gan = _pggan(
        num_classes=2, stage_images=4, batch_sizes=[4, 3], label_start_stage=1, label_flip_prob=0.0
    )
    monkeypatch.setattr(
        gan, "random_uniform", lambda batch, tail, *a, **k: tf.zeros((batch, *tail))
    )
    labels = tf.constant(np.eye(2, dtype="float32")[[0, 1, 1, 0, 1]])
    gan.images_shown.assign(6)  # stage 1 fading, α = 0.5
    gan._traced_stage = 1
    ctx = gan.begin_step(_images(), labels)
    assert ctx["stage"] == 1 and float(ctx["alpha"]) == 0.5
    assert tuple(ctx["real"].shape) == (3, 8, 8, 1)  # stage 1's batch of 3
    np.testing.assert_array_equal(ctx["labels"], labels[:3])
    assert not bool(ctx["flip"])  # a draw of exactly 0 is not below a probability of 0
    gan._traced_stage = 0  # labels reach the networks only from stage 1
    gan.images_shown.assign(2)
    ctx = gan.begin_step(_images(), labels)
    assert tuple(ctx["real"].shape) == (4, 4, 4, 1)
    np.testing.assert_array_equal(ctx["labels"], np.zeros((4, 2)))
    # the schedule moved past the traced stage within one execution: finish it at α = 1
    gan.images_shown.assign(5)  # stage 1 fading at α = 0.25, but the graph trains stage 0
    assert float(gan.begin_step(_images(), labels)["alpha"]) == 1.0
    with pytest.raises(
        ValueError, match=r"built for image_size=8. Received: images of shape \(5, 4, 4, 1\)"
    ):
        gan.begin_step(tf.zeros((5, 4, 4, 1)), labels)


def test_a_step_logs_the_stage_alpha_and_images_shown_and_advances_them():
    gan = _pggan(stage_images=4, batch_sizes=[4, 2])
    gan.images_shown.assign(6)
    gan._sync_networks()
    gan._traced_stage = 1
    logs = gan.step_logs(_images())
    assert (
        int(logs["images_shown"]) == 8 and int(logs["stage"]) == 1 and float(logs["alpha"]) == 1.0
    )


def test_the_train_function_is_traced_for_the_stage_the_schedule_is_at():
    gan = _pggan(stage_images=4)
    gan.images_shown.assign(9)  # phase 2: stage 1
    gan.make_train_function()
    first = gan.train_function
    assert gan._traced_stage == 1 and callable(first)
    assert gan.make_train_function() is first  # kept unless forced
    gan.make_train_function(force=True)
    assert gan.train_function is not first


def test_fit_spreads_the_runs_steps_over_the_phases(monkeypatch):
    seen = {}

    def fake_fit(self, x=None, *args, **kwargs):
        seen.update(kwargs, x=x)
        return "history"

    monkeypatch.setattr(keras.Model, "fit", fake_fit)
    data = tf.data.Dataset.from_tensor_slices(np.zeros((20, 8, 8, 1), "float32")).batch(5)
    gan = _pggan(batch_sizes=[4, 2])
    marker = keras.callbacks.Callback()
    assert gan.fit(data, epochs=7, initial_epoch=2, callbacks=[marker]) == "history"
    # 5 epochs × 4 steps; phases at batch 4, 2, 2: 20 / (1/4 + 1/2 + 1/2) = 16 images
    assert int(gan.stage_images) == P.stage_images_for(20, 2, [4, 2]) == 16
    assert seen["epochs"] == 7 and seen["initial_epoch"] == 2 and seen["x"] is data
    assert seen["callbacks"][0] is marker and isinstance(seen["callbacks"][1], P._StageWatcher)
    gan = _pggan()  # steps_per_epoch given: the dataset's length is not read
    fixed = data.unbatch().batch(5, drop_remainder=True)
    gan.fit(fixed.repeat(), epochs=1, steps_per_epoch=9)
    assert seen["steps_per_epoch"] == 9
    assert int(gan.stage_images) == P.stage_images_for(9, 2, [5, 5]) == 15  # 9 / (3 / 5)
    gan = _pggan()  # a batch of unknown size and no batch_sizes: nothing to spread by
    with pytest.raises(ValueError, match="batch size is unknown"):
        gan.fit(data, epochs=1)
    gan = _pggan()
    with pytest.raises(
        ValueError, match="cannot choose stage_images: the dataset's length is unknown"
    ):
        gan.fit(data.repeat(), epochs=1)
    gan = _pggan(stage_images=3)  # given: kept
    gan.fit(data, epochs=50)
    assert int(gan.stage_images) == 3
    gan.train_function, gan._traced_stage = "kept", 0  # traced for this stage: kept
    gan.fit(data, epochs=1)
    assert gan.train_function == "kept"
    gan.train_function, gan._traced_stage = "old", 1  # traced for another stage: dropped
    gan.fit(data, epochs=1)
    assert gan.train_function is None
    gan = _pggan()  # a dataset of one batch is one step per epoch
    one = tf.data.Dataset.from_tensor_slices(np.zeros((5, 8, 8, 1), "float32"))
    gan.fit(one.batch(5, drop_remainder=True), epochs=3)
    assert int(gan.stage_images) == P.stage_images_for(3, 2, [5, 5])


def test_the_dataset_batch_is_read_from_its_element_spec():
    images = np.zeros((10, 8, 8, 1), "float32")
    pairs = tf.data.Dataset.from_tensor_slices((images, np.zeros((10, 2), "float32")))
    assert P._dataset_batch(pairs.batch(5, drop_remainder=True)) == 5
    assert P._dataset_batch(pairs.batch(5)) is None
    single = tf.data.Dataset.from_tensor_slices(images).batch(2, drop_remainder=True)
    assert P._dataset_batch(single) == 2
    assert P._dataset_batch(images) is None  # not a dataset
    unknown = tf.data.Dataset.from_generator(
        lambda: iter([images]), output_signature=tf.TensorSpec(shape=None, dtype=tf.float32)
    )
    assert P._dataset_batch(unknown) is None


def test_each_finished_stage_is_exported_as_it_ended(tmp_path):
    gan = _pggan(stage_images=4)
    assert gan.training_callbacks() == [] and gan.training_callbacks(stage_export_dir=None) == []
    (snap,) = gan.training_callbacks(stage_export_dir=tmp_path / "run" / "stages")
    assert isinstance(snap, P.StageSnapshots) and snap.folder == tmp_path / "run" / "stages"
    snap.set_model(gan)
    gan.images_shown.assign(3)
    snap.on_train_begin()
    snap.on_train_batch_end(0)  # still stage 0: nothing written
    assert snap.saved == [] and not (tmp_path / "run" / "stages").exists()
    gan.images_shown.assign(4)  # stage 1 begins
    gan._sync_networks()
    snap.on_train_batch_end(1)
    path = tmp_path / "run" / "stages" / "generator_stage0_4px.h5"
    assert snap.saved == [path]
    exported = keras.models.load_model(path, compile=False)
    assert exported.name == "pggan_stage0"
    z = latent_vectors(3, Z, 0)
    stage0 = gan.generator.forward(z, 0, 1.0).numpy().repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_allclose(exported(z).numpy(), stage0, rtol=1e-3, atol=2e-4)
    snap.on_train_batch_end(2)  # the same stage again: no second file
    assert snap.saved == [path]


def test_a_stage_is_exported_at_alpha_one_into_a_folder_that_may_exist(tmp_path):
    G = progan.build_pggan_generator(z_dim=Z, image_size=16, **TINY)
    D = progan.build_pggan_discriminator(image_size=16, **TINY)
    gan = GAN_FAMILIES.get("pggan")(G, D, z_dim=Z, stage_images=2)
    (tmp_path / "stages").mkdir()
    snap = P.StageSnapshots(tmp_path / "stages")
    snap.set_model(gan)
    gan.images_shown.assign(5)  # stage 1, stable
    snap.on_train_begin()
    gan.images_shown.assign(6)  # stage 2 fades in (α = 0): stage 1 ended at α = 1
    gan._sync_networks()
    snap.on_train_batch_end(0)
    (path,) = snap.saved
    assert path.name == "generator_stage1_8px.h5"
    z = latent_vectors(2, Z, 4)
    want = G.forward(z, 1, 1.0).numpy().repeat(2, axis=1).repeat(2, axis=2)
    got = keras.models.load_model(path, compile=False)(z).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=2e-4)


def test_the_final_generator_is_baked_at_the_stage_asked_for():
    gan = _pggan(stage_images=4)
    z = latent_vectors(2, Z, 5)
    gan.images_shown.assign(100)  # grown: stage 1 at α = 1
    gan._sync_networks()
    np.testing.assert_allclose(
        gan.exportable_generator()(z).numpy(),
        gan.generator.forward(z, 1, 1.0).numpy(),
        rtol=1e-4,
        atol=1e-5,
    )
    first = gan.exportable_generator(stage=0)(z).numpy()  # an earlier stage, upsampled
    stage0 = gan.generator.forward(z, 0, 1.0).numpy().repeat(2, axis=1).repeat(2, axis=2)
    np.testing.assert_allclose(first, stage0, rtol=1e-3, atol=2e-4)
    half = gan.exportable_generator(stage=1, alpha=0.5)(z).numpy()
    np.testing.assert_allclose(half, gan.generator.forward(z, 1, 0.5).numpy(), rtol=1e-3, atol=2e-4)


def test_the_stage_watcher_retraces_when_the_schedule_enters_a_new_stage():
    gan = _pggan(stage_images=4)
    gan.make_train_function()
    watcher = P._StageWatcher()
    watcher.set_model(gan)
    first = gan.train_function
    watcher.on_train_batch_end(0)
    assert gan.train_function is first  # same stage
    gan.images_shown.assign(4)
    watcher.on_train_batch_end(1)
    assert gan._traced_stage == 1 and gan.train_function is not first


def test_configs_name_every_option_and_the_gan_calls_its_generator():
    gan = _gan()
    assert gan.get_config() == {
        "z_dim": Z,
        "num_classes": 0,
        **GAN_FAMILIES.get("bce").option_defaults(),
    }
    z = latent_vectors(2, Z, 1)
    np.testing.assert_allclose(gan(z).numpy(), gan.generator(z, training=False).numpy())
    z4 = latent_vectors(4, Z, 2)  # train mode: BatchNorm on the batch's own statistics
    train = gan(z4, training=True).numpy()
    np.testing.assert_allclose(train, gan.generator(z4, training=True).numpy(), rtol=1e-5)
    assert not np.allclose(train, gan.generator(z4, training=False).numpy())
    pg = _pggan(
        batch_sizes=4, gp_weight=3.0, drift_weight=0.01, label_flip_prob=0.25, label_start_stage=1
    )
    assert pg.get_config() == {
        "z_dim": Z,
        "num_classes": 0,
        "batch_sizes": [4, 4],
        "gp_weight": 3.0,
        "drift_weight": 0.01,
        "label_flip_prob": 0.25,
        "label_start_stage": 1,
    }
    from keras_medgan.gans.wgan_clip import Clip

    assert Clip(0.02).get_config() == {"clip_value": 0.02}


# ----------------------------------------------------------------------------- base plumbing
def test_the_seed_fixes_the_training_noise_and_its_state_is_one_replicas():
    def draws(seed):
        gan = GAN_FAMILIES.get("bce")(tiny_generator(), tiny_critic(), z_dim=Z, seed=seed)
        return gan, [gan.sample_z(3).numpy(), gan.random_uniform(3, (2,)).numpy()]

    gan, first = draws(7)
    _, again = draws(7)
    _, other = draws(8)
    for a, b, c in zip(first, again, other):
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, c)
    assert first[0].shape == (3, Z) and first[1].shape == (3, 2)
    assert 0.0 <= first[1].min() and first[1].max() < 1.0
    state = gan.seed_generator.state
    assert state.shape == (2,) and not state.trainable and state.name == "seed_generator_state"
    assert state.value.aggregation == tf.VariableAggregation.ONLY_FIRST_REPLICA


def test_compile_builds_both_optimizers_for_their_own_networks():
    gan = GAN_FAMILIES.get("bce")(tiny_generator(), tiny_critic(), z_dim=Z)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(2e-3))
    for opt, net in ((gan.d_optimizer, gan.discriminator), (gan.g_optimizer, gan.generator)):
        assert opt.built and isinstance(opt, keras.optimizers.Adam)  # float32: not wrapped
        # one first-moment slot per variable of its own network, shaped like it
        slots = sorted(tuple(v.shape) for v in opt.variables if "momentum" in v.path)
        assert slots == sorted(tuple(v.shape) for v in net.trainable_variables)
    with pytest.raises(
        ValueError, match=r"^compile\(\) needs both d_optimizer and g_optimizer. Received: None$"
    ):
        gan.compile(keras.optimizers.SGD(), None)


def test_a_variable_the_loss_does_not_reach_gets_a_zero_gradient():
    """A growing network's inactive stage: the optimizer still sees every variable."""
    used, unused = keras.Variable([1.0, 2.0]), keras.Variable([3.0])
    opt = keras.optimizers.SGD(0.5)
    opt.build([used, unused])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(used * used)
    GAN_FAMILIES.get("bce").apply_gradients(opt, tape, loss, [used, unused])
    np.testing.assert_allclose(used.numpy(), [0.0, 0.0])  # 1 - 0.5·2, 2 - 0.5·4
    assert unused.numpy().tolist() == [3.0] and int(opt.iterations) == 1


def test_constructors_say_what_is_wrong():
    with pytest.raises(
        ValueError,
        match=r"^A conditional GAN needs \(images, one_hot\) batches. Received: images only$",
    ):
        _gan(num_classes=2).unpack(tf.zeros((2, 4, 4, 1)))
    half = tiny_generator()
    half.forward = lambda *a: None  # a forward but no stages
    with pytest.raises(
        ValueError,
        match=r"^pggan needs the progressive networks of keras_medgan.models.progan. Received: Functional$",
    ):
        GAN_FAMILIES.get("pggan")(
            half, progan.build_pggan_discriminator(image_size=8, **TINY), z_dim=Z
        )
    G = progan.build_pggan_generator(z_dim=Z, image_size=8, **TINY)
    D = progan.build_pggan_discriminator(image_size=16, **TINY)
    with pytest.raises(
        ValueError,
        match=r"^generator and critic must have the same number of stages. Received: 2 and 3$",
    ):
        GAN_FAMILIES.get("pggan")(G, D, z_dim=Z)
    with pytest.raises(ValueError, match=r"^stage_images must be positive. Received: 0$"):
        _pggan(stage_images=0)
    assert int(_pggan(stage_images=1).stage_images) == 1
    began = GAN_FAMILIES.get("began")(tiny_generator(2), tiny_critic(2), z_dim=Z, num_classes=2)
    assert began.get_config()["num_classes"] == 2 and began.conditional


def test_the_training_state_a_checkpoint_carries():
    """ProGAN's image counter and phase length, BEGAN's k and the loss-scale counters:
    named scalars that start where the papers start and no optimizer moves."""
    gan = _pggan()
    began = GAN_FAMILIES.get("began")(tiny_generator(), tiny_critic(), z_dim=Z, k_init=0.25)
    opt = CountingLossScaleOptimizer(keras.optimizers.SGD(0.1))
    opt.build([keras.Variable([1.0])])
    for var, name, dtype, value in (
        (gan.images_shown, "images_shown", "int64", 0),
        (gan.stage_images, "stage_images", "int64", 0),
        (began.k, "k", "float32", 0.25),
        (opt.skipped_steps, "skipped_steps", "int", 0),
        (opt.warmup_skipped_steps, "warmup_skipped_steps", "int", 0),
    ):
        assert var.name == name and tuple(var.shape) == () and not var.trainable, name
        assert var.dtype.startswith(dtype) and float(var.numpy()) == value, name
    assert opt.skipped_steps.aggregation == "none"
    assert {v.name for v in gan.trainable_variables}.isdisjoint({"images_shown", "stage_images"})


def test_a_gan_needs_a_latent_and_a_class_count_it_can_use():
    bce = GAN_FAMILIES.get("bce")
    assert bce(tiny_generator(z_dim=1), tiny_critic(), z_dim=1).z_dim == 1  # one is enough
    with pytest.raises(ValueError, match=r"^z_dim must be positive. Received: z_dim=0$"):
        bce(tiny_generator(), tiny_critic(), z_dim=0)
    with pytest.raises(ValueError, match=r"^num_classes must be >= 0. Received: num_classes=-1$"):
        bce(tiny_generator(), tiny_critic(), z_dim=Z, num_classes=-1)
    with pytest.raises(
        ValueError, match=r"^Unknown option\(s\) n_critic for loss family 'bce'; its options: "
    ):
        bce(tiny_generator(), tiny_critic(), z_dim=Z, n_critic=2)
