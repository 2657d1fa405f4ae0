// The attribution and state-space panels of a view that carries them (viz/insight.py): connectivity and
// integrated gradients as bars under the inputs with the tokens coloured by connectivity, the memory path at the
// cursor (computed here from the keep share at every step) and the gradient's path beside the gates, and the
// run's states on their top two principal components with the cursor's point marked.

import { colourMap } from "./colour.js";
import { el, svg } from "./dom.js";
import { escapeHtml, fmt } from "./format.js";
import { keepShare, largest, memoryPath, planeScale, rememberedSentence, rememberedSteps } from "./insight.js";
import { clearedCanvas, drawHeat, paintImage } from "./paint.js";

const BAR_ROW = 26; // px of one row of bars
const PLANE = [380, 250]; // px of the state-space picture
const PLANE_EVENT = "gatescope:plane"; // a view of a group opened or folded its state space
const FALLBACK = { min: 0, max: 1, label: "0..1", stretched: false, stops: [[255, 255, 255], [8, 48, 107]] };

// The panels a view adds to its own (call after its panels are built, before ``heat`` is taken from them).
export function buildExtra(v) {
  const h = v.h;
  const at = h.attribution;
  v.extra = null;
  if (!at && !h.states) return;
  const x = { t: -1, conn: null, memory: null, gpath: null, states: null };
  v.extra = x;
  const share = (h.panels.find((p) => p.scale && p.scale.min === 0 && p.scale.max === 1) || {}).scale || FALLBACK;
  if (at && at.memory) v.a["attr.keep"] = keepShare(at, v.a);
  if (at && at.memory && v.a["attr.keep"]) {
    const keep = v.a["attr.keep"];
    v.a["attr.memory"] = { values: new Float64Array(keep.rows * keep.cols), rows: keep.rows, cols: keep.cols };
    x.memory = v.buildPanel({ name: "attr.memory", symbol: `M<sub>s→t</sub>`, title: "memory path to the cursor's step", scale: share,
      rows: keep.cols, row_names: null, row_title: "unit",
      note: `the share of ${at.memory_name}_s that still reaches step t through the keep gates alone` });
    x.memory.box.classList.add("gv-attr");
    x.sentence = el("div", "gv-attr-say", x.memory.box);
  }
  if (at && v.a["attr.path"]) {
    const path = v.a["attr.path"];
    x.gpath = v.buildPanel(gradientPanel(at, path, share));
    x.gpath.box.classList.add("gv-attr");
  }
  if (at && v.a["attr.norm"]) x.conn = buildBars(v, at);
  const heat = v.panels;
  const inputs = heat.findIndex((p) => p.p.name === "inputs");
  if (x.conn) heat.splice(inputs + 1, 0, x.conn);
  for (const panel of [x.memory, x.gpath]) if (panel) heat.push(panel);
  if (h.states) x.states = buildPlane(v, h.states);
}

function gradientPanel(at, path, scale) {
  return { name: "attr.path", symbol: `|∂y/∂${at.memory_name}<sub>s</sub>|`, title: `gradient's path from step ${at.step}`,
    scale: { ...scale, min: 0, max: largest(path.values) }, rows: path.cols, row_names: null,
    note: `how much ${at.target || "the target"} at step ${at.step} depends on ${at.memory_name}_s, unit by unit`,
    row_title: "unit" };
}

function buildBars(v, at) {
  const box = el("div", "gv-panel gv-bars gv-attr");
  box.dataset.name = "attr.bars";
  const head = el("div", "gv-head", box);
  el("span", "gv-sym", head).innerHTML = "‖∂y/∂x<sub>s</sub>‖";
  const title = el("span", "gv-title", head);
  const plot = el("div", "gv-plot", box);
  const canvas = el("canvas", "gv-heat", plot);
  canvas.title = "Click a bar to move the cursor to its step";
  const cursor = el("div", "gv-cursor", plot);
  const marker = el("div", "gv-attr-at", plot); // the step the bars were computed at
  const tokens = el("div", "gv-attr-tokens", box);
  tokens.setAttribute("aria-label", "The input tokens, coloured by how much the target depends on each");
  const spans = v.h.tokens.map((token, s) => {
    const span = el("span", "gv-attr-token", tokens, token === " " ? "·" : token);
    span.dataset.step = String(s);
    return span;
  });
  const sum = el("div", "gv-attr-sum", box);
  const rows = v.a["attr.ig"] ? 2 : 1;
  return { p: { name: "attr.bars", rows }, box, plot, canvas, cursor, marker, title, spans, sum, bars: true,
    axis: el("canvas", "gv-axis", box), barHeight: rows * BAR_ROW, rowPx: BAR_ROW };
}

function buildPlane(v, states) {
  // folded where room is short (a pane of Compare: the gates first), open beside a trace's step panel (Explore)
  const box = el("details", "gv-plane");
  box.open = Boolean(v.h.side);
  const head = el("summary", "gv-plane-head", box);
  el("span", "gv-sym", head, "State space");
  const [a, b] = states.explained;
  el("span", "gv-title", head, `${states.state} on its top two principal components: PC1 ${pct(a)}, PC2 ${pct(b)} `
    + `of the variance${states.title ? ` (${states.title})` : ""}`);
  const [w, hgt] = PLANE;
  const pic = svg("svg", { viewBox: `0 0 ${w} ${hgt}`, class: "gv-plane-svg",
    role: "img", "aria-label": `The run's ${states.state} projected on two principal components` }, box);
  const xy = v.a["states.xy"];
  const T = Math.min(xy.rows, states.steps ?? xy.rows); // a shorter pane of Compare stops at its end
  const at = planeScale(states.bounds, w, hgt, 18);
  const X = (s) => at.x(xy.values[s * 2]);
  const Y = (s) => at.y(xy.values[s * 2 + 1]);
  svg("line", { x1: 0, y1: at.y(0), x2: w, y2: at.y(0), class: "gv-plane-axis" }, pic);
  svg("line", { x1: at.x(0), y1: 0, x2: at.x(0), y2: hgt, class: "gv-plane-axis" }, pic);
  const points = [...Array(T).keys()].map((s) => `${X(s).toFixed(1)},${Y(s).toFixed(1)}`).join(" ");
  svg("polyline", { points, class: "gv-plane-path" }, pic);
  const every = Math.max(1, Math.ceil(T / 40)); // labels that stay readable
  for (let s = 0; s < T; s++) {
    const dot = svg("circle", { cx: X(s), cy: Y(s), r: 2.5, class: "gv-plane-dot" }, pic);
    dot.dataset.step = String(s);
    svg("title", {}, dot).textContent = `step ${s} · token “${v.h.tokens[s]}”`;
    if (s % every === 0) svg("text", { x: X(s) + 4, y: Y(s) - 4, class: "gv-plane-label" }, pic).textContent = v.h.tokens[s];
  }
  for (const p of states.points || []) {
    const mark = svg("g", { class: p.stable ? "gv-plane-fixed gv-stable" : "gv-plane-fixed" }, pic);
    const [px, py] = [at.x(p.x), at.y(p.y)];
    if (p.stable) svg("circle", { cx: px, cy: py, r: 6 }, mark);
    else svg("path", { d: `M${px - 5},${py - 5}L${px + 5},${py + 5}M${px - 5},${py + 5}L${px + 5},${py - 5}` }, mark);
    svg("title", {}, mark).textContent = `fixed point ${p.index}: ${p.stable ? "stable" : "unstable"}, largest `
      + `|eigenvalue| ${fmt(p.radius, 3)}, ${p.slow} slow direction${p.slow === 1 ? "" : "s"}`;
  }
  const here = svg("circle", { r: 7, class: "gv-plane-here" }, pic);
  const note = el("div", "gv-note", box, states.points && states.points.length
    ? "○ stable fixed point, × unstable (Where it settles, below the view)." : "");
  v.root.appendChild(box);
  return { box, pic, here, X, Y, note };
}

function pct(share) {
  return `${(100 * share).toFixed(share < 0.1 ? 1 : 0)}%`;
}

// Everything the cursor moves in the extra panels: the memory path and what the unit remembers, the bars' marks
// and the state space's point. Called by the view's ``show``.
export function showExtra(v) {
  const x = v.extra;
  if (!x) return;
  const at = v.h.attribution;
  if (x.memory && x.t !== v.t) {
    const keep = v.a["attr.keep"];
    memoryPath(keep, v.t, v.h.reverse, v.a["attr.memory"].values);
    x.memory.image = paintImage(v, x.memory);
    drawHeat(v, x.memory);
  }
  if (x.memory) {
    const m = v.a["attr.memory"];
    const unit = Math.min(v.unit, m.cols - 1);
    x.sentence.textContent = rememberedSentence(rememberedSteps(m.values, m.cols, unit, at.threshold), unit, v.t,
      at.threshold, v.h.tokens);
  }
  x.t = v.t;
  if (x.conn) drawBars(v, x.conn, at);
  if (x.states) {
    const inside = v.t < (v.h.states.steps ?? v.h.steps);
    x.states.here.style.display = inside ? "" : "none";
    if (inside) {
      x.states.here.setAttribute("cx", x.states.X(v.t));
      x.states.here.setAttribute("cy", x.states.Y(v.t));
    }
  }
}

// The bars: connectivity above (its largest bar full height), integrated gradients below (signed, about a
// middle line); the step they were computed at marked; the tokens coloured by connectivity.
export function drawBars(v, panel, at) {
  const { ctx, w, hgt } = clearedCanvas(panel);
  const T = v.h.steps;
  const norm = v.a["attr.norm"].values;
  const top = largest(norm);
  const colW = w / T;
  const gap = colW > 4 ? 1 : 0;
  ctx.fillStyle = "#1f77b4";
  for (let s = 0; s < T; s++) {
    const bar = (norm[s] / top) * (BAR_ROW - 3);
    ctx.fillRect(s * colW + gap / 2, BAR_ROW - bar, Math.max(colW - gap, 1), bar);
  }
  const ig = v.a["attr.ig"];
  if (ig) {
    const big = largest(ig.values);
    const mid = BAR_ROW * 1.5;
    ctx.fillStyle = "#ccc";
    ctx.fillRect(0, mid, w, 1);
    for (let s = 0; s < T; s++) {
      const value = ig.values[s];
      const bar = (Math.abs(value) / big) * (BAR_ROW / 2 - 1);
      ctx.fillStyle = value >= 0 ? "#2ca02c" : "#d62728";
      ctx.fillRect(s * colW + gap / 2, value >= 0 ? mid - bar : mid + 1, Math.max(colW - gap, 1), bar);
    }
  }
  panel.marker.style.left = `${at.step * colW}px`;
  panel.marker.style.width = `${Math.max(colW, 2)}px`;
  panel.marker.style.height = `${hgt}px`;
  const stale = at.step !== v.t;
  panel.title.textContent = `connectivity: ${at.target} at step ${at.step}`
    + (stale ? ` (follows the cursor when it stops)` : "");
  panel.title.title = "Bars: the size of ∂y/∂x_s at each input step s"
    + (ig ? "; below them, integrated gradients per step (green +, red −)" : "") + ". Click a bar to go to its step.";
  panel.box.classList.toggle("gv-attr-stale", stale);
  if (!panel.coloured) { // the tokens' colours change only with a new report
    panel.spans.forEach((span, s) => {
      const share = norm[s] / top;
      span.style.background = `rgba(31, 119, 180, ${(0.85 * share).toFixed(3)})`;
      span.style.color = share > 0.55 ? "#fff" : "";
      span.title = `step ${s}: ‖∂y/∂x‖ = ${fmt(norm[s], 4)}` + (ig ? `, integrated gradient ${fmt(ig.values[s], 4)}` : "");
    });
    panel.coloured = true;
    const said = at.ig;
    panel.sum.innerHTML = said ? `Integrated gradients (lower bars, green +, red −) from the `
      + `${escapeHtml(said.baseline)} baseline, ${said.steps} points: Σ = <b>${fmt(said.total, 4)}</b>, the target's change y(x) − y(x′) = `
      + `<b>${fmt(said.change, 4)}</b> (${fmt(100 * said.error, 2)}% apart).` : "";
  }
  for (const [k, span] of panel.spans.entries()) span.classList.toggle("gv-attr-now", k === v.t);
}

// A new report's attribution, put into the view on screen (the same view otherwise: its ``base`` id is the same).
export function refreshExtra(v, header, arrays) {
  v.h.attribution = header.attribution;
  for (const name of header.live || []) v.a[name] = arrays[name];
  const x = v.extra;
  if (!x) return;
  if (x.gpath && arrays["attr.path"]) {
    const fresh = gradientPanel(header.attribution, arrays["attr.path"], x.gpath.p.scale);
    x.gpath.p.scale = fresh.scale;
    x.gpath.p.title = fresh.title;
    x.gpath.map = colourMap(fresh.scale);
    x.gpath.box.querySelector(".gv-title").textContent = fresh.title;
    x.gpath.image = paintImage(v, x.gpath);
    drawHeat(v, x.gpath);
    v.drawLegend(x.gpath);
  }
  if (x.conn) x.conn.coloured = false;
  showExtra(v);
}

// A click on a bar, or on a token of the text, moves the cursor to its step (``go`` is the view's move-and-report).
export function listenExtra(v, on, go) {
  const x = v.extra;
  if (!x) return;
  if (x.conn) {
    on(x.conn.canvas, "click", (e) => {
      const rect = x.conn.canvas.getBoundingClientRect();
      go(Math.floor(((e.clientX - rect.left) / rect.width) * v.h.steps));
    });
    for (const span of x.conn.spans) on(span, "click", () => go(Number(span.dataset.step)));
  }
  if (x.states) {
    const group = v.h.group;
    on(x.states.box, "toggle", () => { // the views of a group open and fold their state spaces together
      if (group) window.dispatchEvent(new CustomEvent(PLANE_EVENT, { detail: { group, open: x.states.box.open } }));
    });
    on(window, PLANE_EVENT, (e) => {
      if (e.detail.group === group && x.states.box.open !== e.detail.open) x.states.box.open = e.detail.open;
    });
    on(x.states.pic, "click", (e) => {
      const step = e.target && e.target.dataset ? e.target.dataset.step : undefined;
      if (step !== undefined) go(Number(step));
    });
  }
}
