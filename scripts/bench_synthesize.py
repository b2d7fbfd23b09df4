"""Measure synthesis speed: images/s of LoadedGenerator.generate and of the whole CLI path.

    python scripts/bench_synthesize.py                       # untrained dcgan32, fp32
    python scripts/bench_synthesize.py --precision bf16      # the same in mixed bfloat16
    python scripts/bench_synthesize.py --generator runs/00000-dcgan32-head_ct/export/generator_hemorrhage.h5

Speed depends only on the architecture and the weights' dtype, not on training, so an
untrained generator built by the registry measures the same thing as a trained one.
Prints one JSON line per measurement.
"""

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from keras_medgan.core.console import quiet_tensorflow, wants_verbose

quiet_tensorflow(wants_verbose())  # TF 2.21 prints its start-up lines whatever the level says


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--generator", help="exported generator (default: build --arch untrained)")
    p.add_argument("--arch", default="dcgan32")
    p.add_argument(
        "--precision",
        default="fp32",
        choices=["fp32", "bf16", "fp16"],
        help="policy the untrained generator is built (and exported) in",
    )
    p.add_argument(
        "--load-precision",
        default=None,
        choices=["auto", "fp32", "bf16", "fp16"],
        help="recast on load, as synthesize --precision does (default: the file's)",
    )
    p.add_argument("--n", type=int, default=2000, help="images per measurement")
    p.add_argument("--batch-size", type=int, nargs="+", default=[64, 256, 1024])
    p.add_argument(
        "--formats",
        nargs="+",
        default=["h5", "savedmodel"],
        help="exported formats to time (untrained mode)",
    )
    p.add_argument(
        "--write", action="store_true", help="also time writing PNGs (synthesize_set + write_set)"
    )
    args = p.parse_args(argv)

    from keras_medgan.cli.synthesize import write_set
    from keras_medgan.generators.cards import make_model_card
    from keras_medgan.generators.export import export_generator
    from keras_medgan.generators.loading import load_generator

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench_synth_"))
    if args.generator:
        paths = {"given": pathlib.Path(args.generator)}
    else:
        from keras_medgan.core.runtime import set_precision
        from keras_medgan.models import ARCHS

        set_precision(args.precision)
        spec = ARCHS.get(args.arch)
        size = spec.image_sizes[0]
        g = spec.build_generator(z_dim=100, image_size=size, num_classes=0)
        card = make_model_card(
            arch=args.arch,
            data="none",
            class_names=["x"],
            label="x",
            image_size=size,
            z_dim=100,
            epochs=0,
            seed=0,
            command="bench",
        )
        exported = export_generator(g, tmp, "x", card, formats=args.formats)
        paths = {f: exported[f] for f in args.formats}
    import os as _os

    for fmt, path in paths.items():
        gen = load_generator(path, precision=args.load_precision)
        for batch in args.batch_size:
            gen.generate(min(batch, args.n), seed=1, batch_size=batch)  # trace / warm up
            start = time.perf_counter()
            images = gen.generate(args.n, seed=0, batch_size=batch)
            seconds = time.perf_counter() - start
            row = {
                "format": fmt,
                "arch": gen.card.get("arch"),
                "precision": args.precision,
                "load_precision": args.load_precision,
                "image_size": int(images.shape[1]),
                "n": args.n,
                "batch_size": batch,
                "seconds": round(seconds, 3),
                "images_per_s": round(args.n / seconds, 1),
                "cpus": _os.cpu_count(),
            }
            print(json.dumps(row), flush=True)
        if args.write:
            start = time.perf_counter()
            images = gen.generate(args.n, seed=0, batch_size=args.batch_size[-1])
            import numpy as np

            write_set(tmp / f"png_{fmt}", images, np.zeros(len(images), np.int64), ["x"])
            seconds = time.perf_counter() - start
            print(
                json.dumps(
                    {
                        "format": fmt,
                        "end_to_end_png": True,
                        "n": args.n,
                        "seconds": round(seconds, 3),
                        "images_per_s": round(args.n / seconds, 1),
                    }
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
