"""Procedurally generated "shapes" scenes with ground-truth object masks.

Every scene holds one coloured *class shape* (circle, square, triangle, star or cross) at a random
position, size and rotation, drawn over a textured background (gradient, stripes, checkerboard,
low-frequency blotches, pixel noise) together with distractors that belong to no class (thin lines,
specks and small irregular blobs). Because the object mask is known exactly, explanations such as
Grad-CAM can be scored objectively (e.g. the pointing game), not just eyeballed.

The generator uses numpy only (no TensorFlow) and renders every primitive as a signed distance
field, vectorised over the batch: edges are anti-aliased by the distance itself and the object mask
is simply ``sdf < 0``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["CLASS_NAMES", "ShapesData", "make_shapes"]

CLASS_NAMES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross")

# Scenes are rendered in chunks so that the (m, K, H, W) intermediates of a large request stay small.
# The random draws are made chunk by chunk, so changing this changes the scenes of every seed (and
# the bundled demo scenes would no longer match their seed): keep it fixed.
_CHUNK = 256

# Object size is its circumradius as a fraction of the shorter image side. The lower bound keeps the
# smallest object clearly larger than any distractor, so "small thing" never means "class shape".
_RADIUS_RANGE = (0.15, 0.30)
_MIN_CONTRAST = 0.35  # RGB distance between object colour and the background it covers


class ShapesData(NamedTuple):
    """A batch of shapes scenes.

    Attributes
    ----------
    images : numpy.ndarray
        ``(n, H, W, 3)`` float32 RGB in [0, 1].
    labels : numpy.ndarray
        ``(n,)`` int64 class indices into `class_names`.
    masks : numpy.ndarray
        ``(n, H, W)`` bool, True on the pixels of the class object.
    class_names : tuple of str
        Name of each class index.
    """

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    class_names: tuple[str, ...]


#: The size of the demo model's scenes (its input, and the scenes it was trained on).
IMAGE_SIZE = (64, 64)


def make_shapes(
    n: int,
    seed: int = 0,
    size: tuple[int, int] = (64, 64),
    *,
    distractors: bool = True,
    balanced: bool = True,
    difficulty: float = 1.0,
) -> ShapesData:
    """Generate `n` random shapes scenes, deterministically for a given seed.

    Parameters
    ----------
    n : int
        Number of scenes.
    seed : int, default 0
        Seed of the ``numpy.random.Generator`` that draws everything; equal seeds (and equal other
        arguments) give identical scenes.
    size : tuple of int, default (64, 64)
        Image ``(height, width)`` in pixels. The classes stay recognisable down to about 32 x 32.
    distractors : bool, default True
        Draw lines, specks and blobs that belong to no class.
    balanced : bool, default True
        If True every class occurs ``n // n_classes`` or one more times (in random order); otherwise
        labels are drawn independently.
    difficulty : float, default 1.0
        In [0, 1]. Scales the strength of background texture, distractors and pixel noise and lowers
        the minimum object contrast: 0 gives clean, high-contrast scenes (useful as a training
        curriculum and for first demonstrations), 1 the full data set. The random draws do not
        depend on it, so the same seed gives the same objects at every difficulty.

    Returns
    -------
    ShapesData
        ``images (n, H, W, 3)`` float32 in [0, 1], ``labels (n,)`` int64, ``masks (n, H, W)`` bool
        and ``class_names``.

    Examples
    --------
    >>> from convviz_widgets.datasets import make_shapes
    >>> data = make_shapes(10, seed=1)
    >>> data.images.shape, data.images.dtype, data.masks.shape
    ((10, 64, 64, 3), dtype('float32'), (10, 64, 64))
    >>> [data.class_names[i] for i in data.labels[:3]]  # doctest: +SKIP
    ['star', 'circle', 'cross']
    """
    n = int(n)
    difficulty = float(difficulty)
    if not 0.0 <= difficulty <= 1.0:
        raise ValueError(f"difficulty must be in [0, 1], got {difficulty}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    height, width = (int(s) for s in size)
    if min(height, width) < 16:
        raise ValueError(f"size must be at least (16, 16) so shapes stay recognisable, got {size}")
    rng = np.random.default_rng(seed)
    n_classes = len(CLASS_NAMES)
    if balanced:
        labels = rng.permutation(np.arange(n) % n_classes).astype(np.int64)
    else:
        labels = rng.integers(0, n_classes, size=n).astype(np.int64)

    images = np.empty((n, height, width, 3), np.float32)
    masks = np.empty((n, height, width), bool)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        img, mask = _render_chunk(rng, labels[start:stop], height, width, distractors, difficulty)
        images[start:stop] = img
        masks[start:stop] = mask
    return ShapesData(images, labels, masks, CLASS_NAMES)


# --------------------------------------------------------------------------------------------------
# Signed distance fields. All take local coordinates (already centred and rotated), in pixels, with
# arrays of shape (m, H, W) and per-scene sizes of shape (m, 1, 1); negative means inside.


def _sdf_circle(x, y, r):
    return np.hypot(x, y) - r


def _sdf_box(x, y, hx, hy):
    dx = np.abs(x) - hx
    dy = np.abs(y) - hy
    outside = np.hypot(np.maximum(dx, 0.0), np.maximum(dy, 0.0))
    return outside + np.minimum(np.maximum(dx, dy), 0.0)


def _sdf_regular_polygon(x, y, r, sides):
    # The max over the edges' half-plane distances is exact inside and near the edges, which is all
    # that anti-aliasing and the mask need.
    apothem = r * np.cos(np.pi / sides)
    d = None
    for k in range(sides):
        a = 2 * np.pi * k / sides
        e = x * np.cos(a) + y * np.sin(a) - apothem
        d = e if d is None else np.maximum(d, e)
    return d


def _sdf_star(x, y, r, points=5, inner=0.45):
    # Fold the plane into one half-spike (angle in [0, pi/points]) where the boundary is the single
    # segment from the outer tip to the inner corner; the signed distance to its line is the answer.
    sector = np.pi / points
    theta = np.arctan2(y, x)
    folded = np.abs(np.mod(theta + sector, 2 * sector) - sector)
    rho = np.hypot(x, y)
    qx, qy = rho * np.cos(folded), rho * np.sin(folded)
    ax, ay = r, 0.0 * r
    bx, by = inner * r * np.cos(sector), inner * r * np.sin(sector)
    # Outward normal of segment a->b: rotate its direction by -90 degrees.
    ex, ey = bx - ax, by - ay
    norm = np.hypot(ex, ey)
    nx, ny = ey / norm, -ex / norm
    return (qx - ax) * nx + (qy - ay) * ny


def _sdf_cross(x, y, r):
    # A plus sign whose arm tips touch the circumradius: arm half-length l and half-width w with
    # l**2 + w**2 = r**2.
    w = 0.3 * r
    half_len = np.sqrt(r * r - w * w)
    return np.minimum(_sdf_box(x, y, half_len, w), _sdf_box(x, y, w, half_len))


def _object_sdf(label, x, y, r):
    name = CLASS_NAMES[label]
    if name == "circle":
        return _sdf_circle(x, y, r * 0.92)  # a circle fills its circumcircle; shrink to match areas
    if name == "square":
        return _sdf_box(x, y, r / np.sqrt(2), r / np.sqrt(2))
    if name == "triangle":
        return _sdf_regular_polygon(x, y, r, 3)
    if name == "star":
        return _sdf_star(x, y, r)
    if name == "cross":
        return _sdf_cross(x, y, r)
    raise AssertionError(name)


def _sdf_segment(px, py, x0, y0, x1, y1):
    dx, dy = x1 - x0, y1 - y0
    t = ((px - x0) * dx + (py - y0) * dy) / np.maximum(dx * dx + dy * dy, 1e-9)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(px - (x0 + t * dx), py - (y0 + t * dy))


def _coverage(sdf):
    """Anti-aliased coverage in [0, 1] from a signed distance in pixels."""
    return np.clip(0.5 - sdf, 0.0, 1.0)


def _col(v):
    """Per-scene vector (m,) or colour (m, 3) -> float32 broadcastable against (m, H, W[, 3])."""
    # float32 keeps the per-pixel arithmetic (the bulk of the work) in single precision.
    v = np.asarray(v, dtype=np.float32)
    return v[:, None, None] if v.ndim == 1 else v[:, None, None, :]


# --------------------------------------------------------------------------------------------------
# Rendering


def _upsample_matrix(src, dst):
    """Bilinear interpolation matrix (dst, src), align-corners style, for smooth noise fields."""
    pos = np.linspace(0, src - 1, dst)
    lo = np.clip(np.floor(pos).astype(int), 0, src - 2)
    frac = pos - lo
    mat = np.zeros((dst, src))
    mat[np.arange(dst), lo] = 1 - frac
    mat[np.arange(dst), lo + 1] = frac
    return mat


def _background(rng, m, yy, xx, height, width, difficulty):
    """Textured backgrounds (m, H, W, 3) in [0, 1]; every texture has random strength per scene."""
    side = min(height, width)
    x = xx[None] / side  # (1, H, W), roughly [0, 1]
    y = yy[None] / side

    # Linear gradient between two colours along a random direction: the base layer.
    c0 = rng.uniform(0.0, 1.0, (m, 3))
    c1 = np.clip(c0 + difficulty * rng.normal(0.0, 0.35, (m, 3)), 0, 1)
    phi = rng.uniform(0, 2 * np.pi, m)
    t = _col(np.cos(phi)) * (x - 0.5) + _col(np.sin(phi)) * (y - 0.5)  # (m, H, W) in ~[-0.7, 0.7]
    t = np.clip(t + 0.5, 0, 1)[..., None]
    bg = _col(c0) * (1 - t) + _col(c1) * t  # (m, H, W, 3)

    # Stripes: a rotated sinusoid, sharpened to near-square waves for some scenes.
    on = rng.random(m) < 0.5
    amp = rng.uniform(0.05, 0.25, m) * on * difficulty
    freq = rng.uniform(2.0, 9.0, m)  # cycles per image side
    phi = rng.uniform(0, np.pi, m)
    phase = rng.uniform(0, 2 * np.pi, m)
    sharp = rng.choice([1.0, 6.0], m)
    u = _col(np.cos(phi)) * x + _col(np.sin(phi)) * y
    wave = np.tanh(_col(sharp) * np.sin(2 * np.pi * _col(freq) * u + _col(phase))) / np.tanh(
        _col(sharp)
    )
    tint = rng.uniform(-1, 1, (m, 3))
    bg += (_col(amp) * wave)[..., None] * _col(tint)

    # Checkerboard in rotated coordinates.
    on = rng.random(m) < 0.35
    amp = rng.uniform(0.04, 0.18, m) * on * difficulty
    cell = rng.uniform(3.0, 12.0, m) / side  # cell size in image-side units
    phi = rng.uniform(0, np.pi / 2, m)
    u = _col(np.cos(phi)) * x + _col(np.sin(phi)) * y
    v = -_col(np.sin(phi)) * x + _col(np.cos(phi)) * y
    checker = np.sign(np.sin(np.pi * u / _col(cell))) * np.sign(np.sin(np.pi * v / _col(cell)))
    tint = rng.uniform(-1, 1, (m, 3))
    bg += (_col(amp) * checker)[..., None] * _col(tint)

    # Blotchy colour noise: two octaves of bilinearly upsampled random grids.
    on = rng.random(m) < 0.7
    for grid, lo, hi in ((4, 0.05, 0.3), (9, 0.03, 0.15)):
        amp = rng.uniform(lo, hi, m) * on * difficulty
        coarse = rng.standard_normal((m, grid, grid, 3), dtype=np.float32)
        up_h = _upsample_matrix(grid, height).astype(np.float32)
        up_w = _upsample_matrix(grid, width).astype(np.float32)
        field = np.einsum("hg,mgkc,wk->mhwc", up_h, coarse, up_w, optimize=True)  # (m, H, W, 3)
        bg += _col(amp)[..., None] * 0.5 * field

    return np.clip(bg, 0.0, 1.0)


def _paint_nearest(img, dist, opacity, colour):
    """Composite K primitives at once: each pixel takes the colour of its nearest primitive.

    ``dist`` is (m, K, H, W) signed distance, ``opacity`` (m, K) with 0 for absent primitives and
    ``colour`` (m, K, 3). One composite per distractor kind instead of one per primitive keeps
    generation fast; where two primitives overlap the nearer one wins, which looks the same.
    """
    dist = np.where(opacity[:, :, None, None] > 0, dist, np.inf)
    nearest = dist.argmin(axis=1)  # (m, H, W)
    d = np.take_along_axis(dist, nearest[:, None], axis=1)[:, 0]  # (m, H, W)
    rows = np.arange(img.shape[0])[:, None, None]
    alpha = (_coverage(d) * opacity[rows, nearest])[..., None]  # (m, H, W, 1)
    img *= 1 - alpha
    img += alpha * colour[rows, nearest]  # colour of each pixel's nearest primitive, (m, H, W, 3)


def _draw_distractors(rng, img, yy, xx, height, width, side, difficulty):
    m = img.shape[0]
    px, py = xx[None, None], yy[None, None]  # (1, 1, H, W)

    def per_prim(v):
        return v.astype(np.float32)[:, :, None, None]  # (m, K) -> (m, K, 1, 1)

    # Thin lines spanning a good part of the image.
    k_max = 3
    p0 = rng.uniform(0, 1, (m, k_max, 2)) * (width, height)
    ang = rng.uniform(0, 2 * np.pi, (m, k_max))
    length = rng.uniform(0.3, 0.9, (m, k_max)) * side
    p1 = p0 + length[..., None] * np.stack([np.cos(ang), np.sin(ang)], -1)
    half_w = rng.uniform(0.35, 0.9, (m, k_max))
    opacity = rng.uniform(0.5, 1.0, (m, k_max)) * (np.arange(k_max) < rng.integers(0, 4, (m, 1)))
    opacity *= difficulty
    colour = rng.uniform(0, 1, (m, k_max, 3))
    ends = [per_prim(v) for v in (p0[..., 0], p0[..., 1], p1[..., 0], p1[..., 1])]
    d = _sdf_segment(px, py, *ends) - per_prim(half_w)
    _paint_nearest(img, d, opacity, colour)

    # Specks: tiny discs, far smaller than the smallest class object.
    k_max = 10
    n_dots = rng.integers(2, k_max + 1, m)
    scale = side / 64
    for k in range(k_max):
        c = rng.uniform(0, 1, (m, 2)) * (width, height)
        r = rng.uniform(0.6, 2.0, m) * scale
        opacity = rng.uniform(0.5, 1.0, m) * (k < n_dots) * difficulty
        colour = rng.uniform(0, 1, (m, 3))
        _stamp(img, c, int(np.ceil(2.5 * scale)), opacity, colour,
               lambda dx, dy, r=r: np.hypot(dx, dy) - r[:, None, None])

    # Irregular blobs: wobbly, elongated and at most about half the smallest object's radius, so
    # they never read as a circle or a square.
    k_max = 2
    n_blobs = rng.integers(0, k_max + 1, m)
    for k in range(k_max):
        c = rng.uniform(0, 1, (m, 2)) * (width, height)
        params = (
            rng.uniform(2.5, 5.0, m) * scale,  # radius
            rng.uniform(1.3, 2.2, m),  # elongation
            rng.uniform(0, 2 * np.pi, m),  # orientation
            *rng.uniform(0.1, 0.3, (2, m)),  # wobble strengths
            *rng.uniform(0, 2 * np.pi, (2, m)),  # wobble phases
        )
        opacity = rng.uniform(0.4, 0.9, m) * (k < n_blobs) * difficulty
        colour = rng.uniform(0, 1, (m, 3))
        _stamp(img, c, int(np.ceil(8.5 * scale)), opacity, colour,
               lambda dx, dy, p=params: _sdf_blob(dx, dy, *(_col(v) for v in p)))


def _sdf_blob(dx, dy, r, stretch, rot, w2, w3, p2, p3):
    cos, sin = np.cos(rot), np.sin(rot)
    u = cos * dx + sin * dy
    v = (-sin * dx + cos * dy) * stretch
    theta = np.arctan2(v, u)
    edge = r * (1 + w2 * np.sin(2 * theta + p2) + w3 * np.sin(3 * theta + p3))
    return (np.hypot(u, v) - edge) / np.sqrt(stretch)


def _stamp(img, centre, half, opacity, colour, sdf):
    """Composite one small primitive per scene, touching only a (2*half+1)**2 window around it.

    Small distractors cover a few dozen pixels, so evaluating them on the full (H, W) grid would
    waste almost all of the work. ``centre`` is (m, 2) as (x, y); ``sdf(dx, dy)`` gets (m, S, S) offsets
    from the centre. Window indices are clipped at the border; the clipped duplicates are evaluated
    at the same pixel and so write identical values.
    """
    m, height, width = img.shape[:3]
    offsets = np.arange(-half, half + 1)
    iy = np.clip(np.floor(centre[:, 1]).astype(int)[:, None] + offsets, 0, height - 1)  # (m, S)
    ix = np.clip(np.floor(centre[:, 0]).astype(int)[:, None] + offsets, 0, width - 1)  # (m, S)
    dx = (ix[:, None, :] + 0.5 - centre[:, 0, None, None]).astype(np.float32)  # (m, 1, S)
    dy = (iy[:, :, None] + 0.5 - centre[:, 1, None, None]).astype(np.float32)  # (m, S, 1)
    dx, dy = np.broadcast_arrays(dx, dy)  # (m, S, S) each
    alpha = (_coverage(sdf(dx, dy)) * _col(opacity))[..., None]  # (m, S, S, 1)
    index = (np.arange(m)[:, None, None], iy[:, :, None], ix[:, None, :])
    img[index] = img[index] * (1 - alpha) + alpha * _col(colour)


def _render_chunk(rng, labels, height, width, distractors, difficulty):
    m = labels.shape[0]
    side = min(height, width)
    # Pixel centres, (H, W) each.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32) + np.float32(0.5)

    img = _background(rng, m, yy, xx, height, width, difficulty)
    if distractors:
        _draw_distractors(rng, img, yy, xx, height, width, side, difficulty)

    # Main object: centre chosen so the whole shape (plus a pixel) stays inside the image.
    radius = rng.uniform(*_RADIUS_RANGE, m) * side
    cx = rng.uniform(radius + 1, width - radius - 1)
    cy = rng.uniform(radius + 1, height - radius - 1)
    rot = rng.uniform(0, 2 * np.pi, m)
    dx, dy = xx[None] - _col(cx), yy[None] - _col(cy)
    u = _col(np.cos(rot)) * dx + _col(np.sin(rot)) * dy
    v = -_col(np.sin(rot)) * dx + _col(np.cos(rot)) * dy
    sdf = np.empty((m, height, width), np.float32)
    for label in np.unique(labels):
        sel = labels == label
        sdf[sel] = _object_sdf(int(label), u[sel], v[sel], _col(radius[sel]))
    mask = sdf < 0

    # Pick the first of several random colours that stands out from the background it covers (or the
    # most contrasting one), so the object is visible on average without being trivially saturated.
    area = np.maximum(mask.sum(axis=(1, 2)), 1)
    under = np.einsum("mhw,mhwc->mc", mask, img) / area[:, None]  # (m, 3)
    candidates = rng.uniform(0, 1, (m, 16, 3))
    dist = np.linalg.norm(candidates - under[:, None], axis=-1)  # (m, 16)
    ok = dist >= _MIN_CONTRAST + 0.4 * (1.0 - difficulty)
    pick = np.where(ok.any(1), ok.argmax(1), dist.argmax(1))
    colour = candidates[np.arange(m), pick]  # (m, 3)

    # Gentle shading across the object so it is not a flat stencil.
    shade_dir = rng.uniform(0, 2 * np.pi, m)
    shade_amp = rng.uniform(-0.15, 0.15, m)
    ramp = (_col(np.cos(shade_dir)) * dx + _col(np.sin(shade_dir)) * dy) / _col(radius)
    fill = np.clip(_col(colour) + (_col(shade_amp) * ramp)[..., None], 0, 1)  # (m, H, W, 3)
    a = _coverage(sdf)[..., None]
    img = img * (1 - a) + fill * a

    sigma = rng.uniform(0.01, 0.06, m) * difficulty
    img += _col(sigma)[..., None] * rng.standard_normal(img.shape, dtype=np.float32)
    return np.clip(img, 0.0, 1.0).astype(np.float32), mask
