// colour.js: each value's colour on the server's palettes, the pictures of the maps, and what a legend says.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MISSING, colourMap, gradient, heatPixels, legend, rowBounds } from "../../viz/gateview/colour.js";
import { cases } from "./cases.mjs";

const server = cases();

// The colour a value should get on [lo, hi]: its share of the range in 256 levels, between the palette's stops.
function expected(stops, value, lo, hi) {
  const share = Math.round(Math.min(Math.max((value - lo) / (hi - lo), 0), 1) * 255) / 255;
  const pos = share * (stops.length - 1);
  const k = Math.min(Math.floor(pos), stops.length - 2);
  const w = pos - k;
  return [0, 1, 2].map((c) => stops[k][c] * (1 - w) + stops[k + 1][c] * w);
}

function rgb(css) {
  return css.match(/\d+/g).map(Number);
}

test("every palette's scales colour values as the server's stops say, clamped at the range's ends",
  { skip: server.skip }, () => {
    for (const [name, scales] of Object.entries(server.data.palettes)) {
      for (const [scale, stops] of Object.entries(scales)) {
        const [lo, hi] = scale === "sequential" ? [0, 1] : [-1, 1];
        const map = colourMap({ min: lo, max: hi, stops });
        for (const value of [lo, hi, (lo + hi) / 2, lo + 0.1, hi - 0.37, 0.013, lo - 5, hi + 5]) {
          const got = rgb(map.css(value));
          const want = expected(stops, value, lo, hi);
          assert.ok(got.every((c, k) => Math.abs(c - want[k]) <= 1), `${name} ${scale} at ${value}: ${got}, want ${want}`);
        }
        assert.deepEqual(rgb(map.css(lo)), stops[0]);
        assert.deepEqual(rgb(map.css(hi)), stops.at(-1));
      }
    }
  });

test("a unit's own range colours on ±its bound; white text goes on dark colours", { skip: server.skip }, () => {
  const stops = server.data.palettes.standard.diverging;
  const map = colourMap({ min: -20, max: 20, stops });
  assert.deepEqual(rgb(map.css(0.7, 0.7)), stops.at(-1)); // the top of its own range
  assert.notDeepEqual(rgb(map.css(0.7)), stops.at(-1)); // pale on the shared ±20
  const viridis = colourMap({ min: 0, max: 1, stops: server.data.palettes.standard.sequential });
  assert.equal(viridis.dark(0), true);
  assert.equal(viridis.dark(1), false);
});

test("a map's picture puts each row where the view's order says, and a missing step in grey", () => {
  const stops = [[0, 0, 0], [255, 255, 255]];
  const map = colourMap({ min: 0, max: 1, stops });
  // 3 steps × 2 rows, row-major (steps, rows): row 0 is 0, 0.5, NaN; row 1 is 1, 1, 1.
  const a = { values: Float64Array.from([0, 1, 0.5, 1, NaN, 1]), rows: 3, cols: 2 };
  const grey = [MISSING, MISSING, MISSING, 255];
  const pixel = (pixels, r, t) => [...pixels.slice((r * 3 + t) * 4, (r * 3 + t) * 4 + 4)];
  const byIndex = heatPixels(a, [0, 1], map);
  assert.deepEqual([pixel(byIndex, 0, 0), pixel(byIndex, 0, 1), pixel(byIndex, 0, 2)],
    [[0, 0, 0, 255], [128, 128, 128, 255], grey]);
  assert.deepEqual(pixel(byIndex, 1, 0), [255, 255, 255, 255]);
  const swapped = heatPixels(a, [1, 0], map);
  assert.deepEqual(pixel(swapped, 0, 0), [255, 255, 255, 255]);
  assert.deepEqual(pixel(swapped, 1, 2), grey);
  const own = heatPixels(a, [0, 1], colourMap({ min: -4, max: 4, stops }), (row) => (row === 0 ? 0.5 : undefined));
  assert.deepEqual(pixel(own, 0, 1), [255, 255, 255, 255]); // 0.5 on ±0.5: the top
  assert.deepEqual(pixel(own, 1, 0), [159, 159, 159, 255]); // 1 on ±4: level round(0.625 · 255) = 159
});

test("each row's own bound is its largest |value|, and 1 for a row that stays at 0", () => {
  const a = { values: Float64Array.from([0.2, -3, 0, -0.7, 1, 0]), rows: 2, cols: 3 };
  assert.deepEqual([...rowBounds(a)], [0.7, 3, 1]);
});

test("a legend says its range, the function that bounds it, and a unit's own range", () => {
  const sigma = { min: 0, max: 1, label: "gate value (σ)", stops: [[0, 0, 0], [9, 9, 9]] };
  assert.deepEqual(legend(sigma), { low: "0", high: "1", what: "(σ)", title: "Colours from 0 to 1" });
  const cell = { min: -20, max: 20, label: "cell state", stops: sigma.stops };
  assert.equal(legend(cell, { stretched: true }).title, "Colours from −20 to 20, one range for every unit");
  const own = legend(cell, { bound: 0.98, unit: 1, stretched: true });
  assert.deepEqual([own.low, own.high, own.what], ["−0.98", "0.98", ""]);
  assert.match(own.title, /unit 1's is ±0\.98/);
  assert.equal(gradient(sigma), "linear-gradient(to right, rgb(0,0,0),rgb(9,9,9))");
});
