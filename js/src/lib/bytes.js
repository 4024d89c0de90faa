// Binary trait payloads arrive differently depending on the widget manager: ipywidgets 8 hands a
// DataView, ipywidgets 7 an ArrayBuffer or DataView, and a fresh model may still hold null.
// Everything downstream wants a Uint8Array view without copying.

/**
 * View a synced `traitlets.Bytes` value as a Uint8Array (no copy).
 * @param {DataView|ArrayBuffer|Uint8Array|null|undefined} value
 * @returns {Uint8Array}
 */
export function asBytes(value) {
  if (value == null) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value;
  if (value instanceof DataView) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  return new Uint8Array(0);
}

/**
 * A 256-entry RGB lookup table; a grey ramp when the payload is missing or short, so a view
 * never throws while its model is half-initialised.
 * @param {DataView|ArrayBuffer|Uint8Array|null} value
 * @returns {Uint8Array} length 768
 */
export function asLut(value) {
  const lut = asBytes(value);
  if (lut.length >= 768) return lut;
  const grey = new Uint8Array(768);
  for (let i = 0; i < 256; i++) grey[3 * i] = grey[3 * i + 1] = grey[3 * i + 2] = i;
  return grey;
}
