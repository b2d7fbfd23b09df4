"""Run the whole comparison: arms × generator sets × repeats, resumable, with an ETA.

One *job* is one trained classifier (arm, generator set, repeat) or one GAN-train/GAN-test
evaluation (generator set, repeat). Each finished job is appended as one JSON line to
``<out>/runs.jsonl`` and flushed, so a killed benchmark rerun into the same ``--out``
skips what is already done. Repeat ``i`` uses split seed ``i`` and classifier seed ``i``
for every arm: all arms of a repeat see the same split and the same initial weights, which
is what makes the paired comparison with the ``real`` arm a paired one.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from keras_medgan.compare import report
from keras_medgan.compare.arms import ARMS, build_training_set, synthetic_needed
from keras_medgan.compare.cell import cell_summary, classifier_cell
from keras_medgan.compare.classifier_training import TrainConfig, check_train_config, predict_proba
from keras_medgan.compare.errors import BenchmarkError
from keras_medgan.compare.fidelity import class_agreement
from keras_medgan.compare.gan_train import gan_train_cell
from keras_medgan.compare.generators import GeneratorSet, load_generator_set
from keras_medgan.compare.splits import Splits, load_splits
from keras_medgan.core.console import CellProgress
from keras_medgan.core.jsonio import changed_settings, jsonable, write_text_atomic
from keras_medgan.core.runtime import precision_policy
from keras_medgan.data.sanity import report_findings
from keras_medgan.evaluate.features import get_extractor
from keras_medgan.models.classifiers import build_classifier

__all__ = ["BenchmarkConfig", "Job", "plan_jobs", "read_records", "run_benchmark"]

RECORDS_FILE = "runs.jsonl"
CONFIG_FILE = "config.json"

#: Settings that change the numbers: a rerun into the same --out must match them.
RESULT_KEYS = (
    "data",
    "data_dir",
    "image_size",
    "synthetic_ratio",
    "train",
    "generators",
    "features",
    "feature_weights",
    "feature_epochs",
    "precision",
    "split_seed",
)


@dataclass(frozen=True)
class BenchmarkConfig:
    data: str
    out: str
    arms: list[str]
    generators: dict[str, list[str]] = field(default_factory=dict)
    repeats: int = 5
    image_size: int = 32
    data_dir: str | None = None
    synthetic_ratio: float = 1.0
    train: TrainConfig = field(default_factory=TrainConfig)
    gan_train: bool = True
    features: str = "domain_cnn"
    feature_weights: str | None = None
    feature_epochs: int = 10
    fidelity: bool = True
    trust_model: bool = False
    precision: str | None = None
    confidence: float = 0.95
    profile: str = "full"
    command: str = ""
    #: None: repeat i uses split seed i (variance over splits). An int: every repeat uses
    #: that split and varies only the classifier seed and the synthetic draw -- the
    #: leak-free choice for generators trained on that split's training images.
    split_seed: int | None = None

    def split_seed_of(self, repeat: int) -> int:
        return repeat if self.split_seed is None else int(self.split_seed)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train"] = self.train.to_dict()
        return d


@dataclass(frozen=True)
class Job:
    kind: str  # "arm" | "gan_train"
    arm: str | None
    generator: str | None
    repeat: int

    @property
    def key(self) -> tuple:
        return (self.kind, self.arm, self.generator, self.repeat)

    def label(self) -> str:
        what = self.arm if self.kind == "arm" else "GAN-train/GAN-test"
        return what + (f" [{self.generator}]" if self.generator else "")


def plan_jobs(
    arms: list[str], generator_sets: list[str], repeats: int, gan_train: bool
) -> list[Job]:
    """Every job, repeat-major so an early stop leaves whole repeats (paired) behind."""
    jobs = []
    for r in range(repeats):
        for arm in arms:
            if ARMS.get(arm).uses_synthetic:
                jobs.extend(Job("arm", arm, g, r) for g in generator_sets)
            else:
                jobs.append(Job("arm", arm, None, r))
        if gan_train:
            jobs.extend(Job("gan_train", None, g, r) for g in generator_sets)
    return jobs


def _record_key(rec: dict) -> tuple:
    return (rec.get("kind"), rec.get("arm"), rec.get("generator"), rec.get("repeat"))


def read_records(path) -> list[dict]:
    """Finished jobs from a runs.jsonl; a torn last line (killed mid-write) is ignored."""
    path = pathlib.Path(path)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def _append_record(path: pathlib.Path, record: dict) -> None:
    """Append one JSON line and fsync; start a fresh line after a torn one (killed run)."""
    torn = False
    if path.is_file() and path.stat().st_size:
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            torn = fh.read(1) != b"\n"
    with open(path, "a") as fh:
        fh.write(("\n" if torn else "") + json.dumps(jsonable(record)) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _check_resume(out: pathlib.Path, config: BenchmarkConfig) -> None:
    """Refuse to mix results of different settings in one --out."""
    path = out / CONFIG_FILE
    if not path.is_file() or not (out / RECORDS_FILE).is_file():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return
    changed = changed_settings(old, jsonable(config.to_dict()), RESULT_KEYS)
    if changed:
        raise BenchmarkError(
            f"{out} already holds results made with different settings ({', '.join(changed)} "
            f"differ; see {path}). Use another --out, or the same settings to resume."
        )


def _check_classifier(config: BenchmarkConfig, splits: Splits) -> None:
    """Build the classifier once before any job: a bad --weights file fails in seconds."""

    try:
        build_classifier(
            config.train.classifier,
            splits.image_shape,
            len(splits.class_names),
            dropout=config.train.dropout,
            weights=config.train.weights,
        )
    except ValueError as exc:
        raise BenchmarkError(f"--classifier {config.train.classifier}: {exc}") from None


def _precision_scope(name: str | None):
    """The training CLI's dtype policy names (fp32 / bf16 / fp16), set for the benchmark and
    restored when it returns; None leaves the policy alone."""
    if not name:
        return contextlib.nullcontext()

    return precision_policy(name)


class _RepeatContext:
    """What one repeat's jobs share, built lazily: splits, synthetic pools, extractor."""

    def __init__(
        self,
        config: BenchmarkConfig,
        repeat: int,
        gen_sets: dict[str, GeneratorSet],
        loader: Callable | None,
        fixed_extractor=None,
    ):
        self.config, self.repeat, self.gen_sets, self.loader = config, repeat, gen_sets, loader
        self._splits: Splits | None = None
        self._pools: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # A pretrained extractor (vgg16, …) is the same for every repeat: built once.
        self._extractor = fixed_extractor

    @property
    def splits(self) -> Splits:
        if self._splits is None:
            self._splits = load_splits(
                self.config.data,
                image_size=self.config.image_size,
                seed=self.config.split_seed_of(self.repeat),
                data_dir=self.config.data_dir,
                loader=self.loader,
            )
        return self._splits

    def pool(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Synthetic images for set ``name``: enough per class for every arm and GAN-train."""
        if name not in self._pools:
            counts = self.splits.counts()["train"]
            n = max(
                synthetic_needed(self.config.arms, counts, self.config.synthetic_ratio), max(counts)
            )
            images, labels = self.gen_sets[name].generate(
                self.splits.class_names, n, seed=self.repeat
            )
            if images.shape[1:] != self.splits.image_shape:
                raise BenchmarkError(
                    f"generator set {name!r} produced images of shape {images.shape[1:]}, "
                    f"the data's are {self.splits.image_shape}"
                )
            self._pools[name] = (images, labels)
        return self._pools[name]

    def extractor(self):
        if self._extractor is None:
            tr_x, tr_y = self.splits.train
            self._extractor = _make_extractor(self.config, tr_x, tr_y, self.repeat)
        return self._extractor


#: Extractors trained on each repeat's real training split; others are built once.
TRAINED_EXTRACTORS = ("domain_cnn",)


def _make_extractor(config: BenchmarkConfig, real_x=None, real_y=None, seed: int = 0):
    try:
        return get_extractor(
            config.features,
            real_images=real_x,
            real_labels=real_y,
            seed=seed,
            epochs=config.feature_epochs,
            weights=config.feature_weights,
        )
    except ValueError as exc:  # FeatureExtractorError: missing weights file etc.
        raise BenchmarkError(f"--features {config.features}: {exc}") from None


def split_leakage(
    gen_sets: dict[str, GeneratorSet],
    data: str,
    repeats: int,
    split_seed_of: Callable[[int], int] = lambda r: r,
) -> dict:
    """Repeats whose test images the generators may have trained on.

    ``keras_medgan.train`` trains on the training split of split seed ``--seed`` (the
    card's ``seed``). Repeat i tests on the test split of ``split_seed_of(i)`` (i itself
    unless ``--split-seed`` fixes it), so for a split seed ≠ the generators' one
    some test images were GAN training images: a memorising GAN would then inflate the
    synthetic arms. Generators trained on other data (card ``data`` ≠ ``--data``) cannot
    leak and are noted as such.
    """
    notes = {}
    for name, gen_set in gen_sets.items():
        cards = list(gen_set.cards.values())
        datas = {c.get("data") for c in cards}
        # Cards name the split the GAN trained on (split_seed); older ones only the seed.
        seeds = {c.get("split_seed", c.get("seed")) for c in cards}
        if all(c.get("epochs") == 0 for c in cards):
            continue  # untrained: it has seen no image at all
        if datas != {data}:
            notes[name] = {
                "note": f"trained on data {sorted(map(str, datas))}, not {data!r}: "
                "no test-set leakage, but also not the same distribution",
                "repeats_at_risk": [],
            }
            continue
        if None in seeds:
            notes[name] = {
                "note": "split seed of the generators' training data unknown: "
                "synthetic arms may have seen test images",
                "repeats_at_risk": list(range(repeats)),
            }
            continue
        at_risk = [r for r in range(repeats) if seeds != {split_seed_of(r)}]
        if at_risk:
            safe = [r for r in range(repeats) if r not in at_risk]
            notes[name] = {
                "note": f"trained on the training split of split seed(s) "
                f"{sorted(int(x) for x in seeds)}; repeat(s) {at_risk} test on splits "
                f"whose test images may have been GAN training images (leak-free: "
                f"{safe or 'none'}); --split-seed {min(int(x) for x in seeds)} keeps "
                f"every repeat on the generators' own split",
                "trained_on_split_seeds": sorted(int(x) for x in seeds),
                "repeats_at_risk": at_risk,
            }
    return notes


def _run_arm(ctx: _RepeatContext, job: Job) -> dict:
    cfg, splits = ctx.config, ctx.splits
    num_classes = len(splits.class_names)
    synth = ctx.pool(job.generator) if job.generator else (None, None)
    ts = build_training_set(
        job.arm,
        *splits.train,
        *synth,
        num_classes=num_classes,
        class_names=splits.class_names,
        synthetic_ratio=cfg.synthetic_ratio,
        seed=job.repeat,
    )
    fidelity: dict = {}

    def label_fakes(model, seed):
        """P0's class fidelity: the real arm's first classifier labels each set's fakes."""
        if job.arm != "real" or not cfg.fidelity or fidelity or not ctx.gen_sets:
            return
        for name in ctx.gen_sets:
            images, labels = ctx.pool(name)
            pred = predict_proba(model, images).argmax(axis=1)
            fidelity[name] = class_agreement(labels, pred, splits.class_names)

    cell = classifier_cell(
        ts,
        splits.val,
        splits.test,
        num_classes=num_classes,
        config=cfg.train,
        seed=job.repeat,
        on_model=label_fakes,
    )
    record = {
        "kind": "arm",
        "arm": job.arm,
        "generator": job.generator,
        "repeat": job.repeat,
        "split_seed": cfg.split_seed_of(job.repeat),
        **cell,
        "split_counts": splits.counts(),
    }
    if fidelity:
        record["fidelity"] = fidelity
    return record


def _run_gan_train(ctx: _RepeatContext, job: Job) -> dict:
    splits = ctx.splits
    cell = gan_train_cell(
        ctx.extractor(), splits.train, splits.test, ctx.pool(job.generator), seed=job.repeat
    )
    return {
        "kind": "gan_train",
        "arm": None,
        "generator": job.generator,
        "repeat": job.repeat,
        "split_seed": ctx.config.split_seed_of(job.repeat),
        **cell,
    }


def _job_summary(record: dict) -> str:
    if record["kind"] == "arm":
        return cell_summary(record)
    s = record["scores"]
    return ", ".join(
        f"{k} HM {v['hm']:.3f}" if v.get("hm") is not None else f"{k} HM n/a" for k, v in s.items()
    )


def run_benchmark(config: BenchmarkConfig, *, loader: Callable | None = None, stream=None) -> dict:
    """Run (or resume) the benchmark described by ``config``; write and return the results.

    ``loader`` replaces ``keras_medgan.data.load_image_set`` (tests pass arrays this way).
    Writes ``config.json``, ``runs.jsonl``, ``results.json``, ``results.md`` and
    ``results.png`` under ``config.out``.
    """
    start = time.time()
    stream = stream if stream is not None else sys.stderr
    for arm in config.arms:
        ARMS.get(arm)
    synthetic_arms = [a for a in config.arms if ARMS.get(a).uses_synthetic]
    if synthetic_arms and not config.generators:
        raise BenchmarkError(
            f"arm(s) {synthetic_arms} need synthetic images: pass "
            "--generators, or choose --arms real classical"
        )
    if config.repeats < 1:
        raise BenchmarkError(f"--repeats must be >= 1, got {config.repeats}")
    try:
        check_train_config(config.train)
    except ValueError as exc:
        raise BenchmarkError(str(exc)) from None
    out = pathlib.Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    _check_resume(out, config)
    with _precision_scope(config.precision):  # the global policy, restored after
        # Check data and generators before any training: a mismatch fails in seconds.
        first = load_splits(
            config.data,
            image_size=config.image_size,
            seed=config.split_seed_of(0),
            data_dir=config.data_dir,
            loader=loader,
        )
        _check_classifier(config, first)
        report_findings(
            first.findings,
            out / "data_report.json",
            config.data,
            lambda line: print(line, file=stream, flush=True),
        )
        gen_sets = {
            name: load_generator_set(
                name,
                paths,
                image_size=config.image_size,
                channels=first.image_shape[-1],
                class_names=first.class_names,
                trust_model=config.trust_model,
            )
            for name, paths in config.generators.items()
        }
        write_text_atomic(
            out / CONFIG_FILE, json.dumps(jsonable(config.to_dict()), indent=2) + "\n"
        )
        leakage = split_leakage(gen_sets, config.data, config.repeats, config.split_seed_of)
        for name, note in leakage.items():
            print(f"warning: generator set {name!r}: {note['note']}", file=stream, flush=True)

        records_path = out / RECORDS_FILE
        done = {_record_key(r) for r in read_records(records_path)}
        jobs = plan_jobs(
            config.arms, list(gen_sets), config.repeats, config.gan_train and bool(gen_sets)
        )
        todo = [j for j in jobs if j.key not in done]
        if len(todo) < len(jobs):
            print(
                f"resuming: {len(jobs) - len(todo)} of {len(jobs)} jobs already in {records_path}",
                file=stream,
                flush=True,
            )
        progress = CellProgress(
            {k: sum(j.kind == k for j in todo) for k in ("arm", "gan_train")},
            len(jobs),
            len(jobs) - len(todo),
            stream,
        )
        fixed = None
        if any(j.kind == "gan_train" for j in todo) and config.features not in TRAINED_EXTRACTORS:
            fixed = _make_extractor(config)  # a bad weights file fails before any training
        ctx = None  # one repeat's arrays and models at a time (jobs come grouped by repeat)
        for job in todo:
            if ctx is None or ctx.repeat != job.repeat:
                ctx = _RepeatContext(config, job.repeat, gen_sets, loader, fixed)
                if config.split_seed_of(job.repeat) == config.split_seed_of(0):
                    ctx._splits = first  # the same split (e.g. --split-seed): already loaded
            t0 = time.time()
            run = _run_arm if job.kind == "arm" else _run_gan_train
            record = run(ctx, job)
            record["seconds"] = round(time.time() - t0, 2)
            _append_record(records_path, record)
            progress.log(
                job.kind,
                f"repeat {job.repeat} {job.label()}",
                record["seconds"],
                _job_summary(record),
            )

        wanted = {j.key for j in jobs}
        records = [r for r in read_records(records_path) if _record_key(r) in wanted]
        summary = report.summarize(
            records,
            config.arms,
            list(gen_sets),
            num_classes=len(first.class_names),
            confidence=config.confidence,
        )
        results = {
            "config": config.to_dict(),
            "class_names": first.class_names,
            "positive_class": first.class_names[1] if len(first.class_names) == 2 else None,
            "generators": {n: g.describe() for n, g in gen_sets.items()},
            "augmentation": report.augmentation_settings(),
            "split_leakage": leakage,
            "summary": summary,
            "references": report.REFERENCES,
            "jobs": len(jobs),
            "jobs_run_now": len(todo),
            "wall_seconds_this_run": round(time.time() - start, 1),
            "job_seconds_total": round(sum(r.get("seconds", 0.0) for r in records), 1),
            "environment": report.environment(),
        }
        write_text_atomic(out / "results.json", json.dumps(jsonable(results), indent=2) + "\n")
        write_text_atomic(out / "results.md", report.markdown(results))
        report.bar_plot(results, out / "results.png")
        return results
