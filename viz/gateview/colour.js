// Colours: a panel's scale (viz/gateview.py's _scale: its range and the palette's sampled stops) as 256 levels,
// each value's colour on the scale's fixed range or on its unit's own (a stretched panel, C_t), and the legend.

import { short } from "./format.js";

export const LEVELS = 256;
export const MISSING = 236; // grey: a step this pane does not have (a shorter input in Compare)

// The scale as a lookup table (LEVELS rgb triples between its stops) and what reads it: ``index`` (a value's
// level), ``css`` (its colour) and ``dark`` (whether white text reads best on it). ``bound`` (optional) colours
// on ±bound instead of the scale's own range.
export function colourMap(scale) {
  const lut = new Uint8ClampedArray(LEVELS * 3);
  const stops = scale.stops;
  for (let k = 0; k < LEVELS; k++) {
    const pos = (k / (LEVELS - 1)) * (stops.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, stops.length - 1);
    const w = pos - lo;
    for (let c = 0; c < 3; c++) lut[k * 3 + c] = stops[lo][c] * (1 - w) + stops[hi][c] * w;
  }
  const index = (v, bound) => {
    if (!Number.isFinite(v)) return 0;
    const lo = bound === undefined ? scale.min : -bound;
    const hi = bound === undefined ? scale.max : bound;
    return Math.round(Math.min(Math.max((v - lo) / (hi - lo), 0), 1) * (LEVELS - 1));
  };
  return {
    lut,
    index,
    css(v, bound) {
      const k = index(v, bound) * 3;
      return `rgb(${lut[k]}, ${lut[k + 1]}, ${lut[k + 2]})`;
    },
    dark(v, bound) {
      const k = index(v, bound) * 3;
      return 0.299 * lut[k] + 0.587 * lut[k + 1] + 0.114 * lut[k + 2] < 140;
    },
  };
}

// The legend's ramp: the scale's stops left to right.
export function gradient(scale) {
  return `linear-gradient(to right, ${scale.stops.map((c) => `rgb(${c.join(",")})`).join(",")})`;
}

// Each row's own symmetric bound, its largest |value| over the steps (1 for a row that stays at 0).
export function rowBounds(a) {
  const bounds = new Float64Array(a.cols);
  for (let t = 0; t < a.rows; t++) {
    for (let r = 0; r < a.cols; r++) {
      const v = Math.abs(a.values[t * a.cols + r]);
      if (v > bounds[r]) bounds[r] = v;
    }
  }
  return bounds.map((b) => (b > 0 ? b : 1));
}

// A panel's whole picture as RGBA pixels, one a value: the shown row r is array row order[r], steps left to
// right; ``boundOf(row)`` is the row's own bound, or undefined for the scale's range.
export function heatPixels(a, order, map, boundOf = () => undefined) {
  const T = a.rows;
  const R = a.cols;
  const pixels = new Uint8ClampedArray(T * order.length * 4);
  const { lut, index } = map;
  order.forEach((row, r) => {
    const bound = boundOf(row);
    for (let t = 0; t < T; t++) {
      const v = a.values[t * R + row];
      const o = (r * T + t) * 4;
      if (Number.isNaN(v)) {
        pixels[o] = pixels[o + 1] = pixels[o + 2] = MISSING;
      } else {
        const k = index(v, bound) * 3;
        pixels[o] = lut[k];
        pixels[o + 1] = lut[k + 1];
        pixels[o + 2] = lut[k + 2];
      }
      pixels[o + 3] = 255;
    }
  });
  return pixels;
}

// What a panel's legend says: "0 ▭ 1 (σ)", "−20 ▭ 20", or with ``bound`` (the chosen unit's own range) "−0.98 ▭
// 0.98" and a title saying so; ``stretched``: the panel could colour each unit on its own range.
export function legend(scale, { bound, unit, stretched = false } = {}) {
  if (bound !== undefined) {
    return {
      low: short(-bound), high: short(bound), what: "",
      title: `Each unit's row is coloured by its own range, ±its largest |value|; unit ${unit}'s is ±${short(bound)}. `
        + "The numbers in the step panel are the values themselves.",
    };
  }
  const fn = /\((σ|tanh)\)/.exec(scale.label);
  return {
    low: short(scale.min), high: short(scale.max), what: fn ? `(${fn[1]})` : "",
    title: `Colours from ${short(scale.min)} to ${short(scale.max)}${stretched ? ", one range for every unit" : ""}`,
  };
}
