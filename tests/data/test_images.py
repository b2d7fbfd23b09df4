"""PNG/JPG reader: bit depths, channel layouts, junk."""

import cv2
import numpy as np
import pytest

from keras_medgan.data import DataError
from keras_medgan.data.images import read_image


def _write(path, img):
    assert cv2.imwrite(str(path), img)
    return path


def test_8_bit_gray(tmp_path):
    img = np.arange(256, dtype=np.uint8).reshape(16, 16)
    out = read_image(_write(tmp_path / "g.png", img))[0]
    assert out.dtype == np.float32 and out.shape == (16, 16)
    np.testing.assert_allclose(out, img / 255.0, atol=1e-7)


def test_16_bit_kept_16_bit(tmp_path):
    img = (np.arange(256, dtype=np.uint16) * 256 + 1).reshape(16, 16)
    out = read_image(_write(tmp_path / "g16.png", img))[0]
    np.testing.assert_allclose(out, img / 65535.0, atol=1e-7)
    assert len(np.unique(out)) == 256 and out.min() > 0  # not cut to 8 bits


def test_rgb_and_rgba_become_luminance(tmp_path):
    bgr = np.zeros((4, 4, 3), np.uint8)
    bgr[..., 0], bgr[..., 1], bgr[..., 2] = 10, 100, 200  # B, G, R
    expected = (0.114 * 10 + 0.587 * 100 + 0.299 * 200) / 255
    assert read_image(_write(tmp_path / "c.png", bgr))[0][0, 0] == pytest.approx(
        expected, abs=1 / 255
    )
    bgra = np.concatenate([bgr, np.full((4, 4, 1), 255, np.uint8)], axis=2)
    assert read_image(_write(tmp_path / "c4.png", bgra))[0][0, 0] == pytest.approx(
        expected, abs=1 / 255
    )


def test_jpeg(tmp_path):
    img = np.full((20, 30), 128, np.uint8)
    out = read_image(_write(tmp_path / "j.jpg", img))[0]
    assert out.shape == (20, 30)
    assert abs(out.mean() - 128 / 255) < 2 / 255


def test_junk_zero_byte_and_truncated(tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_text("definitely not a png")
    with pytest.raises(DataError, match="junk.png: not a readable image"):
        read_image(junk)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty.png: empty file"):
        read_image(empty)
    good = _write(tmp_path / "good.png", np.full((64, 64), 7, np.uint8))
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:40])
    with pytest.raises(DataError, match="cut.png: not a readable image"):
        read_image(cut)
    with pytest.raises(DataError, match="missing.png: file not found"):
        read_image(tmp_path / "missing.png")
