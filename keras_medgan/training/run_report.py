"""``runs/<n>/report.html``: one self-contained page per training run.

Why one page: a run folder holds a dozen PNGs, two JSON files per generator and a
metrics log; a user (or a reviewer the folder is sent to) wants to open one file and see
whether the GAN learned: loss curves, samples over the epochs, real beside fake, the
settings, the model card, evaluation numbers when an evaluation was written into the run
folder, and the commands that resume or use it. Every image is embedded as a data URI,
so the page can be mailed or attached on its own.

``write_run_report(run_dir)`` reads only what training wrote; ``real_vs_fake_grids`` is
called by the trainer at the end of a run, when the real training images are at hand.
"""

from __future__ import annotations

import base64
import html
import json
import pathlib
from collections.abc import Sequence

import numpy as np

from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.generators.loading import load_generator
from keras_medgan.generators.naming import slug

__all__ = ["MAX_SAMPLE_GRIDS", "real_vs_fake_grids", "write_run_report"]

REPORT_FILE = "report.html"
#: Sample grids shown per generator (evenly spaced over the run, the last one always).
MAX_SAMPLE_GRIDS = 12
#: Real and fake images per row of the real-vs-fake grid.
PAIR_COUNT = 8

STYLE = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;"
    "padding:3px 8px;text-align:left;vertical-align:top}th{background:#eee}"
    "img{max-width:100%}figure{display:inline-block;margin:4px;text-align:center}"
    "figure img{width:260px}figcaption{font-size:85%}code,pre{background:#f4f4f4;"
    "padding:2px 4px}pre{padding:8px;overflow-x:auto}.warn{color:#a40}"
)


def _read_json(path: pathlib.Path):
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _img(path: pathlib.Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"<img src='data:image/png;base64,{data}' alt='{html.escape(alt)}'>"


def _table(rows: Sequence[tuple[str, object]]) -> str:
    e = html.escape
    return (
        "<table>"
        + "".join(f"<tr><th>{e(str(k))}</th><td>{e(_fmt(v))}</td></tr>" for k, v in rows)
        + "</table>"
    )


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return "" if value is None else str(value)


def _spaced(paths: list[pathlib.Path], n: int) -> list[pathlib.Path]:
    """At most ``n`` of ``paths``, evenly spaced, the first and last kept."""
    if len(paths) <= n:
        return paths
    idx = np.unique(np.round(np.linspace(0, len(paths) - 1, n)).astype(int))
    return [paths[i] for i in idx]


def real_vs_fake_grids(run_dir, units, results, count: int = PAIR_COUNT) -> list[pathlib.Path]:
    """``real_vs_fake_<unit>.png``: a row of real training images over a row of fakes from
    the exported generator (per class for a conditional one), loaded as a user loads it."""
    # lazy: loads OpenCV+pydicom+pandas; module stays light
    from keras_medgan.data.grid import save_grid

    run_dir = pathlib.Path(run_dir)
    written = []
    for unit, result in zip(units, results):
        path = result.export.get("h5") or next(iter(result.export.values()), None)
        if not path:
            continue
        gen = load_generator(path)
        labels = sorted(set(np.asarray(unit.labels).tolist())) if gen.conditional else [None]
        images, titles = [], []
        for label in labels:
            real = unit.images if label is None else unit.images[np.asarray(unit.labels) == label]
            k = min(count, len(real))
            fake = gen.generate(k, label=label, seed=0)
            name = "" if label is None else f" {gen.card['class_names'][label]}"
            images += [real[:k], fake]
            titles += [f"real{name}"] * k + [f"fake{name}"] * k
        out = run_dir / f"real_vs_fake_{slug(unit.name)}.png"
        grid = (np.concatenate(images).astype(np.float32) + 1.0) / 2.0
        save_grid(
            np.clip(grid, 0.0, 1.0),
            out,
            titles=titles,
            cols=count,
            suptitle=f"{unit.name}: real training images (top) vs generated (below)",
        )
        written.append(out)
    return written


def _evaluations(run_dir: pathlib.Path) -> list[tuple[pathlib.Path, dict]]:
    """Evaluation results written into the run folder (``evaluate --out RUN/eval``)."""
    found = []
    for path in sorted(run_dir.glob("*/results.json")):
        doc = _read_json(path)
        if isinstance(doc, dict) and isinstance(doc.get("metrics"), dict) and "meta" in doc:
            found.append((path, doc))
    return found


def _scalars(prefix: str, value, out: list[tuple[str, object]], depth: int = 0) -> None:
    """Flatten numbers (and short strings) of an evaluation result into (key, value) rows."""
    if isinstance(value, dict) and depth < 3:
        for k, v in value.items():
            _scalars(f"{prefix}.{k}" if prefix else str(k), v, out, depth + 1)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out.append((prefix, value))


def _unit_section(run_dir: pathlib.Path, name: str, summary: dict | None) -> list[str]:
    e = html.escape
    s = slug(name)
    parts = [f"<h2 id='unit-{e(s)}'>{e(name)}</h2>"]
    if summary:
        status = summary.get("status")
        cls = " class='warn'" if status not in ("trained", "skipped") else ""
        parts.append(f"<p{cls}>status: <b>{e(str(status))}</b>, {summary.get('epochs')} epochs</p>")
        metrics = summary.get("final_metrics") or {}
        if metrics:
            parts.append("<h3>Final metrics</h3>" + _table(sorted(metrics.items())))
    for file, title in (
        (run_dir / f"loss_{s}.png", "Loss curves"),
        (run_dir / f"real_vs_fake_{s}.png", "Real vs generated"),
    ):
        if file.is_file():
            parts.append(f"<h3>{title}</h3><p>{_img(file, f'{title} {name}')}</p>")
    grids = sorted((run_dir / "samples" / s).glob("epoch_*.png"))
    if grids:
        shown = _spaced(grids, MAX_SAMPLE_GRIDS)
        parts.append(
            f"<h3>Samples over the epochs ({len(shown)} of {len(grids)} grids, "
            "the same z throughout)</h3>"
        )
        parts += [
            f"<figure>{_img(p, p.stem)}<figcaption>epoch {int(p.stem.split('_')[-1])}"
            f"</figcaption></figure>"
            for p in shown
        ]
    card = _read_json(run_dir / "export" / f"generator_{s}.json")
    if card:
        ids = card.pop("train_ids", None)
        rows = sorted(card.items())
        if ids is not None:
            rows.append(("train_ids", f"{len(ids)} images, e.g. {', '.join(ids[:5])}"))
        parts.append(f"<h3>Model card (export/generator_{e(s)}.json)</h3>" + _table(rows))
    return parts


def write_run_report(run_dir) -> pathlib.Path:
    """Write ``run_dir/report.html`` from the run folder's files; returns its path."""
    e = html.escape
    run_dir = pathlib.Path(run_dir)
    config = _read_json(run_dir / "config.json") or {}
    summary = _read_json(run_dir / "summary.json") or {}
    units = list(summary) or sorted(
        p.stem[len("generator_") :] for p in (run_dir / "export").glob("generator_*.json")
    )
    title = f"{run_dir.name}: {config.get('arch', '?')} on {config.get('data', '?')}"
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    if summary:
        parts.append(
            "<table><tr><th>generator</th><th>status</th><th>epochs</th>"
            "<th>d_loss</th><th>g_loss</th></tr>"
            + "".join(
                f"<tr><td><a href='#unit-{e(slug(n))}'>{e(n)}</a></td>"
                f"<td>{e(str(r.get('status')))}</td><td>{r.get('epochs')}</td>"
                + "".join(
                    f"<td>{e(_fmt((r.get('final_metrics') or {}).get(k)))}</td>"
                    for k in ("d_loss", "g_loss")
                )
                + "</tr>"
                for n, r in summary.items()
            )
            + "</table>"
        )
    run = str(run_dir)
    parts.append(
        "<h2>Commands</h2><pre>"
        + e(
            f"python -m keras_medgan.train --resume {run}   # more epochs: add "
            f"--epochs N\n"
            f"python -m keras_medgan.synthesize --generators {run} --n 100 --out "
            f"synth/\n"
            f"python -m keras_medgan.evaluate --data {config.get('data', 'DATA')} "
            f"--generators {run} --out {run}/eval   # its numbers then appear here\n"
            f"python -m keras_medgan.benchmark --data {config.get('data', 'DATA')} "
            f"--generators {run}"
        )
        + "</pre>"
    )
    if config.get("command"):
        parts.append(f"<p>Trained with <code>{e(str(config['command']))}</code></p>")
    data_report = _read_json(run_dir / "data_report.json")
    if data_report and data_report.get("findings"):
        parts.append(
            f"<p class='warn'>Data checks: {len(data_report['findings'])} finding(s) "
            "in data_report.json: "
            + e("; ".join(f.get("message", "") for f in data_report["findings"][:3]))
            + "</p>"
        )
    for name in units:
        parts += _unit_section(run_dir, name, summary.get(name))
    for path, doc in _evaluations(run_dir):
        rows: list[tuple[str, object]] = []
        _scalars("", doc["metrics"], rows)
        parts.append(
            f"<h2>Evaluation ({e(str(path.parent.relative_to(run_dir)))})</h2>" + _table(rows[:80])
        )
    parts.append("<h2>Configuration (config.json)</h2>" + _table(sorted(config.items())))
    parts.append("</body></html>")
    return write_text_atomic(run_dir / REPORT_FILE, "\n".join(parts) + "\n")
