// Painting: each heatmap's picture (drawn once, then scaled to its panel), the sizes of every panel, the time
// axes, the chosen unit's lines, and the marks of the cursor. Functions of a view (view.js).

import { heatPixels } from "./colour.js";
import { MAX_ROWS } from "./cursor.js";
import { dpr, el, svg } from "./dom.js";
import { axisStep, fmt } from "./format.js";

const GATE_DASHES = [[], [1.5, 2.5], [8, 3, 2, 3], [12, 3]]; // a unit's gate lines in turn: solid, dotted, dash-dot, long
const LABEL_GAP = 44; // px left of a map, for its row names

// The whole (rows × steps) picture of a panel once, one pixel a value, its rows in the view's order.
export function paintImage(v, panel) {
  const a = v.a[panel.p.name];
  // A units panel narrower than the view (h_t of a projection) keeps only its own rows, in the view's order.
  panel.order = panel.isUnits ? v.order.filter((u) => u < a.cols) : [...Array(a.cols).keys()];
  const image = document.createElement("canvas");
  image.width = a.rows;
  image.height = a.cols;
  const pixels = heatPixels(a, panel.order, panel.map, (row) => v.boundOf(panel, row));
  image.getContext("2d").putImageData(new ImageData(pixels, a.rows, a.cols), 0, 0);
  return image;
}

// Every size from the view's width: the step panel beside the maps (or under them when narrow), one or two
// columns of maps, each map's rows a whole number of pixels; then everything drawn again.
export function layout(v) {
  const h = v.h;
  const width = v.root.clientWidth || 1000;
  const wide = width >= 720 && Boolean(v.side);
  const sideWidth = wide ? Math.round(Math.min(420, Math.max(290, width * 0.36))) : width;
  v.root.classList.toggle("gv-narrow", !wide);
  v.root.classList.toggle("gv-tight", width < 560); // a pane of Compare: the bar on three rows
  if (v.side) v.side.style.width = wide ? `${sideWidth}px` : "";
  const gridWidth = wide ? width - sideWidth - 16 : width;
  const columns = h.columns || (gridWidth >= 440 ? 2 : 1);
  v.grid.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
  const shown = Math.min(h.units, MAX_ROWS);
  const big = h.big ? 1.5 : 1; // a projector: taller rows, larger type (gateview.css .gv-big)
  const unitRow = Math.round(big * (h.units > 16 ? Math.max(3, Math.floor(128 / shown))
    : Math.max(4, Math.min(shown <= 4 ? 28 : 9, Math.floor(72 / shown)))));
  const inputRow = Math.max(2, Math.min(8, Math.floor(56 / Math.max(h.inputs, 1))));
  v.grid.replaceChildren();
  const all = [...v.panels, v.linePanel].filter(Boolean);
  const perColumn = Math.ceil(all.length / columns);
  all.forEach((panel, k) => {
    v.grid.appendChild(panel.box);
    const lastInColumn = columns === 1 ? k === all.length - 1 : (k + 1) % perColumn === 0 || k === all.length - 1;
    panel.axis.hidden = !lastInColumn;
    panel.box.style.gridColumn = String(Math.floor(k / perColumn) + 1);
    panel.box.style.gridRow = String((k % perColumn) + 1);
  });
  v.plotWidth = Math.max(120, Math.floor((gridWidth - 16 * (columns - 1)) / columns) - 46);
  sizePanels(v, shown, unitRow, inputRow);
  // A projector's page (h.fit): the maps' rows grow thinner, down to FIT_MIN_ROW px, until the last map ends on the
  // first screen (a projected LSTM's extra map, a layer of 32 units).
  for (let row = unitRow - 1; h.fit && row >= FIT_MIN_ROW && overScreen(v.grid) > 0; row--) {
    sizePanels(v, shown, row, Math.min(inputRow, row));
  }
  redraw(v);
}

const FIT_MIN_ROW = 2; // px: the thinnest row of a map fitted to the screen

// The element's ancestors, through the shadow roots it sits in (a Streamlit component's view is in one).
function* ancestors(e) {
  for (let a = e.parentElement || e.getRootNode().host; a; a = a.parentElement || a.getRootNode().host) yield a;
}

// How far (px) the page an element is on is scrolled above it: what turns a place on screen into one on the page.
function scrolledBy(e) {
  let by = e.scrollTop || 0;
  for (const a of ancestors(e)) by += a.scrollTop || 0;
  return by;
}

// How far (px) an element's bottom reaches past the first screen of the page it is on, however far that is scrolled.
function overScreen(e) {
  const bottom = e.getBoundingClientRect().bottom;
  if (bottom === 0) return 0; // not laid out yet (the view is not on the page): nothing to fit
  return bottom + scrolledBy(e) - window.innerHeight;
}

// Where (px) an element starts on its page, however far that is scrolled.
export function pageTop(e) {
  return e.getBoundingClientRect().top + scrolledBy(e);
}

// What the page scrolls (the content of the view's nearest scrolling ancestor, or the document's body): what
// grows or shrinks when anything above the view does.
export function pageContent(e) {
  for (const a of ancestors(e)) {
    if (/(auto|scroll)/.test(getComputedStyle(a).overflowY) && a.firstElementChild) return [...a.children];
  }
  return [document.body];
}

function sizePanels(v, shown, unitRow, inputRow) {
  for (const panel of v.heat) {
    const rows = panel.isUnits ? shown : panel.p.rows;
    panel.rowPx = panel.isUnits ? unitRow : inputRow;
    panel.shownRows = Math.min(rows, panel.p.rows); // a layer with fewer units than the view's widest
    size(v, panel, rows * panel.rowPx);
  }
  if (v.linePanel) size(v, v.linePanel, Math.max(56, Math.min(110, shown * unitRow)));
  for (const panel of v.panels.filter((p) => p.bars)) size(v, panel, panel.barHeight); // extra.js's bars
  for (const panel of v.panels.filter((p) => p.empty)) {
    panel.box.querySelector(".gv-empty").style.height = `${shown * unitRow}px`; // rows line up across panes
    sizeAxis(v, panel.axis);
  }
}

function sizeAxis(v, axis) {
  axis.style.marginLeft = `${LABEL_GAP}px`;
  axis.style.width = `${v.plotWidth}px`;
  axis.width = Math.round(v.plotWidth * dpr());
  axis.height = Math.round(30 * dpr());
  axis.style.height = "30px";
}

function size(v, panel, height) {
  panel.height = height;
  panel.canvas.style.width = `${v.plotWidth}px`;
  panel.canvas.style.height = `${height}px`;
  panel.canvas.width = Math.round(v.plotWidth * dpr());
  panel.canvas.height = Math.round(height * dpr());
  panel.plot.style.width = `${v.plotWidth}px`;
  panel.plot.style.height = `${height}px`;
  sizeAxis(v, panel.axis);
}

export function redraw(v) {
  for (const panel of v.heat) drawHeat(v, panel);
  for (const panel of [...v.panels, v.linePanel]) if (panel && !panel.axis.hidden) drawAxis(v, panel.axis);
  drawLines(v);
}

// A map's shown rows of its picture, scaled to the panel, and their names (as many as fit without overlapping).
export function drawHeat(v, panel) {
  const ctx = panel.canvas.getContext("2d");
  const T = v.h.steps;
  const first = panel.isUnits ? Math.min(v.offset, Math.max(panel.p.rows - panel.shownRows, 0)) : 0;
  panel.first = first;
  ctx.imageSmoothingEnabled = T > panel.canvas.width;
  ctx.clearRect(0, 0, panel.canvas.width, panel.canvas.height);
  ctx.drawImage(panel.image, 0, first, T, panel.shownRows, 0, 0, panel.canvas.width, panel.canvas.height);
  panel.rows.replaceChildren();
  panel.rows.style.height = `${panel.height}px`;
  const names = panel.p.row_names;
  const every = Math.max(1, Math.ceil((v.h.big ? 20 : 12) / panel.rowPx)); // labels never overlap
  for (let r = 0; r < panel.shownRows; r += every) {
    const row = panel.isUnits ? panel.order[first + r] : r;
    const label = el("span", "gv-rowname", panel.rows, names ? names[row] : String(row));
    label.style.top = `${(r + 0.5) * panel.rowPx}px`;
  }
}

function drawAxis(v, canvas) {
  const ctx = canvas.getContext("2d");
  const T = v.h.steps;
  const w = canvas.width / dpr();
  ctx.setTransform(dpr(), 0, 0, dpr(), 0, 0);
  ctx.clearRect(0, 0, w, 30);
  ctx.font = v.h.big ? "18px sans-serif" : "12px sans-serif";
  ctx.fillStyle = "#333";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const widest = Math.max(...v.h.labels.map((l) => ctx.measureText(l).width)) + 8;
  const step = axisStep(T, widest, w);
  for (let t = 0; t < T; t += step) {
    const x = ((t + 0.5) * w) / T;
    const text = v.h.labels[t];
    const half = ctx.measureText(text).width / 2;
    ctx.fillRect(x, 0, 1, 4);
    ctx.fillText(text, Math.min(Math.max(x, half), w - half), 6); // the first and last stay on the axis
  }
}

// A panel's canvas cleared for drawing in CSS pixels: its context, and its width and height in those pixels.
export function clearedCanvas(panel) {
  const ctx = panel.canvas.getContext("2d");
  const w = panel.canvas.width / dpr();
  const hgt = panel.canvas.height / dpr();
  ctx.setTransform(dpr(), 0, 0, dpr(), 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  return { ctx, w, hgt };
}

// The chosen unit's gates and states over time, each told apart by its dash and width as well as its colour.
export function drawLines(v) {
  const panel = v.linePanel;
  if (!panel) return;
  const { ctx, w, hgt } = clearedCanvas(panel);
  const T = v.h.steps;
  const gates = v.heat.filter((p) => p.isUnits && !p.p.name.startsWith("attr.")); // not extra.js's panels
  let lo = -1;
  let hi = 1;
  for (const g of gates) lo = Math.min(lo, g.p.scale.min === 0 ? 0 : -1);
  const cell = v.a.cell;
  if (cell) {
    for (let t = 0; t < T; t++) {
      const value = cell.values[t * cell.cols + v.unit];
      lo = Math.min(lo, value);
      hi = Math.max(hi, value);
    }
  }
  const X = (t) => ((t + 0.5) * w) / T;
  const Y = (value) => hgt - 4 - ((value - lo) / (hi - lo || 1)) * (hgt - 8);
  ctx.strokeStyle = "#bbb";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, Y(0));
  ctx.lineTo(w, Y(0));
  ctx.stroke();
  const colours = v.h.colours.lines;
  v.linesKey.replaceChildren();
  let plain = 0;
  gates.forEach((g, k) => {
    const a = v.a[g.p.name];
    if (v.unit >= a.cols) return; // h_t of a projection has no row for this unit
    let dash = []; // h_t bold, C_t dashed, the gates each their own pattern
    if (g.p.name === "cell") dash = [5, 3];
    else if (g.p.name !== "hidden") dash = GATE_DASHES[plain++ % GATE_DASHES.length];
    const width = g.p.name === "hidden" ? 2.5 : 1.5;
    ctx.strokeStyle = colours[k % colours.length];
    ctx.lineWidth = width;
    ctx.setLineDash(dash);
    ctx.beginPath();
    for (let t = 0; t < T; t++) {
      const y = Y(a.values[t * a.cols + v.unit]);
      if (t === 0) ctx.moveTo(X(t), y);
      else ctx.lineTo(X(t), y);
    }
    ctx.stroke();
    const key = el("span", "gv-keyitem", v.linesKey);
    el("span", "", key).innerHTML = g.p.symbol;
    const sample = svg("svg", { width: 16, height: 5, class: "gv-keyline", "aria-hidden": "true" }, key);
    svg("line", { x1: 0, y1: 2.5, x2: 16, y2: 2.5, stroke: colours[k % colours.length], "stroke-width": width + 1,
      "stroke-dasharray": dash.join(" ") }, sample);
  });
  ctx.setLineDash([]);
  v.linesTitle.textContent = `unit ${v.unit} over time`;
  v.linesTitle.title = `every gate and state of unit ${v.unit}, drawn from ${fmt(lo, 1)} to ${fmt(hi, 1)}`;
}

// The cursor's marks: the step's column on every map and on the lines, the chosen unit's row where it is in sight.
export function drawMarks(v) {
  const colW = v.plotWidth / v.h.steps;
  const left = `${v.t * colW}px`;
  const width = `${Math.max(colW, 3)}px`;
  for (const panel of [...v.heat, v.linePanel, ...v.panels.filter((p) => p.bars)]) {
    if (!panel) continue;
    panel.cursor.style.left = left;
    panel.cursor.style.width = width;
    panel.cursor.style.height = `${panel.height}px`;
    if (panel.unitMark) {
      const r = panel.order.indexOf(v.unit) - (panel.first || 0);
      panel.unitMark.hidden = r < 0 || r >= panel.shownRows;
      panel.unitMark.style.top = `${r * panel.rowPx}px`;
      panel.unitMark.style.height = `${panel.rowPx}px`;
    }
  }
}
