"""A run's metrics files: ``metrics.jsonl`` (one record per unit and epoch) and its CSV
twins, written, read and trimmed here only.

Records carry ``class`` so one run folder's file holds every unit of a one-GAN-per-class
run (stylegan2-ada's ``stats.jsonl`` idea), plus ``epoch``, the logged metrics and
``time``. The CSV twin (``metrics.csv``, or ``metrics_<unit>.csv`` when a unit logs
another set of metrics) is for spreadsheets; the JSONL file is the record.
"""

from __future__ import annotations

import csv
import json
import pathlib
from collections.abc import Sequence

from keras_medgan.core.jsonio import jsonable, write_text_atomic

METRICS_FILE = "metrics.jsonl"
CSV_FILE = "metrics.csv"
NOT_METRICS = ("class", "time")  # fields of a record that are not per-epoch metrics


def metrics_path(run_dir_or_file) -> pathlib.Path:
    """``run_dir/metrics.jsonl`` for a folder; the path itself for a file."""
    path = pathlib.Path(run_dir_or_file)
    return path / METRICS_FILE if path.is_dir() else path


def read_records(run_dir_or_file, strict: bool = False) -> list[dict]:
    """The records, in file order. A line a kill cut short is skipped; ``strict`` makes
    any unparsable line an error naming the file and the line (for files a user hands in,
    rather than the trainer's own file it is about to repair)."""
    path = metrics_path(run_dir_or_file)
    if not path.is_file():
        raise FileNotFoundError(f"no {METRICS_FILE} at {path}")
    records = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if strict:
                raise ValueError(f"{path}: line {n} is not JSON ({exc.msg})") from None
    return records


def unit_records(run_dir, unit: str, upto_epoch: int) -> list[dict]:
    """One unit's per-epoch metrics up to ``upto_epoch`` (a missing file: none), with
    ``null`` read back as NaN, as the trainer logged it."""
    if not metrics_path(run_dir).is_file():
        return []
    return [
        {k: (float("nan") if v is None else v) for k, v in row.items() if k not in NOT_METRICS}
        for row in read_records(run_dir)
        if row.get("class") == unit and row.get("epoch", 0) <= upto_epoch
    ]


def append_records(run_dir, lines: Sequence[dict], unit: str | None) -> None:
    """Add ``lines`` (records with ``class``, ``epoch``, metrics, ``time``) to both files."""
    run_dir = pathlib.Path(run_dir)
    with open(run_dir / METRICS_FILE, "a") as handle:
        handle.writelines(json.dumps(jsonable(line)) + "\n" for line in lines)  # NaN → null
    keys = list(lines[0])
    path = run_dir / CSV_FILE
    new = not path.exists()
    if not new:
        with open(path) as handle:
            header = handle.readline().strip().split(",")
        if header != keys:  # a different metric set: a per-unit file instead
            path = run_dir / f"metrics_{unit or 'all'}.csv"
            new = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(keys)
        writer.writerows([line.get(k) for k in keys] for line in lines)


def drop_after(run_dir, unit: str, epoch: int) -> None:
    """Forget the unit's records of epochs after ``epoch`` in every metrics file: the
    checkpoint does not hold them, so they rerun (a line a kill cut short goes too)."""
    path = metrics_path(run_dir)
    if not path.is_file():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not (row.get("class") == unit and row.get("epoch", 0) > epoch):
            kept.append(line)
    write_text_atomic(path, "".join(k + "\n" for k in kept))
    for csv_path in pathlib.Path(run_dir).glob("metrics*.csv"):
        _drop_csv_rows_after(csv_path, unit, epoch)


def _drop_csv_rows_after(path: pathlib.Path, unit: str, epoch: int) -> None:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0][:2] != ["class", "epoch"]:
        return
    kept = [rows[0]] + [
        r
        for r in rows[1:]
        if not (len(r) > 1 and r[0] == unit and r[1].isdigit() and int(r[1]) > epoch)
    ]
    if len(kept) == len(rows):
        return
    tmp = path.with_name(".tmp-" + path.name)
    with open(tmp, "w", newline="") as handle:
        csv.writer(handle).writerows(kept)
    tmp.replace(path)
