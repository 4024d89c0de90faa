// "raster": the anywidget view behind every image panel, the activation channel grid included.
//
// The kernel sends uint8 pixels once, as one array trait `tiles = {dtype, shape, bytes}` (the
// bytes a binary buffer, never base64), plus the float range they were quantised from. One-channel data is coloured here through a 256-entry LUT, so a
// colormap change costs 768 bytes and no re-quantisation in Python. Pixels are upscaled with
// nearest-neighbour (imageSmoothingEnabled = false) so every model value stays a crisp block,
// which is also what lets the browser tests read exact values back.
//
// Layout of the data: `tiles.shape` is `[n, h, w]` (one channel) or `[n, h, w, c]` with c ∈ {3, 4},
// row-major, tiles laid out `columns` per row with `gap` display pixels between them and `pad`
// display pixels around them. Hover and hit-testing happen here, never in the kernel: the only
// message a pointer sends is a click, as (tile, data row, data column).
//
// The selection outline lives on its own transparent canvas over the tiles: moving it (a slider
// step, a click) changes one small trait (`selected` / `selected_row`) and redraws only that
// layer, never the tiles. `data-renders` counts full draws, `data-outlines` outline draws.

import { asBytes, asLut } from "./lib/bytes.js";
import { drawLutStrip } from "./lib/canvas.js";
import { make } from "./lib/dom.js";
import { hitTest, layoutOf, tileOrigin } from "./lib/layout.js";
import { ensureStyle } from "./lib/style.js";

const SYNCED = [
  "tiles", "columns", "zoom", "zoom_x", "gap", "lut", "vmin", "vmax", "marked",
  "row_marks", "labels", "title", "caption", "colorbar", "margin", "background",
  "values", "frame", "pad", "tile_info", "value_label", "value_unit",
];
/** Traits that only move the outline layer. */
const SELECTION = ["selected", "selected_row"];

function formatValue(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return v.toPrecision(4);
}

/** Convert the uint8 payload to RGBA once per draw, tiles side by side in an offscreen canvas. */
function paintSource(L, lut) {
  const srcW = L.cols * L.w;
  const srcH = L.rows * L.h;
  const src = document.createElement("canvas");
  src.width = srcW;
  src.height = srcH;
  const img = new ImageData(srcW, srcH);
  const px = img.data;
  const { n, h, w, c, data, cols } = L;
  for (let t = 0; t < n; t++) {
    const ox = (t % cols) * w;
    const oy = Math.floor(t / cols) * h;
    for (let y = 0; y < h; y++) {
      let s = ((t * h + y) * w) * c;
      let d = ((oy + y) * srcW + ox) * 4;
      for (let x = 0; x < w; x++, d += 4, s += c) {
        if (c === 1) {
          const v = 3 * data[s];
          px[d] = lut[v];
          px[d + 1] = lut[v + 1];
          px[d + 2] = lut[v + 2];
          px[d + 3] = 255;
        } else {
          px[d] = data[s];
          px[d + 1] = data[s + 1];
          px[d + 2] = data[s + 2];
          px[d + 3] = c === 4 ? data[s + 3] : 255;
        }
      }
    }
  }
  src.getContext("2d").putImageData(img, 0, 0);
  return src;
}

function drawCross(ctx, x, y, w, h) {
  const lw = Math.max(1.5, Math.min(w, h) / 10);
  ctx.save();
  ctx.strokeStyle = "rgba(220, 20, 20, 0.95)";
  ctx.lineWidth = lw;
  ctx.beginPath();
  ctx.moveTo(x + lw, y + lw);
  ctx.lineTo(x + w - lw, y + h - lw);
  ctx.moveTo(x + w - lw, y + lw);
  ctx.lineTo(x + lw, y + h - lw);
  ctx.stroke();
  ctx.restore();
}

/** Black-then-yellow outline: visible on every colormap, light or dark. It hugs the rectangle
 * from outside, but never leaves the canvas: at an edge (a matrix row spans the whole width)
 * it moves inside, so all four sides stay visible. */
function drawOutline(ctx, x, y, w, h) {
  const W = ctx.canvas.width;
  const H = ctx.canvas.height;
  const x0 = Math.max(1.5, x - 1.5);
  const y0 = Math.max(1.5, y - 1.5);
  const x1 = Math.min(W - 1.5, x + w + 1.5);
  const y1 = Math.min(H - 1.5, y + h + 1.5);
  ctx.save();
  ctx.lineWidth = 3;
  ctx.strokeStyle = "#000";
  ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "#ffd400";
  ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  ctx.restore();
}

function render({ model, el }) {
  ensureStyle();
  const root = make("div", "convviz-raster");
  const title = make("div", "cv-title");
  const scroll = make("div", "cv-scroll");
  const canvas = make("canvas", "cv-main");
  const outline = make("canvas", "cv-outline");
  const stack = make("div", "cv-stack");
  stack.append(canvas, outline);
  scroll.appendChild(stack);
  const bar = make("div", "cv-colorbar");
  const barLo = make("span");
  const barCanvas = make("canvas", "", { width: 256, height: 1 });
  const barHi = make("span");
  bar.append(barLo, barCanvas, barHi);
  const info = make("div", "cv-info", { textContent: " " });
  const caption = make("div", "cv-caption");
  root.append(title, scroll, bar, info, caption);
  el.appendChild(root);

  let renders = 0;
  let outlines = 0;
  let pending = false;
  let pendingOutline = false;
  let layout = null;

  /** The selection layer alone: cleared and redrawn, the tiles untouched. */
  function drawSelection() {
    pendingOutline = false;
    const L = layout;
    if (outline.width !== canvas.width) outline.width = canvas.width;
    if (outline.height !== canvas.height) outline.height = canvas.height;
    const ctx = outline.getContext("2d");
    ctx.clearRect(0, 0, outline.width, outline.height);
    if (L) {
      const selRow = model.get("selected_row");
      if (selRow != null && selRow >= 0 && selRow < L.h && L.n === 1) {
        drawOutline(ctx, L.pad + L.margin, L.pad + selRow * L.zoom, L.tileW, L.zoom);
      }
      const sel = model.get("selected");
      if (sel != null && sel >= 0 && sel < L.n) {
        const [x, y] = tileOrigin(L, sel);
        drawOutline(ctx, x, y, L.tileW, L.tileH);
      }
    }
    outlines += 1;
    root.dataset.outlines = String(outlines);
  }

  function draw() {
    pending = false;
    title.textContent = model.get("title") || "";
    title.style.display = title.textContent ? "" : "none";
    caption.textContent = model.get("caption") || "";
    caption.style.display = caption.textContent ? "" : "none";
    const lut = asLut(model.get("lut"));
    layout = layoutOf(model);
    const ctx = canvas.getContext("2d");
    if (!layout) {
      canvas.width = 0;
      canvas.height = 0;
      drawSelection();
      bar.style.display = "none";
      root.dataset.state = "empty";
      return;
    }
    const L = layout;
    canvas.width = L.width;
    canvas.height = L.height;
    // Setting width resets the context state, so smoothing must be disabled after it.
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = model.get("background") || "#e8e8e8";
    ctx.fillRect(0, 0, L.width, L.height);
    const src = paintSource(L, lut);
    for (let t = 0; t < L.n; t++) {
      const [dx, dy] = tileOrigin(L, t);
      const sx = (t % L.cols) * L.w;
      const sy = Math.floor(t / L.cols) * L.h;
      ctx.drawImage(src, sx, sy, L.w, L.h, dx, dy, L.tileW, L.tileH);
    }
    // A 1-px frame in the gap around each tile (never over its pixels): small tiles of a
    // diverging map (zero is white) otherwise run together into one noisy picture.
    const frame = model.get("frame");
    if (frame && L.gap >= 2) {
      ctx.save();
      ctx.strokeStyle = frame;
      ctx.lineWidth = 1;
      for (let t = 0; t < L.n; t++) {
        const [dx, dy] = tileOrigin(L, t);
        // Tiles touching the canvas edge get their frame on their outermost pixel row/column.
        const x0 = Math.max(0.5, dx - 0.5);
        const y0 = Math.max(0.5, dy - 0.5);
        const x1 = Math.min(L.width - 0.5, dx + L.tileW + 0.5);
        const y1 = Math.min(L.height - 0.5, dy + L.tileH + 0.5);
        ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      }
      ctx.restore();
    }
    for (const t of model.get("marked") || []) {
      if (t >= 0 && t < L.n) {
        const [x, y] = tileOrigin(L, t);
        drawCross(ctx, x, y, L.tileW, L.tileH);
      }
    }
    // Row marks annotate single-tile matrices (filters × channels): a red bar in the left margin.
    if (L.margin > 0) {
      ctx.fillStyle = "rgba(220, 20, 20, 0.95)";
      for (const r of model.get("row_marks") || []) {
        if (r >= 0 && r < L.h) {
          ctx.fillRect(L.pad, L.pad + r * L.zoom, L.margin - 2, Math.max(1, L.zoom));
        }
      }
    }
    drawSelection();
    if (model.get("colorbar") && L.c === 1) {
      drawLutStrip(barCanvas, lut);
      barLo.textContent = formatValue(model.get("vmin"));
      barHi.textContent = formatValue(model.get("vmax"));
      bar.style.display = "";
    } else {
      bar.style.display = "none";
    }
    renders += 1;
    // Exposed for the browser tests (latency and "did it redraw" checks); harmless elsewhere.
    root.dataset.renders = String(renders);
    root.dataset.renderedAt = String(performance.now());
    root.dataset.state = "drawn";
  }

  function schedule() {
    if (pending) return;
    pending = true;
    // A state message updates several traits at once; draw once after all of them landed.
    queueMicrotask(draw);
  }

  function scheduleOutline() {
    if (pendingOutline || pending) return;
    pendingOutline = true;
    queueMicrotask(() => { if (pendingOutline) drawSelection(); });
  }

  // The hover line says what its numbers are: "row 23, col 24 · R 14 G 202 B 242" for a colour
  // picture (the bytes shown), "row 3, col 4 · value 0.83 (activation)" for one-channel data.
  // The words come from the kernel in the view's language (labels, value_label, value_unit).
  function valueAt(hit) {
    const L = layout;
    const base = ((hit.tile * L.h + hit.y) * L.w + hit.x) * L.c;
    if (L.c >= 3) {
      const d = L.data;
      return `R ${d[base]} G ${d[base + 1]} B ${d[base + 2]}`;
    }
    const word = model.get("value_label") || "value";
    const unit = model.get("value_unit");
    const tail = unit ? ` (${unit})` : "";
    // Exact float32 values travel alongside small rasters; otherwise undo the quantisation
    // (exact to 1/255 of the range).
    const exact = asBytes(model.get("values"));
    if (exact.length === 4 * L.n * L.h * L.w) {
      const f32 = new Float32Array(exact.buffer.slice(exact.byteOffset + 4 * base,
                                                      exact.byteOffset + 4 * base + 4));
      return `${word} ${formatValue(f32[0])}${tail}`;
    }
    const lo = model.get("vmin");
    const hi = model.get("vmax");
    return `${word} ≈${formatValue(lo + (L.data[base] / 255) * (hi - lo))}${tail}`;
  }

  /** Canvas pixel under a pointer event (the canvas may be shown scaled by CSS). */
  function canvasPoint(e) {
    const rect = canvas.getBoundingClientRect();
    const sx = rect.width ? canvas.width / rect.width : 1;
    const sy = rect.height ? canvas.height / rect.height : 1;
    return [(e.clientX - rect.left) * sx, (e.clientY - rect.top) * sy];
  }

  function eventHit(e) {
    if (!layout) return null;
    const [px, py] = canvasPoint(e);
    return hitTest(layout, px, py);
  }

  function onMove(e) {
    const hit = eventHit(e);
    if (!hit) {
      info.textContent = " ";
      canvas.title = "";
      return;
    }
    // Views that describe whole tiles (the channel grid: a channel's range, "blank") send one
    // line per tile; the pixel values would mean nothing there (palette indices).
    const described = model.get("tile_info") || [];
    if (described.length === layout.n) {
      info.textContent = described[hit.tile];
      canvas.title = described[hit.tile];
      return;
    }
    const [tileName, rowName, colName] = model.get("labels") || ["tile", "row", "col"];
    const where = `${rowName} ${hit.y}, ${colName} ${hit.x}`;
    const prefix = layout.n > 1 ? `${tileName} ${hit.tile} · ` : "";
    info.textContent = `${prefix}${where} · ${valueAt(hit)}`;
    // The tile's index also next to the pointer (the info line is below the picture).
    canvas.title = layout.n > 1 ? `${tileName} ${hit.tile}` : "";
  }

  function onLeave() {
    info.textContent = " ";
    canvas.title = "";
  }

  function onDown(e) {
    const hit = eventHit(e);
    if (hit) model.send({ event: "click", tile: hit.tile, y: hit.y, x: hit.x });
  }

  canvas.addEventListener("mousemove", onMove);
  canvas.addEventListener("mouseleave", onLeave);
  canvas.addEventListener("mousedown", onDown);
  for (const name of SYNCED) model.on(`change:${name}`, schedule);
  for (const name of SELECTION) model.on(`change:${name}`, scheduleOutline);
  draw();

  return () => {
    for (const name of SYNCED) model.off(`change:${name}`, schedule);
    for (const name of SELECTION) model.off(`change:${name}`, scheduleOutline);
    canvas.removeEventListener("mousemove", onMove);
    canvas.removeEventListener("mouseleave", onLeave);
    canvas.removeEventListener("mousedown", onDown);
  };
}

export default { render };
// The pure geometry, for tests that check the browser's hit-testing against the Python layout.
export { hitTest, layoutOf, tileOrigin };
