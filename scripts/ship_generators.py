"""Evaluate candidate generator sets on held-out real images and ship the chosen ones.

    KERAS_MEDGAN_DATA=/path/to/data python scripts/ship_generators.py \\
        --candidate bce_gp=runs/shipped/p1_bce_gp/00000-dcgan32-head_ct \\
        --candidate wgan_gp=runs/shipped/p1_wgan_gp/00000-dcgan32-head_ct \\
        --candidate cond_wgan_gp=runs/shipped/p1_cond_wgan_gp/00000-dcgan32-head_ct \\
        --ship p1_head_ct=wgan_gp --ship p1_head_ct_conditional=cond_wgan_gp

Every candidate is scored per class by the project's own metrics (``evaluate``'s
``METRICS`` registry) against the real images its GANs never saw (the val + test splits of
the run's split seed): SWD with its real-vs-real baseline, KID and FID on the domain CNN's
features, MS-SSIM diversity, C2ST accuracy; the memorization audit against the training
images; class fidelity (a logistic regression on the same features, fitted on the real
training images, labels each fake). Results go to ``--results`` (JSON + Markdown).

``--ship NAME=CANDIDATE`` copies that candidate's ``.h5`` generators (generator only, the
format the papers and the user asked for) into ``models_h5/NAME/`` with a model card
(JSON: the training card plus paper, recipe, reproduce command, split, machine, evaluation,
license, intended use; and a README.md) and records them, hashed, in
``models_h5/manifest.json``. Rerunning replaces the named models and keeps the others.

A candidate may also be a model already shipped (``--candidate bce_gp=models_h5/p1_head_ct``):
its cards give the config (with the recipe file they name), wall time and machine, so a new
candidate is compared with the shipped one in the same run (same domain-CNN extractor, same
machine) without its training folder, which lives only where it was trained.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shutil
import sys
import tempfile

from keras_medgan.core.console import add_verbose_flag, quiet_tensorflow

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = pathlib.Path(__file__).resolve().parents[1]
N_FAKES = 256
HELD_OUT = ("val", "test")
METRIC_NAMES = ("swd", "kid", "fid", "ms_ssim", "c2st")
LICENSE = (
    "MIT (code and weights). Trained on the Kaggle 'Head CT - hemorrhage' set "
    "(F. Kitamura); check that set's terms before redistributing images made from it."
)
INTENDED_USE = (
    "research and data augmentation experiments on 32×32 head CT slices; not for "
    "diagnosis, not a medical device, not evidence about any patient"
)


def read_candidate(path: pathlib.Path) -> dict:
    """A candidate's config, per-generator wall time and training machine: from a training
    run folder, or from the cards of a shipped model folder (see the module docstring)."""
    if (path / "config.json").is_file():
        return read_run(path)
    cards = sorted(path.glob("generator_*.json"))
    if not cards:
        raise SystemExit(
            f"error: {path} is neither a training run (no config.json) nor a "
            "shipped model folder (no generator_*.json cards)"
        )
    return read_shipped([json.loads(c.read_text()) for c in cards])


def read_shipped(cards: list[dict]) -> dict:
    """What :func:`read_run` gives, rebuilt from a shipped model's cards: the recipe file
    they name (the paper's numbers), overlaid with what each card records of the run."""
    import yaml

    card = cards[0]
    recipe = REPO / card["recipe"] if card.get("recipe") else None
    config = yaml.safe_load(recipe.read_text()) if recipe and recipe.is_file() else {}
    config.update(
        {
            k: card[k]
            for k in (
                "arch",
                "data",
                "image_size",
                "z_dim",
                "loss",
                "epochs",
                "split",
                "split_seed",
                "seed",
                "precision",
            )
            if card.get(k) is not None
        }
    )
    config["command"] = card.get("command", "")
    return {
        "config": config,
        "machine": card.get("machine"),
        "wall_seconds": {c.get("label") or "conditional": c.get("wall_seconds") for c in cards},
    }


def read_run(run_dir: pathlib.Path) -> dict:
    config = json.loads((run_dir / "config.json").read_text())
    times: dict[str, list[float]] = {}
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        row = json.loads(line)
        times.setdefault(row["class"], []).append(float(row["time"]))
    # first to last epoch end, plus one mean epoch for the first (tracing included)
    wall = {unit: (t[-1] - t[0]) * len(t) / max(1, len(t) - 1) for unit, t in times.items()}
    return {
        "config": config,
        "wall_seconds": {k: round(v, 1) for k, v in wall.items()},
        "machine": machine(),
    }  # a run folder is evaluated where it was trained


def split_of(config: dict) -> int:
    """The split seed a run's config.json (a plain dict here: it is also stored in the
    results JSON) trained on, by the one rule TrainingConfig holds."""
    from keras_medgan.training.config import TrainingConfig

    return TrainingConfig.from_dict(config).data_split_seed


def load_real(config: dict, split: str):
    from keras_medgan.data import load_image_set

    return load_image_set(
        config["data"],
        image_size=config["image_size"],
        split=split,
        seed=split_of(config),
        resize=config.get("resize", "pad"),
    )


def held_out(config: dict):
    import numpy as np

    parts = [load_real(config, split) for split in HELD_OUT]
    return np.concatenate([p.images for p in parts]), np.concatenate([p.labels for p in parts])


def evaluate_candidate(
    run_dir: pathlib.Path, real: dict, extractor, fidelity_model, scratch: pathlib.Path
) -> dict:
    """Per-class metric values of one candidate (see the module docstring)."""
    import numpy as np

    from keras_medgan.evaluate.metrics import METRICS, EvalContext
    from keras_medgan.generators.sampling import synthesize_set

    fakes, fake_labels, class_names = synthesize_set(
        run_dir, n_per_class=N_FAKES, seed=0, precision="fp32"
    )
    out = {}
    for c, name in enumerate(class_names):
        fake = fakes[fake_labels == c]
        options = {"num_bootstrap": 50, "swd_repeats": 3, "c2st_epochs": 10, "c2st_folds": 5}
        ctx = EvalContext(
            real=real["held_out"][real["held_out_labels"] == c],
            fake=fake,
            out_dir=str(scratch / name),
            extractor_factory=lambda: extractor,
            seed=0,
            options=options,
        )
        values = {m: METRICS.get(m).fn(ctx).data for m in METRIC_NAMES}
        train_ctx = EvalContext(
            real=real["train"][real["train_labels"] == c],
            fake=fake,
            out_dir=str(scratch / name),
            extractor_factory=lambda: extractor,
            seed=0,
            options=options,
        )
        values["memorization"] = METRICS.get("memorization").fn(train_ctx).data
        predicted = fidelity_model.predict(extractor(fake))
        values["class_fidelity"] = float(np.mean(predicted == c))
        out[name] = {"summary": summarize(values), "metrics": values}
    return out


def summarize(values: dict) -> dict:
    """The numbers a card and a table show (full values stay in the results JSON)."""
    swd, kid, fid = values["swd"], values["kid"], values["fid"]
    mem, ms = values["memorization"], values["ms_ssim"]
    return {
        "swd_x1e3": round(swd["all"]["mean"], 1),
        "swd_real_vs_real": round(swd["real_vs_real"]["mean"], 1),
        "kid_x1e3": round(kid["kid"]["mean"] * 1e3, 2),
        "kid_real_vs_real_x1e3": round(kid["real_vs_real"]["mean"] * 1e3, 2),
        "fid_domain_cnn": round(fid["fid"], 2),
        "fid_real_vs_real": round(fid["real_vs_real"], 2),
        "ms_ssim_fake": round(ms["fake"]["mean"], 3),
        "ms_ssim_real": round(ms["real"]["mean"], 3),
        "c2st_accuracy": round(values["c2st"]["accuracy"], 3),
        "near_copies": len(mem["flagged"]),
        "nn_ratio_pixels_median": round(mem["pixels"]["ratio_median"], 2),
        "class_fidelity": round(values["class_fidelity"], 3),
    }


def portable_command(command: str) -> str:
    """The training command without this machine's ``--out`` folder."""
    words = command.split()
    if "--out" in words[:-1]:
        i = words.index("--out")
        del words[i : i + 2]
    return " ".join(words)


def recipe_file(command: str) -> str | None:
    """The ``--config`` file the run was started with (the recipe), if any."""
    words = command.split()
    return words[words.index("--config") + 1] if "--config" in words[:-1] else None


def machine() -> str:
    from keras_medgan.core.runtime import cpu_flags

    flags = cpu_flags()
    simd = [f for f in ("avx512_bf16", "amx_bf16", "avx512f", "avx2") if f in flags][:1]
    model = platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                model,
            )
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPU cores" + (f" ({simd[0]})" if simd else "") + ", no GPU"


def ship(
    name: str,
    candidate: str,
    run_dir: pathlib.Path,
    run: dict,
    evaluation: dict,
    models_root: pathlib.Path,
    paper: str,
    real: dict,
    grid_dir: pathlib.Path,
) -> dict:
    from keras_medgan.generators.loading import find_generators
    from keras_medgan.generators.pretrained import manifest_entry

    target = models_root / name
    models_root.mkdir(parents=True, exist_ok=True)
    staged = pathlib.Path(tempfile.mkdtemp(prefix=".ship-", dir=models_root))
    sources = {}  # copied first: the candidate may be the very folder being replaced
    for key, source in find_generators(run_dir).items():
        for suffix in (".h5", ".json"):
            shutil.copyfile(source.with_suffix(suffix), staged / source.with_suffix(suffix).name)
        sources[key] = staged / source.with_suffix(".h5").name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    config = run["config"]
    files = {}
    for key, source in sources.items():
        card = json.loads(source.with_suffix(".json").read_text())
        card.pop("files_sha256", None)  # the run's formats; the manifest hashes what ships
        evaluated = {k: v["summary"] for k, v in evaluation.items()}
        card.update(
            {
                "model": name,
                "paper": paper,
                "candidate": candidate,
                "recipe": recipe_file(config.get("command", "")),
                "command": portable_command(card.get("command") or ""),
                "reproduce": (
                    "KERAS_MEDGAN_DATA=<folder holding head_ct/> "
                    f"{portable_command(config.get('command', ''))}"
                ),
                "wall_seconds": run["wall_seconds"].get(key),
                "machine": run["machine"],
                "evaluation": evaluated if key == "conditional" else {key: evaluated[key]},
                "evaluation_protocol": (
                    f"{N_FAKES} fakes per class (seed 0, fp32) against the "
                    f"{'+'.join(HELD_OUT)} real images of the same split seed; "
                    "scripts/ship_generators.py"
                ),
                "license": LICENSE,
                "intended_use": INTENDED_USE,
            }
        )
        dest = target / source.name
        shutil.copyfile(source, dest)
        dest.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
        files[key] = dest
    shutil.rmtree(staged)
    (target / "README.md").write_text(model_readme(name, paper, config, run, evaluation))
    save_real_beside_fake(run_dir, real, grid_dir / f"{name}_grid.png", name)
    keys = ("swd_x1e3", "kid_x1e3", "c2st_accuracy", "class_fidelity")
    mean = {
        k: round(sum(e["summary"][k] for e in evaluation.values()) / len(evaluation), 3)
        for k in keys
    }
    return manifest_entry(
        files=files,
        root=models_root,
        classes=list(
            json.loads(next(iter(files.values())).with_suffix(".json").read_text())["class_names"]
        ),
        image_size=config["image_size"],
        description=f"{paper}; candidate {candidate}",
        recipe=f"{config['loss']} ({candidate})",
        epochs=config["epochs"],
        metrics={f"mean {k}": v for k, v in mean.items()},
        card=f"{name}/README.md",
    )


def save_real_beside_fake(
    run_dir: pathlib.Path, real: dict, path: pathlib.Path, name: str, per_row: int = 8
) -> None:
    """Rows of held-out real images, each followed by a row of the model's fakes."""
    import numpy as np

    from keras_medgan.data.grid import save_grid
    from keras_medgan.data.pipeline import to_display_range
    from keras_medgan.generators.sampling import synthesize_set

    fakes, fake_labels, class_names = synthesize_set(
        run_dir, n_per_class=per_row, seed=0, precision="fp32"
    )
    rows, titles = [], []
    for c, klass in enumerate(class_names):
        rows += [real["held_out"][real["held_out_labels"] == c][:per_row], fakes[fake_labels == c]]
        titles += [f"real {klass}"] * per_row + [f"{name} {klass}"] * per_row
    save_grid(
        to_display_range(np.concatenate(rows)),
        path,
        titles=titles,
        cols=per_row,
        suptitle=f"{name}: held-out real slices (never seen by the GAN) and synthetic",
    )


def table(evaluation_by_candidate: dict) -> str:
    cols = (
        "swd_x1e3",
        "swd_real_vs_real",
        "kid_x1e3",
        "kid_real_vs_real_x1e3",
        "fid_domain_cnn",
        "fid_real_vs_real",
        "ms_ssim_fake",
        "ms_ssim_real",
        "c2st_accuracy",
        "near_copies",
        "class_fidelity",
    )
    lines = ["| candidate | class | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for cand, per_class in evaluation_by_candidate.items():
        for klass, result in per_class.items():
            s = result["summary"]
            lines.append(f"| {cand} | {klass} | " + " | ".join(str(s[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def model_readme(name, paper, config, run, evaluation) -> str:
    return (
        f"# {name}\n\n{paper}. Arch `{config['arch']}`, loss `{config['loss']}`, "
        f"{config['epochs']} epochs, batch {config['batch_size']}; trained on the "
        f"`{config['split']}` split (split seed {split_of(config)}) of `{config['data']}` "
        "only; the identifiers of its training images are in each generator's card "
        "(`train_ids`).\n\n"
        f"Reproduce: `{portable_command(config.get('command', ''))}` "
        f"(with `KERAS_MEDGAN_DATA` pointing at the folder holding `head_ct/`).\n\n"
        f"Wall time (s, per generator): {run['wall_seconds']} on {run['machine']}.\n\n"
        "Evaluation against the held-out real images (val + test of the same split seed), "
        f"{N_FAKES} fakes per class, by `scripts/ship_generators.py`:\n\n"
        + table({name: evaluation})
        + f"\nIntended use: {INTENDED_USE}.\n\nLicense: {LICENSE}\n\n"
        'Load: `keras_medgan.load_pretrained("' + name + '")` or '
        f"`python -m keras_medgan.synthesize --generators {name} --n 100 --out synth/`.\n"
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--candidate", action="append", required=True, metavar="NAME=RUN_DIR")
    p.add_argument("--ship", action="append", default=[], metavar="MODEL=CANDIDATE")
    p.add_argument("--paper", default="P1 (Data augmentation using GANs, Kaggle head CT)")
    p.add_argument("--models", default=str(REPO / "models_h5"))
    p.add_argument(
        "--grid-dir",
        default=str(REPO / "docs"),
        help="where <model>_grid.png (held-out real beside fake) goes",
    )
    p.add_argument("--results", default=str(REPO / "experiments/results/shipped_p1_candidates"))
    add_verbose_flag(p)
    args = p.parse_args(argv)
    quiet_tensorflow(args.verbose)

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from keras_medgan.evaluate.features import get_extractor
    from keras_medgan.generators.pretrained import read_manifest, write_manifest

    candidates = dict(c.split("=", 1) for c in args.candidate)
    runs = {n: read_candidate(pathlib.Path(d)) for n, d in candidates.items()}
    config = next(iter(runs.values()))["config"]
    for n, r in runs.items():
        c = r["config"]
        same = all(c.get(k) == config.get(k) for k in ("data", "image_size", "split")) and split_of(
            c
        ) == split_of(config)
        if not same:
            print(
                f"error: candidate {n} was trained on other data/split than the first one",
                file=sys.stderr,
            )
            return 2
    train = load_real(config, "train")
    images, labels = held_out(config)
    real = {
        "train": train.images,
        "train_labels": train.labels,
        "held_out": images,
        "held_out_labels": labels,
    }
    extractor = get_extractor(
        "domain_cnn", real_images=train.images, real_labels=train.labels, seed=0, epochs=10
    )
    fidelity = LogisticRegression(max_iter=2000).fit(extractor(train.images), train.labels)
    fidelity_real = float(np.mean(fidelity.predict(extractor(images)) == labels))
    print(f"class-fidelity classifier: {fidelity_real:.3f} accuracy on the held-out real images")

    results_json = pathlib.Path(args.results + ".json")
    done = json.loads(results_json.read_text())["candidates"] if results_json.is_file() else {}
    scratch = pathlib.Path(args.results + "_scratch")
    evaluation = {}
    for n, d in candidates.items():
        if n in done and done[n]["run"] == str(d):
            evaluation[n] = done[n]["per_class"]
            print(f"{n}: evaluated earlier ({results_json})")
            continue
        print(f"{n}: evaluating {d} …", flush=True)
        evaluation[n] = evaluate_candidate(pathlib.Path(d), real, extractor, fidelity, scratch / n)
        done[n] = {
            "run": str(d),
            "config": runs[n]["config"],
            "wall_seconds": runs[n]["wall_seconds"],
            "trained_on": runs[n]["machine"],
            "per_class": evaluation[n],
        }
        results_json.write_text(
            json.dumps(
                {
                    "command": " ".join(["python scripts/ship_generators.py"] + sys.argv[1:]),
                    "held_out": f"{'+'.join(HELD_OUT)} of split seed {split_of(config)}: "
                    f"{len(images)} images",
                    "class_fidelity_on_real": fidelity_real,
                    "machine": machine(),
                    "candidates": done,
                },
                indent=1,
                default=float,
            )
            + "\n"
        )
    shutil.rmtree(scratch, ignore_errors=True)
    trained = "; ".join(
        f"{n} on {done[n].get('trained_on') or 'the evaluating machine'}" for n in evaluation
    )
    pathlib.Path(args.results + ".md").write_text(
        f"Held-out real images: {len(images)}; class-fidelity classifier on them: "
        f"{fidelity_real:.3f}. Evaluated on {machine()}; trained: {trained}. The domain "
        "CNN behind KID/FID is retrained per evaluation, so a card's KID/FID measured on "
        "another CPU may differ slightly (most where KID is near zero).\n\n" + table(evaluation)
    )
    print(table(evaluation))

    models_root = pathlib.Path(args.models)
    manifest = read_manifest(models_root)
    for spec in args.ship:
        name, cand = spec.split("=", 1)
        manifest[name] = ship(
            name,
            cand,
            pathlib.Path(candidates[cand]),
            runs[cand],
            evaluation[cand],
            models_root,
            args.paper,
            real,
            pathlib.Path(args.grid_dir),
        )
        print(f"shipped {name} ← {cand}")
    if args.ship:
        write_manifest(manifest, models_root)
        (models_root / "README.md").write_text(models_index(manifest))
    return 0


def models_index(manifest: dict) -> str:
    """``models_h5/README.md``: what ships, how to use it, how it was made."""
    lines = [
        "# models_h5",
        "",
        (
            "Trained generators shipped with keras_medgan, one folder per model: each generator "
            "as `.h5` (generator only; stock Keras loads it in safe mode) with its model card "
            "(`generator_<class>.json`: recipe, command, training image ids, wall time, machine, "
            "evaluation, license, intended use) and a `README.md`. `manifest.json` lists every "
            "file with its SHA-256; `keras_medgan.load_pretrained(name)` and "
            "`python -m keras_medgan.synthesize --generators NAME` refuse a file whose hash differs."
        ),
        "",
        "```bash",
        "python -m keras_medgan.synthesize --list",
        "python -m keras_medgan.synthesize --generators p1_head_ct --n 100 --out synth/",
        "```",
        "",
        (
            "| model | classes | recipe | epochs | mean SWD ×10³ (held-out) | mean C2ST acc. | "
            "mean class fidelity |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for name, entry in sorted(manifest.items()):
        m = entry.get("metrics") or {}
        lines.append(
            f"| [{name}]({name}/README.md) | {', '.join(entry['classes'])} | "
            f"{entry.get('recipe')} | {entry.get('epochs')} | "
            f"{m.get('mean swd_x1e3')} | {m.get('mean c2st_accuracy')} | "
            f"{m.get('mean class_fidelity')} |"
        )
    lines += [
        "",
        (
            "Made by `scripts/train_shipped_p1.sh` (training) and "
            "`scripts/ship_generators.py` (evaluation, cards, manifest); the numbers and "
            "every candidate's are in `experiments/results/shipped_p1_candidates.md`. "
            "Research and data-augmentation use only; not for diagnosis."
        ),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
