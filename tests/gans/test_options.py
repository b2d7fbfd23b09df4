"""Loss-family options come from one declaration: checks, defaults, flags."""

import pytest

from keras_medgan.gans import GAN_FAMILIES
from keras_medgan.gans.options import Option, at_least, cli_flags, flag_aliases, within
from keras_medgan.training.runs import option_aliases


def test_option_checks_convert_and_name_the_option():
    o = Option("flip_prob", 0.0, "p", **within(0.0, 1.0))
    assert o.resolve("0.25") == 0.25
    with pytest.raises(ValueError, match=r"flip_prob must be in \[0, 1\). Received: flip_prob=1"):
        o.resolve(1)
    n = Option("n_critic", 5, "n", kind=int, **at_least(1))
    with pytest.raises(ValueError, match="n_critic must be an integer"):
        n.resolve(2.5)
    with pytest.raises(ValueError, match="n_critic must be a int"):
        n.resolve("five")


def test_flags_are_shared_across_families_from_their_declarations():
    families = {n: GAN_FAMILIES.get(n) for n in GAN_FAMILIES.names()}
    aliases = flag_aliases(families.values())
    assert aliases["label_flip"] == ("flip_prob", "label_flip_prob")
    assert aliases["clip"] == ("clip_value",) and option_aliases() == aliases
    kind, text = cli_flags(families)["gp_weight"]
    assert kind is float and "bce" in text and "wgan-gp" in text and "pggan" in text


@pytest.mark.parametrize(
    "family,option,value,message",
    [
        ("bce", "label_smoothing", 0.5, "label_smoothing must be in [0, 0.5)"),
        ("wgan", "clip_value", 0.0, "clip_value must be > 0"),
        ("wgan-gp", "n_critic", 0, "n_critic must be >= 1"),
        ("began", "gamma", 0.0, "gamma must be in (0, 1]"),
        ("bce", "n_critic", 2, "Unknown option(s) n_critic for loss family 'bce'"),
    ],
)
def test_constructors_check_declared_ranges(family, option, value, message):
    from .tiny import tiny_discriminator, tiny_generator

    cls = GAN_FAMILIES.get(family)
    with pytest.raises(ValueError) as info:
        cls(tiny_generator(), tiny_discriminator(critic=cls.CRITIC), z_dim=8, **{option: value})
    assert message in str(info.value)
