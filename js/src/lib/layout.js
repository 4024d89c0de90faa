// Tile geometry of the raster view, shared by drawing, hovering and clicking. Pure functions of
// the model state (no DOM), so the tests can run them on a state built in Python.

import { asBytes } from "./bytes.js";

/**
 * The tiles trait, `{dtype, shape, bytes}` with shape `[n, h, w]` (one channel) or
 * `[n, h, w, 3|4]`, as `{n, h, w, c, data}`; null while empty, half-initialised (the bytes come
 * after the comm opens) or malformed.
 */
export function tileStack(value) {
  if (!value || value.dtype !== "uint8") return null;
  const shape = value.shape || [];
  if (shape.length !== 3 && shape.length !== 4) return null;
  if (shape.some((d) => !(d > 0))) return null;
  const [n, h, w] = shape;
  const c = shape.length === 4 ? shape[3] : 1;
  if (c !== 1 && c !== 3 && c !== 4) return null;
  const data = asBytes(value.bytes);
  if (data.length !== n * h * w * c) return null;
  return { n, h, w, c, data };
}

/** Geometry of the current state, shared by drawing, hovering and clicking. */
export function layoutOf(model) {
  const tiles = tileStack(model.get("tiles"));
  if (!tiles) return null;
  const { n, h, w, c, data } = tiles;
  const cols = Math.max(1, Math.min(model.get("columns") || 1, n));
  const rows = Math.ceil(n / cols);
  const zoom = Math.max(1, model.get("zoom") || 1);
  // zoom_x lets a filters × channels matrix with few channels be widened without being tall.
  const zoomX = Math.max(1, model.get("zoom_x") || zoom);
  const gap = Math.max(0, model.get("gap") || 0);
  const margin = Math.max(0, model.get("margin") || 0);
  // Border around all tiles (the channel grid keeps one data pixel of background there).
  const pad = Math.max(0, model.get("pad") || 0);
  const tileW = w * zoomX;
  const tileH = h * zoom;
  return {
    n, h, w, c, data, cols, rows, zoom, zoomX, gap, margin, pad, tileW, tileH,
    width: margin + cols * tileW + (cols - 1) * gap + 2 * pad,
    height: rows * tileH + (rows - 1) * gap + 2 * pad,
  };
}

/** Top-left canvas pixel of tile `t`. */
export function tileOrigin(L, t) {
  return [
    L.pad + L.margin + (t % L.cols) * (L.tileW + L.gap),
    L.pad + Math.floor(t / L.cols) * (L.tileH + L.gap),
  ];
}

/** Tile index and data coordinates under a canvas pixel, or null over a gap/margin. */
export function hitTest(L, px, py) {
  const gx = px - L.margin - L.pad;
  const gy = py - L.pad;
  if (gx < 0 || gy < 0) return null;
  const col = Math.floor(gx / (L.tileW + L.gap));
  const row = Math.floor(gy / (L.tileH + L.gap));
  const ox = gx - col * (L.tileW + L.gap);
  const oy = gy - row * (L.tileH + L.gap);
  if (col >= L.cols || ox >= L.tileW || oy >= L.tileH) return null;
  const tile = row * L.cols + col;
  if (tile >= L.n) return null;
  return { tile, y: Math.floor(oy / L.zoom), x: Math.floor(ox / L.zoomX) };
}
