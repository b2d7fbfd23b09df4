"""scripts/gpu_check.py in its CPU --dry-run: it runs the train CLI and writes the JSON a
session with a GPU will commit (the real run is the same code with more precisions)."""

import json
import pathlib
import subprocess
import sys

from tests.conftest import subprocess_env

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.py"


def test_gpu_check_dry_run_writes_per_epoch_numbers(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--out",
            str(tmp_path),
            "--dry-run",
            "--epochs",
            "2",
            "--batch-size",
            "4",
        ],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads((tmp_path / "gpu_check.json").read_text())
    assert result["dry_run"] and result["devices"]
    (run,) = result["runs"]
    assert (run["precision"], run["jit"], run["returncode"]) == ("fp32", "off", 0)
    assert [r["epoch"] for r in run["per_epoch"]] == [1, 2]
    assert all("w_distance" in r for r in run["per_epoch"])
    assert run["images_per_second"] > 0
