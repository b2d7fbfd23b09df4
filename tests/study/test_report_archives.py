"""The study report on real archived studies: rebuilt exactly from their cells, and its
numbers recomputed here from the cells by independent arithmetic.

Two archives ship in ``experiments/results``: ``study_quick_folder_head_ct`` (3 folds,
GAN-train scores, copies across the split in its data checks) and
``study_curve_head_ct`` (a learning curve at 16 and 32 real images per class and the
whole training part). Their reports were written by ``study report``; rebuilding them
here must give the same files byte for byte, so a change to the report's arithmetic or
words shows up as a diff of a committed result (regenerate with
``python -m keras_medgan.study report --out experiments/results/<study>`` when the change
is meant). The value tests below do not trust the committed files: they compute the
intervals (t quantile, Nadeau-Bengio variance), paired differences, learning-curve x
values, leakage and cost from the cells themselves.
"""

import csv
import json
import pathlib
import shutil

import numpy as np
import pytest
from scipy import stats as sp

from keras_medgan.study import report
from keras_medgan.study.report import write_report

RESULTS = pathlib.Path(__file__).resolve().parents[2] / "experiments" / "results"
QUICK = "study_quick_folder_head_ct"
CURVE = "study_curve_head_ct"
WRITTEN = ("results.json", "results.md", "results.png", "predictions.csv", "learning_curve.png")


def _copy(name, tmp_path):
    """The archive without its report files, in a scratch folder."""
    dest = tmp_path / name
    shutil.copytree(RESULTS / name, dest, ignore=shutil.ignore_patterns(*WRITTEN))
    return dest


@pytest.fixture
def rebuild(tmp_path, monkeypatch):
    """``rebuild(archive)`` → (folder, results): the report rebuilt in this test (not once
    per module: mutation testing runs only the tests that reach the mutated code, and a
    shared fixture would count as reached by the first test alone). The figures are
    checked on their own, below, and skipped here to keep this quick."""
    _skip_figures(monkeypatch)

    def run(name):
        folder = _copy(name, tmp_path)
        return folder, write_report(folder)

    return run


def _skip_figures(mp):
    for plot in ("bar_plot", "curve_plot"):
        mp.setattr(report, plot, lambda results, path: None)


@pytest.fixture
def no_figures(monkeypatch):
    _skip_figures(monkeypatch)


def _cells(folder, kind, size=None):
    cells = [_read(p) for p in sorted((folder / "cells").glob("*.json"))]
    return [c for c in cells if c["kind"] == kind and c.get("size") == size]


def _card_path(folder, cell):
    """A GAN cell's model card (beside its exported generator)."""
    return (folder / cell["export"]).with_suffix(".json")


def _read(path):
    return json.loads(path.read_text())


def _write(path, data):
    path.write_text(json.dumps(data))


def _row(cell):
    return cell["arm"] + (f" [{cell['variant']}]" if cell.get("variant") else "")


@pytest.mark.parametrize("name", [QUICK, CURVE])
def test_an_archived_studys_report_is_rebuilt_exactly_from_its_cells(rebuild, name):
    folder, results = rebuild(name)
    for written in ("results.md", "predictions.csv"):
        assert (folder / written).read_text() == (RESULTS / name / written).read_text(), written
    want = _read(RESULTS / name / "results.json")
    got = _read(folder / "results.json")
    want.pop("environment"), got.pop("environment")
    assert got == want


def _corrected_ci(values, n_train, n_test, confidence=0.95):
    """Nadeau & Bengio's corrected repeated-CV interval, written out here."""
    v = np.asarray(values, float)
    j = len(v)
    se = np.sqrt((1 / j + n_test / n_train) * v.var(ddof=1))
    half = sp.t.ppf(0.5 + confidence / 2, j - 1) * se
    return v.mean() - half, v.mean() + half


@pytest.mark.parametrize("name, size", [(QUICK, None), (CURVE, None), (CURVE, 16)])
def test_every_arm_and_difference_is_the_fold_arithmetic_at_95_percent(rebuild, name, size):
    folder, results = rebuild(name)
    cells = _cells(folder, "arm", size)
    arms = results["arms"] if size is None else None
    if arms is None:
        # a learning-curve size: the same numbers, kept as the curve's points
        arms = {
            key: {"metrics": {m: p[m] for m in ("auc", "log_loss")}, "vs_real": p["vs_real"]}
            for key, points in results["learning_curve"]["rows"].items()
            for lab, p in points.items()
            if lab == str(size)
        }
    real = {(c["repeat"], c["fold"]): c for c in cells if _row(c) == "real"}
    assert real, "the archive has a real arm"
    checked = 0
    for key in {_row(c) for c in cells}:
        mine = sorted((c for c in cells if _row(c) == key), key=lambda c: (c["repeat"], c["fold"]))
        n_train = np.mean([c["n_train"] for c in mine])
        n_test = np.mean([len(c["labels"]) for c in mine])
        for metric in ("auc", "log_loss"):
            values = [c["metrics"][metric] for c in mine]
            got = arms[key]["metrics"][metric]
            assert got["mean"] == pytest.approx(np.mean(values), rel=1e-12)
            low, high = _corrected_ci(values, n_train, n_test)
            assert (got["ci_low"], got["ci_high"]) == pytest.approx((low, high), rel=1e-9)
            if key == "real":
                assert not arms[key].get("vs_real")
                continue
            pairs = [(c, real[(c["repeat"], c["fold"])]) for c in mine]
            diffs = [a["metrics"][metric] - b["metrics"][metric] for a, b in pairs]
            vs = arms[key]["vs_real"][metric]
            assert vs["mean_diff"] == pytest.approx(np.mean(diffs), rel=1e-9, abs=1e-12)
            n_train_r = np.mean([b["n_train"] for _, b in pairs])
            n_test_r = np.mean([len(b["labels"]) for _, b in pairs])
            low, high = _corrected_ci(diffs, n_train_r, n_test_r)
            assert (vs["ci_low"], vs["ci_high"]) == pytest.approx((low, high), rel=1e-9)
            better = sum((d > 0) if metric == "auc" else (d < 0) for d in diffs)
            assert vs["folds_better"] == better and vs["n"] == len(diffs)
            checked += 1
    assert checked >= 2


def test_the_learning_curves_x_is_real_images_per_class(rebuild):
    folder, results = rebuild(CURVE)
    curve = results["learning_curve"]
    assert curve["sizes"] == ["16", "32", "all"]
    whole = [c["n_real"] / 2 for c in _cells(folder, "arm") if c.get("n_real")]
    assert curve["real_per_class"] == {"16": 16.0, "32": 32.0, "all": pytest.approx(np.mean(whole))}
    # the headline tables are the largest size's (the whole training part)
    assert results["size"] == "all"
    full = results["arms"]
    for key, points in curve["rows"].items():
        assert points["all"]["auc"]["mean"] == full[key]["metrics"]["auc"]["mean"]
        assert points["all"]["cells"] == full[key]["cells"]


def test_leakage_and_copies_across_the_split_are_computed_from_cards_and_folds(rebuild):
    folder, results = rebuild(QUICK)
    folds = _read(folder / "folds.json")
    gans = _cells(folder, "gan")
    seen_test = seen_val = outside = 0
    for cell in gans:
        card = _read(_card_path(folder, cell))
        part = folds["repeats"][cell["repeat"]][cell["fold"]]
        ids = set(card["train_ids"])
        seen_test += len(ids & set(part["test"]))
        seen_val += len(ids & set(part["val"]))
        outside += len(ids - set(part["train"]))
    leak = results["leakage"]
    assert leak["gan_cells_checked"] == len(gans) == 6
    assert (leak["test_images_seen"], leak["val_images_seen"]) == (seen_test, seen_val) == (0, 0)
    assert leak["ids_outside_training_part"] == outside == 0
    # the data checks found two pairs of copies; patient-level folds keep each pair on one
    # side of every fold's test/train line
    assert leak["duplicates_split"] == []


def test_copies_on_both_sides_of_a_folds_test_line_are_named(tmp_path, no_figures):
    """Plant it: move 188.png (a copy of 189.png, both in fold 1's training part) into
    fold 1's test part."""
    folder = _copy(QUICK, tmp_path)
    path = folder / "folds.json"
    folds = _read(path)
    part = folds["repeats"][0][1]
    assert {"188.png", "189.png"} <= set(part["train"])
    part["train"].remove("188.png")
    part["test"].append("188.png")
    _write(path, folds)
    leak = write_report(folder)["leakage"]
    assert leak["duplicates_split"] == [{"repeat": 0, "fold": 1, "images": ["188.png", "189.png"]}]
    assert (
        "repeat 0 fold 1: the copies 188.png, 189.png (data checks)"
        in (folder / "results.md").read_text()
    )


@pytest.mark.parametrize("part, field", [("test", "test_images_seen"), ("val", "val_images_seen")])
def test_a_gan_that_trained_on_its_folds_held_out_images_is_caught(
    tmp_path, no_figures, part, field
):
    """Plant one held-out image (and one id from no part at all) in a GAN's model card."""
    folder = _copy(QUICK, tmp_path)
    folds = _read(folder / "folds.json")
    gan = _cells(folder, "gan")[3]
    card_path = _card_path(folder, gan)
    card = _read(card_path)
    planted = folds["repeats"][gan["repeat"]][gan["fold"]][part][0]
    card["train_ids"] = [*card["train_ids"], planted, "elsewhere/x.png"]
    _write(card_path, card)
    leak = write_report(folder)["leakage"]
    other = {"test_images_seen": "val_images_seen", "val_images_seen": "test_images_seen"}[field]
    assert leak[field] == 1 and leak[other] == 0
    assert leak["ids_outside_training_part"] == 2  # the held-out image and the stranger
    (cell,) = leak["cells"]
    assert cell["cell"] == gan["cell"] and cell[field] == [planted]
    assert cell["train_ids"] == len(card["train_ids"])
    words = "1 test image(s) and 0 validation" if part == "test" else "0 test image(s) and 1"
    assert words in (folder / "results.md").read_text()


def test_a_card_without_training_ids_counts_as_unknown_not_clean(tmp_path, no_figures):
    folder = _copy(QUICK, tmp_path)
    gan = _cells(folder, "gan")[0]
    card_path = _card_path(folder, gan)
    card = _read(card_path)
    del card["train_ids"]
    _write(card_path, card)
    leak = write_report(folder)["leakage"]
    assert leak["cards_without_train_ids"] == [gan["cell"]]
    assert leak["gan_cells_checked"] == 5


def test_cost_and_predictions_come_from_the_cells(rebuild):
    folder, results = rebuild(QUICK)
    gans = _cells(folder, "gan")
    cost = results["cost"]["gan"]["p1_dcgan32_head_ct"]
    seconds = sum(c["seconds"] for c in gans)
    epochs = sum(c["epochs"] for c in gans)
    assert cost["cells"] == 6 and cost["seconds_per_epoch"] == pytest.approx(seconds / epochs)
    seen = sum(c["epochs"] * c["n_train"] for c in gans)
    assert cost["seconds_per_1000_images"] == pytest.approx(1000 * seconds / seen)
    arms = _cells(folder, "arm")
    clf = results["cost"]["classifier"]
    train = sum(c["training"]["train_seconds"] for c in arms)
    steps = sum(s["training"]["steps"] for c in arms for s in c["seeds"])
    assert clf["ms_per_step"] == pytest.approx(1000 * train / steps)
    outside = (sum(c["seconds"] for c in arms) - train) / len(arms)
    assert clf["seconds_outside_training_per_cell"] == pytest.approx(outside)
    assert results["seconds"]["gan"] == pytest.approx(round(seconds, 1))

    with open(folder / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(len(c["labels"]) for c in arms)
    names = results["class_names"]
    by_cell = {(c["repeat"], c["fold"], c["arm"]): c for c in arms}
    for row in rows[:: max(1, len(rows) // 50)]:
        cell = by_cell[(int(row["repeat"]), int(row["fold"]), row["arm"])]
        i = cell["ids"].index(row["image_id"])
        p = cell["probs"][i]
        assert row["true_label"] == names[cell["labels"][i]]
        assert float(row[f"probability_{names[1]}"]) == pytest.approx(p[1], abs=1e-6)
        assert row["predicted"] == names[int(np.argmax(p))]


def test_gan_train_scores_are_fold_means_with_t_intervals_clipped_to_0_1(rebuild):
    folder, results = rebuild(QUICK)
    cells = _cells(folder, "gan_train")
    table = results["gan_train"]["p1_dcgan32_head_ct"]
    assert table["folds"] == len(cells) == 3
    for which in ("real", "gan_train", "gan_test"):
        for m in ("sensitivity", "specificity", "hm"):
            values = np.array([c["scores"][which][m] for c in cells], float)
            half = sp.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
            got = table[which][m]
            assert got["mean"] == pytest.approx(values.mean())
            want = [max(0.0, values.mean() - half), min(1.0, values.mean() + half)]
            assert got["ci"] == pytest.approx(want)


@pytest.fixture
def saved_figures(monkeypatch):
    """The figures the report saves, kept for reading back what they show."""
    import matplotlib.figure

    figures = []
    real_savefig = matplotlib.figure.Figure.savefig

    def keep(fig, path, *args, **kwargs):
        figures.append((pathlib.Path(path).name, fig))
        return real_savefig(fig, path, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    return figures


def test_the_figures_show_the_reported_means_and_intervals(tmp_path, saved_figures):
    folder = _copy(CURVE, tmp_path)
    results = write_report(folder)
    figs = dict(saved_figures)
    assert set(figs) == {"results.png", "learning_curve.png"}
    # results.png: one horizontal bar per arm, length = the mean, error bar = the interval
    rows = list(results["arms"].items())
    for ax, metric in zip(figs["results.png"].axes, ("auc", "log_loss", "accuracy")):
        widths = [bar.get_width() for bar in ax.patches]
        assert widths == pytest.approx([e["metrics"][metric]["mean"] for _, e in rows])
        (bars,) = [c for c in ax.collections if len(c.get_segments())]
        spans = [sorted(seg[:, 0]) for seg in bars.get_segments()]
        want = [(e["metrics"][metric]["ci_low"], e["metrics"][metric]["ci_high"]) for _, e in rows]
        np.testing.assert_allclose(spans, want, rtol=1e-9)
        # the dashed line is the real arm's mean
        (line,) = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
        assert line.get_xdata()[0] == pytest.approx(
            results["arms"]["real"]["metrics"][metric]["mean"]
        )
    bars = figs["results.png"]
    assert [ax.get_title() for ax in bars.axes] == [
        "AUC (higher is better)",
        "log-loss (lower is better)",
        "accuracy at the validation threshold",
    ]
    assert [t.get_text() for t in bars.axes[0].get_yticklabels()] == [k for k, _ in rows]
    assert bars.axes[0].get_xlim() == (0, 1) and bars.axes[2].get_xlim() == (0, 1)
    assert bars.axes[1].get_xlim()[1] > 1  # log-loss is not a proportion
    assert bars._suptitle.get_text() == "head_ct: 1×5-fold CV, 95 % corrected intervals"
    # learning_curve.png: per arm, AUC (left) and Δ AUC (right) at each real-per-class x
    curve = results["learning_curve"]
    fig = figs["learning_curve.png"]
    left, right = fig.axes[:2]
    assert fig._suptitle.get_text() == (
        "head_ct: learning curve, 1×5-fold CV, 95 % corrected intervals"
    )
    for ax, title in ((left, "AUC (higher is better)"), (right, "Δ AUC vs real-only")):
        assert ax.get_title() == title and ax.get_xlabel() == "real training images per class"
        assert ax.get_xscale() == "log" and ax.xaxis.get_transform().base == 2
    assert left.get_ylim() == (0.0, 1.02)
    (zero,) = [ln for ln in right.lines if ln.get_linestyle() == "--"]
    assert list(zero.get_ydata()) == [0.0, 0.0]
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert legend == list(curve["rows"])
    for panel, get, key, bound in (
        (left, lambda p: p["auc"], "mean", (0.0, 1.0)),
        (right, lambda p: p["vs_real"].get("auc"), "mean_diff", (-1.0, 1.0)),
    ):
        for container in panel.containers:  # error bars: the intervals, clipped to the range
            points = curve["rows"][container.get_label()]
            labs = [lab for lab in curve["sizes"] if lab in points]
            spans = [sorted(seg[:, 1]) for seg in container.lines[2][0].get_segments()]
            want = [
                np.clip([get(points[lab])["ci_low"], get(points[lab])["ci_high"]], *bound)
                for lab in labs
            ]
            np.testing.assert_allclose(spans, want, rtol=1e-9)
            assert get(points[labs[0]])[key] == pytest.approx(container.lines[0].get_ydata()[0])
    shown = {c.get_label(): c.lines[0] for c in left.containers}
    assert set(shown) == set(curve["rows"])
    for key, line in shown.items():
        points = curve["rows"][key]
        labs = [lab for lab in curve["sizes"] if lab in points]
        assert list(line.get_ydata()) == pytest.approx([points[lab]["auc"]["mean"] for lab in labs])
        x = np.array([curve["real_per_class"][lab] for lab in labs])
        assert np.allclose(line.get_xdata() / x, line.get_xdata()[0] / x[0])  # one shift
        assert abs(line.get_xdata()[0] / x[0] - 1) < 0.05
    deltas = {c.get_label(): c.lines[0] for c in right.containers}
    assert "real" not in deltas and set(deltas) == set(curve["rows"]) - {"real"}
    for key, line in deltas.items():
        points = curve["rows"][key]
        want = [points[lab]["vs_real"]["auc"]["mean_diff"] for lab in curve["sizes"]]
        assert list(line.get_ydata()) == pytest.approx(want)


def test_an_archive_keeps_the_small_files_hides_this_machine_and_reports(tmp_path, no_figures):
    """``archive_results``: settings, folds, data checks, cells, logs, cards and loss plots
    are copied, the generators are not, this machine's places become placeholders, and the
    copy reports (its leakage check reads the copied cards)."""
    out = _copy(QUICK, tmp_path / "run")
    data = tmp_path / "images"
    config = _read(out / "config.json")
    config.update(out=str(out), data=f"folder:{data}")
    _write(out / "config.json", config)
    (out / "study.log").write_text(f"training in {out}/gans on {data}/bleed/001.png\n")
    card = sorted(out.glob("gans/*/*/*/export/generator_*.json"))[0]
    card.with_suffix(".h5").write_bytes(b"weights")  # a generator: stays behind
    (out / "gans" / "notes.txt").write_text("not archived")

    dest = report.archive_results(out, tmp_path / "archive")
    assert dest == tmp_path / "archive"
    copied = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    source = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    kept = [p for p in source if not p.endswith((".h5", ".txt"))]
    assert set(copied) == set(kept) | {"results.json", "results.md", "predictions.csv"}
    assert len([p for p in copied if p.startswith("cells/")]) == 24
    assert len([p for p in copied if p.endswith(".png") and "/loss_" in p]) == 6
    log = (dest / "study.log").read_text()
    assert log == "training in <study>/gans on <data>/bleed/001.png\n"
    archived = _read(dest / "config.json")
    assert archived["out"] == "<study>" and archived["data"] == "folder:<data>"
    assert str(tmp_path) not in (dest / "results.md").read_text()
    assert _read(dest / "results.json")["leakage"]["gan_cells_checked"] == 6
    with pytest.raises(report.StudyError, match="holds no study"):
        report.archive_results(tmp_path / "images", tmp_path / "elsewhere")


def test_a_learning_curve_gan_must_train_inside_its_sizes_subset(tmp_path, no_figures):
    """A 16-per-class GAN that trained on a training-part image outside its 16 leaks the
    larger size into the smaller point: counted as outside its training part."""
    folder = _copy(CURVE, tmp_path)
    folds = _read(folder / "folds.json")
    gan = next(c for c in _cells(folder, "gan", 16) if (c["repeat"], c["fold"]) == (0, 0))
    part = folds["repeats"][0][0]
    subset, train = set(part["train_by_size"]["16"]), part["train"]
    card_path = _card_path(folder, gan)
    card = _read(card_path)
    assert set(card["train_ids"]) <= subset
    clean = write_report(folder)["leakage"]
    assert clean["ids_outside_training_part"] == clean["test_images_seen"] == 0
    card["train_ids"] = [*card["train_ids"], next(i for i in train if i not in subset)]
    _write(card_path, card)
    leak = write_report(folder)["leakage"]
    assert leak["ids_outside_training_part"] == 1 and leak["test_images_seen"] == 0
    assert [c["cell"] for c in leak["cells"]] == [gan["cell"]]


def test_the_studys_confidence_level_is_the_one_reported(tmp_path, no_figures):
    """A study run at 90 % reports 90 % intervals everywhere, and says 90 %."""
    folder = _copy(CURVE, tmp_path)
    config = _read(folder / "config.json")
    config["confidence"] = 0.9
    _write(folder / "config.json", config)
    results = write_report(folder)
    real = sorted(_cells(folder, "arm"), key=lambda c: c["fold"])
    real = [c for c in real if _row(c) == "real"]
    n_train = np.mean([c["n_train"] for c in real])
    n_test = np.mean([len(c["labels"]) for c in real])
    auc = results["arms"]["real"]["metrics"]["auc"]
    values = [c["metrics"]["auc"] for c in real]
    want = _corrected_ci(values, n_train, n_test, confidence=0.9)
    assert (auc["ci_low"], auc["ci_high"]) == pytest.approx(want, rel=1e-9)
    wider = _corrected_ci(values, n_train, n_test, confidence=0.95)
    assert wider[1] - wider[0] > want[1] - want[0]
    text = (folder / "results.md").read_text()
    assert "90 % corrected repeated-CV interval" in text and "with 90 % corrected" in text
    assert "95 %" not in text and "α = 0.1" in text


def test_an_unfinished_study_says_which_cells_are_missing(tmp_path, no_figures):
    folder = _copy(QUICK, tmp_path)
    for name in ("r0-f2-arm-classical", "r0-f1-gantrain-p1_dcgan32_head_ct"):
        (folder / "cells" / f"{name}.json").unlink()
    results = write_report(folder)
    assert results["missing"] == ["r0-f1-gantrain-p1_dcgan32_head_ct", "r0-f2-arm-classical"]
    assert (results["cells_done"], results["cells_planned"]) == (22, 24)
    assert results["arms"]["classical"]["cells"] == 2
    assert results["gan_train"]["p1_dcgan32_head_ct"]["folds"] == 2
    text = (folder / "results.md").read_text()
    assert (
        "**Incomplete**: 2 cell(s) not finished, e.g. r0-f1-gantrain-p1_dcgan32_head_ct, " in text
    )
    assert "Cells finished: 22 of 24." in text
