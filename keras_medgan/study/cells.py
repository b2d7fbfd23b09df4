"""The study's units of work ("cells"), their order, and the one file each leaves behind.

A cell is one of:

* ``gan``: train one GAN of a recipe on one fold's training part (one class for a
  per-class recipe, every class for a conditional one) — (repeat, fold, recipe, unit);
* ``arm``: train one classifier arm and predict the fold's test images — (repeat, fold,
  arm[, synthetic variant]);
* ``gan_train``: P3's GAN-train / GAN-test SVM for one recipe on the fold.

A learning-curve study (``--real-per-class``) adds a size to every cell: the fold's
training part cut to that many real images per class (``folds.subsample_per_class``);
the GANs of that size train on exactly those images. Size ``None`` ("all") is the whole
training part, and its cells keep the ids they had before sizes existed.

Cells are planned fold-major (all of fold 0 of repeat 0, then fold 1, …; within a fold
the sizes smallest first, each size's GANs before its classifiers), so a killed study
leaves whole folds behind and ``--repeat R --fold F`` is a self-contained subset. A finished cell is one JSON file ``cells/<id>.json``, written
atomically: that file existing is what "done" means, so processes sharing ``--out``
(separate shells, a job array, machines on a shared disk) never append to one file.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from keras_medgan.compare.arms import ARM_ORDER, ARMS
from keras_medgan.core.jsonio import jsonable, write_text_atomic

__all__ = [
    "Cell",
    "Variant",
    "gans_needed",
    "order_sizes",
    "parse_cell_ranges",
    "parse_shard",
    "plan_cells",
    "read_cell",
    "shard_cells",
    "size_label",
    "variants_for",
    "write_cell",
]

CELLS_DIR = "cells"


@dataclass(frozen=True)
class Variant:
    """Which synthetic images an arm adds: a recipe's GANs, how many, which ones.

    ``ratio``: synthetic images per real image and class (None for the synthetic-only arm,
    which always takes as many as there are real ones). ``keep``: the fraction of
    generated images kept by the realism filter (1.0 = no filter; 0.5 = generate twice as
    many and keep the more realistic half by the C2ST score).
    """

    recipe: str
    ratio: float | None
    keep: float = 1.0

    @property
    def name(self) -> str:
        parts = [self.recipe, "match" if self.ratio is None else f"x{self.ratio:g}"]
        if self.keep < 1.0:
            parts.append(f"top{self.keep:g}")
        return "@".join(parts)


def variants_for(
    arm: str, recipes: Sequence[str], ratios: Sequence[float], keeps: Sequence[float]
) -> list[Variant | None]:
    """[None] for an arm without synthetic images, else one variant per factor level."""
    spec = ARMS.get(arm)
    if not spec.uses_synthetic:
        return [None]
    arm_ratios = [None] if spec.synthetic == "match" else list(ratios)
    return [Variant(r, q, k) for r in recipes for q in arm_ratios for k in keeps]


@dataclass(frozen=True)
class Cell:
    kind: str  # "gan" | "arm" | "gan_train"
    repeat: int
    fold: int
    recipe: str | None = None
    unit: str | None = None  # gan cells: class name, or "conditional"
    arm: str | None = None
    variant: Variant | None = None
    #: real training images per class; None = the whole training part
    size: int | None = None

    @property
    def id(self) -> str:
        head = f"r{self.repeat}-f{self.fold}" + (f"-n{self.size}" if self.size else "")
        if self.kind == "gan":
            return f"{head}-gan-{self.recipe}-{self.unit}"
        if self.kind == "gan_train":
            return f"{head}-gantrain-{self.recipe}"
        return f"{head}-arm-{self.arm}" + (f"-{self.variant.name}" if self.variant else "")

    def label(self) -> str:
        where = f"repeat {self.repeat} fold {self.fold}" + (
            f" ({self.size} real/class)" if self.size else ""
        )
        if self.kind == "gan":
            return f"{where}: GAN {self.recipe} [{self.unit}]"
        if self.kind == "gan_train":
            return f"{where}: GAN-train/GAN-test {self.recipe}"
        return f"{where}: {self.arm}" + (f" [{self.variant.name}]" if self.variant else "")


def plan_cells(
    *,
    repeats: int,
    folds: int,
    recipes: dict[str, list[str]],
    arms: Sequence[str],
    ratios: Sequence[float],
    keeps: Sequence[float],
    gan_train: bool,
    sizes: Sequence[int | None] = (None,),
) -> list[Cell]:
    """Every cell in run order. ``recipes``: name → its GAN units (class names, or
    ["conditional"]); ``sizes``: real images per class (None = all). Recipes are only
    trained when some arm uses synthetic images."""
    ordered_arms = [a for a in ARM_ORDER if a in arms] + [a for a in arms if a not in ARM_ORDER]
    needs_gans = any(ARMS.get(a).uses_synthetic for a in arms) or gan_train
    cells = []
    for r in range(repeats):
        for f in range(folds):
            for n in order_sizes(sizes):
                if needs_gans:
                    cells += [
                        Cell("gan", r, f, recipe=name, unit=u, size=n)
                        for name, units in recipes.items()
                        for u in units
                    ]
                for arm in ordered_arms:
                    cells += [
                        Cell(
                            "arm", r, f, arm=arm, variant=v, size=n, recipe=v.recipe if v else None
                        )
                        for v in variants_for(arm, list(recipes), ratios, keeps)
                    ]
                if gan_train:
                    cells += [Cell("gan_train", r, f, recipe=name, size=n) for name in recipes]
    return cells


def order_sizes(sizes: Sequence[int | None]) -> list[int | None]:
    """Distinct sizes, smallest first, "all" (None) last."""
    return sorted(set(sizes), key=lambda n: (n is None, n or 0))


def size_label(size: int | None) -> str:
    return "all" if size is None else str(size)


#: ``--stage``: which kinds of cell a process runs (GAN cells first, as their own job
#: array, then the classifier cells that sample them)
STAGES: dict[str, tuple[str, ...]] = {
    "all": ("gan", "arm", "gan_train"),
    "gans": ("gan",),
    "classifiers": ("arm", "gan_train"),
}


def parse_shard(text: str, environ=None) -> tuple[int, int]:
    """``"i/N"`` → (i, N); ``"auto"`` → from SLURM's job-array variables (the task id
    minus the array's first id, and the task count). ValueError naming what is wrong."""

    environ = os.environ if environ is None else environ
    if text == "auto":
        try:
            task = int(environ["SLURM_ARRAY_TASK_ID"])
            first = int(environ.get("SLURM_ARRAY_TASK_MIN", 0))
            count = int(environ["SLURM_ARRAY_TASK_COUNT"])
        except (KeyError, ValueError):
            raise ValueError(
                "--shard auto needs SLURM_ARRAY_TASK_ID and "
                "SLURM_ARRAY_TASK_COUNT (run it inside a SLURM job array), or "
                "give --shard i/N"
            ) from None
        index = task - first
        where = f"SLURM array task {task} (first {first}, count {count})"
    else:
        head, sep, tail = str(text).partition("/")
        try:
            index, count = int(head), int(tail)
        except ValueError:
            raise ValueError(f"--shard {text!r}: give i/N, e.g. 0/4, or auto") from None
        if not sep:
            raise ValueError(f"--shard {text!r}: give i/N, e.g. 0/4, or auto")
        where = f"--shard {text}"
    if count < 1:
        raise ValueError(f"{where}: the number of shards must be >= 1")
    if not 0 <= index < count:
        raise ValueError(f"{where}: the shard index must be in 0-{count - 1}")
    return index, count


def shard_cells(cells: Sequence[Cell], index: int, count: int, stage: str = "all") -> list[Cell]:
    """The cells of one shard, deterministic from the plan alone (every process computes
    the same split). ``stage`` "all": whole (repeat, fold, size) groups, group g to shard
    g mod N, so a shard has the GANs its classifiers need; "gans" / "classifiers": that
    stage's cells dealt one by one, cell k to shard k mod N."""
    kinds = STAGES[stage]
    staged = [c for c in cells if c.kind in kinds]
    if stage != "all":
        return [c for k, c in enumerate(staged) if k % count == index]
    groups: dict[tuple, int] = {}
    for c in staged:
        groups.setdefault((c.repeat, c.fold, c.size), len(groups))
    return [c for c in staged if groups[(c.repeat, c.fold, c.size)] % count == index]


def gans_needed(cells: Sequence[Cell], plan: Sequence[Cell]) -> list[Cell]:
    """The GAN cells of ``plan`` that the classifier cells among ``cells`` sample."""
    wanted = {
        (c.repeat, c.fold, c.size, c.recipe)
        for c in cells
        if c.kind != "gan" and c.recipe is not None
    }
    return [g for g in plan if g.kind == "gan" and (g.repeat, g.fold, g.size, g.recipe) in wanted]


def parse_cell_ranges(text: str, total: int) -> list[int]:
    """``"0-9,12"`` → [0, …, 9, 12]; ValueError naming the bad part or the valid range."""
    picked: list[int] = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi) if hi else int(lo)
        except ValueError:
            raise ValueError(f"--cells {text!r}: {part!r} is not N or N-M") from None
        if a > b or a < 0 or b >= total:
            raise ValueError(
                f"--cells {text!r}: {part!r} is outside 0-{total - 1} "
                f"(this study has {total} cells)"
            )
        picked.extend(range(a, b + 1))
    if not picked:
        raise ValueError(f"--cells {text!r} names no cell")
    return sorted(set(picked))


def cell_path(out, cell: Cell) -> pathlib.Path:
    return pathlib.Path(out) / CELLS_DIR / f"{cell.id}.json"


def write_cell(out, cell: Cell, record: dict) -> pathlib.Path:
    path = cell_path(out, cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, json.dumps(jsonable({"cell": cell.id, **record})) + "\n")


def read_cell(out, cell: Cell) -> dict | None:
    """The cell's record, or None when it has not finished (or its file is unreadable)."""
    path = cell_path(out, cell)
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def finished(out, cells: Iterable[Cell]) -> dict[str, dict]:
    return {c.id: rec for c in cells if (rec := read_cell(out, c)) is not None}
