// Gatescope's gate view: every gate of one trace on one time axis, with the time cursor in the browser.
//
// Streamlit mounts it as a custom component (the default export) and hands it the packed view that
// viz/gateview.py builds: b"GSV1", a uint32 header length, a JSON header, then the arrays. The view
// draws every heatmap once; moving the cursor (slider, buttons, keys, Play, a click on a cell) only
// moves marks, fills the equations' numbers and recolours the diagram. The server hears the cursor
// when the user stops (release, pause, a click, a pause in key presses), never on every step.
// The same file runs offline in the exported HTML, where nothing listens to what it reports.

const VIEWS = new WeakMap(); // host element -> its view, so a re-render with the same data keeps the cursor
const SPEEDS = [1, 2, 5, 10, 20, 50, 100]; // steps per second while playing
const REPORT_AFTER_KEYS_MS = 600;
const MAX_ROWS = 32; // units shown at once; a larger layer scrolls through its units
const CURSOR_EVENT = "gatescope:cursor"; // views in one group (Compare's two panes) share their cursor
const RANGES_EVENT = "gatescope:ranges"; // ... and how they colour a stretched panel's rows
const GATE_DASHES = [[], [1.5, 2.5], [8, 3, 2, 3], [12, 3]]; // a unit's gate lines in turn: solid, dotted, dash-dot, long
const RANGES = [["shared", "one range"], ["unit", "per unit"]]; // a stretched panel's colour range

function el(tag, cls, parent, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function svg(tag, attrs, parent) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function float16(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

export function unpack(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const magic = String.fromCharCode(u8[0], u8[1], u8[2], u8[3]);
  if (magic !== "GSV1") throw new Error("gate view: not a packed view");
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const length = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + length)));
  const start = 8 + length;
  const arrays = {};
  for (const a of header.arrays) {
    const count = a.shape.reduce((x, y) => x * y, 1);
    const size = { f8: 8, f4: 4, f2: 2 }[a.dtype];
    const raw = u8.slice(start + a.offset, start + a.offset + count * size).buffer; // aligned copy
    let values;
    if (a.dtype === "f8") values = new Float64Array(raw);
    else if (a.dtype === "f4") values = new Float32Array(raw);
    else {
      const bits = new Uint16Array(raw);
      values = new Float32Array(count);
      for (let k = 0; k < count; k++) values[k] = float16(bits[k]);
    }
    arrays[a.name] = { values, rows: a.shape[0], cols: a.shape[1] };
  }
  return { header, arrays };
}

// Numbers as the server prints them (viz/equations.fmt): fixed decimals, ties to even, no "-0.00".
export function fmt(value, digits = 2) {
  const scaled = value * 10 ** digits;
  let text;
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled)) {
    const down = Math.floor(scaled);
    text = ((down % 2 === 0 ? down : down + 1) / 10 ** digits).toFixed(digits);
  } else text = value.toFixed(digits);
  return text.startsWith("-") && Number(text) === 0 ? text.slice(1) : text;
}

function factor(value, digits = 2) {
  const text = fmt(value, digits);
  return text.startsWith("-") ? `(${text})` : text;
}

function colourMap(scale) {
  const lut = new Uint8ClampedArray(256 * 3);
  const stops = scale.stops;
  for (let k = 0; k < 256; k++) {
    const pos = (k / 255) * (stops.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, stops.length - 1);
    const w = pos - lo;
    for (let c = 0; c < 3; c++) lut[k * 3 + c] = stops[lo][c] * (1 - w) + stops[hi][c] * w;
  }
  // ``bound`` (optional): colour on ±bound instead of the scale's own range (a unit's own range).
  const index = (v, bound) => {
    if (!Number.isFinite(v)) return 0;
    const lo = bound === undefined ? scale.min : -bound;
    const hi = bound === undefined ? scale.max : bound;
    return Math.round(Math.min(Math.max((v - lo) / (hi - lo), 0), 1) * 255);
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

// A legend's number: two significant digits at most, a true minus sign ("−0.98", "20").
function short(value) {
  const text = String(Number(Math.abs(value).toPrecision(2)));
  return value < 0 ? `−${text}` : text;
}

// Each row's own symmetric bound, max |v| over its steps (1 for a row that stays at 0).
function rowBounds(a) {
  const bounds = new Float64Array(a.cols);
  for (let t = 0; t < a.rows; t++) {
    for (let r = 0; r < a.cols; r++) {
      const v = Math.abs(a.values[t * a.cols + r]);
      if (v > bounds[r]) bounds[r] = v;
    }
  }
  return bounds.map((b) => (b > 0 ? b : 1));
}

class GateView {
  constructor(host, bytes, report) {
    const { header, arrays } = unpack(bytes);
    this.h = header;
    this.a = arrays;
    this.report = report;
    this.t = header.t;
    this.unit = header.unit;
    this.ranges = header.ranges || "shared";
    this.reported = { t: header.t, unit: header.unit };
    this.order = [...Array(header.units).keys()];
    this.offset = 0;
    this.playing = false;
    this.speed = 10;
    this.host = host;
    this.build();
    this.listen();
    this.layout();
    this.show();
  }

  value(name, t, row) {
    const prev = this.h.previous[name];
    if (prev) {
      const T = this.h.steps;
      const before = this.h.reverse ? t + 1 : t - 1;
      if (before < 0 || before >= T) {
        const start = this.h.initial[prev];
        return start[Math.min(row, start.length - 1)];
      }
      return this.value(prev, before, row);
    }
    const a = this.a[name];
    return a.values[t * a.cols + Math.min(row, a.cols - 1)]; // h_t of a projection: fewer rows than units
  }

  // ---- building -------------------------------------------------------------------------------
  build() {
    const h = this.h;
    const root = el("div", "gv");
    root.tabIndex = 0;
    if (h.big) root.classList.add("gv-big");
    if (h.colours) root.style.setProperty("--gv-unit-mark", h.colours.unit_mark);
    root.gatescope = this; // the live view, for the browser tests and the exported page
    root.setAttribute("role", "group");
    root.setAttribute("aria-label", `Gate view: ${h.label}${h.where ? ", " + h.where : ""}; arrow keys move the time cursor`);
    this.root = root;
    const bar = el("div", h.bar === false ? "gv-bar gv-bar-min" : "gv-bar", root);
    this.prevBtn = el("button", "gv-btn", bar, "◀");
    this.prevBtn.title = "Previous step (←)";
    this.nextBtn = el("button", "gv-btn", bar, "▶");
    this.nextBtn.title = "Next step (→)";
    this.playBtn = el("button", "gv-btn gv-play", bar, "Play");
    this.playBtn.title = "Step through the sequence (space)";
    const speedLabel = el("label", "gv-speed", bar);
    el("span", "", speedLabel, "speed");
    this.speedBox = el("select", "", speedLabel);
    for (const s of SPEEDS) {
      const option = el("option", "", this.speedBox, `${s}/s`);
      option.value = String(s);
      if (s === this.speed) option.selected = true;
    }
    this.speedBox.setAttribute("aria-label", "Steps per second while playing");
    this.slider = el("input", "gv-slider", bar);
    Object.assign(this.slider, { type: "range", min: 0, max: Math.max(h.steps - 1, 0), step: 1, value: this.t });
    this.slider.setAttribute("aria-label", "Time step");
    this.readout = el("div", "gv-readout", bar);
    this.readout.setAttribute("aria-live", "polite");
    if (h.units > MAX_ROWS) {
      const box = el("label", "gv-units", bar);
      el("span", "", box, "order");
      this.orderBox = el("select", "", box);
      for (const [value, text] of [["index", "by index"], ["activity", "most active first"]]) {
        const option = el("option", "", this.orderBox, text);
        option.value = value;
      }
      this.orderBox.setAttribute("aria-label", "Order of the units");
    }

    const body = el("div", "gv-body", root);
    this.grid = el("div", "gv-grid", body);
    this.side = h.side ? el("div", "gv-side", body) : null;
    this.panels = h.panels.map((p) => this.buildPanel(p));
    this.heat = this.panels.filter((p) => !p.empty); // the panels that draw a heatmap
    this.linePanel = h.lines ? this.buildLines() : null;
    this.boxes = [];
    this.eqs = [];
    if (this.side) this.buildSide();
    this.tip = el("div", "gv-tip", root);
    this.tip.hidden = true;
    this.host.appendChild(root);
  }

  buildPanel(p) {
    const box = el("div", "gv-panel");
    box.dataset.name = p.name;
    const head = el("div", "gv-head", box);
    const sym = el("span", "gv-sym", head);
    sym.innerHTML = p.symbol; // built by the server from its own equation table, never from user text
    el("span", "gv-title", head, p.title);
    head.title = p.note ? `${p.title}: ${p.note}` : p.title;
    if (p.empty) {
      const note = el("div", "gv-empty", box, p.note);
      note.title = p.note;
      const axis = el("canvas", "gv-axis", box);
      return { p, box, axis, empty: true };
    }
    // The legend states its numbers: "0 ▭ 1 (σ)", "−20 ▭ 20", or the chosen unit's own "−0.98 ▭ 0.98 per unit".
    const legend = el("span", "gv-legend", head);
    const low = el("span", "gv-low", legend);
    const ramp = el("span", "gv-ramp", legend);
    ramp.style.background = `linear-gradient(to right, ${p.scale.stops.map((c) => `rgb(${c.join(",")})`).join(",")})`;
    const high = el("span", "gv-high", legend);
    const what = el("span", "gv-what", legend);
    const stretched = !p.row_names && Boolean(p.scale.stretched);
    let pick = null;
    if (stretched) { // its range covers its largest unit: offer each unit's own, so a small unit shows too
      pick = el("select", "gv-rangepick", legend);
      for (const [value, text] of RANGES) {
        const option = el("option", "", pick, text);
        option.value = value;
      }
      pick.setAttribute("aria-label", `${p.title}: colour range, one for every unit or each unit's own`);
      pick.addEventListener("change", () => this.setRanges(pick.value));
    }
    const frame = el("div", "gv-frame", box);
    const rows = el("div", "gv-rows", frame);
    const plot = el("div", "gv-plot", frame);
    const canvas = el("canvas", "gv-heat", plot);
    const cursor = el("div", "gv-cursor", plot);
    const unitMark = p.row_names ? null : el("div", "gv-unit", plot);
    const axis = el("canvas", "gv-axis", box);
    const panel = { p, box, rows, plot, canvas, cursor, unitMark, axis, map: colourMap(p.scale), isUnits: !p.row_names,
      legend: { box: legend, low, high, what, pick } };
    panel.stretched = stretched;
    if (panel.stretched) panel.bounds = rowBounds(this.a[p.name]);
    panel.image = this.paint(panel);
    this.drawLegend(panel);
    canvas.addEventListener("mousemove", (e) => this.hover(panel, e));
    canvas.addEventListener("mouseleave", () => (this.tip.hidden = true));
    canvas.addEventListener("click", (e) => this.pick(panel, e));
    return panel;
  }

  // The bound a row is coloured on: its own in "each unit's own range", else undefined (the panel's range).
  boundOf(panel, row) {
    return panel.stretched && this.ranges === "unit" ? panel.bounds[row] : undefined;
  }

  drawLegend(panel) {
    const { box, low, high, what, pick } = panel.legend;
    if (pick) pick.value = this.ranges;
    const s = panel.p.scale;
    const bound = this.boundOf(panel, this.unit);
    if (bound !== undefined) {
      low.textContent = short(-bound);
      high.textContent = short(bound);
      what.textContent = "";
      box.title = `Each unit's row is coloured by its own range, ±its largest |value|; unit ${this.unit}'s is ±${short(bound)}. `
        + `The numbers in the step panel are the values themselves.`;
    } else {
      low.textContent = short(s.min);
      high.textContent = short(s.max);
      const fn = /\((σ|tanh)\)/.exec(s.label);
      what.textContent = fn ? `(${fn[1]})` : "";
      box.title = `Colours from ${short(s.min)} to ${short(s.max)}${panel.stretched ? ", one range for every unit" : ""}`;
    }
  }

  setRanges(ranges, { fromGroup = false } = {}) {
    if (!this.heat.some((p) => p.stretched) || ranges === this.ranges) return;
    this.ranges = ranges;
    for (const panel of this.heat.filter((p) => p.stretched)) {
      panel.image = this.paint(panel);
      this.drawHeat(panel);
      this.drawLegend(panel);
    }
    this.show();
    if (!fromGroup && this.h.group) {
      window.dispatchEvent(new CustomEvent(RANGES_EVENT, { detail: { group: this.h.group, ranges, source: this } }));
    }
  }

  // The whole (rows × steps) picture once, one pixel a value; drawing scales it to the panel.
  paint(panel) {
    const a = this.a[panel.p.name];
    const T = a.rows;
    const R = a.cols;
    const image = document.createElement("canvas");
    image.width = T;
    image.height = R;
    const ctx = image.getContext("2d");
    const pixels = ctx.createImageData(T, R);
    const { lut, index } = panel.map;
    // A units panel narrower than the view (h_t of a projection) keeps only its own rows, in the view's order.
    const order = panel.isUnits ? this.order.filter((u) => u < R) : [...Array(R).keys()];
    panel.order = order;
    for (let r = 0; r < R; r++) {
      const row = order[r];
      const bound = this.boundOf(panel, row);
      for (let t = 0; t < T; t++) {
        const v = a.values[t * R + row];
        const o = (r * T + t) * 4;
        if (Number.isNaN(v)) { // a step this pane does not have (a shorter input)
          pixels.data[o] = pixels.data[o + 1] = pixels.data[o + 2] = 236;
        } else {
          const k = index(v, bound) * 3;
          pixels.data[o] = lut[k];
          pixels.data[o + 1] = lut[k + 1];
          pixels.data[o + 2] = lut[k + 2];
        }
        pixels.data[o + 3] = 255;
      }
    }
    ctx.putImageData(pixels, 0, 0);
    return image;
  }

  buildLines() {
    const box = el("div", "gv-panel gv-lines");
    const head = el("div", "gv-head", box);
    this.linesTitle = el("span", "gv-title", head);
    this.linesKey = el("span", "gv-key", head);
    const plot = el("div", "gv-plot", box);
    const canvas = el("canvas", "gv-heat", plot);
    const cursor = el("div", "gv-cursor gv-cursor-line", plot);
    const axis = el("canvas", "gv-axis", box);
    return { box, plot, canvas, cursor, axis };
  }

  buildSide() {
    const h = this.h;
    this.stepTitle = el("div", "gv-step", this.side);
    const table = el("div", "gv-eqs", this.side);
    table.setAttribute("aria-label", "The step's equations with the numbers plugged in");
    this.eqs = h.equations.map((e) => {
      const row = el("div", "gv-eq", table);
      row.dataset.result = e.result;
      const lhs = el("span", "gv-lhs", row);
      lhs.innerHTML = e.lhs;
      const rule = el("span", "gv-rule", row);
      rule.innerHTML = `= ${e.rule}`;
      const nums = el("span", "gv-nums", row);
      const parts = e.numbers.split(/(%\{[a-z_.]+(?::f)?\})/);
      return { e, nums, parts };
    });
    if (h.reverse) {
      el("div", "gv-note", this.side, "Backward direction: this cell reads the sequence from its end, so h\u209c\u208b\u2081 here is its state after reading step t+1.");
    }
    if (h.precision === "f2") el("div", "gv-note", this.side, "A large view: values are sent rounded to 3 significant digits.");
    this.buildDiagram();
  }

  buildDiagram() {
    const d = this.h.diagram;
    const [x0, x1, y0, y1] = d.frame;
    const S = 40; // pixels per diagram unit in the viewBox
    const X = (x) => (x - x0) * S;
    const Y = (y) => (y1 - y) * S;
    const root = svg("svg", { viewBox: `0 0 ${(x1 - x0) * S} ${(y1 - y0) * S}`, class: "gv-diagram", role: "img" }, this.side);
    root.setAttribute("aria-label", `${this.h.label}: the cell at the cursor, each box coloured by the chosen unit's value`);
    for (const line of d.wires) {
      svg("polyline", { points: line.map(([x, y]) => `${X(x)},${Y(y)}`).join(" "), class: "gv-wire" }, root);
    }
    const [bw, bh] = d.box;
    this.boxes = d.boxes.map((b) => {
      const rect = svg("rect", { x: X(b.x - bw), y: Y(b.y + bh), width: 2 * bw * S, height: 2 * bh * S, rx: 6, class: "gv-box" }, root);
      const label = svg("foreignObject", { x: X(b.x - bw), y: Y(b.y + bh), width: 2 * bw * S, height: 2 * bh * S }, root);
      const div = document.createElement("div");
      div.className = "gv-boxtext";
      label.appendChild(div);
      const name = svg("foreignObject", { x: X(b.x - bw), y: Y(b.y + bh) - 0.55 * S, width: 2 * bw * S, height: 0.55 * S }, root);
      const sym = document.createElement("div");
      sym.className = "gv-boxname";
      sym.innerHTML = b.symbol;
      name.appendChild(sym);
      const panel = this.panels.find((p) => p.p.name === b.name);
      return { b, rect, div, panel: panel && !panel.empty ? panel : null };
    });
    for (const n of d.nodes) {
      const wide = n.symbol.length > 1;
      const r = d.node_r * S;
      if (wide) svg("rect", { x: X(n.x) - 1.8 * r, y: Y(n.y) - r, width: 3.6 * r, height: 2 * r, rx: 4, class: "gv-node" }, root);
      else svg("circle", { cx: X(n.x), cy: Y(n.y), r, class: "gv-node" }, root);
      const text = svg("text", { x: X(n.x), y: Y(n.y), class: "gv-nodetext" }, root);
      text.textContent = n.symbol;
    }
    for (const l of d.labels) {
      const fo = svg("foreignObject", { x: X(l.x) - 4 * S, y: Y(l.y) - 0.4 * S, width: 4 * S, height: 0.8 * S }, root);
      const div = document.createElement("div");
      div.className = "gv-label";
      div.innerHTML = l.text;
      fo.appendChild(div);
    }
  }

  // ---- sizes --------------------------------------------------------------------------------------
  layout() {
    const h = this.h;
    const width = this.root.clientWidth || 1000;
    const wide = width >= 720 && Boolean(this.side);
    const sideWidth = wide ? Math.round(Math.min(420, Math.max(290, width * 0.36))) : width;
    this.root.classList.toggle("gv-narrow", !wide);
    this.root.classList.toggle("gv-tight", width < 560); // a pane of Compare: the bar on three rows
    if (this.side) this.side.style.width = wide ? `${sideWidth}px` : "";
    const gridWidth = wide ? width - sideWidth - 16 : width;
    const columns = h.columns || (gridWidth >= 440 ? 2 : 1);
    this.grid.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
    const shown = Math.min(h.units, MAX_ROWS);
    const big = h.big ? 1.5 : 1; // a projector: taller rows, larger type (gateview.css .gv-big)
    const unitRow = Math.round(big * (h.units > 16 ? Math.max(3, Math.floor(128 / shown)) : Math.max(4, Math.min(shown <= 4 ? 28 : 9, Math.floor(72 / shown)))));
    const inputRow = Math.max(2, Math.min(8, Math.floor(56 / Math.max(h.inputs, 1))));
    this.grid.replaceChildren();
    const all = [...this.panels, this.linePanel].filter(Boolean);
    const perColumn = Math.ceil(all.length / columns);
    all.forEach((panel, k) => {
      this.grid.appendChild(panel.box);
      const lastInColumn = columns === 1 ? k === all.length - 1 : (k + 1) % perColumn === 0 || k === all.length - 1;
      panel.axis.hidden = !lastInColumn;
      panel.box.style.gridColumn = String(Math.floor(k / perColumn) + 1);
      panel.box.style.gridRow = String((k % perColumn) + 1);
    });
    this.plotWidth = Math.max(120, Math.floor((gridWidth - 16 * (columns - 1)) / columns) - 46);
    for (const panel of this.heat) {
      const rows = panel.isUnits ? shown : panel.p.rows;
      panel.rowPx = panel.isUnits ? unitRow : inputRow;
      panel.shownRows = Math.min(rows, panel.p.rows); // a layer with fewer units than the view's widest
      this.size(panel, rows * panel.rowPx);
    }
    if (this.linePanel) this.size(this.linePanel, Math.max(56, Math.min(110, shown * unitRow)));
    for (const panel of this.panels.filter((p) => p.empty)) {
      panel.box.querySelector(".gv-empty").style.height = `${shown * unitRow}px`; // rows line up across panes
      panel.axis.style.marginLeft = "44px";
      panel.axis.style.width = `${this.plotWidth}px`;
      panel.axis.width = Math.round(this.plotWidth * (window.devicePixelRatio || 1));
      panel.axis.height = Math.round(30 * (window.devicePixelRatio || 1));
      panel.axis.style.height = "30px";
    }
    this.redraw();
  }

  size(panel, height) {
    const dpr = window.devicePixelRatio || 1;
    panel.height = height;
    panel.canvas.style.width = `${this.plotWidth}px`;
    panel.canvas.style.height = `${height}px`;
    panel.canvas.width = Math.round(this.plotWidth * dpr);
    panel.canvas.height = Math.round(height * dpr);
    panel.plot.style.width = `${this.plotWidth}px`;
    panel.plot.style.height = `${height}px`;
    panel.axis.style.width = `${this.plotWidth}px`;
    panel.axis.style.marginLeft = panel.rows ? "44px" : "44px";
    panel.axis.width = Math.round(this.plotWidth * dpr);
    panel.axis.height = Math.round(30 * dpr);
    panel.axis.style.height = "30px";
  }

  redraw() {
    for (const panel of this.heat) this.drawHeat(panel);
    for (const panel of [...this.panels, this.linePanel]) if (panel && !panel.axis.hidden) this.drawAxis(panel.axis);
    this.drawLines();
  }

  drawHeat(panel) {
    const ctx = panel.canvas.getContext("2d");
    const T = this.h.steps;
    const first = panel.isUnits ? Math.min(this.offset, Math.max(panel.p.rows - panel.shownRows, 0)) : 0;
    panel.first = first;
    ctx.imageSmoothingEnabled = T > panel.canvas.width;
    ctx.clearRect(0, 0, panel.canvas.width, panel.canvas.height);
    ctx.drawImage(panel.image, 0, first, T, panel.shownRows, 0, 0, panel.canvas.width, panel.canvas.height);
    panel.rows.replaceChildren();
    panel.rows.style.height = `${panel.height}px`;
    const names = panel.p.row_names;
    const every = Math.max(1, Math.ceil((this.h.big ? 20 : 12) / panel.rowPx)); // labels never overlap
    for (let r = 0; r < panel.shownRows; r += every) {
      const row = panel.isUnits ? panel.order[first + r] : r;
      const label = el("span", "gv-rowname", panel.rows, names ? names[row] : String(row));
      label.style.top = `${(r + 0.5) * panel.rowPx}px`;
    }
  }

  drawAxis(canvas) {
    const ctx = canvas.getContext("2d");
    const dpr = window.devicePixelRatio || 1;
    const T = this.h.steps;
    const w = canvas.width / dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, 30);
    ctx.font = this.h.big ? "18px sans-serif" : "12px sans-serif";
    ctx.fillStyle = "#333";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const widest = Math.max(...this.h.labels.map((l) => ctx.measureText(l).width)) + 8;
    const stride = Math.max(1, Math.ceil((widest * T) / w));
    const nice = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];
    const step = nice.find((n) => n >= stride) || stride;
    const short = step > 1 && widest * (T / step) > w; // step numbers only, when labels would not fit
    for (let t = 0; t < T; t += step) {
      const x = ((t + 0.5) * w) / T;
      const text = short ? String(t) : this.h.labels[t];
      const half = ctx.measureText(text).width / 2;
      ctx.fillRect(x, 0, 1, 4);
      ctx.fillText(text, Math.min(Math.max(x, half), w - half), 6); // the first and last stay on the axis
    }
  }

  drawLines() {
    const panel = this.linePanel;
    if (!panel) return;
    const ctx = panel.canvas.getContext("2d");
    const dpr = window.devicePixelRatio || 1;
    const w = panel.canvas.width / dpr;
    const hgt = panel.canvas.height / dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    const T = this.h.steps;
    const gates = this.heat.filter((p) => p.isUnits);
    let lo = -1;
    let hi = 1;
    for (const g of gates) {
      lo = Math.min(lo, g.p.scale.min === 0 ? 0 : -1);
    }
    const cell = this.a.cell;
    if (cell) {
      for (let t = 0; t < T; t++) {
        const v = cell.values[t * cell.cols + this.unit];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    const X = (t) => ((t + 0.5) * w) / T;
    const Y = (v) => hgt - 4 - ((v - lo) / (hi - lo || 1)) * (hgt - 8);
    ctx.strokeStyle = "#bbb";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, Y(0));
    ctx.lineTo(w, Y(0));
    ctx.stroke();
    const colours = this.h.colours.lines;
    this.linesKey.replaceChildren();
    let plain = 0;
    gates.forEach((g, k) => {
      const a = this.a[g.p.name];
      if (this.unit >= a.cols) return; // h_t of a projection has no row for this unit
      // Told apart by their dashes too, not by colour alone: h_t bold, C_t dashed, the gates each their own pattern.
      let dash = [];
      if (g.p.name === "cell") dash = [5, 3];
      else if (g.p.name !== "hidden") dash = GATE_DASHES[plain++ % GATE_DASHES.length];
      const width = g.p.name === "hidden" ? 2.5 : 1.5;
      ctx.strokeStyle = colours[k % colours.length];
      ctx.lineWidth = width;
      ctx.setLineDash(dash);
      ctx.beginPath();
      for (let t = 0; t < T; t++) {
        const y = Y(a.values[t * a.cols + this.unit]);
        if (t === 0) ctx.moveTo(X(t), y);
        else ctx.lineTo(X(t), y);
      }
      ctx.stroke();
      const key = el("span", "gv-keyitem", this.linesKey);
      el("span", "", key).innerHTML = g.p.symbol;
      const sample = svg("svg", { width: 16, height: 5, class: "gv-keyline", "aria-hidden": "true" }, key);
      svg("line", { x1: 0, y1: 2.5, x2: 16, y2: 2.5, stroke: colours[k % colours.length], "stroke-width": width + 1,
        "stroke-dasharray": dash.join(" ") }, sample);
    });
    ctx.setLineDash([]);
    this.linesTitle.textContent = `unit ${this.unit} over time`;
    this.linesTitle.title = `every gate and state of unit ${this.unit}, drawn from ${fmt(lo, 1)} to ${fmt(hi, 1)}`;
  }

  // ---- the cursor -----------------------------------------------------------------------------
  show() {
    const h = this.h;
    const T = h.steps;
    const t = this.t;
    const u = this.unit;
    const colW = this.plotWidth / T;
    const left = `${t * colW}px`;
    const width = `${Math.max(colW, 3)}px`;
    for (const panel of [...this.heat, this.linePanel]) {
      if (!panel) continue;
      panel.cursor.style.left = left;
      panel.cursor.style.width = width;
      panel.cursor.style.height = `${panel.height}px`;
      if (panel.unitMark) {
        const r = panel.order.indexOf(u) - (panel.first || 0);
        panel.unitMark.hidden = r < 0 || r >= panel.shownRows;
        panel.unitMark.style.top = `${r * panel.rowPx}px`;
        panel.unitMark.style.height = `${panel.rowPx}px`;
      }
    }
    this.slider.value = String(t);
    this.prevBtn.disabled = t <= 0;
    this.nextBtn.disabled = t >= T - 1;
    const token = h.tokens[t];
    const where = h.where ? ` · ${h.where}` : "";
    const pane = this.side || !h.where ? "" : `${h.where}: `;
    this.readout.textContent = `${pane}step ${t} of ${T - 1} · token “${token}” · unit ${u}`;
    if (this.side) this.stepTitle.textContent = `Step ${t} (token “${token}”), unit ${u}${where}: the numbers`;
    for (const row of this.eqs) {
      const numbers = row.parts
        .map((part) => {
          const m = /^%\{([a-z_.]+)(:f)?\}$/.exec(part);
          if (!m) return part;
          const v = this.value(m[1], t, u);
          return m[2] ? factor(v) : fmt(v);
        })
        .join("");
      row.nums.innerHTML = `= ${numbers} = <b>${fmt(this.value(row.e.result, t, u))}</b>`;
    }
    for (const box of this.boxes) {
      const v = this.value(box.b.name, t, u);
      if (box.panel) { // coloured as its heatmap colours this unit
        const bound = this.boundOf(box.panel, u);
        box.rect.style.fill = box.panel.map.css(v, bound);
        box.div.style.color = box.panel.map.dark(v, bound) ? "#fff" : "#111";
      }
      box.div.textContent = fmt(v);
    }
  }

  go(t, unit = this.unit, { fromGroup = false } = {}) {
    const T = this.h.steps;
    const H = this.h.units;
    t = Math.min(Math.max(Math.round(t), 0), T - 1);
    unit = Math.min(Math.max(Math.round(unit), 0), H - 1);
    const unitChanged = unit !== this.unit;
    this.t = t;
    this.unit = unit;
    if (unitChanged) {
      this.keepUnitInView();
      this.drawLines();
      for (const panel of this.heat.filter((p) => p.stretched)) this.drawLegend(panel);
    }
    this.show();
    if (!fromGroup && this.h.group) {
      window.dispatchEvent(new CustomEvent(CURSOR_EVENT, { detail: { group: this.h.group, t, unit, source: this } }));
    }
  }

  keepUnitInView() {
    const shown = Math.min(this.h.units, MAX_ROWS);
    const r = this.order.indexOf(this.unit);
    if (r < this.offset || r >= this.offset + shown) {
      this.offset = Math.min(Math.max(r - Math.floor(shown / 2), 0), this.h.units - shown);
      for (const panel of this.heat) this.drawHeat(panel);
    }
  }

  tell() {
    if (this.reported.t === this.t && this.reported.unit === this.unit) return;
    this.reported = { t: this.t, unit: this.unit };
    if (this.report) this.report("cursor", { t: this.t, unit: this.unit });
  }

  play() {
    if (this.playing) return;
    if (this.t >= this.h.steps - 1) this.go(0);
    this.playing = true;
    this.playBtn.textContent = "Pause";
    this.playBtn.classList.add("gv-on");
    let last = performance.now();
    let due = 0;
    const tick = (now) => {
      if (!this.playing) return;
      due += ((now - last) / 1000) * this.speed;
      last = now;
      if (due >= 1) {
        const steps = Math.floor(due);
        due -= steps;
        this.go(this.t + steps);
        if (this.t >= this.h.steps - 1) {
          this.pause();
          return;
        }
      }
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.playBtn.textContent = "Play";
    this.playBtn.classList.remove("gv-on");
    this.tell();
  }

  cellAt(panel, e) {
    const rect = panel.canvas.getBoundingClientRect();
    const t = Math.floor(((e.clientX - rect.left) / rect.width) * this.h.steps);
    const r = Math.floor((e.clientY - rect.top) / panel.rowPx);
    const row = panel.isUnits ? panel.order[(panel.first || 0) + r] : r;
    return { t: Math.min(Math.max(t, 0), this.h.steps - 1), row };
  }

  hover(panel, e) {
    const { t, row } = this.cellAt(panel, e);
    if (row === undefined || row < 0 || row >= panel.p.rows) return;
    const a = this.a[panel.p.name];
    const v = a.values[t * a.cols + row];
    const rowText = panel.isUnits ? `unit ${row}` : `${panel.p.row_title} ${panel.p.row_names[row]}`;
    this.tip.innerHTML = `<b>${panel.p.symbol}</b> ${panel.p.title}<br>${rowText} · step ${t} · token “${escapeHtml(this.h.tokens[t])}”<br>value ${fmt(v, 3)}`;
    this.tip.hidden = false;
    const box = this.root.getBoundingClientRect();
    this.tip.style.left = `${Math.min(e.clientX - box.left + 14, box.width - 260)}px`;
    this.tip.style.top = `${e.clientY - box.top + 14}px`;
  }

  pick(panel, e) {
    const { t, row } = this.cellAt(panel, e);
    this.pause();
    this.go(t, panel.isUnits ? row : this.unit);
    this.tell();
  }

  // ---- events ---------------------------------------------------------------------------------
  listen() {
    const on = (target, type, fn) => {
      target.addEventListener(type, fn);
      (this.off ||= []).push(() => target.removeEventListener(type, fn));
    };
    on(this.prevBtn, "click", () => { this.pause(); this.go(this.t - 1); this.tell(); });
    on(this.nextBtn, "click", () => { this.pause(); this.go(this.t + 1); this.tell(); });
    on(this.playBtn, "click", () => (this.playing ? this.pause() : this.play()));
    on(this.speedBox, "change", () => (this.speed = Number(this.speedBox.value)));
    on(this.slider, "input", () => { this.pause(); this.go(Number(this.slider.value)); });
    on(this.slider, "change", () => this.tell());
    on(window, RANGES_EVENT, (e) => {
      const d = e.detail;
      if (d.source !== this && d.group === this.h.group) this.setRanges(d.ranges, { fromGroup: true });
    });
    if (this.orderBox) {
      on(this.orderBox, "change", () => {
        this.order = this.orderBox.value === "activity" ? [...this.h.activity] : [...Array(this.h.units).keys()];
        this.offset = 0;
        for (const panel of this.heat) panel.image = this.paint(panel);
        this.keepUnitInView();
        for (const panel of this.heat) this.drawHeat(panel);
        this.show();
      });
      for (const panel of this.heat.filter((p) => p.isUnits)) {
        on(panel.canvas, "wheel", (e) => {
          const shown = Math.min(this.h.units, MAX_ROWS);
          const next = Math.min(Math.max(this.offset + Math.sign(e.deltaY) * 4, 0), this.h.units - shown);
          if (next === this.offset) return;
          e.preventDefault();
          this.offset = next;
          for (const p of this.heat) this.drawHeat(p);
          this.show();
        });
      }
    }
    on(document, "keydown", (e) => this.key(e));
    on(window, CURSOR_EVENT, (e) => {
      const d = e.detail;
      if (d.source !== this && d.group === this.h.group) this.go(d.t, d.unit, { fromGroup: true });
    });
    if (typeof ResizeObserver !== "undefined") {
      let width = this.root.clientWidth;
      this.resizer = new ResizeObserver(() => {
        if (Math.abs(this.root.clientWidth - width) < 2) return;
        width = this.root.clientWidth;
        this.layout();
        this.show();
      });
      this.resizer.observe(this.root);
    }
  }

  key(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const path = e.composedPath ? e.composedPath() : [e.target];
    const inside = path.includes(this.root);
    const typing = path.some((n) => n.tagName === "INPUT" || n.tagName === "TEXTAREA" || n.tagName === "SELECT" || n.isContentEditable);
    if (typing) return; // a focused slider, box or text field keeps its own keys
    if (this.h.group && !inside && !this.leads()) return; // one view of a group answers keys from the page
    const moves = { ArrowLeft: -1, ArrowRight: 1 };
    if (e.key in moves) this.go(this.t + moves[e.key]);
    else if (e.key === "Home") this.go(0);
    else if (e.key === "End") this.go(this.h.steps - 1);
    else if (e.key === "ArrowUp" && inside) this.go(this.t, this.unit - 1);
    else if (e.key === "ArrowDown" && inside) this.go(this.t, this.unit + 1);
    else if (e.key === " " && inside) this.playing ? this.pause() : this.play();
    else return;
    e.preventDefault();
    if (e.key !== " ") {
      this.pause();
      clearTimeout(this.keyTimer);
      this.keyTimer = setTimeout(() => this.tell(), REPORT_AFTER_KEYS_MS);
    }
  }

  leads() {
    return LEADERS.get(this.h.group) === this;
  }

  destroy() {
    this.playing = false;
    cancelAnimationFrame(this.frame);
    clearTimeout(this.keyTimer);
    for (const off of this.off || []) off();
    if (this.resizer) this.resizer.disconnect();
    if (LEADERS.get(this.h.group) === this) LEADERS.delete(this.h.group);
    this.root.remove();
  }
}

const LEADERS = new Map(); // group -> the view that answers page-level keys for it

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function headerOf(bytes) {
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
}

const LAST = new Map(); // component key -> where its cursor was, and where the server last started it

export default function mountGateView(component) {
  const { parentElement, data, setStateValue, key } = component;
  const host = parentElement;
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const id = headerOf(bytes).id;
  const old = VIEWS.get(host);
  if (old && old.h.id === id) {
    old.report = setStateValue;
    return undefined;
  }
  if (old) {
    old.remember();
    old.destroy();
  }
  const view = new GateView(host, bytes, setStateValue);
  // The server moves the cursor (a link, a "watch unit k" cue) by sending a new start; a new
  // trace with the same start keeps the step and unit the user was looking at.
  const last = LAST.get(key || host);
  if (last && last.start === `${view.h.t}/${view.h.unit}`) {
    view.go(last.t, last.unit);
    view.reported = { t: last.t, unit: last.unit };
  }
  // The user's choice of colour range stays while the server opens views the same way.
  if (last && last.opened === view.h.ranges) view.setRanges(last.ranges);
  if (view.h.group && !LEADERS.has(view.h.group)) LEADERS.set(view.h.group, view);
  VIEWS.set(host, view);
  view.remember = () => LAST.set(key || host, { t: view.t, unit: view.unit, start: `${view.h.t}/${view.h.unit}`,
    ranges: view.ranges, opened: view.h.ranges });
  return () => {
    if (VIEWS.get(host) === view) {
      view.remember();
      view.destroy();
      VIEWS.delete(host);
    }
  };
}
