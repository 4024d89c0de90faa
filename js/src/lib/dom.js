// Building the views' DOM: one element with its class and properties in one call.

/**
 * `document.createElement(tag)` with `className` and any other properties set.
 * @param {string} tag
 * @param {string} [className]
 * @param {object} [props] e.g. {width: 256, height: 1} or {textContent: " "}
 * @returns {HTMLElement}
 */
export function make(tag, className = "", props = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return Object.assign(node, props);
}
