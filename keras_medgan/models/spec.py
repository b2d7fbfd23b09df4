"""The architecture registry: one entry per named G/D pair and the recipe file it follows.

An architecture is a pair of pure builder functions plus the facts a CLI needs to use them
(supported image sizes, structural defaults such as network width, and the name of the
paper recipe -- an ``experiments/*.yaml`` preset -- whose training values are what
``--arch NAME`` alone means). The paper's numbers live in that file only. Adding one touches
a builder module, one ``ARCHS.add(ArchSpec(name=...))`` call -- never a CLI;
tests/test_conformance.py covers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keras_medgan.core.presets import recipe_defaults
from keras_medgan.core.registry import Registry


@dataclass(frozen=True)
class ArchSpec:
    """What the registry knows about one architecture.

    ``build_generator(z_dim=100, image_size=..., num_classes=0)`` returns a functional
    ``keras.Model`` (inputs ``z`` or ``[z, one_hot]``) with a float32 tanh image output.
    ``build_discriminator(image_size=..., num_classes=0, critic=False)`` returns a
    functional ``keras.Model`` (inputs ``image`` or ``[image, one_hot]``) with a float32
    LOGIT output of shape ``[B, 1]``; ``critic=True`` swaps BatchNorm for a per-sample
    normalisation (what a WGAN-GP critic needs).
    ``recipe`` names the preset (``experiments/<recipe>.yaml``) whose training values
    (``presets.RECIPE_KEYS``: epochs, batch size, optimizer, loss, z_dim, per class) are
    this architecture's paper defaults; ``defaults`` holds only what is structural (width),
    or, for an architecture with no recipe file (a test's tiny one), its training values.
    :meth:`paper_defaults` is the two merged, the recipe winning.
    ``builder_options`` names the resolved-config keys handed to both builders (network
    width, e.g. pggan's ``fmap_base``), so a YAML file can shrink a network without a CLI
    change. ``losses`` lists the loss families that can train this pair: a BEGAN
    auto-encoder or a growing PGGAN critic means nothing to another family.
    """

    name: str
    build_generator: Callable[..., Any]
    build_discriminator: Callable[..., Any]
    image_sizes: tuple[int, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    recipe: str | None = None
    supports_conditional: bool = True
    paper: str = ""
    builder_options: tuple[str, ...] = ()
    losses: tuple[str, ...] = ("bce", "wgan", "wgan-gp")

    def paper_defaults(self) -> dict[str, Any]:
        """Structural ``defaults`` overlaid with the training values of ``recipe``."""
        if self.recipe is None:
            return dict(self.defaults)

        return {**self.defaults, **recipe_defaults(self.recipe)}

    def builder_kwargs(self, config: dict[str, Any]) -> dict[str, Any]:
        """The ``builder_options`` present in a resolved config, for both builders."""
        return {k: config[k] for k in self.builder_options if config.get(k) is not None}

    def check_image_size(self, image_size: int) -> None:
        """Raise the one ``ValueError`` wording every builder uses for a bad size."""
        check_image_size(self.name, image_size, self.image_sizes)


def check_image_size(arch: str, image_size: int, supported) -> None:
    if image_size not in tuple(supported):
        raise ValueError(
            f"Architecture {arch!r} cannot build this image size. "
            f"Received: image_size={image_size}; supported: {tuple(supported)}"
        )


ARCHS: Registry[ArchSpec] = Registry("architecture")
