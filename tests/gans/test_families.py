"""Family registry, optimizer recipes and the arch/family default merge."""

import keras
import pytest

from keras_medgan.gans import (
    GAN,
    GAN_FAMILIES,
    OPTIMIZERS,
    make_optimizers,
    training_defaults,
)


def test_registered_families():
    assert {"bce", "wgan", "wgan-gp"} <= set(GAN_FAMILIES.names())
    for name in ("bce", "wgan", "wgan-gp"):
        cls = GAN_FAMILIES.get(name)
        assert issubclass(cls, GAN) and cls.NAME == name
        assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(cls.METRIC_NAMES)
    assert GAN_FAMILIES.get("wgan").METRIC_NAMES[-1] == "w_distance"
    assert GAN_FAMILIES.get("wgan-gp").METRIC_NAMES[-2:] == ("w_distance", "gp")
    assert GAN_FAMILIES.get("wgan-gp").CRITIC and not GAN_FAMILIES.get("bce").CRITIC
    assert set(OPTIMIZERS.names()) >= {"adam", "rmsprop"}


def test_make_optimizers_uses_family_recipes():
    d, g = make_optimizers("wgan")
    assert isinstance(d, keras.optimizers.RMSprop) and d is not g
    assert float(d.learning_rate) == pytest.approx(5e-5)
    d, _ = make_optimizers("wgan-gp")
    assert isinstance(d, keras.optimizers.Adam)
    assert (float(d.learning_rate), d.beta_1, d.beta_2) == (pytest.approx(1e-4), 0.0, 0.9)
    d, _ = make_optimizers(GAN_FAMILIES.get("bce"), lr=1e-3)
    assert (float(d.learning_rate), d.beta_1) == (pytest.approx(1e-3), 0.5)
    with pytest.raises(KeyError, match="sgd"):
        make_optimizers("bce", optimizer="sgd")


def test_training_defaults_merge_rule():
    p1 = training_defaults("dcgan32", "bce")
    assert (p1["epochs"], p1["batch_size"], p1["lr"], p1["beta_1"], p1["optimizer"]) == (
        2500,
        16,
        2e-4,
        0.5,
        "adam",
    )
    assert p1["diffaugment"] == "" and p1["critic"] is False
    p4 = training_defaults("dcgan64", "wgan")  # P4: WGAN on DCGAN's network
    assert (p4["optimizer"], p4["lr"], p4["batch_size"], p4["epochs"]) == ("rmsprop", 5e-5, 64, 100)
    assert (p4["clip_value"], p4["n_critic"], p4["loss"]) == (0.01, 5, "wgan")
    gp = training_defaults("dcgan32", "wgan-gp")
    assert (gp["lr"], gp["beta_1"], gp["beta_2"], gp["gp_weight"], gp["n_critic"]) == (
        1e-4,
        0.0,
        0.9,
        10.0,
        5,
    )
    assert gp["batch_size"] == 16 and gp["critic"] is True
