"""The one way a generator set is sampled: ``synthesize``, ``benchmark``, ``evaluate``,
``turing``, ``load_pretrained`` and the study all draw their images here, plain or
through a ``select`` such as the realism filter
(:func:`keras_medgan.evaluate.c2st.most_realistic_selector`).

The seed rule (documented in docs/INTERFACES.md): the images of class ``c`` for a run seed
``seed`` come from ``z ~ N(0, 1)`` drawn by ``numpy.random.default_rng(class_seed(seed, i))``
where ``i`` is the index of ``c`` in the generator set's class list (the model cards'
``class_names``), all ``n`` at once, so they do not depend on the batch size, on which
other classes are drawn, or on the tool that asks.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

import numpy as np

from keras_medgan.generators.cards import GeneratorLoadError
from keras_medgan.generators.loading import LoadedGenerator, find_generators, load_generator
from keras_medgan.generators.shipped import read_manifest, shipped_generator_files


def class_seed(seed: int, class_index: int) -> int:
    """A separate, reproducible seed per class so classes do not share z vectors."""
    return int(np.random.SeedSequence([int(seed), int(class_index)]).generate_state(1)[0])


def _bare_missing_name(spec) -> bool:
    """A string that is no existing path and looks like a name, not a path (no folder,
    no suffix): what a shipped model's name looks like."""
    return (
        isinstance(spec, str)
        and not pathlib.Path(spec).exists()
        and pathlib.PurePath(spec).name == spec
        and not pathlib.PurePath(spec).suffix
    )


def is_shipped_name(spec) -> bool:
    """``spec`` names a shipped model (models_h5/manifest.json) and no existing path: the
    rule every tool that reads generators follows (a path wins over a name)."""
    if not _bare_missing_name(spec):
        return False
    return spec in read_manifest()


def _as_generators(
    generators, trust_model: bool, precision: str | None = None
) -> dict[str, LoadedGenerator]:
    """Path (run/export dir/file), shipped model name, a list of those, or dict
    name→LoadedGenerator → loaded. A shipped model's files are hash-checked first; a bare
    name that is neither a path nor shipped is one error listing the shipped names."""
    if isinstance(generators, dict) and all(
        isinstance(g, LoadedGenerator) for g in generators.values()
    ):
        return dict(generators)
    items = [generators] if isinstance(generators, (str, pathlib.Path)) else list(generators)
    found = {}
    for item in items:
        paths = [item]
        if _bare_missing_name(item):
            shipped = read_manifest()
            if item not in shipped:
                raise GeneratorLoadError(
                    f"{item}: no such file or folder, nor a shipped "
                    f"model (shipped: {', '.join(shipped) or 'none here'})"
                )
            paths = shipped_generator_files(item)
        for path in paths:
            found.update(find_generators(path))
    return {
        name: load_generator(path, trust_model=trust_model, precision=precision)
        for name, path in found.items()
    }


def plan_classes(
    loaded: dict[str, LoadedGenerator], classes: Sequence[str] | None = None
) -> tuple[list[str], list[tuple[str, LoadedGenerator, int]]]:
    """(class_names, [(class_name, generator, label_index_for_generator)]) to generate.

    One conditional generator serves every class in its card; per-class generators
    serve their own class. ``classes`` restricts the set (unknown names are an error).
    """
    if "conditional" in loaded:
        if len(loaded) > 1:
            raise GeneratorLoadError(
                "found a conditional generator next to per-class ones; "
                "point --generators at one of them"
            )
        gen = loaded["conditional"]
        class_names = list(
            gen.card.get("class_names") or [str(i) for i in range(gen.card["num_classes"])]
        )
        wanted = list(classes) if classes else class_names
        for name in wanted:
            if name not in class_names:
                raise ValueError(
                    f"unknown class {name!r}; the generator knows: {', '.join(class_names)}"
                )
        return class_names, [(name, gen, class_names.index(name)) for name in wanted]
    card_names = [g.card.get("class_names") for g in loaded.values()]
    class_names = (
        list(card_names[0])
        if card_names[0]
        and all(c == card_names[0] for c in card_names)
        and set(loaded) <= set(card_names[0])
        else sorted(loaded)
    )
    wanted = list(classes) if classes else [c for c in class_names if c in loaded]
    for name in wanted:
        if name not in loaded:
            raise ValueError(
                f"no generator for class {name!r}; found generators for: {', '.join(sorted(loaded))}"
            )
    return class_names, [(name, loaded[name], None) for name in wanted]


def synthesize_set(
    generators,
    n_per_class: int = 100,
    classes=None,
    seed: int = 0,
    trust_model: bool = False,
    batch_size: int = 256,
    select=None,
    precision: str | None = "auto",
):
    """Generate ``n_per_class`` images per class → (images, labels, class_names).

    ``images`` float32 [N, H, W, C] in [-1, 1]; ``labels`` int64 [N] indices into
    ``class_names``. ``select(name, generator, n, seed) -> images`` may replace plain
    generation (used by --keep-most-realistic). ``precision`` applies to generators given
    as paths (``loading.compute_in``; None = each file's own), as the CLI's --precision.
    """
    loaded = _as_generators(generators, trust_model, precision)
    class_names, plan = plan_classes(loaded, classes)
    all_images, all_labels = [], []
    for name, gen, label_index in plan:
        index = class_names.index(name)
        s = class_seed(seed, index)
        if select is not None:
            images = select(name, gen, n_per_class, s)
        else:
            images = gen.generate(n_per_class, label=label_index, seed=s, batch_size=batch_size)
        all_images.append(images)
        all_labels.append(np.full(len(images), index, np.int64))
    if not all_images:
        return np.zeros((0, 0, 0, 1), np.float32), np.zeros((0,), np.int64), class_names
    return np.concatenate(all_images), np.concatenate(all_labels), class_names


def sample_class(
    generators: dict[str, LoadedGenerator],
    class_name: str,
    n: int,
    seed: int,
    batch_size: int = 256,
) -> np.ndarray:
    """``n`` images of ``class_name`` from a loaded set (per class or ``conditional``) by
    the module's seed rule."""
    class_names, plan = plan_classes(generators, [class_name])
    _, gen, label_index = plan[0]
    return gen.generate(
        n,
        label=label_index,
        seed=class_seed(seed, class_names.index(class_name)),
        batch_size=batch_size,
    )
