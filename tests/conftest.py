"""Shared test setup: quiet, CPU-only, deterministic TensorFlow; shared-data discovery."""

import atexit
import os
import pathlib
import shutil
import tempfile

# Hermetic caches: the phantom and decoded arrays are generated into a folder of this test
# session, never read from (or written to) the user's ~/.cache/keras_medgan, where a stale
# entry could make a test pass for the wrong reason.
_CACHE = tempfile.mkdtemp(prefix="keras_medgan_test_cache_")
os.environ["KERAS_MEDGAN_CACHE"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_HEAD_CT = REPO.parent / "shared" / "data" / "head_ct"

# Subprocesses (`python -m keras_medgan.…`) must run THIS checkout, not whatever copy of
# the package the interpreter has installed (another worktree's editable install, an old
# wheel): the checkout goes first on their PYTHONPATH.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)


def subprocess_env(**extra) -> dict:
    """A minimal environment for a tool run in a subprocess, importing this checkout."""
    return {
        "PYTHONPATH": os.environ["PYTHONPATH"],
        "PATH": "/usr/bin:/bin",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "",
        **extra,
    }


@pytest.fixture
def shared_head_ct():
    """The real Kaggle head CT set beside the checkout, or a skip saying why not."""
    if not (SHARED_HEAD_CT / "labels.csv").is_file():
        pytest.skip(f"real head CT set not found at {SHARED_HEAD_CT}")
    return SHARED_HEAD_CT


# Headless Chromium (Debian's chromium + chromium-driver, Selenium) for the pages people open
# in a browser. Skips with the reason when the browser, the driver or Selenium is missing.
# Nothing is downloaded: the driver and browser paths are given explicitly, so Selenium
# Manager is never asked to fetch one (SE_OFFLINE makes sure).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium not installed (pip install selenium)"
    )
    for path, pkg in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.path.isfile(path):
            pytest.skip(f"{path} not found (apt-get install -y {pkg})")
    os.environ["SE_OFFLINE"] = "true"
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()
