// "overlay": an image with a class-activation heatmap on top, on two layered canvases.
//
// The kernel sends two uint8 buffers once per explanation (binary `Bytes` traits, never base64):
// the image as RGB at its own resolution and the heatmap (0..255 for [0, 1]), plus a table of
// 256-entry colour LUTs for every offered colormap. Opacity and colormap are then purely local
// state: moving the slider or picking a map recolours the heat canvas in the browser and sends
// nothing back to the kernel (no `save_changes`), so it stays instant on a busy kernel. Python
// can still set `opacity` / `colormap`; the view follows. Views sharing a `group` name follow
// each other's local changes through a DOM event (a side-by-side comparison moves together).
//
// Hovering shows the map's value under the pointer, read from the same uint8 buffer and mapped
// back to the map's own units with `value_zero` / `value_step` (a signed map's 0 has a code of its
// own, so a pixel that is 0 reads 0 and a negative one reads negative).
//
// Two kinds of maps: unsigned (sequential colormaps) and signed (diverging ones, 0 in the middle).
// When a map of the other kind arrives, the colormap the user picked stays if it is of the right
// kind; otherwise the user's last pick for that kind comes back, else the kernel's default for it
// (`colormap` / `signed_colormap`). The kernel never hears of the picks.

import { asBytes, asLut } from "./lib/bytes.js";
import { drawLutStrip } from "./lib/canvas.js";
import { make } from "./lib/dom.js";
import { ensureStyle, injectStyle } from "./lib/style.js";

const CSS = `
.convviz-overlay { display: inline-flex; flex-direction: column; gap: 4px; margin: 2px 8px 6px 0;
  font: 12px var(--jp-ui-font-family, system-ui, sans-serif); color: var(--jp-ui-font-color1, #222); }
.convviz-overlay .cv-title { font-weight: 600; }
.convviz-overlay .cv-stack { position: relative; line-height: 0; cursor: crosshair;
  background: var(--jp-layout-color2, #eee); }
.convviz-overlay .cv-stack canvas { display: block; }
.convviz-overlay .cv-stack canvas.cv-heat { position: absolute; left: 0; top: 0; }
.convviz-overlay .cv-controls { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
.convviz-overlay .cv-controls input[type=range] { width: 110px; }
.convviz-overlay .cv-colorbar { height: 8px; width: 160px; image-rendering: pixelated;
  border: 1px solid var(--jp-border-color1, #999); }
.convviz-overlay .cv-caption, .convviz-overlay .cv-title { overflow-wrap: anywhere; }
.convviz-overlay .cv-range { display: flex; justify-content: space-between; margin-top: -3px;
  font: 10px var(--jp-code-font-family, monospace); color: var(--jp-ui-font-color2, #555); }
.convviz-overlay .cv-info { min-height: 1.3em; font-family: var(--jp-code-font-family, monospace);
  color: var(--jp-ui-font-color2, #555); white-space: pre; }
.convviz-overlay .cv-caption { color: var(--jp-ui-font-color2, #555); }
.convviz-overlay.cv-flagged .cv-caption { color: #a15c00; }
`;

const GROUP_EVENT = "convviz-overlay-look";

function ensureOverlayStyle() {
  ensureStyle();
  injectStyle("convviz-overlay-style", CSS);
}

/** [h, w] of a shape trait, or null when it does not match the payload length. */
function dims(shape, bytes, channels) {
  if (!Array.isArray(shape) || shape.length < 2) return null;
  const [h, w] = shape;
  if (!(h > 0 && w > 0) || bytes.length !== h * w * channels) return null;
  return [h, w];
}

/** A map value for the hover line: plain heat 0..1 with two decimals, map units with 3 digits. */
function formatValue(v, plainHeat) {
  if (plainHeat) return v.toFixed(2);
  const a = Math.abs(v);
  if (a === 0) return "0";
  return a >= 1e-2 && a < 1e4 ? v.toPrecision(3) : v.toExponential(2);
}

function render({ model, el }) {
  ensureOverlayStyle();
  const root = make("div", "convviz-overlay");
  const title = make("div", "cv-title");
  const stack = make("div", "cv-stack");
  const base = make("canvas", "cv-image");
  const heat = make("canvas", "cv-heat");
  stack.append(base, heat);

  const controls = make("div", "cv-controls");
  const opLabel = make("label", "");
  const opText = document.createTextNode("opacity ");
  opLabel.appendChild(opText);
  const slider = make("input", "cv-opacity", { type: "range", min: "0", max: "100", step: "1" });
  opLabel.appendChild(slider);
  const select = make("select", "cv-colormap");
  controls.append(opLabel, select);
  const bar = make("canvas", "cv-colorbar", { width: 256, height: 1 });
  // The colour bar's ends (and a signed map's 0) in the map's units.
  const range = make("div", "cv-range");
  const rangeLo = make("span", "");
  const rangeMid = make("span", "");
  const rangeHi = make("span", "");
  range.append(rangeLo, rangeMid, rangeHi);
  const info = make("div", "cv-info", { textContent: " " });
  const caption = make("div", "cv-caption");
  root.append(title, stack, controls, bar, range, info, caption);
  // Arrow keys on the slider belong to the slider, not to JupyterLab's notebook shortcuts
  // (Lumino honours this attribute, as ipywidgets' own controls do).
  // Lumino checks the attribute on the focused element itself before matching selectors such
  // as ".jp-Notebook.jp-mod-commandMode :focus", so it goes on each control.
  for (const node of [controls, slider, select]) {
    node.dataset.lmSuppressShortcuts = "true";
    node.dataset.pSuppressShortcuts = "true";
  }
  el.appendChild(root);

  // Local look state: initialised from the model, changed by the user without a kernel message.
  let opacity = Number(model.get("opacity"));
  let kind = !!model.get("signed");
  let cmap = kind ? model.get("signed_colormap") : model.get("colormap");
  let heatDims = null;
  let heatDraws = 0;
  const picked = { true: null, false: null }; // the user's last pick per kind

  function isDiverging(name) {
    const base = name && name.endsWith("_r") ? name.slice(0, -2) : name;
    return (model.get("diverging") || []).includes(base);
  }
  const fits = (name, signed) => !!name && isDiverging(name) === signed;
  const defaultFor = (signed) => model.get(signed ? "signed_colormap" : "colormap");

  // A map of the other kind: keep a colormap of the right kind, else bring one back.
  function followKind() {
    const next = !!model.get("signed");
    if (next === kind) return;
    kind = next;
    if (!fits(cmap, kind)) cmap = fits(picked[kind], kind) ? picked[kind] : defaultFor(kind);
    syncControls();
  }

  function lutFor(name) {
    const names = model.get("colormaps") || [];
    const all = asBytes(model.get("luts"));
    const k = names.indexOf(name);
    if (k < 0 || all.length < (k + 1) * 768) return asLut(null); // grey ramp: never throws
    return all.subarray(k * 768, (k + 1) * 768);
  }

  function syncControls() {
    slider.value = String(Math.round(opacity * 100));
    const names = model.get("colormaps") || [];
    if (select.options.length !== names.length ||
        names.some((n, i) => select.options[i].value !== n)) {
      select.replaceChildren(...names.map((n) => {
        const o = document.createElement("option");
        o.value = n;
        o.textContent = n;
        return o;
      }));
    }
    if (names.includes(cmap)) select.value = cmap;
    opText.textContent = `${model.get("opacity_label") || "opacity"} `;
    controls.style.display = model.get("controls") ? "" : "none";
    bar.style.display = model.get("controls") ? "" : "none";
    range.style.display = bar.style.display;
  }

  /** Label the colour bar's ends with the values of its first and last codes in use. */
  function drawRange() {
    const zero = Number(model.get("value_zero"));
    const step = Number(model.get("value_step"));
    const plain = zero === 0 && Math.abs(step * 255 - 1) < 1e-9;
    const lo = (0 - zero) * step;
    const hi = ((kind ? 2 * zero : 255) - zero) * step; // a signed map's top code is 2 × zero
    rangeLo.textContent = formatValue(lo, plain);
    rangeMid.textContent = kind ? "0" : "";
    rangeHi.textContent = formatValue(hi, plain);
    root.dataset.range = `${lo},${hi}`;
  }

  function sizeCanvases(h, w) {
    // Display size: `width` CSS pixels wide (0: natural size); small images are upscaled
    // without smoothing so each heatmap value stays a crisp block.
    const want = model.get("width") || w;
    const scale = want / w;
    const cssW = Math.round(w * scale);
    const cssH = Math.round(h * scale);
    for (const c of [base, heat]) {
      c.style.width = `${cssW}px`;
      c.style.height = `${cssH}px`;
      c.style.imageRendering = scale >= 2 ? "pixelated" : "auto";
    }
    stack.style.width = `${cssW}px`;
    stack.style.height = `${cssH}px`;
    // A fixed width keeps two views side by side in a wrapping row (a percentage-wide colour
    // bar would otherwise let the view claim the whole row).
    root.style.width = `${Math.max(cssW, 180)}px`;
    bar.style.width = `${cssW}px`;
    range.style.width = `${cssW + 2}px`; // the bar's width plus its 1px borders
  }

  function drawImage() {
    const bytes = asBytes(model.get("image"));
    const d = dims(model.get("image_shape"), bytes, 3);
    if (!d) {
      base.width = base.height = 1;
      return;
    }
    const [h, w] = d;
    base.width = w;
    base.height = h;
    const img = new ImageData(w, h);
    const px = img.data;
    for (let i = 0, s = 0, t = 0; i < h * w; i++, s += 3, t += 4) {
      px[t] = bytes[s];
      px[t + 1] = bytes[s + 1];
      px[t + 2] = bytes[s + 2];
      px[t + 3] = 255;
    }
    base.getContext("2d").putImageData(img, 0, 0);
    sizeCanvases(h, w);
  }

  function drawHeat() {
    followKind();
    const bytes = asBytes(model.get("heatmap"));
    heatDims = dims(model.get("heatmap_shape"), bytes, 1);
    if (!heatDims) {
      heat.width = heat.height = 1;
      heat.getContext("2d").clearRect(0, 0, 1, 1);
      root.dataset.state = "empty";
      return;
    }
    const [h, w] = heatDims;
    heat.width = w;
    heat.height = h;
    const lut = lutFor(cmap);
    const alpha = Math.round(Math.max(0, Math.min(1, opacity)) * 255);
    const img = new ImageData(w, h);
    const px = img.data;
    for (let i = 0, t = 0; i < h * w; i++, t += 4) {
      const v = 3 * bytes[i];
      px[t] = lut[v];
      px[t + 1] = lut[v + 1];
      px[t + 2] = lut[v + 2];
      px[t + 3] = alpha;
    }
    heat.getContext("2d").putImageData(img, 0, 0);
    if (base.width <= 1) sizeCanvases(h, w);
    drawLutStrip(bar, lut);
    drawRange();
    heatDraws += 1;
    // Exposed for the browser tests ("did the pixels change, and with what look").
    root.dataset.heatDraws = String(heatDraws);
    root.dataset.opacity = String(opacity);
    root.dataset.colormap = cmap;
    root.dataset.signed = String(kind);
    root.dataset.state = "drawn";
  }

  function drawText() {
    title.textContent = model.get("title") || "";
    title.style.display = title.textContent ? "" : "none";
    caption.textContent = model.get("caption") || "";
    root.classList.toggle("cv-flagged", !!model.get("flagged"));
  }

  // User changes: local only, shared with views of the same group through a DOM event.
  function setLook(nextOpacity, nextCmap, broadcast) {
    opacity = nextOpacity;
    if (nextCmap !== cmap && fits(nextCmap, kind)) picked[kind] = nextCmap;
    cmap = nextCmap;
    syncControls();
    drawHeat();
    const group = model.get("group");
    if (broadcast && group) {
      window.dispatchEvent(new CustomEvent(GROUP_EVENT, {
        detail: { group, opacity, colormap: cmap, source: root },
      }));
    }
  }
  const onSlider = () => setLook(Number(slider.value) / 100, cmap, true);
  const onSelect = () => setLook(opacity, select.value, true);
  slider.addEventListener("input", onSlider);
  select.addEventListener("change", onSelect);
  const onGroup = (e) => {
    const d = e.detail || {};
    if (d.source === root || !d.group || d.group !== model.get("group")) return;
    setLook(d.opacity, d.colormap, false);
  };
  window.addEventListener(GROUP_EVENT, onGroup);

  // Python-side changes.
  const onImage = () => drawImage();
  const onHeat = () => drawHeat();
  const onOpacity = () => setLook(Number(model.get("opacity")), cmap, false);
  // The kernel's colormap of a kind applies when a map of that kind is shown.
  const onCmap = () => { if (!kind) setLook(opacity, model.get("colormap"), false); };
  const onSignedCmap = () => { if (kind) setLook(opacity, model.get("signed_colormap"), false); };
  const onLuts = () => { syncControls(); drawHeat(); };
  const onText = () => drawText();
  const onLayout = () => { syncControls(); drawImage(); drawHeat(); };
  // One event name per call: the anywidget model proxy is not guaranteed to split names.
  const listeners = [];
  function listen(names, cb) {
    for (const name of names) {
      model.on(`change:${name}`, cb);
      listeners.push([`change:${name}`, cb]);
    }
  }
  listen(["image", "image_shape"], onImage);
  listen(["heatmap", "heatmap_shape", "signed"], onHeat);
  listen(["opacity"], onOpacity);
  listen(["colormap"], onCmap);
  listen(["signed_colormap"], onSignedCmap);
  listen(["luts", "colormaps", "opacity_label"], onLuts);
  listen(["title", "caption", "flagged"], onText);
  listen(["width", "controls"], onLayout);

  function onMove(e) {
    if (!heatDims) return;
    const rect = heat.getBoundingClientRect();
    const [h, w] = heatDims;
    const x = Math.floor(((e.clientX - rect.left) / rect.width) * w);
    const y = Math.floor(((e.clientY - rect.top) / rect.height) * h);
    if (x < 0 || y < 0 || x >= w || y >= h) {
      info.textContent = " ";
      return;
    }
    const code = asBytes(model.get("heatmap"))[y * w + x];
    const zero = Number(model.get("value_zero"));
    const step = Number(model.get("value_step"));
    const v = (code - zero) * step;
    const plain = zero === 0 && Math.abs(step * 255 - 1) < 1e-9;
    const label = model.get("heat_label") || "heat";
    // Row first, as in every raster view: "row 5, col 12 · heat 0.83".
    const [rowName, colName] = model.get("where_labels") || ["row", "col"];
    info.textContent = `${rowName} ${y}, ${colName} ${x} · ${label} ${formatValue(v, plain)}`;
    root.dataset.hover = String(v);
  }
  const onLeave = () => { info.textContent = " "; };
  stack.addEventListener("mousemove", onMove);
  stack.addEventListener("mouseleave", onLeave);

  syncControls();
  drawText();
  drawImage();
  drawHeat();

  return () => {
    for (const [name, cb] of listeners) model.off(name, cb);
    window.removeEventListener(GROUP_EVENT, onGroup);
    slider.removeEventListener("input", onSlider);
    select.removeEventListener("change", onSelect);
    stack.removeEventListener("mousemove", onMove);
    stack.removeEventListener("mouseleave", onLeave);
  };
}

export default { render };
