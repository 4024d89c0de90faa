# Notebook cells for ../shared/colab-emu (Colab's widget manager on an ipywidgets 7.7.1 kernel),
# run by tests/colab/test_colab_emulated.py:
#   bash ../shared/colab-emu/run.sh tests/colab/colab_cells.py <outdir>/
# Every view is shown (the ConvStep, DeepDream and channel-browser views at the end), then driven from later cells through their Python traits; the
# Explorer shows each of its pages; one view is displayed a second time (a second output frame);
# a picture written to a file in one cell is read with cv.load_image in the next and goes through
# every view that takes images. `Probe` (a tiny anywidget) acts in the page like a user: it
# clicks a page button, puts a file into an Upload button, and measures which Explorer page is
# visible and whether its canvases hold pixels; a later cell checks its findings in Python, so a
# wrong finding fails that cell (and the run). Setup cells end in an assignment or `;`: the
# emulator expects a display from a cell whose last line is an expression.
# %%
import base64
import io
import json
import tempfile
from pathlib import Path

import anywidget
import ipywidgets as w
import numpy as np
import traitlets
from PIL import Image

import convviz_widgets as cv

model = cv.demo_model()
scenes = list(cv.demo_images().images[:2])
workdir = Path(tempfile.mkdtemp(prefix="cvt-colab-"))
# A "phone photo": a demo scene enlarged to a non-square 360x240 JPEG, as Colab's file pane
# would hold it (/content/photo.jpg there).
scene = np.asarray(cv.demo_images().images[3])
photo_px = np.asarray(Image.fromarray((np.clip(scene, 0, 1) * 255).astype(np.uint8))
                      .resize((360, 240), Image.Resampling.BICUBIC))
Image.fromarray(photo_px).save(workdir / "photo.jpg", quality=92)
# A small PNG for the Upload button (what the probe puts into its file input).
_buf = io.BytesIO()
Image.fromarray(photo_px[::4, ::4]).save(_buf, "PNG")
upload_b64 = base64.b64encode(_buf.getvalue()).decode()


class Probe(anywidget.AnyWidget):
    """Acts in the page once rendered: `click` a page button, `upload` a file through an
    Upload button, or measure the `pages` of the newest Explorer frame; the finding comes
    back as JSON in `result`."""

    _esm = r"""
const visible = (e) => !!e && e.getClientRects().length > 0 &&
    getComputedStyle(e).visibility !== 'hidden' && e.offsetWidth > 0 && e.offsetHeight > 0;
function drawn(c) {  // not one uniform colour; reads a copy, never the widget's own context
  if (!c.width || !c.height) return false;
  const t = document.createElement('canvas'); t.width = c.width; t.height = c.height;
  const g = t.getContext('2d'); g.drawImage(c, 0, 0);
  const d = g.getImageData(0, 0, t.width, t.height).data;
  for (let i = 4; i < d.length; i += 4)
    if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3]) return true;
  return false;
}
const last = (sel) => { const all = document.querySelectorAll(sel); return all[all.length - 1]; };
function pages(root) {
  const holders = Array.from(root.querySelectorAll('.convviz-page'));
  return holders.map((h) => {
    const canv = Array.from(h.querySelectorAll('canvas')).filter(visible);
    return {visible: visible(h), canvases: canv.length, drawn: canv.filter(drawn).length,
            tables: h.querySelectorAll('table').length, text: h.innerText.length,
            panels: h.querySelectorAll('.convviz-publish').length};
  });
}
async function act(model) {
  const a = model.get('action'), sel = model.get('selector'), k = model.get('index');
  if (a === 'click') {
    const b = last(sel + ' .convviz-pagebar');
    const btn = b && b.querySelectorAll('button')[k];
    if (!btn) return {error: 'no page button ' + k + ' under ' + sel};
    btn.click();
    return {clicked: btn.textContent.trim()};
  }
  if (a === 'upload') {
    // A click on the Upload button, with the browser's file dialog answered by a file of
    // ours: the button's (detached) <input type=file> gets it and fires `change`.
    const button = last(sel + ' .widget-upload');
    if (!button) return {error: 'no Upload button under ' + sel};
    const bytes = Uint8Array.from(atob(model.get('payload')), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'probe.png', {type: 'image/png'}));
    const click = HTMLInputElement.prototype.click;
    let asked = false;
    HTMLInputElement.prototype.click = function () {
      if (this.type !== 'file') return click.call(this);
      asked = true;
      this.files = dt.files;
      this.dispatchEvent(new Event('change'));
    };
    try { button.click(); } finally { HTMLInputElement.prototype.click = click; }
    return asked ? {uploaded: bytes.length} : {error: 'the Upload button opened no file dialog'};
  }
  if (a === 'pages') {
    // The Explorer may still be drawing: wait (up to 30 s) until the selected page has its
    // pixels (or its summary table, or the Publish panel), then report every page.
    let res = null;
    for (let t = 0; t < 150; t++) {
      const root = last(sel);
      if (root) {
        res = pages(root);
        const p = res[k];
        if (p && p.visible && (p.drawn > 0 || p.tables > 0 || p.panels > 0)) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return {pages: res};
  }
  return {error: 'unknown action ' + a};
}
export default { async render({ model, el }) {
  const out = document.createElement('div');
  out.style.font = '12px monospace';
  out.textContent = 'probe: ' + model.get('action') + ' …';
  el.appendChild(out);
  let res;
  try { res = await act(model); } catch (e) { res = {error: String(e)}; }
  out.textContent = 'probe ' + model.get('action') + ': ' + JSON.stringify(res);
  model.set('result', JSON.stringify(res));
  model.save_changes();
} }
"""
    action = traitlets.Unicode("").tag(sync=True)
    selector = traitlets.Unicode("").tag(sync=True)
    index = traitlets.Int(0).tag(sync=True)
    payload = traitlets.Unicode("").tag(sync=True)
    result = traitlets.Unicode("").tag(sync=True)

    def finding(self) -> dict:
        assert self.result, f"the probe ({self.action}) reported nothing: it did not render"
        res = json.loads(self.result)
        assert "error" not in res, res
        return res


def check_page(probe, k):
    """Page k is the only visible page and shows pixels (or, for the model summary, a table)."""
    found = probe.finding()["pages"]
    shown = [i for i, p in enumerate(found) if p["visible"]]
    assert shown == [k], f"visible pages {shown}, expected only page {k}: {found}"
    page = found[k]
    if k == ex.tabs.titles.index("Model"):  # the model summary: a table
        assert page["tables"] > 0 and page["canvases"] == 0, page
    elif k == ex.tabs.titles.index("Publish"):  # the Publish panel: controls and words
        assert page["panels"] == 1 and page["canvases"] == 0 and page["text"] > 0, page
    else:
        assert page["drawn"] > 0, f"page {k} has no drawn canvas: {page}"
    return page
# %%
img = cv.load_image(workdir / "photo.jpg")
assert img.dtype == np.float32 and img.shape == (240, 360, 3) and 0 <= img.min() < img.max() <= 1
images = [img] + scenes
img.shape
# %%
kv = cv.KernelViewer(model)
kv.add_class("cvt-kv")
kv
# %%
av = cv.ActivationViewer(model, images)
av.add_class("cvt-av")
av
# %%
gc = cv.GradCAMViewer(model, images)
gc.add_class("cvt-gc")
gc
# %%
fm = cv.FilterMaximizer(model, steps=24, size=64, prewarm=False)
fm.add_class("cvt-fm")
fm
# %%
ex = cv.Explorer(model, images)
ex.add_class("cvt-ex")
ex
# %%
# Drive every view from Python, as a student's later cell would (the frames above redraw).
kv.layer = "block2_conv1"
kv.filter_index = 3
av.layer = "block2_conv1"
av.filter_index = 5
av.image_index = 0  # the picture from the file
gc.image_index = 0
assert gc.wait(120), "Grad-CAM did not finish"
gc.target = int(gc.top.indices[1])
assert gc.wait(120) and gc.result.target == gc.target
fm.layer = "block2_conv1"
fm.filter_index = 2
fm.run()
assert fm.wait(300), "the filter maximizer did not finish"
ex.image_index = 0
ex.layer = "block2_conv1"
ex.filter_index = 4
assert ex.gradcam.wait(120)
{"kv": [kv.layer, kv.filter_index], "av": [av.layer, av.filter_index, av.image_index],
 "gc": [gc.image_index, gc.result.target], "fm": [fm.layer, fm.filter_index],
 "ex": [ex.layer, ex.filter_index, ex.image_index]}
# %%
# A second output frame of views drawn earlier: every view must draw there too.
w.VBox([kv, av])
# %%
# The values set from Python survived the front ends: Colab's 8-alpha sliders once sent a
# floored position back (filter 3 became 2).
assert [kv.filter_index, av.filter_index, fm.filter_index, ex.filter_index] == [3, 5, 2, 4]
assert [kv._slider.value, av._slider.value, ex._slider.value] == [3, 5, 4]
[kv.filter_index, av.filter_index, fm.filter_index, ex.filter_index]
# %%
p_pages = {}
ex.tabs.selected_index = 0
p_pages[0] = Probe(action="pages", selector=".cvt-ex", index=0)
w.VBox([ex, p_pages[0]])
# %%
ex.tabs.selected_index = 1
p_pages[1] = Probe(action="pages", selector=".cvt-ex", index=1)
w.VBox([ex, p_pages[1]])
# %%
ex.tabs.selected_index = 2
ex.patterns.run()
assert ex.patterns.wait(300)
p_pages[2] = Probe(action="pages", selector=".cvt-ex", index=2)
w.VBox([ex, p_pages[2]])
# %%
ex.tabs.selected_index = 3
p_pages[3] = Probe(action="pages", selector=".cvt-ex", index=3)
w.VBox([ex, p_pages[3]])
# %%
ex.tabs.selected_index = 4
p_pages[4] = Probe(action="pages", selector=".cvt-ex", index=4)
w.VBox([ex, p_pages[4]])
# %%
last = ex.tabs.titles.index("Model")  # the model summary (a table: no canvas)
ex.tabs.selected_index = last
p_pages[last] = Probe(action="pages", selector=".cvt-ex", index=last)
w.VBox([ex, p_pages[last]])
# %%
pub = ex.tabs.titles.index("Publish")  # the Publish panel (folder, layers, Build, Cancel)
ex.tabs.selected_index = pub
p_pages[pub] = Probe(action="pages", selector=".cvt-ex", index=pub)
w.VBox([ex, p_pages[pub]])
# %%
{k: check_page(p, k) for k, p in p_pages.items()}
# %%
# A click on the "Grad-CAM" page button of the newest Explorer frame, then its pages measured.
n_images = len(av.images)
p_click = Probe(action="click", selector=".cvt-ex", index=3)
p_upload = Probe(action="upload", selector=".cvt-av", payload=upload_b64)
w.VBox([p_click, p_upload])
# %%
assert p_click.finding()["clicked"] == ex.tabs.get_title(3)
assert ex.tabs.selected_index == 3, ex.tabs.selected_index
# The upload (ipywidgets 8 format from Colab's front end) reached the 7.7.1 kernel.
p_upload.finding()
assert len(av.images) == n_images + 1 and av.image_index == n_images, (len(av.images),
                                                                     av.image_index)
p_after = Probe(action="pages", selector=".cvt-ex", index=3)
p_after
# %%
check_page(p_after, 3)
# %%
ex.tabs.selected_index = 5
p_pages[5] = Probe(action="pages", selector=".cvt-ex", index=5)
w.VBox([ex, p_pages[5]])
# %%
check_page(p_pages[5], 5)
# %%
cs = cv.ConvStepViewer(model, images)
cs.add_class("cvt-cs")
cs
# %%
dd = cv.DeepDreamViewer(model, images, octaves=1, steps=4)
dd.add_class("cvt-dd")
dd
# %%
# The dream runs from a later cell; its frames reach the frame above.
dd.run()
assert dd.wait(300) and dd.result is not None and not dd.result.cancelled
dd.frames_shown
# %%
cb = cv.ChannelBrowser(model, examples=cv.demo_dataset_examples(), layer="block2_conv1")
cb.add_class("cvt-cb")
cb
