// The step panel beside the maps: the kind's equations with the chosen unit's numbers at the cursor (the
// server's templates, filled by format.js), and the cell's diagram, each box coloured as its map colours it.

import { svg, el } from "./dom.js";
import { compile, fmt, stepTitle } from "./format.js";

const S = 40; // pixels per diagram unit in the drawing's viewBox
const NAME_H = 0.8; // diagram units above a box for its name

export function buildSide(v) {
  const h = v.h;
  v.stepTitle = el("div", "gv-step", v.side);
  const table = el("div", "gv-eqs", v.side);
  table.setAttribute("aria-label", "The step's equations with the numbers plugged in");
  v.eqs = h.equations.map((e) => {
    const row = el("div", "gv-eq", table);
    row.dataset.result = e.result;
    el("span", "gv-lhs", row).innerHTML = e.lhs; // the server's HTML, from its own equation table
    el("span", "gv-rule", row).innerHTML = `= ${e.rule}`;
    return { e, nums: el("span", "gv-nums", row), fill: compile(e.numbers) };
  });
  if (h.reverse) {
    el("div", "gv-note", v.side, "Backward direction: this cell reads the sequence from its end, so h\u209c\u208b\u2081 "
      + "here is its state after reading step t+1.");
  }
  if (h.precision === "f2") el("div", "gv-note", v.side, "A large view: values are sent rounded to 3 significant digits.");
  v.boxes = buildDiagram(v);
}

function buildDiagram(v) {
  const d = v.h.diagram;
  const [x0, x1, y0, y1] = d.frame;
  const X = (x) => (x - x0) * S;
  const Y = (y) => (y1 - y) * S;
  const root = svg("svg", { viewBox: `0 0 ${(x1 - x0) * S} ${(y1 - y0) * S}`, class: "gv-diagram", role: "img" }, v.side);
  root.setAttribute("aria-label", `${v.h.label}: the cell at the cursor, each box coloured by the chosen unit's value`);
  for (const line of d.wires) {
    svg("polyline", { points: line.map(([x, y]) => `${X(x)},${Y(y)}`).join(" "), class: "gv-wire" }, root);
  }
  const [bw, bh] = d.box;
  const boxes = d.boxes.map((b) => {
    const at = { x: X(b.x - bw), y: Y(b.y + bh), width: 2 * bw * S, height: 2 * bh * S };
    const rect = svg("rect", { ...at, rx: 6, class: "gv-box" }, root);
    const div = el("div", "gv-boxtext", svg("foreignObject", at, root));
    // The name sits on the box's top edge, with room above its letters for an accent (the tilde of C̃_t).
    const name = svg("foreignObject", { ...at, y: at.y - NAME_H * S, height: NAME_H * S }, root);
    el("span", "gv-text", el("div", "gv-boxname", name)).innerHTML = b.symbol; // a line of its own: sub stays sub
    const panel = v.panels.find((p) => p.p.name === b.name);
    return { b, rect, div, panel: panel && !panel.empty ? panel : null };
  });
  for (const n of d.nodes) {
    const r = d.node_r * S;
    if (n.symbol.length > 1) {
      svg("rect", { x: X(n.x) - 1.8 * r, y: Y(n.y) - r, width: 3.6 * r, height: 2 * r, rx: 4, class: "gv-node" }, root);
    } else svg("circle", { cx: X(n.x), cy: Y(n.y), r, class: "gv-node" }, root);
    svg("text", { x: X(n.x), y: Y(n.y), class: "gv-nodetext" }, root).textContent = n.symbol;
  }
  for (const l of d.labels) {
    const fo = svg("foreignObject", { x: X(l.x) - 4 * S, y: Y(l.y) - 0.4 * S, width: 4 * S, height: 0.8 * S }, root);
    el("span", "gv-text", el("div", "gv-label", fo)).innerHTML = l.text;
  }
  return boxes;
}

// The numbers at the cursor: every equation filled, every box's value and colour.
export function showSide(v) {
  const { t, unit } = v;
  v.stepTitle.textContent = stepTitle(v.h, t, unit);
  const value = (name) => v.value(name, t, unit);
  for (const row of v.eqs) row.nums.innerHTML = `= ${row.fill(value)} = <b>${fmt(value(row.e.result))}</b>`;
  for (const box of v.boxes) {
    const x = value(box.b.name);
    if (box.panel) { // coloured as its heatmap colours this unit
      const bound = v.boundOf(box.panel, unit);
      box.rect.style.fill = box.panel.map.css(x, bound);
      box.div.style.color = box.panel.map.dark(x, bound) ? "#fff" : "#111";
    }
    box.div.textContent = fmt(x);
  }
}
