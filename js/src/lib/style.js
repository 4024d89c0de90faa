// One shared stylesheet for every convviz view, injected once per document. Colours follow the
// JupyterLab theme variables with fallbacks for Notebook 7 / VS Code / Colab.

const CSS = `
.convviz-raster { display: inline-flex; flex-direction: column; gap: 4px; margin: 2px 8px 6px 0;
  font: 12px var(--jp-ui-font-family, system-ui, sans-serif); color: var(--jp-ui-font-color1, #222); }
.convviz-raster .cv-title { font-weight: 600; }
.convviz-raster .cv-scroll { overflow: auto; max-width: 100%; }
.convviz-raster canvas.cv-main { image-rendering: pixelated; display: block; cursor: crosshair; }
.convviz-raster .cv-stack { position: relative; width: max-content; }
.convviz-raster canvas.cv-outline { position: absolute; left: 0; top: 0; pointer-events: none; }
.convviz-raster .cv-colorbar { display: flex; align-items: center; gap: 6px; }
.convviz-raster .cv-colorbar canvas { height: 10px; width: 160px; image-rendering: pixelated;
  border: 1px solid var(--jp-border-color1, #999); }
.convviz-raster .cv-info { min-height: 1.3em; font-family: var(--jp-code-font-family, monospace);
  color: var(--jp-ui-font-color2, #555); white-space: pre; }
.convviz-raster .cv-caption { color: var(--jp-ui-font-color2, #555); max-width: 640px; }
`;

/** Add a `<style id=...>` with `css` to the document once (no-op outside a browser). */
export function injectStyle(id, css) {
  if (typeof document === "undefined" || document.getElementById(id)) return;
  const style = document.createElement("style");
  style.id = id;
  style.textContent = css;
  document.head.appendChild(style);
}

export function ensureStyle() {
  injectStyle("convviz-style", CSS);
}
