// The page: small helpers to make elements, and the page's one registry of view groups (cursor.js's groups).

import { groups } from "./cursor.js";

export const GROUPS = groups(window);

export function el(tag, cls, parent, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

export function svg(tag, attrs, parent) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// Canvas pixels per CSS pixel.
export function dpr() {
  return window.devicePixelRatio || 1;
}
