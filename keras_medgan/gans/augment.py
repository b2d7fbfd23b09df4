"""DiffAugment (Zhao et al., 2020) for grayscale images: translation, cutout, brightness.

With ~100 training images a discriminator memorises the set within a few hundred epochs.
DiffAugment applies the SAME family of random, differentiable transforms to real and fake
images before D (in both the D and the G step), so D cannot memorise pixels while G still
receives gradients through the transform. Colour saturation/contrast from the original
policy are left out: they are meaningless or redundant for one-channel CT/MR.

Each transform is a pure function ``fn(x, u)`` of an image batch ``x`` [B, H, W, C] and
per-sample uniforms ``u`` [B, k] in [0, 1) (drawn by the GAN from its replica-safe seeded
stream), so it is deterministic given ``u`` and testable. ``DIFF_AUGMENTS`` maps a policy
name to ``(fn, k)``.
"""

from __future__ import annotations

from collections.abc import Iterable

from keras import ops

from keras_medgan.core.registry import Registry

DIFF_AUGMENTS: Registry = Registry("DiffAugment transform")


def _shift_matrix(size: int, shifts):
    """[B, size, size] one-hot matrices M with (M @ v)[i] = v[i - shift] (0 outside)."""
    i = ops.arange(size, dtype="int32")
    src = i[None, :, None] - shifts[:, None, None]
    return ops.cast(ops.equal(i[None, None, :], src), "float32")


def translation(x, u, ratio: float = 0.125):
    """Shift each image by up to ``ratio`` of its size in y and x, zero-filled.

    Done with one-hot shift matrices (two batched matmuls), which is differentiable,
    XLA-friendly and exact.
    """
    x = ops.cast(x, "float32")
    h, w = int(x.shape[1]), int(x.shape[2])
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = ops.cast(ops.floor(u[:, 0] * (2 * sy + 1)), "int32") - sy
    dx = ops.cast(ops.floor(u[:, 1] * (2 * sx + 1)), "int32") - sx
    x = ops.einsum("bik,bkwc->biwc", _shift_matrix(h, dy), x)
    return ops.einsum("bjl,bilc->bijc", _shift_matrix(w, dx), x)


def cutout(x, u, ratio: float = 0.5):
    """Zero one square of side ``ratio``·size at a random centre per image."""
    x = ops.cast(x, "float32")
    h, w = int(x.shape[1]), int(x.shape[2])
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    y0 = ops.cast(ops.floor(u[:, 0] * h), "int32") - ch // 2
    x0 = ops.cast(ops.floor(u[:, 1] * w), "int32") - cw // 2
    iy = ops.arange(h, dtype="int32")[None, :]
    ix = ops.arange(w, dtype="int32")[None, :]
    in_y = ops.logical_and(iy >= y0[:, None], iy < (y0 + ch)[:, None])
    in_x = ops.logical_and(ix >= x0[:, None], ix < (x0 + cw)[:, None])
    inside = ops.logical_and(in_y[:, :, None], in_x[:, None, :])
    keep = 1.0 - ops.cast(inside, "float32")
    return x * keep[:, :, :, None]


def brightness(x, u):
    """Add one offset in [-0.5, 0.5) per image (images live in [-1, 1])."""
    x = ops.cast(x, "float32")
    return x + (u[:, 0] - 0.5)[:, None, None, None]


DIFF_AUGMENTS.register("translation", (translation, 2))
DIFF_AUGMENTS.register("cutout", (cutout, 2))
DIFF_AUGMENTS.register("brightness", (brightness, 1))


def parse_policy(policy) -> tuple[str, ...]:
    """``"translation,cutout"`` / list / None / "" → validated tuple of transform names."""
    if not policy:
        return ()
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = tuple(n.strip() for n in names if n.strip())
    for name in names:
        if name not in DIFF_AUGMENTS:
            raise ValueError(
                f"Unknown DiffAugment transform. Received: {name!r}; "
                f"valid: {', '.join(DIFF_AUGMENTS.names())}"
            )
    return names


def diff_augment(x, names: Iterable[str], uniform):
    """Apply the transforms in order; ``uniform(k)`` returns per-sample uniforms [B, k]."""
    for name in names:
        fn, k = DIFF_AUGMENTS.get(name)
        x = fn(x, uniform(k))
    return x
