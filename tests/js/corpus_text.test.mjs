// corpus_text.js: the coloured text's pure parts (lines, colours, values, paging, selections).
import assert from "node:assert/strict";
import { test } from "node:test";

import { colourOf, decodeCodes, lineOf, lineStarts, needsPage, spanOf, valueOf } from "../../ui/corpus_text.js";

test("lines start after each line break, and a page offset finds its line", () => {
  const starts = lineStarts("ab\ncd\n\nef");
  assert.deepEqual(starts, [0, 3, 6, 7]);
  assert.equal(lineOf(starts, 0), 0);
  assert.equal(lineOf(starts, 4), 1);
  assert.equal(lineOf(starts, 6), 2);
  assert.equal(lineOf(starts, 8), 3);
});

test("codes come back from base64 and read as values on the unit's range", () => {
  const codes = decodeCodes(Buffer.from([0, 128, 255]).toString("base64"));
  assert.deepEqual([...codes], [0, 128, 255]);
  assert.equal(valueOf(0, -1, 1), -1);
  assert.equal(valueOf(255, -1, 1), 1);
  assert.ok(Math.abs(valueOf(128, 0, 1) - 128 / 255) < 1e-12);
});

test("a code's colour lies between the scale's stops, ends exact", () => {
  const stops = [[0, 0, 255], [255, 255, 255], [255, 0, 0]];
  assert.equal(colourOf(stops, 0), "rgb(0, 0, 255)");
  assert.equal(colourOf(stops, 255), "rgb(255, 0, 0)");
  assert.equal(colourOf(stops, 127.5), "rgb(255, 255, 255)");
});

test("the next page is asked for only near a page end the corpus goes past", () => {
  const page = { start: 1000, length: 500, total: 5000, lines: 100 };
  assert.equal(needsPage(40, 60, page), -1);
  assert.equal(needsPage(80, 95, page), 1500);
  assert.equal(needsPage(2, 20, page), 999);
  assert.equal(needsPage(2, 20, { ...page, start: 0 }), -1);
  assert.equal(needsPage(80, 99, { ...page, start: 4500 }), -1);
});

test("a selection made either way is one [start, stop) span", () => {
  assert.deepEqual(spanOf(10, 14), [10, 15]);
  assert.deepEqual(spanOf(14, 10), [10, 15]);
});
