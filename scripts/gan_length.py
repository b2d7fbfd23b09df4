"""Does training the GANs longer change the answer? One fold, P1's recipe at several epoch
counts, scored by image fidelity AND by what the images do for a classifier.

    KERAS_MEDGAN_DATA=/path/to/data python scripts/gan_length.py --data head_ct \\
        --epochs 150 500 1500 --out experiments/results/gan_length_head_ct
    python scripts/gan_length.py --data phantom --epochs 1 2 --quick --out /tmp/gl   # minutes

For repeat 0, fold ``--fold`` of the study's folds (5 folds, copies grouped, seed 0 —
the same parts ``study`` uses), each class's GAN trains on the fold's training part
with the recipe, CONTINUOUSLY: the run for the second epoch count resumes the first
one's checkpoint, so 1 500 epochs cost 1 500, not 150 + 500 + 1 500. At each epoch count:

* fidelity per class against the class's HELD-OUT real images (the fold's validation
  and test parts, which no GAN saw): SWD ×10³ (Laplacian pyramid, 3 direction seeds),
  KID ×10³ on a domain CNN trained on the training part only, and C2ST accuracy (0.5 =
  indistinguishable);
* downstream: the real and real+synthetic (1:1) classifier arms on the fold, ``--seeds``
  classifiers each (the study's classifier cell), AUC / log-loss / accuracy on the fold's
  test images, and Δ AUC of real+synthetic against real.

Everything is appended to ``<out>/gan_length.json`` as it finishes; a rerun skips what is
there and resumes a GAN from its last checkpoint. The generator files stay in
``<out>/gans/`` (not for committing).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _study_config(args):
    from keras_medgan.compare.classifier_training import TrainConfig
    from keras_medgan.study import StudyConfig

    train = TrainConfig(
        classifier=args.classifier,
        steps=args.steps,
        eval_every=min(50, args.steps),
        seeds=args.seeds,
    )
    return StudyConfig(
        data=args.data,
        out=str(args.out),
        recipes={"p1": args.recipe},
        arms=["real", "real+synthetic"],
        folds=args.folds,
        seed=0,
        data_dir=args.data_dir,
        group_duplicates=True,
        train=train,
    )


def train_to(study, fold, unit: str, epochs: int, out: pathlib.Path) -> pathlib.Path:
    """Train (or continue) ``unit``'s GAN to ``epochs``; returns its exported .h5."""
    from keras_medgan.study.runner import resolve_recipes
    from keras_medgan.training.runs import write_config
    from keras_medgan.training.trainer import PreparedData, plan_units, run_training

    recipe = resolve_recipes(study, fold["class_names"])["p1"]
    config = recipe.config.replace(
        epochs=int(epochs),
        seed=recipe.config.seed + fold["seed"],
        split_seed=None,
        classes=(unit,),
        sample_every=100000,
        command=f"scripts/gan_length.py ({unit}, {epochs} epochs)",
    )
    run_dir = out / "gans" / unit
    run_dir.mkdir(parents=True, exist_ok=True)
    write_config(run_dir, config)
    units = plan_units(
        fold["train_x"], fold["train_y"], fold["class_names"], config, ids=fold["train_ids"]
    )
    (result,) = run_training(
        config,
        run_dir,
        print_fn=lambda s: print("    " + s, flush=True),
        prepared=PreparedData(fold["class_names"], units, len(fold["train_y"])),
    )
    return pathlib.Path(result.export["h5"])


def fidelity(real, fake, extractor, seed: int) -> dict:
    from keras_medgan.evaluate.c2st import c2st
    from keras_medgan.evaluate.fid import kid_from_features
    from keras_medgan.evaluate.swd import swd_repeats

    s = swd_repeats(real, fake, seeds=(seed, seed + 1, seed + 2))
    kid = kid_from_features(
        extractor(real), extractor(fake), subset_size=min(len(real), 100), seed=seed
    )
    c = c2st(real, fake, seed=seed)
    return {
        "swd": s["mean"],
        "kid_x1e3": 1e3 * kid["mean"],
        "c2st_accuracy": c["accuracy"],
        "c2st_p": c.get("p_value"),
        "n_real": len(real),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="head_ct")
    p.add_argument("--data-dir")
    p.add_argument("--recipe", default=str(REPO / "experiments/p1_dcgan32_head_ct.yaml"))
    p.add_argument("--epochs", type=int, nargs="+", default=[150, 500, 1500])
    p.add_argument("--fold", type=int, default=0)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--classifier", default="small_cnn")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument(
        "--quick",
        action="store_true",
        help="3 folds, 20 classifier steps, 1 seed, no KID network epochs to speak of",
    )
    p.add_argument("--out", type=pathlib.Path, required=True)
    args = p.parse_args(argv)
    if args.quick:
        args.folds, args.steps, args.seeds = 3, 20, 1
    import numpy as np

    from keras_medgan.compare.arms import build_training_set
    from keras_medgan.compare.cell import classifier_cell
    from keras_medgan.evaluate.features import get_extractor
    from keras_medgan.generators.sampling import synthesize_set
    from keras_medgan.study.runner import load_study_data

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "gan_length.json"
    result = json.loads(path.read_text()) if path.is_file() else {"rows": []}
    result.update(
        command="python scripts/gan_length.py " + " ".join(argv or sys.argv[1:]),
        fold=args.fold,
        classifier=args.classifier,
        steps=args.steps,
        seeds=args.seeds,
    )
    done = {r["epochs"] for r in result["rows"]}
    study = _study_config(args)
    data = load_study_data(study)
    parts = data.parts(study, 0, args.fold)
    names = data.class_names
    fold = {
        "class_names": names,
        "seed": args.fold,
        "train_x": data.images[parts.train],
        "train_y": data.labels[parts.train],
        "train_ids": [data.ids[i] for i in parts.train],
    }
    held = np.concatenate([parts.val, parts.test])
    extractor = get_extractor(
        "domain_cnn",
        real_images=fold["train_x"],
        real_labels=fold["train_y"],
        seed=0,
        epochs=3 if args.quick else 10,
    )
    n_per_class = int(np.bincount(fold["train_y"]).max())
    for epochs in sorted(args.epochs):
        start = time.time()
        exports = {u: train_to(study, fold, u, epochs, args.out) for u in names}
        if epochs in done:
            continue
        images, labels, gen_names = synthesize_set(
            [str(e) for e in exports.values()], n_per_class=n_per_class, seed=args.fold
        )
        labels = np.asarray([names.index(gen_names[int(v)]) for v in labels])
        row = {"epochs": epochs, "fidelity": {}, "downstream": {}}
        for c, name in enumerate(names):
            real = data.images[held][data.labels[held] == c]
            row["fidelity"][name] = fidelity(real, images[labels == c], extractor, seed=0)
        val = (data.images[parts.val], data.labels[parts.val])
        test = (data.images[parts.test], data.labels[parts.test])
        for arm in ("real", "real+synthetic"):
            ts = build_training_set(
                arm,
                fold["train_x"],
                fold["train_y"],
                images,
                labels,
                num_classes=len(names),
                class_names=names,
                seed=args.fold,
            )
            cell = classifier_cell(
                ts, val, test, num_classes=len(names), config=study.train, seed=args.fold
            )
            row["downstream"][arm] = {
                k: cell["metrics"].get(k) for k in ("auc", "log_loss", "accuracy")
            }
        d = row["downstream"]
        row["downstream"]["delta_auc"] = d["real+synthetic"]["auc"] - d["real"]["auc"]
        row["seconds"] = round(time.time() - start, 1)
        result["rows"] = sorted(
            [r for r in result["rows"] if r["epochs"] != epochs] + [row], key=lambda r: r["epochs"]
        )
        path.write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps({"epochs": epochs, **row["downstream"]}), flush=True)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
