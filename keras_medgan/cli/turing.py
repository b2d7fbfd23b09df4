"""``python -m keras_medgan.turing make|serve|score`` — a visual Turing test (P0, P4).

make   a blinded, shuffled set of n real + n fake images, a hidden key and a printable grid
serve  a local rating page (127.0.0.1 by default); answers saved per reader as they go
score  confusion table, accuracy, sensitivity, specificity, LR+, LR− (P4), binomial test,
       Cohen's kappa between readers → score.md + score.json
"""

from __future__ import annotations

import argparse
import sys

from keras_medgan.cli.flags import add_flag
from keras_medgan.core.console import add_verbose_flag, plain

EPILOG = """examples:
  # 50 real head CT slices (from all splits: the test split alone has 22) + 50 fakes
  # from a run, as P4 did
  python -m keras_medgan.turing make --data head_ct --split all \\
      --generators runs/00000-dcgan32-head_ct --n 50 --out turing/

  # fakes from a folder of PNGs (e.g. what the synthesize CLI wrote)
  python -m keras_medgan.turing make --data phantom --generators synth/ --n 50 --out turing/

  # rate in a browser at http://127.0.0.1:8000/ (several readers may rate at once)
  python -m keras_medgan.turing serve turing/

  # the P4 table for every reader, pooled, and Cohen's kappa
  python -m keras_medgan.turing score turing/
"""


SERVE_EPILOG = """examples:
  # rate at http://127.0.0.1:8000/ on this machine (each reader enters a name)
  python -m keras_medgan.turing serve turing/

  # readers on the local network (no authentication: a trusted network only)
  python -m keras_medgan.turing serve turing/ --host 0.0.0.0 --port 8080
"""

SCORE_EPILOG = """examples:
  # score.md + score.json in the study folder
  python -m keras_medgan.turing score turing/

  # somewhere else
  python -m keras_medgan.turing score turing/ --out turing_scores/
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m keras_medgan.turing",
        description=plain(__doc__),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser(
        "make",
        help="build a blinded study folder",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    add_flag(
        m,
        "--data",
        required=True,
        aliases=("--real",),
        more_help="the real images shown beside the fakes",
    )
    add_flag(
        m, "--generators", required=True, aliases=("--fake",), more_help="or a folder of images"
    )
    m.add_argument("--n", type=int, default=50, help="images of each kind (default 50, as P4)")
    m.add_argument("--out", required=True, help="new study folder")
    m.add_argument("--split", default="test", help="real split to draw from (default test)")
    add_flag(m, "--data-dir")
    m.add_argument("--image-size", type=int, default=None, help="default: the fakes' size")
    m.add_argument("--grid", type=int, default=24, help="images on the printable grid (P0: 24)")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--trust-model", action="store_true")
    s = sub.add_parser(
        "serve",
        help="serve the rating page",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=SERVE_EPILOG,
    )
    s.add_argument("study", help="study folder made by `make`")
    s.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    s.add_argument("--port", type=int, default=8000)
    c = sub.add_parser(
        "score",
        help="score the answers",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=SCORE_EPILOG,
    )
    c.add_argument("study", help="study folder with answers/")
    c.add_argument("--out", default=None, help="where score.md/score.json go (default: the study)")
    for command in sub.choices.values():
        add_verbose_flag(command)
    return p


def _make(args) -> int:
    # lazy: loads SciPy+OpenCV+pydicom; module stays light
    from keras_medgan.evaluate.inputs import (
        load_fake,
        load_real,
    )

    # lazy: loads SciPy+OpenCV+pydicom; module stays light
    from keras_medgan.turing.study import make_study

    fake = load_fake(
        args.generators,
        n_per_class=args.n,
        seed=args.seed,
        image_size=args.image_size,
        trust_model=args.trust_model,
    )
    size = args.image_size or int(fake.images.shape[1])
    real = load_real(args.data, size, split=args.split, seed=args.seed, data_dir=args.data_dir)
    summary = make_study(
        real.images, fake.images, args.n, args.out, seed=args.seed, grid_size=args.grid
    )
    print(
        f"study with {summary['images']} images in {summary['out']} "
        f"(key.csv is the answer key: keep it from the readers); grid: {summary['grid']}"
    )
    return 0


def _serve(args) -> int:
    # lazy: loads SciPy+OpenCV+pydicom; module stays light
    from keras_medgan.turing.server import serve

    serve(args.study, args.host, args.port)
    return 0


def _score(args) -> int:
    # lazy: loads SciPy+OpenCV+pydicom; module stays light
    from keras_medgan.turing.score import (
        markdown,
        score_study,
        write_score,
    )

    result = score_study(args.study)
    paths = write_score(result, args.out or args.study)
    print(markdown(result))
    print(f"wrote {paths['markdown']} and {paths['json']}", file=sys.stderr)
    return 0


COMMANDS = {"make": _make, "serve": _serve, "score": _score}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
