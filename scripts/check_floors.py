"""Install the declared dependency floors exactly, then the built wheel, and smoke-test it.

CI installs the newest releases only; this checks that the lowest versions setup.cfg
admits still work (issue #29). It builds a wheel of the checkout, creates a virtualenv,
installs every ``install_requires`` entry pinned to the lowest release its floor admits
(``>=X`` → ``==`` the first release ≥ X) and the wheel without touching those pins, then, from an empty folder:

* ``load_pretrained("p1_head_ct").generate(4, label="normal")`` (the shipped generators
  travel in the wheel);
* ``keras-medgan train --help`` (the fast path: no TensorFlow import);
* one epoch of ``keras-medgan train --arch dcgan32 --data phantom:n=40 --batch-size 8``;
* ``keras-medgan synthesize --generators p1_head_ct --n 4``.

    python scripts/check_floors.py --venv /tmp/floors --out floors.json

Safe to rerun (an existing ``--venv`` is reused). Needs the package registry and ≈ 2 GB.
"""

from __future__ import annotations

import argparse
import configparser
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def floors(setup_cfg: pathlib.Path = ROOT / "setup.cfg") -> list[tuple[str, str]]:
    """``(name, floor)`` for every install requirement of setup.cfg (refuses one without a
    ``>=`` floor: an unbounded requirement cannot be checked at its lowest version)."""
    cfg = configparser.ConfigParser()
    cfg.read(setup_cfg)
    pins = []
    for line in cfg["options"]["install_requires"].split("\n"):
        line = line.strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][0-9A-Za-z.\-]*)", line)
        if not match:
            raise SystemExit(f"setup.cfg: {line!r} has no plain '>=' floor to pin")
        pins.append((match.group(1), match.group(2)))
    return pins


def lowest_release(py: pathlib.Path, name: str, floor: str) -> str:
    """The lowest final release >= ``floor`` the registry offers (``tensorflow>=2.16``
    admits 2.16.1, as 2.16.0 was never released)."""
    try:
        from packaging.version import Version
    except ImportError:  # pip vendors it
        from pip._vendor.packaging.version import Version
    out = subprocess.run(
        [str(py), "-m", "pip", "index", "versions", name],
        check=False,
        capture_output=True,
        text=True,
    ).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("Available versions:")), "")
    versions = sorted(Version(v.strip()) for v in line.split(":", 1)[-1].split(",") if v.strip())
    ok = [v for v in versions if v >= Version(floor) and not v.is_prerelease]
    if not ok:
        raise SystemExit(f"no release of {name} >= {floor} in the registry")
    return str(ok[0])


SMOKE = """
import time, keras_medgan as k
t = time.time()
images = k.load_pretrained('p1_head_ct').generate(4, label='normal')
print('generate', images.shape, f'{time.time() - t:.1f}s')
assert images.shape == (4, 32, 32, 1)
"""


def run(cmd: list[str], cwd=None) -> tuple[int, str, float]:
    start = time.time()
    proc = subprocess.run(cmd, check=False, cwd=cwd, capture_output=True, text=True)
    return proc.returncode, (proc.stdout + proc.stderr)[-2000:], round(time.time() - start, 2)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--venv",
        default="/tmp/keras_medgan_floors",
        help="virtualenv to create or reuse (default %(default)s)",
    )
    p.add_argument("--out", default=None, help="write the results as JSON here")
    args = p.parse_args(argv)

    venv = pathlib.Path(args.venv)
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    pins = [f"{name}=={lowest_release(py, name, floor)}" for name, floor in floors()]
    print("floors:", " ".join(pins), flush=True)
    steps = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        code, log, secs = run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                str(ROOT),
                "--no-deps",
                "--no-build-isolation",
                "-q",
                "-w",
                str(tmp / "dist"),
            ]
        )
        steps["build wheel"] = {"rc": code, "seconds": secs, "log": log if code else ""}
        if code:
            print(log)
            return 1
        wheel = next((tmp / "dist").glob("*.whl"))
        steps["wheel MB"] = round(wheel.stat().st_size / 1e6, 1)
        (tmp / "floors.txt").write_text("\n".join(pins) + "\n")
        code, log, secs = run(
            [str(py), "-m", "pip", "install", "-q", "-r", str(tmp / "floors.txt")]
        )
        steps["install floors"] = {"rc": code, "seconds": secs, "log": log if code else ""}
        code2, log2, secs2 = run(
            [str(py), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(wheel)]
        )
        steps["install wheel"] = {"rc": code2, "seconds": secs2, "log": log2 if code2 else ""}
        if code or code2:
            print(log, log2)
        empty = tmp / "empty"
        empty.mkdir()
        bin_ = venv / "bin"
        checks = {
            "pip check": [str(py), "-m", "pip", "check"],
            "load_pretrained + generate": [str(py), "-c", SMOKE],
            "keras-medgan train --help": [str(bin_ / "keras-medgan"), "train", "--help"],
            "train 1 epoch on the phantom": [
                str(bin_ / "keras-medgan"),
                "train",
                "--arch",
                "dcgan32",
                "--data",
                "phantom:n=40",
                "--batch-size",
                "8",
                "--epochs",
                "1",
                "--out",
                str(tmp / "runs"),
            ],
            "synthesize --generators p1_head_ct": [
                str(bin_ / "keras-medgan"),
                "synthesize",
                "--model",
                "p1_head_ct",
                "--n",
                "4",
                "--out",
                str(tmp / "synth"),
            ],
        }
        for name, cmd in checks.items():
            code, log, secs = run(cmd, cwd=empty)
            steps[name] = {"rc": code, "seconds": secs, "tail": log[-400:]}
            print(f"{'ok ' if code == 0 else 'FAIL'} {name} ({secs} s)", flush=True)
        versions = run([str(py), "-m", "pip", "freeze"])[1]
    result = {
        "floors": pins,
        "steps": steps,
        "python": sys.version.split()[0],
        "installed": sorted(
            line
            for line in versions.splitlines()
            if line.split("==")[0].lower().replace("_", "-")
            in {p.split("==")[0].lower().replace("_", "-") for p in pins}
            | {"keras", "ml-dtypes", "h5py"}
        ),
    }
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    failed = [n for n, s in steps.items() if isinstance(s, dict) and s["rc"] != 0]
    print("failed: " + ", ".join(failed) if failed else "all floors checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
