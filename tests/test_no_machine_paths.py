"""No file of the repository names a path of the machines it was developed on (issue
#29): users download the data sets themselves and point KERAS_MEDGAN_DATA / --data-dir
at them, and archived results name their folders by placeholders."""

import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: written in pieces so that this file does not match itself
FORBIDDEN = ["/" + "work/", "../" + "shared", "/" + "root/", "shared" + "/data/head_ct"]
SKIP_SUFFIXES = {".h5", ".png", ".keras", ".whl", ".gz", ".zip", ".pb", ".npz", ".dcm"}


def _tracked_files():
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        return [ROOT / line for line in out.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        skip = {".git", ".venv", "venv", "runs", "mutants", "build", "dist", "__pycache__"}
        return [
            p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)
        ]


def _hits(paths) -> list[str]:
    hits = []
    for path in paths:
        if path.suffix in SKIP_SUFFIXES or not path.is_file():
            continue
        try:
            text = path.read_text(errors="ignore")
        except OSError:
            continue
        hits += [f"{path.name}: {word}" for word in FORBIDDEN if word in text]
    return hits


def test_no_tracked_file_names_a_path_of_our_machines():
    assert not _hits(_tracked_files())


def test_the_check_finds_a_planted_path(tmp_path):
    planted = tmp_path / "notes.md"
    planted.write_text("KERAS_MEDGAN_DATA=" + FORBIDDEN[0] + "shared/data python -m ...\n")
    (tmp_path / "ok.md").write_text("KERAS_MEDGAN_DATA=~/keras_medgan_data\n")
    assert _hits([planted, tmp_path / "ok.md"]) == [f"notes.md: {FORBIDDEN[0]}"]


def test_the_code_cites_no_document_outside_the_repository():
    """Comments explain themselves; they do not send a maintainer to a document this
    repository does not hold (the team's pitfalls notes are not shipped)."""
    word = "PIT" + "FALLS"  # in pieces, so that this file does not match itself
    cited = [
        str(p.relative_to(ROOT))
        for p in _tracked_files()
        if p.suffix == ".py" and p.is_file() and word in p.read_text(errors="ignore")
    ]
    assert cited == []
