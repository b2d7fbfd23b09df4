"""The architecture registry: one entry per named G/D pair with its paper's defaults.

An architecture is a pair of pure builder functions plus the facts a CLI needs to use them
(supported image sizes, the paper's training recipe). Adding one touches a builder module,
one ``ARCHS.add(ArchSpec(name=...))`` call -- never a CLI; tests/test_conformance.py covers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keras_medgan.registry import Registry


@dataclass(frozen=True)
class ArchSpec:
    """What the registry knows about one architecture.

    ``build_generator(z_dim=100, image_size=..., num_classes=0)`` returns a functional
    ``keras.Model`` (inputs ``z`` or ``[z, one_hot]``) with a float32 tanh image output.
    ``build_discriminator(image_size=..., num_classes=0, critic=False)`` returns a
    functional ``keras.Model`` (inputs ``image`` or ``[image, one_hot]``) with a float32
    LOGIT output of shape ``[B, 1]``; ``critic=True`` swaps BatchNorm for a per-sample
    normalisation (what a WGAN-GP critic needs).
    ``defaults`` is the paper's recipe: ``epochs, batch_size, optimizer, lr, beta_1, loss,
    z_dim`` and anything the architecture adds (e.g. ``per_class``).
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
    supports_conditional: bool = True
    paper: str = ""
    builder_options: tuple[str, ...] = ()
    losses: tuple[str, ...] = ("bce", "wgan", "wgan-gp")

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
