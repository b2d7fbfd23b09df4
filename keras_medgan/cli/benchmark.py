"""Does synthetic data help? ``python -m keras_medgan.benchmark`` (P1's comparison, P3, P0).

Trains the same classifier on several training sets (``--arms``), each over K repeats of
a stratified split, and reports accuracy / sensitivity / specificity / HM / AUC on the
held-out real test split with 95 % intervals and a paired test against the real-data arm,
beside P1's Table 1. Adds P3's GAN-train / GAN-test SVM and P0's class fidelity.
All the logic lives in :mod:`keras_medgan.compare`; this module is the command line.
"""

from __future__ import annotations

import argparse
import sys

from keras_medgan.cli.flags import add_flag
from keras_medgan.compare.arms import ARM_ORDER, ARMS
from keras_medgan.compare.benchmark import BenchmarkConfig, run_benchmark
from keras_medgan.compare.classifier_flags import (
    add_classifier_arguments,
    train_config_from_args,
)
from keras_medgan.compare.errors import BenchmarkError
from keras_medgan.compare.generators import image_size_from_cards, parse_generator_specs
from keras_medgan.core.runtime import resolve_classifier_precision
from keras_medgan.evaluate.features import FEATURE_EXTRACTORS
from keras_medgan.models.classifiers import CLASSIFIERS

EPILOG = """examples:
  # P1's comparison on the Kaggle head CT set, one GAN per class from a finished run
  python -m keras_medgan.benchmark --data head_ct --generators runs/00000-dcgan32-head_ct \\
      --weights ~/weights/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5 --out bench/p1

  # the whole comparison on the phantom in minutes on a CPU (small_cnn, K=3, few epochs)
  python -m keras_medgan.benchmark --data phantom --generators runs/00001-dcgan32-phantom --quick

  # two generator sets side by side, named; per-class files given one by one
  python -m keras_medgan.benchmark --data head_ct \\
      --generators dcgan=runs/00000-dcgan32-head_ct \\
                   wgan=export/generator_normal.h5,export/generator_hemorrhage.h5

  # the shipped P1 generators (models_h5/, hash-checked)
  python -m keras_medgan.benchmark --data head_ct --generators p1_head_ct --classifier small_cnn

  # only the arms without synthetic data (no generators needed)
  python -m keras_medgan.benchmark --data head_ct --arms real classical

  # 2 synthetic images per real image in the +synthetic arms
  python -m keras_medgan.benchmark --data head_ct --generators RUN --synthetic-ratio 2

  # GAN-train / GAN-test on VGG-16 features from a local ImageNet file (P3)
  python -m keras_medgan.benchmark --data head_ct --generators RUN --classifier small_cnn \\
      --features vgg16 --weights ~/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5

A rerun into the same --out resumes: finished (arm, repeat) jobs in runs.jsonl are skipped.
Outputs: OUT/results.json, OUT/results.md (P1 Table 1 layout), OUT/results.png, OUT/runs.jsonl.
"""

#: The --quick profile: what it sets unless given explicitly.
QUICK = {"repeats": 3, "feature_epochs": 5}
IMAGENET_FEATURES = ("vgg16", "inception_v3")
FULL = {"repeats": 5, "feature_epochs": 10}


def _feature_names() -> list[str]:
    return FEATURE_EXTRACTORS.names()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m keras_medgan.benchmark",
        description="Compare a classifier trained on real, synthetic, real+synthetic and "
        "classically augmented data (P1 Table 1), with GAN-train/GAN-test (P3) "
        "and class fidelity (P0).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_flag(p, "--data", required=True)
    add_flag(p, "--data-dir")
    add_flag(
        p,
        "--generators",
        nargs="+",
        default=[],
        metavar="[NAME=]PATH[,PATH]",
        more_help="per-class files separated by commas, NAME= labels a set; several "
        "sets are compared side by side",
    )
    p.add_argument(
        "--arms",
        nargs="+",
        choices=list(ARM_ORDER),
        default=None,
        help="training sets to compare (default: all five with --generators, "
        "else real and classical)",
    )
    p.add_argument("--out", default=None, help="output folder (default bench/<data>)")
    p.add_argument(
        "--repeats",
        "-k",
        type=int,
        default=None,
        help="K repeats; repeat i uses split seed i (default 5; --quick: 3)",
    )
    p.add_argument(
        "--split-seed",
        type=int,
        default=None,
        metavar="S",
        help="use split seed S in every repeat (repeats then vary only the "
        "classifier seed and the synthetic draw); give the generators' "
        "training --seed so no test image was a GAN training image",
    )
    add_classifier_arguments(p, CLASSIFIERS.names())
    p.add_argument(
        "--synthetic-ratio",
        type=float,
        default=1.0,
        help="synthetic images per real image, per class, in the +synthetic arms",
    )
    p.add_argument(
        "--image-size",
        type=int,
        default=None,
        help="image size (default: the one the generators' model cards state, else P1's 32)",
    )
    p.add_argument(
        "--features",
        default="domain_cnn",
        choices=_feature_names(),
        help="feature extractor for GAN-train/GAN-test (P3 used vgg16)",
    )
    add_flag(p, "--feature-weights", more_help="default: --weights")
    p.add_argument(
        "--feature-epochs",
        type=int,
        default=None,
        help="training epochs of the domain_cnn extractor (default 10; --quick: 5)",
    )
    p.add_argument("--no-gan-train", action="store_true", help="skip GAN-train/GAN-test")
    p.add_argument("--no-fidelity", action="store_true", help="skip class fidelity")
    p.add_argument(
        "--trust-model",
        action="store_true",
        help="load generators with Keras safe mode off (only files you trust)",
    )
    add_flag(
        p,
        "--precision",
        more_help="for classifiers auto is fp32 on a CPU (bf16 was "
        "not faster there) and the GPU's auto choice on a GPU",
    )
    p.add_argument("--confidence", type=float, default=0.95, help="CI level")
    p.add_argument(
        "--quick",
        action="store_true",
        help="fast profile: small_cnn, K=3, 60 steps (explicit flags win)",
    )
    p.add_argument(
        "--verbose",
        action="store_true",
        help="Keras progress bars, and TensorFlow's start-up and warning messages",
    )
    return p


def config_from_args(args: argparse.Namespace, argv: list[str]) -> BenchmarkConfig:
    profile = QUICK if args.quick else FULL
    pick = {
        k: (getattr(args, k) if getattr(args, k) is not None else v) for k, v in profile.items()
    }
    generators = parse_generator_specs(args.generators)
    arms = args.arms or (
        list(ARM_ORDER) if generators else [a for a in ARM_ORDER if not ARMS.get(a).uses_synthetic]
    )
    if pick["repeats"] < 1:
        raise BenchmarkError(f"--repeats must be >= 1, got {pick['repeats']}")
    if args.synthetic_ratio < 0:
        raise BenchmarkError(f"--synthetic-ratio must be >= 0, got {args.synthetic_ratio}")
    classifier = args.classifier or ("small_cnn" if args.quick else "resnet50")
    # --weights is the local ImageNet file of whichever ImageNet network is in use: the
    # resnet50 classifier, and the vgg16/inception_v3 extractor unless --feature-weights.
    imagenet_features = args.features in IMAGENET_FEATURES
    if args.weights and classifier != "resnet50" and not imagenet_features:
        raise BenchmarkError(
            f"--weights is a local ImageNet file for --classifier resnet50 "
            f"or --features {'/'.join(IMAGENET_FEATURES)}; neither is used"
        )
    feature_weights = args.feature_weights or (args.weights if imagenet_features else None)
    try:
        train = train_config_from_args(
            args, args.quick, args.weights if classifier == "resnet50" else None
        )
    except ValueError as exc:
        raise BenchmarkError(str(exc)) from None
    return BenchmarkConfig(
        data=args.data,
        out=args.out or f"bench/{args.data.replace(':', '_').replace('/', '_')}",
        arms=arms,
        generators=generators,
        repeats=pick["repeats"],
        image_size=args.image_size or image_size_from_cards(generators) or 32,
        data_dir=args.data_dir,
        synthetic_ratio=args.synthetic_ratio,
        train=train,
        gan_train=not args.no_gan_train,
        features=args.features,
        feature_weights=feature_weights,
        feature_epochs=pick["feature_epochs"],
        fidelity=not args.no_fidelity,
        trust_model=args.trust_model,
        precision=resolve_classifier_precision(args.precision),
        confidence=args.confidence,
        profile="quick" if args.quick else "full",
        split_seed=args.split_seed,
        command="python -m keras_medgan.benchmark " + " ".join(argv),
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args, argv)
        results = run_benchmark(config)
    except (BenchmarkError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\ninterrupted: finished jobs are kept in runs.jsonl; rerun the same command to resume",
            file=sys.stderr,
        )
        return 130
    print(
        f"wrote {config.out}/results.json, results.md, results.png "
        f"({results['wall_seconds_this_run']} s)"
    )
    return 0
