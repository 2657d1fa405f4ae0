// decode.js: the server's packed views read back exactly, and every equation's numbers found where the engine's are.
import assert from "node:assert/strict";
import { test } from "node:test";

import { float16, headerOf, slotValue, unpack } from "../../viz/gateview/decode.js";
import { compile, fmt } from "../../viz/gateview/format.js";
import { bytes, cases, num } from "./cases.mjs";

const server = cases();
const NUMBER = /-?\d+\.\d+/g;

test("half-precision bits give their numbers", () => {
  const want = [[0x3c00, 1], [0xc000, -2], [0x0000, 0], [0x7bff, 65504], [0x0001, 2 ** -24], [0x3555, 0.333251953125],
    [0x7c00, Infinity], [0xfc00, -Infinity]];
  for (const [bits, value] of want) assert.equal(float16(bits), value, `0x${bits.toString(16)}`);
  assert.ok(Number.isNaN(float16(0x7e00)));
});

test("each precision reads back every value the server's own reader reads", { skip: server.skip }, () => {
  const seen = [];
  for (const view of server.data.precisions) {
    const { header, arrays } = unpack(bytes(view.packed));
    seen.push(header.precision);
    assert.deepEqual(Object.keys(arrays), Object.keys(view.arrays));
    for (const [name, values] of Object.entries(view.arrays)) {
      const got = arrays[name].values;
      assert.equal(got.length, values.length, name);
      const off = values.findIndex((v, k) => !Object.is(got[k], num(v)) && !(got[k] === num(v)));
      assert.equal(off, -1, `${header.precision} ${name}[${off}]: ${got[off]}, the server reads ${values[off]}`);
    }
  }
  assert.deepEqual(seen, ["f8", "f4", "f2"]);
});

test("the step panel's numbers are the engine's, for every kind and both directions", { skip: server.skip }, () => {
  for (const view of server.data.views) {
    const data = bytes(view.packed);
    const { header, arrays } = unpack(data);
    assert.equal(headerOf(data).id, header.id);
    const equations = header.equations.map((e) => ({ e, fill: compile(e.numbers) }));
    for (const { t, unit, numbers } of view.steps) {
      const value = (name) => slotValue(header, arrays, name, t, unit);
      const shown = equations.map(({ e, fill }) => `${fill(value)} = ${fmt(value(e.result))}`.match(NUMBER));
      const which = `${view.kind}${view.backward ? " backward" : ""} at step ${t}, unit ${unit}`;
      assert.deepEqual(shown, numbers, which);
    }
  }
});

test("a message that is not a view, or is cut short, is refused saying why", { skip: server.skip }, () => {
  const data = bytes(server.data.views[0].packed);
  assert.throws(() => unpack(new TextEncoder().encode("<html>not a view</html>")), /not a packed view/);
  assert.throws(() => unpack(data.subarray(0, 6)), /not a packed view/);
  assert.throws(() => unpack(data.subarray(0, data.length - 8)), /ends at byte \d+, the message at \d+/);
  const { header, arrays } = unpack(data);
  assert.throws(() => slotValue(header, arrays, "no.such", 0, 0), /no array for no\.such/);
});
