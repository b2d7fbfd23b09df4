"""Write an evaluation as ``results.json``, ``report.md`` and ``report.html``.

One table per metric — quantity, value, real-vs-real baseline, what "good" looks like —
then its figures and notes (extractor, protocol). The HTML is self-contained apart from the
PNGs beside it in ``figures/``. Files are written to a temp name then renamed, so a
crashed run never leaves half a report.
"""

from __future__ import annotations

import html
import json
import os

from keras_medgan.core.jsonio import jsonable as _jsonable
from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.evaluate.tables import rows_for

HEADER = ["quantity", "value", "real vs real", "good"]


def jsonable(value):
    """numpy → Python; non-finite floats → "nan"/"inf"/"-inf" (a diverged metric is not a missing one)."""
    return _jsonable(value, nonfinite="string")


def markdown(meta: dict[str, object], results: list) -> str:
    lines = ["# Evaluation report", ""]
    for k, v in meta.items():
        lines.append(f"- **{k}**: {v}")
    lines.append("")
    for r in results:
        lines += [f"## {r.name}", ""]
        rows = rows_for(r.name, r.data)
        if rows:
            lines.append("| " + " | ".join(HEADER) + " |")
            lines.append("|" + "---|" * len(HEADER))
            for row in rows:
                lines.append("| " + " | ".join(str(c) for c in row) + " |")
            lines.append("")
        for fig in r.figures:
            lines += [f"![{r.name}]({fig})", ""]
        for note in r.notes:
            lines.append(f"- {note}")
        lines.append("")
    return "\n".join(lines)


def html_report(meta: dict[str, object], results: list) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Evaluation report</title>",
        (
            "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}"
            "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:4px 8px}"
            "th{background:#eee}img{max-width:100%}</style></head><body>"
        ),
        "<h1>Evaluation report</h1><ul>",
    ]
    parts += [f"<li><b>{e(str(k))}</b>: {e(str(v))}</li>" for k, v in meta.items()]
    parts.append("</ul>")
    for r in results:
        parts.append(f"<h2>{e(r.name)}</h2>")
        rows = rows_for(r.name, r.data)
        if rows:
            parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in HEADER) + "</tr>")
            for row in rows:
                parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
            parts.append("</table>")
        parts += [f"<p><img src='{e(fig)}' alt='{e(r.name)}'></p>" for fig in r.figures]
        if r.notes:
            parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in r.notes) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    out_dir: str, meta: dict[str, object], results: list, errors: dict[str, str]
) -> dict[str, str]:
    """Write the three files; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    payload = {
        "meta": meta,
        "metrics": {r.name: r.data for r in results},
        "figures": {r.name: r.figures for r in results},
        "errors": errors,
    }
    paths = {
        "json": os.path.join(out_dir, "results.json"),
        "markdown": os.path.join(out_dir, "report.md"),
        "html": os.path.join(out_dir, "report.html"),
    }
    write_text_atomic(paths["json"], json.dumps(jsonable(payload), indent=2))
    shown_meta = dict(meta)
    if errors:
        shown_meta["failed metrics"] = "; ".join(f"{k}: {v}" for k, v in errors.items())
    write_text_atomic(paths["markdown"], markdown(shown_meta, results))
    write_text_atomic(paths["html"], html_report(shown_meta, results))
    return paths
