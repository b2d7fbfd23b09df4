"""runs/<n>/report.html: self-contained (every image a data URI), the key numbers shown,
sample grids thinned evenly, evaluation numbers when an evaluation sits in the run folder;
headless Chromium loads it with every image decoded; training writes it."""

import base64
import json
import re

import numpy as np
import pytest

from keras_medgan.training.run_report import MAX_SAMPLE_GRIDS, write_run_report


def _png(path, value=0.5):
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((8, 8), int(255 * value), np.uint8))


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "00003-dcgan32-head_ct"
    run.mkdir()
    (run / "config.json").write_text(
        json.dumps({"arch": "dcgan32", "data": "head_ct", "epochs": 40, "command": "python -m x"})
    )
    (run / "summary.json").write_text(
        json.dumps(
            {
                "normal": {
                    "name": "normal",
                    "status": "trained",
                    "epochs": 40,
                    "final_metrics": {"d_loss": 1.23456, "g_loss": 0.98765},
                    "export": {},
                }
            }
        )
    )
    _png(run / "loss_normal.png")
    _png(run / "real_vs_fake_normal.png")
    for epoch in range(2, 42, 2):  # 20 grids
        _png(run / "samples" / "normal" / f"epoch_{epoch:05d}.png", epoch / 50)
    (run / "export").mkdir()
    (run / "export" / "generator_normal.json").write_text(
        json.dumps(
            {
                "arch": "dcgan32",
                "label": "normal",
                "epochs": 40,
                "train_ids": [f"{i}.png" for i in range(64)],
            }
        )
    )
    (run / "eval").mkdir()
    (run / "eval" / "results.json").write_text(
        json.dumps({"meta": {}, "metrics": {"swd": {"normal": {"swd_x1e3": 51.5}}}, "figures": {}})
    )
    return run


def test_page_is_self_contained_and_shows_the_numbers(run_dir):
    page = write_run_report(run_dir).read_text()
    sources = re.findall(r"<img src='([^']*)'", page)
    assert len(sources) == 2 + MAX_SAMPLE_GRIDS
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    for text in (
        "1.235",
        "0.9877",
        "40 epochs",
        f"{MAX_SAMPLE_GRIDS} of 20 grids",
        "epoch 2<",
        "epoch 40<",
        "64 images, e.g. 0.png",
        "swd.normal.swd_x1e3",
        "51.5",
        "--resume",
        "synthesize --generator",
    ):
        assert text in page, text


def test_page_in_headless_chromium_loads_every_image(run_dir, browser):
    path = write_run_report(run_dir)
    browser.get(path.resolve().as_uri())
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);"
    )
    assert len(images) == 2 + MAX_SAMPLE_GRIDS
    assert all(done and width > 0 for done, width in images)
    body = browser.find_element("tag name", "body").text
    assert "1.235" in body and "51.5" in body and "status: trained" in body
