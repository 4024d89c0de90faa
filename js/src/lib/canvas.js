// Canvas drawing shared by the views.

/**
 * Paint a 256-entry RGB lookup table into a 256×1 canvas (a colour bar; CSS stretches it).
 * @param {HTMLCanvasElement} canvas
 * @param {Uint8Array} lut length 768
 */
export function drawLutStrip(canvas, lut) {
  const strip = new ImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    strip.data[4 * i] = lut[3 * i];
    strip.data[4 * i + 1] = lut[3 * i + 1];
    strip.data[4 * i + 2] = lut[3 * i + 2];
    strip.data[4 * i + 3] = 255;
  }
  canvas.getContext("2d").putImageData(strip, 0, 0);
}
