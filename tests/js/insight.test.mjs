// insight.js: the memory path the browser computes at every cursor step from the keep share it holds, and the
// sentence on what the chosen unit still remembers, against the engine's own (cells.attribution, via cases.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { unpack } from "../../viz/gateview/decode.js";
import { keepShare, memoryPath, planeScale, quoted, rememberedSentence, rememberedSteps } from "../../viz/gateview/insight.js";
import { bytes, cases, num } from "./cases.mjs";

const found = cases();

test("the memory path at every step shown matches the engine's, forward and backward, LSTM, GRU and projected LSTM",
  { skip: found.skip }, () => {
    for (const c of found.data.memory) {
      const { header, arrays } = unpack(bytes(c.view));
      assert.equal(header.attribution.memory, true, c.kind);
      const keep = keepShare(header.attribution, arrays); // the keep gate's own map, k = g or 1 - g
      for (const s of c.steps) {
        const m = memoryPath(keep, s.t, header.reverse);
        assert.equal(m.length, s.path.length);
        s.path.forEach((want, k) => assert.ok(Math.abs(m[k] - num(want)) <= 1e-12 * Math.max(1, Math.abs(num(want))),
          `${c.kind}${c.backward ? " backward" : ""} t=${s.t} [${k}]: ${m[k]} != ${want}`));
        // before t (forward) or after it (backward) nothing is kept; t itself keeps everything
        const H = keep.cols;
        for (let u = 0; u < H; u++) assert.equal(m[s.t * H + u], 1);
      }
    }
  });

test("the sentence on what a unit still remembers is the engine's, word for word", { skip: found.skip }, () => {
  for (const c of found.data.memory) {
    const { header, arrays } = unpack(bytes(c.view));
    const keep = keepShare(header.attribution, arrays);
    for (const s of c.steps) {
      const m = memoryPath(keep, s.t, header.reverse);
      s.sentences.forEach((want, u) => {
        const steps = rememberedSteps(m, keep.cols, u, header.attribution.threshold);
        assert.equal(rememberedSentence(steps, u, s.t, header.attribution.threshold, header.tokens), want);
      });
    }
  }
});

test("a hand-made keep share: halving every step leaves 1/2, 1/4 ... of the memory, none after t", () => {
  const keep = { rows: 4, cols: 1, values: new Float64Array([0.5, 0.5, 0.5, 0.5]) };
  assert.deepEqual([...memoryPath(keep, 2, false)], [0.25, 0.5, 1, 0]);
  assert.deepEqual([...memoryPath(keep, 1, true)], [0, 1, 0.5, 0.25]);
  assert.deepEqual(rememberedSteps(memoryPath(keep, 2, false), 1, 0, 0.5), [1, 2]);
  assert.equal(rememberedSentence([1, 2], 0, 2, 0.5, ["a", "b", "c", "d"]),
    "Unit 0 still carries at least 50% of its memory from step 1 ('b') into step 2 (1 other input).");
});

test("tokens are quoted as Python's repr quotes them", () => {
  assert.equal(quoted("a"), "'a'");
  assert.equal(quoted("'"), '"\'"');
  assert.equal(quoted("\\"), "'\\\\'");
});

test("the state space keeps one scale on both axes, its middle in the middle", () => {
  const s = planeScale([-2, 2, -1, 1], 200, 100, 10);
  assert.equal(s.x(0), 100);
  assert.equal(s.y(0), 50);
  assert.equal(s.x(2) - s.x(0), 40); // (100 - 20) / 4 per unit ... limited by the height: 80 / 4 = 20 per unit
  assert.equal(s.y(1), 30);
});
