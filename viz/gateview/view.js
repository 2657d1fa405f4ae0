// The view: one trace's maps on one time axis, the bar above them, the step panel beside them. It builds its
// page once per message; moving the cursor only moves marks, fills the numbers and recolours the diagram.

import { colourMap, gradient, legend, rowBounds } from "./colour.js";
import { MAX_ROWS, SPEEDS, clamp, openingRows, reporter, rowsInSight } from "./cursor.js";
import { slotValue, unpack } from "./decode.js";
import { GROUPS, el } from "./dom.js";
import { readout } from "./format.js";
import { listen, pause, play, unlisten } from "./input.js";
import { drawHeat, drawLines, drawMarks, layout, paintImage } from "./paint.js";
import { buildSide, showSide } from "./side.js";
import { buildExtra, refreshExtra, showExtra } from "./extra.js";

const RANGES = [["shared", "one range"], ["unit", "per unit"]]; // a stretched panel's colour range
const ORDERS = [["index", "by index"], ["activity", "most active first"]]; // a large layer's order of units

export class GateView {
  // ``report(name, value)`` tells the server (Streamlit's setStateValue; nothing, offline).
  constructor(host, bytes, report) {
    const { header, arrays } = unpack(bytes);
    this.h = header;
    this.a = arrays;
    this.report = report;
    this.t = header.t;
    this.unit = header.unit;
    this.ranges = header.ranges || "shared";
    this.order = [...Array(header.units).keys()];
    this.offset = openingRows(this.order, this.unit, header.units); // the first shown row of a large layer
    this.playing = false;
    this.speed = 10;
    this.host = host;
    this.reporter = reporter(() => this, (cursor) => this.report && this.report("cursor", cursor));
    this.build();
    listen(this);
    layout(this);
    this.show();
  }

  // The number an equation's slot or a box names, at step t for unit ``row`` (decode.js).
  value(name, t, row) {
    return slotValue(this.h, this.a, name, t, row);
  }

  build() {
    const h = this.h;
    const root = el("div", h.big ? "gv gv-big" : "gv");
    root.tabIndex = 0;
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
    this.speedBox = choice(speedLabel, SPEEDS.map((s) => [String(s), `${s}/s`]), "Steps per second while playing");
    this.speedBox.value = String(this.speed);
    this.slider = el("input", "gv-slider", bar);
    Object.assign(this.slider, { type: "range", min: 0, max: Math.max(h.steps - 1, 0), step: 1, value: this.t });
    this.slider.setAttribute("aria-label", "Time step");
    this.readout = el("div", "gv-readout", bar);
    this.readout.setAttribute("aria-live", "polite");
    if (h.units > MAX_ROWS) {
      const box = el("label", "gv-units", bar);
      el("span", "", box, "order");
      this.orderBox = choice(box, ORDERS, "Order of the units");
    }
    const body = el("div", "gv-body", root);
    this.grid = el("div", "gv-grid", body);
    this.side = h.side ? el("div", "gv-side", body) : null;
    this.panels = h.panels.map((p) => this.buildPanel(p));
    buildExtra(this); // attribution and state space, where the server sent them (extra.js)
    this.heat = this.panels.filter((p) => !p.empty && !p.bars); // the panels that draw a heatmap
    this.linePanel = h.lines ? this.buildLines() : null;
    this.boxes = [];
    this.eqs = [];
    if (this.side) buildSide(this);
    this.tip = el("div", "gv-tip", root);
    this.tip.hidden = true;
    this.host.appendChild(root);
  }

  buildPanel(p) {
    const box = el("div", "gv-panel");
    box.dataset.name = p.name;
    const head = el("div", "gv-head", box);
    el("span", "gv-sym", head).innerHTML = p.symbol; // built by the server from its own equation table
    el("span", "gv-title", head, p.title);
    head.title = p.note ? `${p.title}: ${p.note}` : p.title;
    if (p.empty) {
      el("div", "gv-empty", box, p.note).title = p.note;
      return { p, box, axis: el("canvas", "gv-axis", box), empty: true };
    }
    // The legend states its numbers: "0 ▭ 1 (σ)", "−20 ▭ 20", or the chosen unit's own "−0.98 ▭ 0.98 per unit".
    const legendBox = el("span", "gv-legend", head);
    const low = el("span", "gv-low", legendBox);
    el("span", "gv-ramp", legendBox).style.background = gradient(p.scale);
    const high = el("span", "gv-high", legendBox);
    const what = el("span", "gv-what", legendBox);
    const stretched = !p.row_names && Boolean(p.scale.stretched);
    let pick = null;
    if (stretched) { // its range covers its largest unit: offer each unit's own, so a small unit shows too
      pick = choice(legendBox, RANGES, `${p.title}: colour range, one for every unit or each unit's own`);
      pick.className = "gv-rangepick";
      pick.addEventListener("change", () => this.setRanges(pick.value));
    }
    const frame = el("div", "gv-frame", box);
    const rows = el("div", "gv-rows", frame);
    const plot = el("div", "gv-plot", frame);
    const panel = {
      p, box, rows, plot, canvas: el("canvas", "gv-heat", plot), cursor: el("div", "gv-cursor", plot),
      unitMark: p.row_names ? null : el("div", "gv-unit", plot), axis: el("canvas", "gv-axis", box),
      map: colourMap(p.scale), isUnits: !p.row_names, stretched, legend: { box: legendBox, low, high, what, pick },
    };
    if (stretched) panel.bounds = rowBounds(this.a[p.name]);
    panel.image = paintImage(this, panel);
    this.drawLegend(panel);
    return panel;
  }

  buildLines() {
    const box = el("div", "gv-panel gv-lines");
    const head = el("div", "gv-head", box);
    this.linesTitle = el("span", "gv-title", head);
    this.linesKey = el("span", "gv-key", head);
    const plot = el("div", "gv-plot", box);
    const canvas = el("canvas", "gv-heat", plot);
    const cursor = el("div", "gv-cursor gv-cursor-line", plot);
    return { box, plot, canvas, cursor, axis: el("canvas", "gv-axis", box) };
  }

  // The bound a row is coloured on: its own in "each unit's own range", else undefined (the panel's range).
  boundOf(panel, row) {
    return panel.stretched && this.ranges === "unit" ? panel.bounds[row] : undefined;
  }

  drawLegend(panel) {
    const { box, low, high, what, pick } = panel.legend;
    if (pick) pick.value = this.ranges;
    const said = legend(panel.p.scale, { bound: this.boundOf(panel, this.unit), unit: this.unit,
      stretched: panel.stretched });
    low.textContent = said.low;
    high.textContent = said.high;
    what.textContent = said.what;
    box.title = said.title;
  }

  setRanges(ranges, { fromGroup = false } = {}) {
    if (!this.heat.some((p) => p.stretched) || ranges === this.ranges) return;
    this.ranges = ranges;
    for (const panel of this.heat.filter((p) => p.stretched)) {
      panel.image = paintImage(this, panel);
      drawHeat(this, panel);
      this.drawLegend(panel);
    }
    this.show();
    if (!fromGroup) GROUPS.share("ranges", this.h.group, this, { ranges });
  }

  // Everything the cursor moves: the marks, the slider and buttons, the readout, the step panel.
  show() {
    drawMarks(this);
    this.slider.value = String(this.t);
    this.prevBtn.disabled = this.t <= 0;
    this.nextBtn.disabled = this.t >= this.h.steps - 1;
    this.readout.textContent = readout(this.h, this.t, this.unit);
    if (this.side) showSide(this);
    showExtra(this);
  }

  // The same view with a new report's attribution (mount.js: an equal ``base`` id): only that is drawn again.
  refresh(bytes) {
    const { header, arrays } = unpack(bytes);
    this.h.id = header.id;
    refreshExtra(this, header, arrays);
  }

  go(t, unit = this.unit, { fromGroup = false } = {}) {
    const to = clamp(t, unit, this.h.steps, this.h.units);
    const unitChanged = to.unit !== this.unit;
    this.t = to.t;
    this.unit = to.unit;
    if (unitChanged) {
      this.keepUnitInView();
      drawLines(this);
      for (const panel of this.heat.filter((p) => p.stretched)) this.drawLegend(panel);
    }
    this.show();
    if (!fromGroup) GROUPS.share("cursor", this.h.group, this, to);
  }

  keepUnitInView() {
    const first = rowsInSight(this.order, this.unit, this.offset, this.h.units);
    if (first === this.offset) return;
    this.offset = first;
    for (const panel of this.heat) drawHeat(this, panel);
  }

  play() {
    play(this);
  }

  pause() {
    pause(this);
  }

  destroy() {
    unlisten(this);
    this.reporter.cancel();
    GROUPS.leave(this.h.group, this);
    this.root.remove();
  }
}

// A <select> of (value, text) options in ``parent``, named for a screen reader by ``label``.
function choice(parent, options, label) {
  const box = el("select", "", parent);
  for (const [value, text] of options) el("option", "", box, text).value = value;
  box.setAttribute("aria-label", label);
  return box;
}
