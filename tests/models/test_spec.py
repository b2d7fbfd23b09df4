"""ArchSpec facts the trainer relies on: which losses fit an arch, which config keys reach
its builders."""

import pytest

from keras_medgan.models import ARCHS
from keras_medgan.training.runs import ConfigError, validate_config


def _config(arch, loss, **extra):
    spec = ARCHS.get(arch)
    config = {
        "arch": arch,
        "data": "phantom",
        "loss": loss,
        "image_size": None,
        "per_class": None,
        "conditional": False,
        "epochs": 1,
        "batch_size": 4,
        "z_dim": 8,
        "checkpoint_every": 1,
        "sample_every": 1,
        "sample_count": 4,
        "keep_checkpoints": 1,
        "lr": 1e-4,
        "precision": "fp32",
        "strategy": "default",
        "jit": "off",
        "classes": None,
    }
    config.update({k: v for k, v in spec.paper_defaults().items() if k not in config})
    config.update(extra)
    return config


@pytest.mark.parametrize(
    "arch, loss",
    [("began", "bce"), ("pggan", "wgan-gp"), ("dcgan32", "began"), ("dcgan64", "pggan")],
)
def test_a_loss_the_arch_cannot_train_with_is_refused(arch, loss):
    with pytest.raises(ConfigError, match=f"cannot be trained with loss '{loss}'"):
        validate_config(_config(arch, loss))


@pytest.mark.parametrize(
    "arch, loss", [("dcgan32", "wgan-gp"), ("began", "began"), ("pggan", "pggan")]
)
def test_matching_losses_pass(arch, loss):
    validate_config(_config(arch, loss))


def test_builder_options_reach_the_builders_and_shrink_the_network():
    spec = ARCHS.get("began")
    kwargs = spec.builder_kwargs({"filters": 8, "hidden": 4, "lr": 1.0})
    assert kwargs == {"filters": 8, "hidden": 4}
    small = spec.build_generator(z_dim=4, image_size=32, **kwargs)
    default = spec.build_generator(z_dim=4, image_size=32)
    assert small.count_params() < default.count_params()
    assert ARCHS.get("dcgan32").builder_kwargs({"filters": 8}) == {}
