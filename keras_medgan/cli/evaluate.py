"""``python -m keras_medgan.evaluate``: how close are the fakes to the real images?

Thin CLI: parse, load both sets, run the chosen metrics from ``METRICS``, write
``results.json`` + ``report.md`` + ``report.html`` (+ ``figures/``) into ``--out``.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import numpy as np

from keras_medgan.cli.flags import add_flag
from keras_medgan.core.console import add_verbose_flag, plain
from keras_medgan.data.sanity import check_image_sets, report_findings
from keras_medgan.evaluate.features import FEATURE_EXTRACTORS, get_extractor
from keras_medgan.evaluate.inputs import ImageSet, load_fake, load_real
from keras_medgan.evaluate.metrics import DEFAULT_METRICS, METRICS, EvalContext
from keras_medgan.evaluate.report import write_report

EPILOG = """examples:
  # SWD only (the default; no pretrained network), fakes from a finished run
  python -m keras_medgan.evaluate --data head_ct --generators runs/00000-dcgan32-head_ct --out eval/

  # the shipped P1 generators against the real set
  python -m keras_medgan.evaluate --data head_ct --generators p1_head_ct --out eval/

  # everything, features from a small CNN trained on the real images
  python -m keras_medgan.evaluate --data phantom --generators synth/ \\
      --metrics swd fid kid ms_ssim nearest_real c2st memorization tsne --out eval/

  # FID/KID with InceptionV3 from a local weights file (nothing is downloaded). NOT the
  # published FID: papers use the 2015 TF Inception graph (clean-fid, torch-fidelity)
  python -m keras_medgan.evaluate --data head_ct --generators synth/ --metrics fid kid \\
      --features inception_v3 --feature-weights ~/weights/inception_v3_notop.h5 --out eval/

  # features from your own Keras model file (e.g. a RadImageNet network you saved)
  python -m keras_medgan.evaluate --data head_ct --generators synth/ --metrics fid kid \\
      --features keras_model --feature-weights ~/weights/radimagenet_resnet50.keras --out eval/

  # mean D(G(z)) over the last 20 epochs of a run (P0)
  python -m keras_medgan.evaluate --data head_ct --generators runs/00000-dcgan32-head_ct \\
      --metrics d_fake swd --out eval/

metrics: """ + "; ".join(f"{n}: {METRICS.get(n).description}" for n in METRICS)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m keras_medgan.evaluate",
        description=plain(__doc__),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_flag(
        p,
        "--data",
        required=True,
        aliases=("--real",),
        more_help="the real images the fakes are compared with",
    )
    add_flag(
        p,
        "--generators",
        required=True,
        aliases=("--fake",),
        more_help="or a folder of images (e.g. what synthesize wrote)",
    )
    p.add_argument("--out", required=True, help="output folder for the report")
    p.add_argument(
        "--metrics",
        nargs="+",
        choices=METRICS.names(),
        default=list(DEFAULT_METRICS),
        metavar="METRIC",
        help=f"metrics to compute (default: {' '.join(DEFAULT_METRICS)}); "
        f"choices: {', '.join(METRICS.names())}",
    )
    p.add_argument(
        "--features",
        choices=FEATURE_EXTRACTORS.names(),
        default=None,
        help="feature extractor for fid/kid/tsne/memorization (default domain_cnn). "
        "No extractor gives the published FID: keras' InceptionV3 is not the "
        "2015 TF Inception graph that clean-fid / torch-fidelity use",
    )
    add_flag(
        p,
        "--feature-weights",
        aliases=("--inception-weights", "--vgg-weights"),
        implies={
            "--inception-weights": {"features": "inception_v3"},
            "--vgg-weights": {"features": "vgg16"},
        },
    )
    p.add_argument(
        "--feature-epochs",
        type=int,
        default=10,
        help="epochs to train the domain CNN extractor (default 10)",
    )
    p.add_argument(
        "--split",
        default="train",
        help="split of the real set (default train: the "
        "images the GAN saw, which the memorization audit needs)",
    )
    p.add_argument("--classes", nargs="+", default=None, help="keep only these real classes")
    add_flag(p, "--data-dir")
    p.add_argument(
        "--image-size", type=int, default=None, help="image size (default: the fakes' size)"
    )
    p.add_argument(
        "--n", type=int, default=100, help="fakes per class when --generators names generators"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--run",
        default=None,
        help="run folder with metrics.jsonl (for d_fake; "
        "default: --generators when it is a run folder)",
    )
    add_flag(p, "--bootstrap", default=50, aliases=("--num-bootstrap",), more_help="FID's interval")
    p.add_argument(
        "--swd-repeats",
        type=int,
        default=3,
        help="SWD repeats with new patches/projections (default 3)",
    )
    p.add_argument("--c2st-epochs", type=int, default=10)
    p.add_argument("--c2st-folds", type=int, default=5)
    p.add_argument(
        "--copy-threshold",
        type=float,
        default=0.5,
        help="memorization: flag a fake whose NN distance ratio is below this",
    )
    p.add_argument(
        "--trust-model",
        action="store_true",
        help="allow loading generator files that need unsafe deserialisation",
    )
    add_flag(p, "--quiet")
    add_verbose_flag(p)
    return p


def _remap_labels(fake: ImageSet, real_names: list[str]):
    """Fake labels (indices into the fakes' class list) → indices into the real list."""
    if fake.labels is None:
        return None, list(real_names)
    names = list(real_names)
    for n in fake.class_names:
        if n not in names:
            names.append(n)
    lut = np.array([names.index(n) for n in fake.class_names], np.int64)
    return lut[fake.labels], names


def _extractor_factory(args, real: ImageSet):
    name = args.features or "domain_cnn"
    if args.feature_weights and name not in ("inception_v3", "vgg16", "keras_model"):
        raise ValueError(
            f"--feature-weights {args.feature_weights} is read by --features "
            f"inception_v3, vgg16 or keras_model, not {name}; name one"
        )
    kwargs = {
        "inception_v3": {"weights": args.feature_weights},
        "vgg16": {"weights": args.feature_weights},
        "keras_model": {"weights": args.feature_weights},
        "domain_cnn": {
            "real_images": real.images,
            "real_labels": real.labels,
            "seed": args.seed,
            "epochs": args.feature_epochs,
        },
    }.get(name, {})
    return name, (lambda: get_extractor(name, **kwargs))


def _check_real_data(real, args, size: int, say) -> None:
    """Data sanity warnings on the real set (a near-black set once scored FID 0.00 against
    itself); every file concerned goes to ``<out>/data_report.json``."""

    report_findings(
        check_image_sets({args.split: real}, size),
        pathlib.Path(args.out) / "data_report.json",
        args.data,
        say,
    )


def run_evaluation(args) -> int:
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    fake = load_fake(
        args.generators,
        n_per_class=args.n,
        seed=args.seed,
        image_size=args.image_size,
        trust_model=args.trust_model,
    )
    size = args.image_size or int(fake.images.shape[1])
    if fake.images.shape[1] != fake.images.shape[2]:
        raise ValueError(
            f"--generators {args.generators}: images are not square "
            f"({fake.images.shape[1]}×{fake.images.shape[2]})"
        )
    real = load_real(
        args.data,
        size,
        split=args.split,
        classes=args.classes,
        seed=args.seed,
        data_dir=args.data_dir,
    )
    _check_real_data(real, args, size, say)
    fake_labels, class_names = _remap_labels(fake, real.class_names)
    run_dir = args.run
    if run_dir is None and (pathlib.Path(args.generators) / "metrics.jsonl").is_file():
        run_dir = args.generators
    if "d_fake" in args.metrics and run_dir is None:
        raise ValueError("metric d_fake needs --run RUN_DIR (a folder with metrics.jsonl)")
    if run_dir is not None and not (pathlib.Path(run_dir) / "metrics.jsonl").is_file():
        raise ValueError(f"--run {run_dir}: no metrics.jsonl there")
    ext_name, factory = _extractor_factory(args, real)
    if any(METRICS.get(m).needs_features for m in args.metrics):
        built = factory()  # fail early (missing weights file) before any long computation

        def factory(built=built):
            return built

    ctx = EvalContext(
        real=real.images,
        fake=fake.images,
        out_dir=args.out,
        real_labels=real.labels,
        fake_labels=fake_labels,
        class_names=class_names,
        fake_paths=fake.paths,
        extractor_factory=factory,
        run_dir=run_dir,
        seed=args.seed,
        options={
            "num_bootstrap": args.bootstrap,
            "swd_repeats": args.swd_repeats,
            "c2st_epochs": args.c2st_epochs,
            "c2st_folds": args.c2st_folds,
            "copy_threshold": args.copy_threshold,
        },
        verbose=not args.quiet,
    )
    say(f"real: {real.source}; fake: {fake.source}")
    results, errors, start = [], {}, time.time()
    for i, name in enumerate(args.metrics):
        say(f"[{i + 1}/{len(args.metrics)}] {name} …")
        t0 = time.time()
        try:
            results.append(METRICS.get(name).fn(ctx))
        except (ValueError, FileNotFoundError) as exc:
            errors[name] = str(exc)
            say(f"error: metric {name}: {exc}")
        done = i + 1
        eta = (time.time() - start) / done * (len(args.metrics) - done)
        say(f"    {name} took {time.time() - t0:.1f}s; eta for the rest ≈ {eta:.0f}s")
    meta = {
        "real": real.source,
        "fake": fake.source,
        "image size": f"{size}×{size}",
        "real images": len(real.images),
        "fake images": len(fake.images),
        "classes": ", ".join(class_names) or "–",
        "seed": args.seed,
        "metrics": ", ".join(args.metrics),
        "feature extractor": (
            f"{ctx.extractor.name}: {ctx.extractor.description}"
            if ctx._extractor is not None
            else f"{ext_name} (not used)"
        ),
        "real-vs-real baseline": f"two disjoint random halves of the real set (seed {args.seed})",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "command": " ".join(["python -m keras_medgan.evaluate"] + sys.argv[1:]),
    }
    paths = write_report(args.out, meta, results, errors)
    say(f"wrote {paths['json']}, {paths['markdown']}, {paths['html']}")
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        print(f"error: --out {args.out} exists and is not a folder", file=sys.stderr)
        return 2
    try:
        return run_evaluation(args)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {msg}", file=sys.stderr)
        return 2
