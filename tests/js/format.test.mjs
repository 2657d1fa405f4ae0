// format.js: the numbers and equation texts the server writes, written the same way in the browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import { axisStep, compile, factor, fmt, readout, short, slotNames, stepTitle, tipHtml }
  from "../../viz/gateview/format.js";
import { cases, num } from "./cases.mjs";

const server = cases();

test("numbers print as Python prints them, ties to even and no -0.00", { skip: server.skip }, () => {
  const off = [];
  for (const { value, text } of server.data.numbers) {
    for (let digits = 0; digits < text.length; digits++) {
      const got = fmt(num(value), digits);
      if (got !== text[digits]) off.push(`${value} at ${digits}: ${got}, the server ${text[digits]}`);
    }
  }
  assert.deepEqual(off, []);
  assert.ok(server.data.numbers.length > 500);
});

test("every kind's equation templates fill as the server fills them", { skip: server.skip }, () => {
  let factors = 0;
  for (const { kind, numbers, equations } of server.data.templates) {
    const lookup = (name) => {
      assert.ok(name in numbers, `${kind}: no number for the slot ${name}`);
      return num(numbers[name]);
    };
    for (const e of equations) {
      assert.equal(compile(e.html)(lookup), e.filled_html, `${kind}: ${e.html}`);
      assert.equal(compile(e.latex)(lookup), e.filled_latex, `${kind}: ${e.latex}`);
      assert.deepEqual(slotNames(e.html), e.slots);
      factors += (e.filled_latex.match(/\(-\d/g) || []).length;
    }
  }
  assert.ok(factors > 0, "no negative factor was filled: the cases do not test the parentheses");
});

test("a factor puts a negative number in parentheses, a rounded zero stays bare", () => {
  assert.equal(factor(-0.5), "(-0.50)");
  assert.equal(factor(0.5), "0.50");
  assert.equal(factor(-0.001), "0.00");
  assert.equal(compile("%{a:f}·%{b} + %{a}")((n) => ({ a: -1.25, b: 2 })[n]), "(-1.25)·2.00 + -1.25");
});

test("a legend's number has two significant digits and a true minus sign", () => {
  assert.deepEqual([-0.98, 20, 0.123456, -20, 1, 0.0049].map(short), ["−0.98", "20", "0.12", "−20", "1", "0.0049"]);
});

test("the readout and the step panel's title say step, token, unit and where", () => {
  const header = { steps: 11, tokens: [..."hello world"], where: "", side: true };
  assert.equal(readout(header, 4, 3), "step 4 of 10 · token “o” · unit 3");
  assert.equal(stepTitle(header, 4, 3), "Step 4 (token “o”), unit 3: the numbers");
  const pane = { ...header, where: "B", side: false };
  assert.equal(readout(pane, 0, 0), "B: step 0 of 10 · token “h” · unit 0");
  const layer = { ...header, where: "layer 2, backward" };
  assert.equal(stepTitle(layer, 10, 1), "Step 10 (token “d”), unit 1 · layer 2, backward: the numbers");
});

test("a tooltip escapes what a user typed: tokens and input names", () => {
  const panel = { symbol: "x<sub>t</sub>", title: "inputs", row_names: ["<b>"], row_title: "input" };
  const html = tipHtml(panel, { tokens: ["<i>"] }, 0, 0, 0.12345);
  assert.equal(html, "<b>x<sub>t</sub></b> inputs<br>input &lt;b&gt; · step 0 · token “&lt;i&gt;”<br>value 0.123");
  const units = tipHtml({ symbol: "f", title: "forget", row_names: null }, { tokens: ["a"] }, 0, 7, -1);
  assert.match(units, /unit 7 · step 0/);
});

test("a time axis labels every step while they fit, else every round n-th", () => {
  assert.equal(axisStep(11, 30, 600), 1);
  assert.equal(axisStep(100, 30, 600), 5);
  assert.equal(axisStep(2000, 40, 600), 200);
  assert.equal(axisStep(7, 200, 600), 5);
  assert.equal(axisStep(100000, 40, 600), 6667); // past the round numbers: the stride itself
});
