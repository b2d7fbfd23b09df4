"""The import paths of release 0.7 (a flat top level), kept working for one release.

0.8 moved the top-level modules into folders (``keras_medgan.stats`` is now
``keras_medgan.evaluate.stats``, ``keras_medgan.bench`` is ``keras_medgan.compare``).
Code written against the old paths keeps running: importing an old name gives the very
module object of the new one (so a ``mock.patch`` on either path patches both) and warns
once with the new name. ``keras_medgan.export``, split in four, gives a view whose every
name is the object of its new module. Removed in 0.9.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

#: old dotted name (below ``keras_medgan.``) → its new home; a package maps its submodules
#: too (``bench.cell`` → ``compare.cell``).
OLD_TO_NEW = {
    "registry": "core.registry",
    "jsonio": "core.jsonio",
    "console": "core.console",
    "runtime": "core.runtime",
    "errors": "core.errors",
    "presets": "core.presets",
    "cli_flags": "cli.flags",
    "cli_help": "cli.stored_help",
    "data.cli": "cli.data",
    "evaluate.cli": "cli.evaluate",
    "turing.cli": "cli.turing",
    "study.cli": "cli.study",
    "training_config": "training.config",
    "runs": "training.runs",
    "callbacks": "training.callbacks",
    "run_report": "training.run_report",
    # 0.7's export.py wrote, named, carded and loaded generators: now four modules
    "export": ("generators.export", "generators.loading", "generators.cards", "generators.naming"),
    "vetting": "generators.vetting",
    "pretrained": "generators.pretrained",
    "sampling": "generators.sampling",
    "shipped": "generators.shipped",
    "losses": "gans.losses",
    "features": "evaluate.features",
    "stats": "evaluate.stats",
    "bench": "compare",
    "bench.runner": "compare.benchmark",
    "bench.augment": "compare.classifier_augment",
    "bench.training": "compare.classifier_training",
}
PREFIX = "keras_medgan."


def new_name(fullname: str) -> str | tuple[str, ...] | None:
    """The new dotted name(s) for an old one, or None when ``fullname`` is not an old path."""
    if not fullname.startswith(PREFIX):
        return None
    old = fullname[len(PREFIX) :]
    target = OLD_TO_NEW.get(old)
    if isinstance(target, tuple):
        return tuple(PREFIX + t for t in target)
    if target is not None:
        return PREFIX + target
    head, _, tail = old.partition(".")
    if tail and OLD_TO_NEW.get(head) == "compare":
        return f"{PREFIX}compare.{tail}"
    return None


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, old: str, target: str | tuple[str, ...]):
        self.old, self.target = old, target

    def create_module(self, spec):
        if isinstance(self.target, tuple):  # an old module split in several: a view of them
            self._spec = None
            return _SplitModule(self.old, [importlib.import_module(t) for t in self.target])
        module = importlib.import_module(self.target)
        self._spec = module.__spec__  # the import system overwrites it; put it back
        return module

    def exec_module(self, module):
        if self._spec is not None:
            module.__spec__ = self._spec
        where = " / ".join(self.target) if isinstance(self.target, tuple) else self.target
        warnings.warn(
            f"{self.old} moved to {where}; the old import path goes in 0.9",
            DeprecationWarning,
            stacklevel=2,
        )


class _SplitModule(types.ModuleType):
    """An old module whose names now live in several modules: each name is looked up in
    them in order and is the very object there (patch the new module, not this view)."""

    def __init__(self, name: str, parts: list):
        super().__init__(name)
        self.__parts = parts

    def __getattr__(self, attr):
        for part in self.__parts:
            if hasattr(part, attr):
                return getattr(part, attr)
        raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")


class OldPathFinder(importlib.abc.MetaPathFinder):
    """Answers only the old names; every other import goes to the normal finders."""

    def find_spec(self, fullname, path=None, target=None):
        target_name = new_name(fullname)
        if target_name is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(fullname, target_name))


def forward_to(new_module: str, old_module: str):
    """A module ``__getattr__`` for a name that 0.8 kept but emptied: ``keras_medgan.train``
    is now only the entry point and ``keras_medgan.training`` a folder, while 0.7 code reads
    ``keras_medgan.train.build_parser`` or ``keras_medgan.training.run_training``. A
    submodule of a package (``keras_medgan.training.config``) is imported as usual, with no
    warning; any other name comes from ``new_module``, with one."""

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        submodule = f"{old_module}.{name}"
        if importlib.util.find_spec(old_module).submodule_search_locations is not None:
            if importlib.util.find_spec(submodule) is not None:
                return importlib.import_module(submodule)
        value = getattr(importlib.import_module(new_module), name)  # AttributeError if not
        warnings.warn(
            f"{old_module}.{name} moved to {new_module}.{name}; the old path goes in 0.9",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__


def install() -> None:
    if not any(isinstance(f, OldPathFinder) for f in sys.meta_path):
        # first: under an old package (``keras_medgan.bench`` is the compare package) the
        # path finder would load ``bench.cell`` from compare/ again, as a second module
        sys.meta_path.insert(0, OldPathFinder())
