"""The display rules (convviz_widgets.display) against straightforward numpy versions of the
lessons' own recipes, and the module's independence from models and widget libraries."""

import ast
import pathlib

import numpy as np
import pytest

from convviz_widgets import display

RNG = np.random.default_rng(0)
# 5 tiles of 3×4 (non-square, odd count), values of both signs and one constant tile.
TILES = RNG.normal(size=(5, 3, 4)).astype(np.float32)
TILES[2] = 0.7


def test_symmetric_matches_the_signed_kernel_display():
    s = display.scale_tiles(TILES, "symmetric", flat=0.5)
    m = np.abs(TILES).max()
    np.testing.assert_allclose(s.values, (TILES + m) / (2 * m), atol=1e-6)
    assert s.shared and s.lo[0] == -m and s.hi[0] == m


def test_shared_is_one_min_max_for_every_tile():
    s = display.scale_tiles(TILES, "shared")
    lo, hi = TILES.min(), TILES.max()
    np.testing.assert_allclose(s.values, (TILES - lo) / (hi - lo), atol=1e-6)
    assert s.label() == f"shared: [{lo:.3g}, {hi:.3g}]"


def test_per_slice_normalises_each_tile_on_its_own():
    s = display.scale_tiles(TILES, "per_slice", flat=0.25)
    for k, t in enumerate(TILES):
        if t.max() == t.min():
            assert np.all(s.values[k] == 0.25)
        else:
            np.testing.assert_allclose(s.values[k], (t - t.min()) / (t.max() - t.min()),
                                       atol=1e-6)
    assert not s.shared and "each tile" in s.label()


def test_standardize_is_the_chollet_recipe():
    # The lessons' feature-map display, written out as they write it.
    s = display.scale_tiles(TILES * 3 + 1, "standardize")
    for k, t in enumerate(TILES * 3 + 1):
        x = t.copy()
        x -= x.mean()
        x /= x.std() + 1e-5
        x *= 64
        x += 128
        expected = np.clip(x, 0, 255).astype("uint8")
        got = display.quantize(s.values[k], 0.0, 1.0)
        # float32 rounding vs truncation: at most one level apart
        assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


def test_stretch_uses_percentiles_and_keeps_flat_tiles_grey():
    big = RNG.normal(size=(3, 20, 20)).astype(np.float32)
    big[1] = 0.2
    v = display.stretch_tiles(big)
    lo, hi = np.percentile(big[0], 0.5), np.percentile(big[0], 99.5)
    np.testing.assert_allclose(v[0], np.clip((big[0] - lo) / (hi - lo), 0, 1), atol=1e-5)
    assert np.all(v[1] == 0.5)


def test_raw_uses_given_limits_and_clips():
    s = display.scale_tiles(np.array([[-1.0, 0.5, 2.0]]), "raw")
    assert s.values.tolist() == [[0.0, 0.5, 1.0]]
    s = display.scale_tiles(np.array([[-1.0, 0.5, 2.0]]), "raw", vmin=-1, vmax=3)
    np.testing.assert_allclose(s.values, [[0.0, 0.375, 0.75]])


def test_unknown_scale_lists_the_valid_ones():
    with pytest.raises(ValueError, match="per_slice"):
        display.scale_tiles(TILES, "percentile")


def test_rgb_tiles_are_scaled_per_tile_over_all_their_channels():
    rgb = RNG.uniform(size=(2, 3, 4, 3)).astype(np.float32)
    s = display.scale_tiles(rgb, "per_slice")
    for k in range(2):
        np.testing.assert_allclose(s.values[k], (rgb[k] - rgb[k].min()) / np.ptp(rgb[k]),
                                   atol=1e-6)


def test_mosaic_places_every_tile_and_fills_the_rest():
    m = display.mosaic(TILES, cols=2, pad=1)
    assert m.shape == (3 * 4 - 1, 2 * 5 - 1)
    for k in range(5):
        y, x = display.tile_origin(k, 2, 3, 4)
        np.testing.assert_array_equal(m[y:y + 3, x:x + 4], TILES[k])
    assert np.isnan(m[3, 0]) and np.isnan(m[-3:, -4:]).all()  # a gap row, the empty last cell
    u8 = display.mosaic(np.zeros((3, 2, 2, 3), np.uint8), cols=2, pad=2, fill=232)
    assert u8.dtype == np.uint8 and u8[0, 2].tolist() == [232, 232, 232]


def test_display_images_and_luts():
    assert display.as_display_rgb(np.zeros((4, 5, 1))).shape == (4, 5, 3)
    assert display.apply_lut(np.array([0, 255], np.uint8), "gray").tolist() == [[0, 0, 0],
                                                                                 [255, 255, 255]]
    with pytest.raises(ValueError, match="viridis"):
        display.lut("no-such-map")


def test_display_is_numpy_only():
    """display/ is shared by widgets and plotting: it imports no model or widget library."""
    banned = {"tensorflow", "keras", "ipywidgets", "anywidget", "ipycanvas", "traitlets",
              "IPython"}
    folder = pathlib.Path(display.__file__).parent
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in banned, f"{path.name} imports {name}"
