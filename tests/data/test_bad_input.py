"""Bad input: skipped with a message naming file and reason; strict makes it fatal;
nothing the user gave is modified."""

import hashlib
import logging
import pathlib

import pytest

from keras_medgan.data import DataError, load_image_set

from .fixtures import write_class_folders, write_head_ct, write_rsna


def _tree_digest(root):
    h = hashlib.sha1()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def messy_folder(tmp_path):
    root = write_class_folders(tmp_path / "messy", n=4)
    (root / "no" / "zero.png").write_bytes(b"")
    (root / "no" / "junk.png").write_text("not an image")
    (root / "yes" / "notes.xyz").write_text("?")
    (root / "yes" / "scan.dcm").write_text("not dicom either")
    (root / "empty_class").mkdir()
    return root


def test_bad_files_are_skipped_and_summarised(messy_folder, caplog):
    before = _tree_digest(messy_folder)
    with caplog.at_level(logging.WARNING, logger="keras_medgan.data"):
        s = load_image_set(f"folder:{messy_folder}", split="all", cache=False)
    assert s.counts() == {"empty_class": 0, "no": 4, "yes": 4}
    reasons = {p.split("/")[-1]: r for p, r in s.skipped}
    assert reasons["zero.png"].startswith("empty file")
    assert reasons["junk.png"].startswith("not a readable image")
    assert reasons["notes.xyz"].startswith("unsupported file type '.xyz'")
    assert reasons["scan.dcm"].startswith("not a DICOM file")
    assert reasons["empty_class"] == "class 'empty_class' has no images"
    assert "skipped" in caplog.text and "junk.png" in caplog.text
    assert _tree_digest(messy_folder) == before


def test_strict_makes_the_first_bad_file_fatal(messy_folder):
    with pytest.raises(DataError, match=r"(empty_class|junk\.png|zero\.png|notes\.xyz|scan\.dcm)"):
        load_image_set(f"folder:{messy_folder}", split="all", strict=True, cache=False)


def test_strict_also_fatal_from_the_array_cache(messy_folder, tmp_path):
    root = write_class_folders(tmp_path / "c", n=3)
    (root / "no" / "junk.png").write_text("x")
    load_image_set(f"folder:{root}", split="all")  # fills the cache
    with pytest.raises(DataError, match="junk.png"):
        load_image_set(f"folder:{root}", split="all", strict=True)


def test_csv_row_without_file_and_file_without_label(tmp_path):
    root = write_head_ct(tmp_path / "h", n=6)
    (root / "head_ct" / "002.png").unlink()
    (root / "head_ct" / "777.png").write_bytes((root / "head_ct" / "001.png").read_bytes())
    s = load_image_set("head_ct", data_dir=root, split="all", cache=False)
    reasons = {p.split("/")[-1]: r for p, r in s.skipped}
    assert "listed in" in reasons["002.png"] and "missing" in reasons["002.png"]
    assert reasons["777.png"].startswith("no label for this file")
    assert len(s) == 5


def test_rsna_truncated_and_missing(tmp_path):
    root = write_rsna(tmp_path / "r", n=4)
    (root / "stage_2_train" / "ID_0001.dcm").unlink()
    victim = root / "stage_2_train" / "ID_0002.dcm"
    victim.write_bytes(victim.read_bytes()[:-3000])
    s = load_image_set("rsna_ich", data_dir=root, split="all", cache=False)
    reasons = {p.split("/")[-1]: r for p, r in s.skipped}
    assert "missing" in reasons["ID_0001.dcm"]
    assert "truncated" in reasons["ID_0002.dcm"]
    assert len(s) == 2


def test_empty_dataset_is_one_clear_error(tmp_path):
    root = tmp_path / "nothing"
    (root / "a").mkdir(parents=True)
    (root / "a" / "bad.png").write_text("x")
    with pytest.raises(DataError, match="no usable images found|no images in split"):
        load_image_set(f"folder:{root}", split="all", cache=False)
    with pytest.raises(DataError, match="folder:PATH needs a path"):
        load_image_set("folder:")
    with pytest.raises(DataError, match="not found"):
        load_image_set(f"csv:{tmp_path / 'none.csv'}")


def test_duplicate_and_conflicting_csv_rows_are_named(tmp_path, caplog):
    from keras_medgan.data.errors import SkipLog
    from keras_medgan.data.labels import generic_csv

    from .fixtures import write_generic_csv

    csv_path = write_generic_csv(tmp_path / "set", n=4)
    csv_path.write_text(csv_path.read_text() + "imgs/0.png,b,pt0\nimgs/1.png,b,pt0\n")
    skips = SkipLog()
    files = generic_csv(csv_path, skips)
    kept = sorted(pathlib.Path(r.path).name for r in files.records)
    assert kept == ["0.png", "2.png", "3.png"]  # 1.png is 'a' in row 3 and 'b' in row 7
    reasons = " | ".join(reason for _, reason in skips.items)
    assert "labelled 'a' (row 3) and 'b' (row 7)" in reasons
    assert "listed twice in" in reasons and "(rows 2 and 6); kept once" in reasons
    with pytest.raises(DataError, match="0.png: listed twice .*rows 2 and 6"):  # --strict
        generic_csv(csv_path, SkipLog(strict=True))
