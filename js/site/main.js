// The static site of cv.publish: one page (index.html), hash routes, data as <script> files.
//
// Why scripts and not fetch(): Chromium refuses fetch/XHR of local files, and the site must open
// from file:// as well as from a static host (publish_schema.md). data/index.js is loaded by
// index.html; a layer's or class's file is loaded on demand by injecting a <script> tag, so a
// 500-channel layer costs nothing until it is opened. Nothing here requests a URL outside the
// folder: no CDN, no font, no analytics.
//
// Routes (permalinks): #/ · #/layer/<slug> · #/layer/<slug>/channel/<i> · #/class/<j>, with an
// optional ?sort=channel|rate|purity&lang=en|es|pt in the hash.

import { LANGS, LANG_NAMES, t, missingKeys, table } from "./i18n.js";

const SITE = (window.CONVVIZ_SITE = window.CONVVIZ_SITE || { layers: {}, classes: {} });
SITE.layers = SITE.layers || {};
SITE.classes = SITE.classes || {};
const SORTS = ["channel", "rate", "purity"];

let lang = "en";
let renderSeq = 0;
let dialog = null; // {el, opener} while the whole-image dialog is open

// ---------- small DOM helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const tr = (key, params) => t(lang, key, params);

// Images are lazy: a layer page of 512 tiles loads only what scrolls into view.
function img(src, alt, cls = "") {
  if (!src) return h("span", { class: `cv-noimg ${cls}`, role: "img", "aria-label": alt }, tr("no_picture"));
  return h("img", { src, alt, class: cls, loading: "lazy", decoding: "async" });
}

function pct(x) {
  if (x === null || x === undefined) return tr("none");
  return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(x);
}

function num(x, digits = 3) {
  if (x === null || x === undefined) return tr("none");
  return new Intl.NumberFormat(lang, { maximumSignificantDigits: digits }).format(x);
}

// A probability: three decimals, and never a rounded "1" for what is not certainty.
function prob(p) {
  if (p === null || p === undefined) return tr("none");
  if (p >= 0.9995) return `> ${num(0.999, 3)}`;
  return new Intl.NumberFormat(lang, { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(p);
}

function shape(s) {
  if (!Array.isArray(s)) return tr("none");
  return s.map((d) => (d === null ? "?" : d)).join("×");
}

// ---------- routing ----------

function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, ""));
  const [path, qs = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean);
  const query = {};
  for (const kv of qs.split("&").filter(Boolean)) {
    const [k, v = ""] = kv.split("=");
    query[k] = v;
  }
  return { parts, query };
}

// A link keeps the reader's language and sort, so a permalink shows what they saw.
function href(parts, extra = {}) {
  const { query } = parseHash();
  const q = { ...query, ...extra };
  const keep = Object.entries(q).filter(([k, v]) => v && (k === "lang" || k === "sort"));
  const path = "#/" + parts.map((p) => encodeURIComponent(String(p))).join("/");
  return keep.length ? `${path}?${keep.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}` : path;
}

function go(parts, extra) {
  location.hash = href(parts, extra);
}

// ---------- data loading ----------

const pending = new Map();

function loadScript(file) {
  if (pending.has(file)) return pending.get(file);
  const p = new Promise((resolve, reject) => {
    const s = h("script", { src: file });
    s.onload = () => resolve();
    s.onerror = () => {
      pending.delete(file);
      s.remove();
      reject(new Error(file));
    };
    document.head.append(s);
  });
  pending.set(file, p);
  return p;
}

async function getLayer(slug) {
  if (!SITE.layers[slug]) await loadScript(`data/layer-${slug}.js`);
  return SITE.layers[slug];
}

async function getClass(j) {
  if (!SITE.classes[String(j)]) await loadScript(`data/class-${j}.js`);
  return SITE.classes[String(j)];
}

// ---------- names ----------

function publishedLayers() {
  return (SITE.index && SITE.index.layers) || [];
}

function layerEntry(slug) {
  return publishedLayers().find((l) => l.slug === slug) || null;
}

function className(j) {
  const cls = SITE.index && SITE.index.classes;
  if (j === null || j === undefined) return tr("none");
  const c = cls && cls.find((c) => String(c.index) === String(j));
  return c ? c.name : String(j);
}

// ---------- the frame: header, search, language ----------

function header() {
  const idx = SITE.index;
  const search = h("input", {
    id: "cv-search", type: "search", autocomplete: "off", spellcheck: "false",
    placeholder: tr("search_placeholder"), "aria-label": tr("search_label"),
    "aria-controls": "cv-search-results",
  });
  const results = h("ul", { id: "cv-search-results", class: "cv-search-results", "aria-live": "polite" });
  search.addEventListener("input", () => showResults(search.value, results));
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      const first = results.querySelector("a");
      if (first) {
        e.preventDefault();
        location.hash = first.getAttribute("href");
      }
    } else if (e.key === "Escape") {
      search.value = "";
      results.replaceChildren();
      search.blur();
    } else if (e.key === "ArrowDown") {
      const first = results.querySelector("a");
      if (first) {
        e.preventDefault();
        first.focus();
      }
    }
  });
  const langSel = h("select", { id: "cv-lang", "aria-label": tr("language") },
    LANGS.map((l) => h("option", { value: l, selected: l === lang }, LANG_NAMES[l])));
  langSel.addEventListener("change", () => go(parseHash().parts, { lang: langSel.value }));
  return h("header", { class: "cv-header" },
    h("a", { class: "cv-skip", href: "#cv-main", onclick: (e) => { e.preventDefault(); focusMain(); } }, tr("skip")),
    h("a", { class: "cv-brand", href: href([]) }, idx ? idx.title : "convviz"),
    h("div", { class: "cv-search", role: "search" }, search, results),
    h("label", { class: "cv-lang" }, h("span", {}, tr("language")), langSel),
    h("p", { class: "cv-keys" }, tr("keys")));
}

function searchHits(q) {
  const idx = SITE.index;
  q = q.trim().toLowerCase();
  if (!q || !idx) return [];
  const hits = [];
  const layers = publishedLayers();
  const matchLayer = (l, s) => l.slug.toLowerCase().includes(s) || l.path.toLowerCase().includes(s);
  // "block2_conv1 7", "block2_conv1:7", "block2_conv1 #7" name a channel.
  const m = q.match(/^(.*?)[\s:#/]+#?(\d+)$/);
  if (m && m[1]) {
    const i = Number(m[2]);
    for (const l of layers.filter((l) => matchLayer(l, m[1]))) {
      if (i < l.channels) hits.push({ href: href(["layer", l.slug, "channel", i]), text: tr("search_channel", { i, layer: l.path }) });
    }
  }
  for (const l of layers.filter((l) => matchLayer(l, q))) {
    hits.push({ href: href(["layer", l.slug]), text: tr("search_layer", { layer: l.path }) });
  }
  for (const c of idx.classes || []) {
    if (String(c.name).toLowerCase().includes(q)) {
      hits.push({ href: href(["class", c.index]), text: tr("search_class", { name: c.name }) });
    }
  }
  return hits.slice(0, 12);
}

function showResults(q, list) {
  const hits = searchHits(q);
  if (!q.trim()) return list.replaceChildren();
  if (!hits.length) return list.replaceChildren(h("li", { class: "cv-none" }, tr("search_none", { q })));
  list.replaceChildren(...hits.map((x) => h("li", {}, h("a", { href: x.href }, x.text))));
}

function focusMain() {
  const h1 = document.querySelector("#cv-main h1");
  if (h1) h1.focus({ preventScroll: false });
}

function crumbs(items) {
  return h("nav", { class: "cv-crumbs", "aria-label": tr("breadcrumb") },
    h("ol", {}, items.map(([text, link]) => h("li", {}, link ? h("a", { href: link }, text) : h("span", { "aria-current": "page" }, text)))));
}

function message(text, cls = "cv-error") {
  return h("div", { class: cls, role: cls === "cv-error" ? "alert" : "status" }, h("h1", { tabindex: "-1" }, text));
}

// ---------- pages ----------

function indexPage() {
  const idx = SITE.index;
  const m = idx.model || {};
  const out = [h("h1", { tabindex: "-1" }, idx.title)];
  out.push(h("p", { class: "cv-lead" },
    [m.name, tr("input", { shape: shape(m.input_shape) }), tr("params", { n: num(m.params, 21) })].filter(Boolean).join(" · ")));

  // The layers a reader can open come first: they are the site.
  const pub = publishedLayers();
  out.push(h("section", { "aria-labelledby": "cv-pub-h" },
    h("h2", { id: "cv-pub-h" }, tr("published_h")),
    h("table", { class: "cv-table cv-published" },
      h("thead", {}, h("tr", {}, [tr("col_layer"), tr("col_channels"), tr("col_dead"), tr("col_rate")].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, pub.map((l) => h("tr", {},
        h("td", {}, h("a", { href: href(["layer", l.slug]) }, l.path)),
        h("td", { class: "cv-num" }, l.channels),
        h("td", { class: "cv-num" }, l.dead),
        h("td", { class: "cv-num" }, pct(l.mean_rate))))))));

  // The whole model, nested backbones folded: a run of layers at depth ≥ 1 under one parent path
  // becomes one closed <details>, as the Model page of the Explorer shows it.
  const rows = [];
  const all = m.layers || [];
  const row = (l) => h("tr", { class: l.published ? "cv-pub" : "" },
    h("td", { style: `padding-left:${0.5 + 1.2 * (l.depth || 0)}em` },
      l.published && l.slug ? h("a", { href: href(["layer", l.slug]) }, l.name) : l.name),
    h("td", {}, l.class), h("td", {}, shape(l.output_shape)), h("td", {}, l.kernel_shape ? shape(l.kernel_shape) : tr("none")));
  for (let k = 0; k < all.length; ) {
    const l = all[k];
    if ((l.depth || 0) >= 1) {
      const parent = l.path.split("/")[0];
      const group = [];
      while (k < all.length && (all[k].depth || 0) >= 1 && all[k].path.split("/")[0] === parent) group.push(all[k++]);
      rows.push(h("tr", { class: "cv-group" }, h("td", { colspan: 4 },
        h("details", {}, h("summary", {}, tr("nested", { name: parent, n: group.length })),
          h("table", { class: "cv-table cv-inner" }, h("tbody", {}, group.map(row)))))));
    } else {
      rows.push(row(l));
      k++;
    }
  }
  out.push(h("section", { "aria-labelledby": "cv-layers-h" },
    h("h2", { id: "cv-layers-h" }, tr("layers_h")),
    h("table", { class: "cv-table cv-model" },
      h("thead", {}, h("tr", {}, [tr("col_layer"), tr("col_class"), tr("col_output"), tr("col_kernel")].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows))));

  if (idx.classes && idx.classes.length) {
    out.push(h("section", { "aria-labelledby": "cv-classes-h" },
      h("h2", { id: "cv-classes-h" }, tr("classes_h")),
      h("ul", { class: "cv-classes" }, idx.classes.map((c) => h("li", {}, h("a", { href: href(["class", c.index]) }, c.name))))));
  }

  const d = idx.data || {};
  const size = d.image_size || [];
  out.push(h("section", { "aria-labelledby": "cv-data-h" },
    h("h2", { id: "cv-data-h" }, tr("data_h")),
    h("p", {}, tr("data_line", { name: d.name, n: num(d.n_images, 21), h: size[0] ?? "?", w: size[1] ?? "?" }),
      d.skipped ? ` · ${tr("data_skipped", { n: d.skipped })}` : "")));

  const s = idx.settings || {};
  out.push(h("section", { "aria-labelledby": "cv-settings-h" },
    h("h2", { id: "cv-settings-h" }, tr("settings_h")),
    h("dl", { class: "cv-settings" }, Object.entries(s).map(([k, v]) => [h("dt", {}, h("code", {}, k)),
      h("dd", {}, v === null ? tr("none") : typeof v === "object" ? JSON.stringify(v) : String(v))]))));

  const made = idx.made || {};
  let when = made.when || "";
  const date = new Date(when);
  if (!Number.isNaN(date.getTime())) when = `${date.toLocaleString(lang, { timeZone: "UTC" })} UTC`;
  out.push(h("section", { "aria-labelledby": "cv-made-h" },
    h("h2", { id: "cv-made-h" }, tr("made_h")),
    h("p", {}, tr("made_line", { when, convviz: made.convviz, keras: made.keras, backend: made.backend,
      seconds: tr("seconds", { n: num(made.seconds, 3) }) }))));
  return { title: idx.title, body: out };
}

// "dead" in the data (never fires on any image) is what the layer page marks; a channel that
// fires on the data but whose optimised pattern does not excite it (maximize's status "dead") is
// "flat"; "unfinished" means a cancel stopped its pattern before the last step.
function channelState(c) {
  if (c.dead) return "dead";
  if (c.status === "dead") return "flat";
  return c.status === "unfinished" ? "unfinished" : "done";
}

function sortChannels(channels, sort) {
  const cs = channels.slice();
  const key = (c) => (sort === "rate" ? c.rate : c.purity);
  if (sort === "rate" || sort === "purity") {
    // Highest first; a channel without the number (no classes, dead) goes last, by index.
    cs.sort((a, b) => {
      const ka = key(a), kb = key(b);
      if (ka === null || ka === undefined) return kb === null || kb === undefined ? a.i - b.i : 1;
      if (kb === null || kb === undefined) return -1;
      return kb - ka || a.i - b.i;
    });
  } else cs.sort((a, b) => a.i - b.i);
  return cs;
}

function currentSort() {
  const s = parseHash().query.sort;
  return SORTS.includes(s) ? s : "channel";
}

function layerPage(layer) {
  const sort = currentSort();
  const name = layer.path;
  const dead = layer.channels.filter((c) => c.dead).length;
  const sel = h("select", { id: "cv-sort" }, SORTS.map((s) => h("option", { value: s, selected: s === sort }, tr(`sort_${s}`))));
  sel.addEventListener("change", () => go(["layer", layer.slug], { sort: sel.value }));
  const tiles = sortChannels(layer.channels, sort).map((c) => {
    const state = channelState(c);
    return h("li", {},
      h("a", { class: `cv-tile cv-${state}`, href: href(["layer", layer.slug, "channel", c.i]), "data-channel": c.i },
        h("span", { class: "cv-tile-imgs" },
          img(c.pattern, tr("alt_pattern", { layer: name, i: c.i })),
          img(c.patch, tr("alt_patch", { layer: name, i: c.i }))),
        h("span", { class: "cv-tile-cap" },
          h("b", {}, `#${c.i}`),
          h("span", { class: "cv-rate" }, tr("tile_rate", { rate: pct(c.rate) })),
          c.purity !== null && c.purity !== undefined ? h("span", {}, tr("tile_purity", { p: pct(c.purity) })) : null,
          c.dead ? h("span", { class: "cv-badge cv-badge-dead" }, tr("dead")) : null,
          state === "unfinished" ? h("span", { class: "cv-badge" }, tr("unfinished")) : null,
          state === "flat" ? h("span", { class: "cv-badge" }, tr("flat")) : null)));
  });
  const rf = layer.rf ? tr("rf_px", { n: layer.rf }) : tr("rf_unknown");
  return {
    title: name,
    body: [
      crumbs([[tr("home"), href([])], [name, null]]),
      h("h1", { tabindex: "-1" }, name),
      h("p", { class: "cv-lead" }, tr("layer_info", { cls: layer.class, shape: shape(layer.output_shape), rf }),
        h("br"), tr("channels_line", { n: layer.channels.length, dead })),
      h("div", { class: "cv-toolbar" }, h("label", { for: "cv-sort" }, tr("sort_label")), sel),
      h("p", { class: "cv-hint" }, tr("tiles_legend")),
      h("ul", { class: "cv-tiles", "data-sort": sort }, tiles),
    ],
  };
}

function openImage(ex, k, layer, c, opener) {
  closeImage();
  const box = h("div", { class: "cv-box", role: "img", "aria-label": tr("box_label") });
  const im = h("img", { src: ex.image, alt: tr("alt_image"), class: "cv-whole" });
  // The box is in pixels of the whole image: place it once the image's real size is known.
  const place = () => {
    const [y0, x0, y1, x1] = ex.box || [0, 0, 0, 0];
    const W = im.naturalWidth || 1, H = im.naturalHeight || 1;
    Object.assign(box.style, { left: `${(100 * x0) / W}%`, top: `${(100 * y0) / H}%`,
      width: `${(100 * (x1 - x0)) / W}%`, height: `${(100 * (y1 - y0)) / H}%` });
    box.dataset.state = "placed";
  };
  im.addEventListener("load", place);
  const title = tr("image_title", { layer: layer.path, i: c.i });
  const close = h("button", { type: "button", class: "cv-close", onclick: closeImage }, tr("close"));
  const el = h("div", { class: "cv-dialog-back", onclick: (e) => { if (e.target === el) closeImage(); } },
    h("div", { class: "cv-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "cv-dialog-h" },
      h("h2", { id: "cv-dialog-h" }, title),
      h("div", { class: "cv-whole-wrap" }, im, ex.box ? box : null),
      h("p", {}, tr("score", { s: num(ex.score) }),
        ex.label !== null && ex.label !== undefined ? ` · ${tr("label", { name: className(ex.label) })}` : ""),
      close));
  document.body.append(el);
  if (im.complete && im.naturalWidth) place();
  dialog = { el, opener };
  close.focus();
}

function closeImage() {
  if (!dialog) return;
  const { el, opener } = dialog;
  dialog = null;
  el.remove();
  if (opener && opener.isConnected) opener.focus();
}

function channelPage(layer, c) {
  const name = layer.path;
  const order = sortChannels(layer.channels, currentSort());
  const at = order.findIndex((x) => x.i === c.i);
  const prev = at > 0 ? order[at - 1] : null;
  const next = at < order.length - 1 ? order[at + 1] : null;
  const body = [
    crumbs([[tr("home"), href([])], [name, href(["layer", layer.slug])], [`#${c.i}`, null]]),
    h("h1", { tabindex: "-1" }, tr("channel_title", { layer: name, i: c.i })),
    h("nav", { class: "cv-pager", "aria-label": tr("channel_title", { layer: name, i: c.i }) },
      prev ? h("a", { rel: "prev", href: href(["layer", layer.slug, "channel", prev.i]) }, `← ${tr("prev")} (#${prev.i})`) : h("span"),
      h("a", { rel: "up", href: href(["layer", layer.slug]) }, `↑ ${tr("up_layer", { layer: name })}`),
      next ? h("a", { rel: "next", href: href(["layer", layer.slug, "channel", next.i]) }, `${tr("next")} (#${next.i}) →`) : h("span")),
  ];
  const status = channelState(c);
  // Two columns, so the first screen holds what a reader compares: the pattern and the kernel
  // on the left, the numbers and the real patches that excite the channel on the right.
  const left = [], right = [];
  right.push(h("dl", { class: "cv-stats" },
    h("dt", {}, tr("rate")), h("dd", { class: "cv-rate" }, pct(c.rate)),
    h("dt", {}, tr("purity")), h("dd", {}, pct(c.purity)),
    h("dt", {}, tr("top_class")), h("dd", {}, c.top_class === null || c.top_class === undefined ? tr("none") : h("a", { href: href(["class", c.top_class]) }, className(c.top_class))),
    h("dt", {}, tr("status")), h("dd", { class: `cv-status-${status}` }, tr(`status_${status}`))));

  const pics = h("section", { class: "cv-pattern", "aria-labelledby": "cv-pattern-h" },
    h("h2", { id: "cv-pattern-h" }, tr("pattern_h")),
    h("div", { class: "cv-big" }, img(c.pattern, tr("alt_pattern", { layer: name, i: c.i }))));
  if (c.variants && c.variants.length) {
    pics.append(h("h3", {}, tr("variants_h")),
      h("div", { class: "cv-variants" }, c.variants.map((v, k) => img(v, tr("alt_variant", { k: k + 1, layer: name, i: c.i })))));
  }
  left.push(pics);

  const ex = c.examples || [];
  right.push(h("section", { class: "cv-examples", "aria-labelledby": "cv-ex-h" },
    h("h2", { id: "cv-ex-h" }, tr("examples_h")),
    ex.length ? h("p", { class: "cv-hint" }, tr("examples_hint")) : h("p", {}, tr("examples_none")),
    h("ul", { class: "cv-patches" }, ex.map((e, k) => {
      const b = h("button", { type: "button", class: "cv-patch", "data-k": k },
        img(e.patch, tr("alt_example", { k: k + 1, layer: name, i: c.i, s: num(e.score) })),
        h("span", {}, num(e.score)));
      b.addEventListener("click", () => openImage(e, k, layer, c, b));
      return h("li", {}, b);
    }))));

  const k = c.kernel;
  const ks = h("section", { class: "cv-kernel", "aria-labelledby": "cv-k-h" }, h("h2", { id: "cv-k-h" }, tr("kernel_h")));
  if (k && k.slices) {
    const shown = k.slices.length;
    ks.append(h("p", { class: "cv-scale" }, tr("kernel_scale", { n: shown + (k.omitted || 0), vmin: num(k.vmin), vmax: num(k.vmax) })),
      h("div", { class: "cv-slices" },
        k.rgb ? h("figure", {}, img(k.rgb, tr("alt_rgb", { layer: name, i: c.i })), h("figcaption", {}, tr("kernel_rgb"))) : null,
        k.slices.map((s, ci) => h("figure", {}, img(s, tr("alt_kernel", { c: ci, layer: name, i: c.i })), h("figcaption", {}, tr("kernel_slice", { c: ci }))))),
      k.omitted ? h("p", { class: "cv-hint" }, tr("kernel_omitted", { n: k.omitted })) : "");
  } else ks.append(h("p", {}, tr("kernel_none")));
  left.push(ks);

  if (c.class_mix) {
    const mix = Object.entries(c.class_mix).sort((a, b) => b[1] - a[1]);
    right.push(h("section", { class: "cv-mix", "aria-labelledby": "cv-mix-h" },
      h("h2", { id: "cv-mix-h" }, tr("mix_h")),
      h("table", { class: "cv-table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, tr("classes_h")), h("th", { scope: "col" }, tr("col_share")))),
        h("tbody", {}, mix.map(([j, share]) => h("tr", {},
          h("td", {}, h("a", { href: href(["class", j]) }, className(j))),
          h("td", {}, h("span", { class: "cv-bar", style: `width:${Math.round(100 * share)}%` }), " ", pct(share))))))));
  }
  if (c.cam_rank) {
    const ranks = Object.entries(c.cam_rank).sort((a, b) => a[1] - b[1]);
    right.push(h("section", { class: "cv-cam", "aria-labelledby": "cv-cam-h" },
      h("h2", { id: "cv-cam-h" }, tr("cam_h")),
      h("p", { class: "cv-hint" }, tr("cam_hint")),
      h("table", { class: "cv-table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, tr("classes_h")), h("th", { scope: "col" }, tr("col_rank")))),
        h("tbody", {}, ranks.map(([j, r]) => h("tr", {},
          h("td", {}, h("a", { href: href(["class", j]) }, className(j))),
          h("td", { class: "cv-num" }, `${r} / ${layer.channels.length}`)))))));
  }
  body.push(h("div", { class: "cv-channel" }, h("div", { class: "cv-col" }, left), h("div", { class: "cv-col" }, right)));
  return { title: tr("channel_title", { layer: name, i: c.i }), body };
}

function predictionList(items, cname) {
  if (!items || !items.length) return h("p", {}, tr("no_examples"));
  return h("ul", { class: "cv-preds" }, items.map((p) => h("li", {},
    h("figure", {},
      h("span", { class: "cv-pair" },
        img(p.image, tr("alt_image")),
        img(p.cam, tr("cam_alt", { name: cname, label: className(p.label) }))),
      h("figcaption", {}, tr("prob", { name: cname, p: prob(p.p) }), " · ", tr("label", { name: className(p.label) }))))));
}

function classPage(cl) {
  const name = cl.name;
  return {
    title: tr("class_title", { name }),
    body: [
      crumbs([[tr("home"), href([])], [name, null]]),
      h("h1", { tabindex: "-1" }, tr("class_title", { name })),
      h("section", { "aria-labelledby": "cv-vis-h" }, h("h2", { id: "cv-vis-h" }, tr("visualisation_h")),
        h("div", { class: "cv-big" }, img(cl.visualisation, tr("alt_vis", { name })))),
      h("section", { "aria-labelledby": "cv-best-h" }, h("h2", { id: "cv-best-h" }, tr("best_h")), predictionList(cl.best, name)),
      h("section", { "aria-labelledby": "cv-worst-h" }, h("h2", { id: "cv-worst-h" }, tr("worst_h")), predictionList(cl.worst, name)),
    ],
  };
}

// ---------- render ----------

async function page(parts) {
  const idx = SITE.index;
  if (parts.length === 0) return indexPage();
  if (parts[0] === "layer" && parts[1] !== undefined && (parts.length === 2 || (parts.length === 4 && parts[2] === "channel"))) {
    const slug = parts[1];
    if (!layerEntry(slug)) return { title: slug, body: [message(tr("no_layer", { slug }))] };
    let layer;
    try {
      layer = await getLayer(slug);
    } catch (e) {
      return { title: slug, body: [message(tr("load_failed", { file: e.message }))] };
    }
    if (!layer) return { title: slug, body: [message(tr("load_failed", { file: `data/layer-${slug}.js` }))] };
    if (parts.length === 2) return layerPage(layer);
    const i = Number(parts[3]);
    const c = layer.channels.find((x) => x.i === i);
    if (!c) return { title: slug, body: [message(tr("no_channel", { layer: layer.path, i: parts[3], last: layer.channels.length - 1 }))] };
    return channelPage(layer, c);
  }
  if (parts[0] === "class" && parts.length === 2) {
    const j = parts[1];
    if (!(idx.classes || []).some((c) => String(c.index) === j)) return { title: j, body: [message(tr("no_class", { j }))] };
    let cl;
    try {
      cl = await getClass(j);
    } catch (e) {
      return { title: j, body: [message(tr("load_failed", { file: e.message }))] };
    }
    return classPage(cl);
  }
  return { title: "", body: [message(tr("not_found"))] };
}

async function render() {
  const seq = ++renderSeq;
  const at = location.hash;
  closeImage();
  const root = document.getElementById("cv-app") || document.body.appendChild(h("div", { id: "cv-app" }));
  if (!SITE.index) {
    // Without data/index.js there is no language either: English, and the one thing to do.
    root.replaceChildren(message(t("en", "load_failed", { file: "data/index.js" })));
    return;
  }
  const { parts, query } = parseHash();
  lang = LANGS.includes(query.lang) ? query.lang : LANGS.includes(SITE.index.lang) ? SITE.index.lang : "en";
  document.documentElement.lang = lang;
  const main = h("main", { id: "cv-main", "aria-busy": "true" }, h("p", { class: "cv-loading" }, tr("loading")));
  root.replaceChildren(header(), main);
  const p = await page(parts);
  if (seq !== renderSeq) return; // a newer navigation won
  main.replaceChildren(...p.body);
  main.removeAttribute("aria-busy");
  main.dataset.route = parts[0] === "layer" && parts.length === 4 ? "channel" : parts[0] || "index";
  // Which address this page shows: a test (or a script) waits for this, not for any page.
  main.dataset.hash = at;
  document.title = p.title && p.title !== SITE.index.title ? `${p.title} · ${SITE.index.title}` : SITE.index.title;
  if (render.byKey) focusMain();
  render.byKey = false;
  window.scrollTo(0, 0);
}

// ---------- keyboard ----------

function step(delta) {
  const { parts } = parseHash();
  if (parts[0] === "layer" && parts.length === 4) {
    const a = document.querySelector(`.cv-pager a[rel=${delta < 0 ? "prev" : "next"}]`);
    if (a) {
      render.byKey = true;
      location.hash = a.getAttribute("href");
    }
  } else if (parts[0] === "layer" && parts.length === 2) {
    const pub = publishedLayers();
    const at = pub.findIndex((l) => l.slug === parts[1]);
    const to = pub[at + delta];
    if (to) {
      render.byKey = true;
      go(["layer", to.slug]);
    }
  } else if (parts[0] === "class") {
    const cls = SITE.index.classes || [];
    const at = cls.findIndex((c) => String(c.index) === parts[1]);
    const to = cls[at + delta];
    if (to) {
      render.byKey = true;
      go(["class", to.index]);
    }
  }
}

function up() {
  const { parts } = parseHash();
  if (!parts.length) return;
  render.byKey = true;
  go(parts[0] === "layer" && parts.length === 4 ? ["layer", parts[1]] : []);
}

document.addEventListener("keydown", (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  if (dialog) {
    if (e.key === "Escape") {
      e.preventDefault();
      closeImage();
    } else if (e.key === "Tab") {
      // A modal dialog keeps the focus: its one control is the Close button.
      e.preventDefault();
      dialog.el.querySelector(".cv-close").focus();
    }
    return;
  }
  // In the search results the arrows move between results (↑ from the first goes back to the box).
  const inResults = e.target && e.target.closest && e.target.closest("#cv-search-results");
  if (inResults && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
    e.preventDefault();
    const links = Array.from(inResults.querySelectorAll("a"));
    const at = links.indexOf(e.target);
    const to = e.key === "ArrowDown" ? links[Math.min(at + 1, links.length - 1)] : links[at - 1];
    (to || document.getElementById("cv-search")).focus();
    return;
  }
  if (inResults && e.key === "Escape") {
    document.getElementById("cv-search").focus();
    return;
  }
  const tag = (e.target && e.target.tagName) || "";
  if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
  if (e.key === "/") {
    e.preventDefault();
    const s = document.getElementById("cv-search");
    if (s) s.focus();
  } else if (e.key === "ArrowLeft") {
    e.preventDefault();
    step(-1);
  } else if (e.key === "ArrowRight") {
    e.preventDefault();
    step(1);
  } else if (e.key === "ArrowUp") {
    e.preventDefault();
    up();
  }
});

window.addEventListener("hashchange", render);
// For the browser test: every language defines every English key; no English left on es/pt pages.
window.CONVVIZ_SITE_I18N = { missing: missingKeys, table };
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
else render();
