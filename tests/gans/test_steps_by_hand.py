"""One training step of every loss family, recomputed by hand.

Each test runs ONE ``train_batch`` of a family on tiny networks (BatchNorm in both where
the family allows it, so the train-mode calls matter) with plain SGD and scripted noise,
and recomputes the same step independently on the same networks: the draws in the
algorithm's order, the losses from their formulas (``tf.nn``'s cross-entropy, the
Wasserstein means, the penalties by nested tapes), gradients by a tape, ``w -= lr * g``.
Every weight after the step and every logged value must match.

A wrong sign, swapped arguments, a penalty at the wrong point, the wrong network stepped
first, a fake reused where a fresh one is due, a missing clip or a k updated from the
wrong loss all keep the weights moving and finite, so plumbing tests pass them; these do
not. The step runs eagerly (no ``fit``), so the whole file takes seconds.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_medgan.gans import GAN_FAMILIES
from keras_medgan.gans.augment import diff_augment, parse_policy
from keras_medgan.models import progan

from .tiny4 import SIZE, Z, tiny_autoencoder, tiny_critic, tiny_generator

BATCH = 5  # not SIZE: a batch read from the wrong axis changes the numbers
LR = 0.1


# ----------------------------------------------------------------------------- noise
def _values(index: int, kind: str, shape) -> np.ndarray:
    rng = np.random.default_rng(100 + index)
    if kind == "normal":
        return rng.normal(size=shape).astype("float32")
    return rng.uniform(size=shape).astype("float32")


class ScriptedNoise:
    """Stands in for ``keras.random.normal`` / ``uniform``: draw ``i`` is fixed by ``i``."""

    def __init__(self):
        self.calls = []

    def _next(self, kind, shape):
        shape = tuple(int(s) for s in shape)
        values = _values(len(self.calls), kind, shape)
        self.calls.append((kind, shape))
        return values

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return tf.constant(mean + stddev * self._next("normal", shape))

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return tf.constant(minval + (maxval - minval) * self._next("uniform", shape))


class Draws:
    """The reference's own stream: the values the step must have drawn, in order."""

    def __init__(self):
        self.calls = []

    def normal(self, *shape):
        values = _values(len(self.calls), "normal", shape)
        self.calls.append(("normal", shape))
        return tf.constant(values)

    def uniform(self, *shape):
        values = _values(len(self.calls), "uniform", shape)
        self.calls.append(("uniform", shape))
        return tf.constant(values)


@pytest.fixture
def noise(monkeypatch):
    scripted = ScriptedNoise()
    monkeypatch.setattr(keras.random, "normal", scripted.normal)
    monkeypatch.setattr(keras.random, "uniform", scripted.uniform)
    return scripted


def batch(num_classes=0):
    rng = np.random.default_rng(9)
    images = tf.constant(rng.uniform(-1, 1, (BATCH, SIZE, SIZE, 1)).astype("float32"))
    if not num_classes:
        return images, None
    return images, tf.constant(np.eye(num_classes, dtype="float32")[[0, 1, 1, 0, 1]])


def make(family, generator, discriminator, num_classes=0, **options):
    gan = GAN_FAMILIES.get(family)(
        generator=generator,
        discriminator=discriminator,
        z_dim=Z,
        num_classes=num_classes,
        seed=0,
        **options,
    )
    gan.compile(keras.optimizers.SGD(LR), keras.optimizers.SGD(LR))
    return gan


# ----------------------------------------------------------------------------- reference
def sgd(variables, grads):
    for v, g in zip(variables, grads):
        if g is not None:
            v.assign_sub(LR * g)


def call(net, x, labels):
    return net([x, labels] if labels is not None else x, training=True)


def bce(targets, logits):
    targets = tf.broadcast_to(tf.cast(targets, tf.float32), tf.shape(logits))
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits))


def input_grad(critic_fn, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = critic_fn(x)
    return tape.gradient(scores, x)


def gp_by_hand(critic_fn, real, fake, alpha, eps):
    x_hat = alpha * real + (1.0 - alpha) * fake
    g = input_grad(critic_fn, x_hat)
    norms = tf.sqrt(tf.reduce_sum(g * g, axis=[1, 2, 3]) + eps)
    return tf.reduce_mean((norms - 1.0) ** 2)


def r1_by_hand(critic_fn, real):
    g = input_grad(critic_fn, real)
    return tf.reduce_mean(tf.reduce_sum(g * g, axis=[1, 2, 3]))


def run_both(gan, noise, reference, data):
    """(the reference's weights and logs, the GAN's), from the same starting weights.

    The GAN's side is ``step_logs`` (what ``fit``'s step runs): unpacking, the step, and
    the epoch-mean trackers, which after one step hold that step's values."""
    nets = (gan.generator, gan.discriminator)
    start = [net.get_weights() for net in nets]
    draws = Draws()
    want_logs = {k: float(v) for k, v in reference(draws).items()}
    want = [net.get_weights() for net in nets]
    for net, weights in zip(nets, start):
        net.set_weights(weights)
    got_logs = {k: float(v) for k, v in gan.step_logs(data).items()}
    got = [net.get_weights() for net in nets]
    assert noise.calls == draws.calls, "the step drew other noise than its algorithm"
    return want, want_logs, got, got_logs


def assert_same_step(want, want_logs, got, got_logs, names):
    assert set(names) <= set(got_logs), (names, sorted(got_logs))
    for name in names:
        assert got_logs[name] == pytest.approx(want_logs[name], rel=1e-4, abs=1e-6), name
    for which, w_net, g_net in zip(("generator", "discriminator"), want, got):
        for w, g in zip(w_net, g_net):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6, err_msg=which)


# ----------------------------------------------------------------------------- BCE
ALL_BCE_OPTIONS = {
    "label_smoothing": 0.1,
    "flip_prob": 0.5,
    "label_noise": 0.2,
    "instance_noise": 0.3,
    "instance_noise_anneal_steps": 8,
    "gp_weight": 2.0,
    "r1_weight": 3.0,
}
PRIOR_D_UPDATES = 2  # the anneal reads d_optimizer.iterations: 0.3 · (1 - 2/8)


def bce_reference(gan, real, labels, forward, options):
    """Goodfellow's step (fresh), the PyTorch tutorial's (reuse) or TF's (joint)."""
    G, D = gan.generator, gan.discriminator
    s = options.get("label_smoothing", 0.0)
    p = options.get("flip_prob", 0.0)
    n = options.get("label_noise", 0.0)
    sigma = options.get("instance_noise", 0.0)
    if options.get("instance_noise_anneal_steps"):
        sigma *= max(0.0, 1.0 - PRIOR_D_UPDATES / options["instance_noise_anneal_steps"])
    gp_w, r1_w = options.get("gp_weight", 0.0), options.get("r1_weight", 0.0)

    def step(draws):
        real_t = np.full((BATCH, 1), 1.0 - s, "float32")
        fake_t = np.zeros((BATCH, 1), "float32")
        if p:
            flip_real = draws.uniform(BATCH, 1).numpy() < p
            flip_fake = draws.uniform(BATCH, 1).numpy() < p
            real_t[flip_real], fake_t[flip_fake] = 0.0, 1.0 - s
        if n:
            shift = n * draws.uniform(BATCH, 1).numpy()
            real_t = np.where(real_t > 0.5, real_t - shift, real_t + shift)
            shift = n * draws.uniform(BATCH, 1).numpy()
            fake_t = np.where(fake_t > 0.5, fake_t - shift, fake_t + shift)

        def seen(x):
            """What D sees: DiffAugment (per-sample draws), then instance noise, drawn
            whenever the option is on, even where the anneal has brought it to 0."""
            if options.get("diffaugment"):
                policy = parse_policy(options["diffaugment"])
                x = diff_augment(x, policy, lambda k: draws.uniform(BATCH, k))
            return x + sigma * draws.normal(*x.shape) if options.get("instance_noise") else x

        def d_objective(fake):
            real_out = call(D, seen(real), labels)
            fake_out = call(D, seen(fake), labels)
            loss = bce(real_t, real_out) + bce(fake_t, fake_out)
            logs = {
                "d_real": tf.reduce_mean(tf.sigmoid(real_out)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_out)),
            }

            def critic(x):
                return call(D, x, labels)

            if gp_w:
                alpha = draws.uniform(BATCH, 1, 1, 1)
                logs["gp"] = gp_by_hand(critic, real, fake, alpha, 1e-12)
                loss += gp_w * logs["gp"]
            if r1_w:
                logs["r1"] = r1_by_hand(critic, real)
                loss += 0.5 * r1_w * logs["r1"]
            logs["d_loss"] = loss
            return loss, logs, fake_out

        if forward == "fresh":
            fake = call(G, draws.normal(BATCH, Z), labels)
            with tf.GradientTape() as tape:
                d_loss, logs, _ = d_objective(fake)
            sgd(D.trainable_variables, tape.gradient(d_loss, D.trainable_variables))
            z = draws.normal(BATCH, Z)
            with tf.GradientTape() as tape:
                g_loss = bce(1.0, call(D, seen(call(G, z, labels)), labels))
            sgd(G.trainable_variables, tape.gradient(g_loss, G.trainable_variables))
        elif forward == "reuse":
            z = draws.normal(BATCH, Z)
            with tf.GradientTape() as g_tape:
                fake = call(G, z, labels)
                with g_tape.stop_recording():
                    with tf.GradientTape() as d_tape:
                        d_loss, logs, _ = d_objective(tf.stop_gradient(fake))
                    grads = d_tape.gradient(d_loss, D.trainable_variables)
                    sgd(D.trainable_variables, grads)
                g_loss = bce(1.0, call(D, seen(fake), labels))  # through the UPDATED D
            sgd(G.trainable_variables, g_tape.gradient(g_loss, G.trainable_variables))
        else:  # joint: both gradients from one forward, before either network moves
            z = draws.normal(BATCH, Z)
            with tf.GradientTape(persistent=True) as tape:
                fake = call(G, z, labels)
                d_loss, logs, fake_out = d_objective(fake)
                g_loss = bce(1.0, fake_out)
            d_grads = tape.gradient(d_loss, D.trainable_variables)
            g_grads = tape.gradient(g_loss, G.trainable_variables)
            sgd(D.trainable_variables, d_grads)
            sgd(G.trainable_variables, g_grads)
        return {**logs, "g_loss": g_loss}

    return step


BCE_CASES = [
    ("fresh", 0, {}),
    ("fresh", 2, ALL_BCE_OPTIONS),
    ("reuse", 0, ALL_BCE_OPTIONS),
    ("reuse", 2, {}),
    ("joint", 0, ALL_BCE_OPTIONS),
    ("joint", 2, {"label_smoothing": 0.2}),
    ("fresh", 0, {"flip_prob": 0.5, "instance_noise": 0.3}),  # noise without annealing
    ("reuse", 0, {"instance_noise": 0.3, "instance_noise_anneal_steps": 1}),  # annealed to 0
    ("fresh", 2, {"diffaugment": "translation,brightness", "instance_noise": 0.2}),
    ("joint", 0, {"diffaugment": "brightness"}),
]


@pytest.mark.parametrize(
    "forward, num_classes, options",
    BCE_CASES,
    ids=[f"{f}-c{c}-{'options' if o else 'plain'}{i}" for i, (f, c, o) in enumerate(BCE_CASES)],
)
def test_a_bce_step_is_the_papers_step(noise, forward, num_classes, options):
    gan = make(
        "bce",
        tiny_generator(num_classes),
        tiny_critic(num_classes),
        num_classes=num_classes,
        forward=forward,
        **options,
    )
    gan.d_optimizer.iterations.assign(PRIOR_D_UPDATES)
    real, labels = batch(num_classes)
    reference = bce_reference(gan, real, labels, forward, options)
    results = run_both(gan, noise, reference, (real, labels) if num_classes else real)
    assert_same_step(*results, gan.metric_names)
    assert set(gan.metric_names) == {"d_loss", "g_loss", "d_real", "d_fake"} | (
        {"gp", "r1"} if options.get("gp_weight") else set()
    )


# ----------------------------------------------------------------------------- Wasserstein
def wasserstein_reference(gan, real, labels, n_critic, clip=None, gp_weight=0.0, eps=1e-12):
    """Arjovsky's / Gulrajani's step: n_critic critic updates (fresh z each), then G."""
    G, D = gan.generator, gan.discriminator

    def step(draws):
        for _ in range(n_critic):
            fake = call(G, draws.normal(BATCH, Z), labels)
            with tf.GradientTape() as tape:
                real_out, fake_out = call(D, real, labels), call(D, fake, labels)
                d_loss = tf.reduce_mean(fake_out) - tf.reduce_mean(real_out)
                logs = {
                    "d_real": tf.reduce_mean(real_out),
                    "d_fake": tf.reduce_mean(fake_out),
                    "w_distance": tf.reduce_mean(real_out) - tf.reduce_mean(fake_out),
                }
                if gp_weight:
                    alpha = draws.uniform(BATCH, 1, 1, 1)
                    logs["gp"] = gp_by_hand(lambda x: call(D, x, labels), real, fake, alpha, eps)
                    d_loss += gp_weight * logs["gp"]
                logs["d_loss"] = d_loss
            sgd(D.trainable_variables, tape.gradient(d_loss, D.trainable_variables))
            if clip is not None:
                for v in D.trainable_variables:
                    v.assign(tf.clip_by_value(v, -clip, clip))
        z = draws.normal(BATCH, Z)
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(call(D, call(G, z, labels), labels))
        sgd(G.trainable_variables, tape.gradient(g_loss, G.trainable_variables))
        return {**logs, "g_loss": g_loss}

    return step


@pytest.mark.parametrize("n_critic, num_classes", [(1, 0), (2, 0), (2, 2)])
def test_a_wgan_step_clips_every_critic_weight_after_each_update(noise, n_critic, num_classes):
    clip = 0.3
    critic = tiny_critic(num_classes)
    before = [w.copy() for w in critic.get_weights()]
    gan = make(
        "wgan",
        tiny_generator(num_classes),
        critic,
        num_classes=num_classes,
        clip_value=clip,
        n_critic=n_critic,
    )
    # construction clips the trainable weights (BN's gamma/beta too), not the moving stats
    trainable = {id(v) for v in critic.trainable_variables}
    for v, w in zip(critic.weights, before):
        want = np.clip(w, -clip, clip) if id(v) in trainable else w
        np.testing.assert_array_equal(v.numpy(), want, err_msg=v.path)
    real, labels = batch(num_classes)
    reference = wasserstein_reference(gan, real, labels, n_critic, clip=clip)
    data = (real, labels) if num_classes else (real,)
    assert_same_step(*run_both(gan, noise, reference, data), gan.metric_names)


@pytest.mark.parametrize("n_critic, eps", [(1, 1e-12), (2, 0.5)])
def test_a_wgan_gp_step_penalises_at_the_interpolates(noise, n_critic, eps):
    gan = make(
        "wgan-gp",
        tiny_generator(),
        tiny_critic(batchnorm=False),
        gp_weight=10.0,
        n_critic=n_critic,
        gp_epsilon=eps,
    )
    real, _ = batch()
    reference = wasserstein_reference(gan, real, None, n_critic, gp_weight=10.0, eps=eps)
    results = run_both(gan, noise, reference, real)
    assert_same_step(*results, gan.metric_names)
    assert "gp" in gan.metric_names and results[3]["gp"] > 0


def test_wgan_gp_with_the_penalty_off_logs_a_zero_gp(noise):
    gan = make("wgan-gp", tiny_generator(), tiny_critic(batchnorm=False), gp_weight=0.0)
    real, _ = batch()
    reference = wasserstein_reference(gan, real, None, 5)
    want, want_logs, got, got_logs = run_both(gan, noise, reference, real)
    assert got_logs["gp"] == 0.0
    assert_same_step(want, want_logs, got, got_logs, ("d_loss", "g_loss", "w_distance"))


# ----------------------------------------------------------------------------- BEGAN
def test_a_began_step_and_its_k_are_the_papers(noise):
    gamma, lambda_k, k0 = 0.7, 0.5, 0.3
    gan = make(
        "began",
        tiny_generator(),
        tiny_autoencoder(),
        gamma=gamma,
        lambda_k=lambda_k,
        k_init=k0,
    )
    G, D = gan.generator, gan.discriminator
    real, _ = batch()

    def l1(x, y):
        return tf.reduce_mean(tf.abs(x - y))

    def reference(draws):
        z = draws.normal(BATCH, Z)
        with tf.GradientTape(persistent=True) as tape:
            fake = G(z, training=True)
            fake_out = D(fake, training=True)
            loss_real, loss_fake = l1(real, D(real, training=True)), l1(fake, fake_out)
            d_loss = loss_real - k0 * loss_fake
            g_loss = loss_fake
        d_grads = tape.gradient(d_loss, D.trainable_variables)
        sgd(G.trainable_variables, tape.gradient(g_loss, G.trainable_variables))
        sgd(D.trainable_variables, d_grads)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": loss_real,
            "d_fake": loss_fake,
            "k": k0,
            "m_global": loss_real + abs(gamma * loss_real - loss_fake),
        }

    want, want_logs, got, got_logs = run_both(gan, noise, reference, real)
    assert_same_step(want, want_logs, got, got_logs, gan.metric_names)
    balance = gamma * want_logs["d_real"] - want_logs["g_loss"]
    assert float(gan.k) == pytest.approx(np.clip(k0 + lambda_k * balance, 0, 1), rel=1e-5)
    # the next step reads the k this one wrote
    k1 = float(gan.k)
    assert float(gan.train_batch(real, None)["k"]) == pytest.approx(k1)


# ----------------------------------------------------------------------------- ProGAN
def test_a_pggan_step_mid_fade_is_wgan_gp_plus_drift_on_blended_reals():
    """Stage 1 of 2 (8×8) halfway through its fade (α = 0.5), the critic's roles flipped
    or not, batch 2 of 4 at that stage, drift and penalty weights off their defaults."""
    for flip_prob, num_classes in ((0.0, 0), (1.0, 0), (1.0, 2)):
        _check_pggan_step(flip_prob, num_classes)


def _check_pggan_step(flip_prob, num_classes):
    tiny = {"fmap_base": 16, "fmap_max": 4}
    G = progan.build_pggan_generator(z_dim=Z, image_size=8, num_classes=num_classes, **tiny)
    D = progan.build_pggan_discriminator(image_size=8, num_classes=num_classes, **tiny)
    drift, gp_weight = 0.5, 3.0
    gan = make(
        "pggan",
        G,
        D,
        stage_images=4,
        batch_sizes=[4, 2],
        drift_weight=drift,
        gp_weight=gp_weight,
        label_flip_prob=flip_prob,
        num_classes=num_classes,
    )
    gan.images_shown.assign(6)  # phase 1 (stage 1 fading in), α = (6 - 4) / 4
    gan._sync_networks()
    assert gan.progress() == (1, 0.5)
    gan._traced_stage = 1
    images = np.random.default_rng(4).uniform(-1, 1, (BATCH, 8, 8, 1)).astype("float32")
    half = images[:2]  # stage 1's batch: the first 2 of the dataset's 5
    pooled = half.reshape(2, 4, 2, 4, 2, 1).mean(axis=(2, 4))
    real = tf.constant(0.5 * half + 0.5 * pooled.repeat(2, axis=1).repeat(2, axis=2))
    one_hot = tf.constant(np.eye(2, dtype="float32")[[1, 0, 1, 1, 0]])

    def net(x, labels=one_hot[:2]):  # the stage's batch of labels, for a conditional run
        return [x, labels] if num_classes else x

    def reference(draws):
        flipped = bool(draws.uniform(1)[0] < flip_prob)
        fake = G.forward(net(draws.normal(2, Z)), 1, 0.5)
        with tf.GradientTape() as tape:
            real_out, fake_out = D.forward(net(real), 1, 0.5), D.forward(net(fake), 1, 0.5)
            w = tf.reduce_mean(real_out) - tf.reduce_mean(fake_out)
            alpha = draws.uniform(2, 1, 1, 1)
            gp = gp_by_hand(lambda x: D.forward(net(x), 1, 0.5), real, fake, alpha, 1e-12)
            d_loss = (w if flipped else -w) + drift * tf.reduce_mean(real_out**2) + gp_weight * gp
        sgd(D.trainable_variables, tape.gradient(d_loss, D.trainable_variables))
        z = draws.normal(2, Z)
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(D.forward(net(G.forward(net(z), 1, 0.5)), 1, 0.5))
        sgd(G.trainable_variables, tape.gradient(g_loss, G.trainable_variables))
        for network in (G, D):  # 8 images shown: phase 2, stage 1 stable
            network.alpha.assign(1.0)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(real_out),
            "d_fake": tf.reduce_mean(fake_out),
            "w_distance": w,
            "gp": gp,
        }

    noise = ScriptedNoise()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(keras.random, "normal", noise.normal)
        mp.setattr(keras.random, "uniform", noise.uniform)
        data = (tf.constant(images), one_hot) if num_classes else tf.constant(images)
        results = run_both(gan, noise, reference, data)
    assert_same_step(*results, gan.metric_names)
    # 2 images shown: phase 2 (stage 1 stable), both networks told so
    assert int(gan.images_shown) == 8 and gan.progress() == (1, 1.0)
    assert int(G.stage) == int(D.stage) == 1 and float(G.alpha) == float(D.alpha) == 1.0
