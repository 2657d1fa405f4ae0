// Input: the buttons, the slider, the keys, a click or a hover on a map, the wheel, Play, and the other views
// of a group. The view moves at once; the server hears the cursor once the user stops (cursor.js's reporter).

import { keyMove, playClock, scrolled } from "./cursor.js";
import { GROUPS } from "./dom.js";
import { tipHtml } from "./format.js";
import { drawHeat, layout, pageContent, pageTop, paintImage } from "./paint.js";
import { listenExtra } from "./extra.js";

// Every listener the view adds, kept so that ``unlisten`` can take them all away.
export function listen(v) {
  v.off = [];
  const on = (target, type, fn, options) => {
    target.addEventListener(type, fn, options);
    v.off.push(() => target.removeEventListener(type, fn, options));
  };
  const step = (by) => {
    pause(v);
    v.go(v.t + by);
    v.reporter.later();
  };
  on(v.prevBtn, "click", () => step(-1));
  on(v.nextBtn, "click", () => step(1));
  on(v.playBtn, "click", () => (v.playing ? pause(v) : play(v)));
  on(v.speedBox, "change", () => (v.speed = Number(v.speedBox.value)));
  on(v.slider, "input", () => {
    pause(v);
    v.go(Number(v.slider.value));
  });
  on(v.slider, "change", () => v.reporter.now()); // released
  for (const panel of v.heat) {
    on(panel.canvas, "mousemove", (e) => hover(v, panel, e));
    on(panel.canvas, "mouseleave", () => (v.tip.hidden = true));
    on(panel.canvas, "click", (e) => pick(v, panel, e));
  }
  if (v.orderBox) {
    on(v.orderBox, "change", () => {
      v.order = v.orderBox.value === "activity" ? [...v.h.activity] : [...Array(v.h.units).keys()];
      v.offset = 0;
      for (const panel of v.heat) panel.image = paintImage(v, panel);
      v.keepUnitInView();
      for (const panel of v.heat) drawHeat(v, panel);
      v.show();
    });
    for (const panel of v.heat.filter((p) => p.isUnits)) on(panel.canvas, "wheel", (e) => wheel(v, e));
  }
  listenExtra(v, on, (t) => {
    pause(v);
    v.go(t);
    v.reporter.later();
  });
  on(document, "keydown", (e) => key(v, e));
  v.off.push(GROUPS.follow("cursor", v.h.group, v, (d) => v.go(d.t, d.unit, { fromGroup: true })));
  v.off.push(GROUPS.follow("ranges", v.h.group, v, (d) => v.setRanges(d.ranges, { fromGroup: true })));
  if (typeof ResizeObserver !== "undefined") {
    let width = v.root.clientWidth;
    const resizer = new ResizeObserver(() => {
      if (Math.abs(v.root.clientWidth - width) < 2) return;
      width = v.root.clientWidth;
      layout(v);
      v.show();
    });
    resizer.observe(v.root);
    v.off.push(() => resizer.disconnect());
  }
  if (v.h.fit) { // fitted to the first screen (paint.js): a taller or shorter window fits it again
    on(window, "resize", () => {
      layout(v);
      v.show();
    });
    // ... and so does a view that moved down or up its page: what is above it can settle after the view's first
    // layout (a box that sizes itself once it is drawn), and a view fitted where it was would end off the screen.
    if (typeof ResizeObserver !== "undefined") {
      let top = pageTop(v.root);
      const mover = new ResizeObserver(() => {
        const now = pageTop(v.root);
        if (Math.abs(now - top) < 1) return;
        top = now;
        layout(v);
        v.show();
      });
      for (const content of pageContent(v.root)) mover.observe(content);
      v.off.push(() => mover.disconnect());
    }
  }
}

export function unlisten(v) {
  v.playing = false;
  cancelAnimationFrame(v.frame);
  for (const off of v.off || []) off();
  v.off = [];
}

export function play(v) {
  if (v.playing) return;
  if (v.t >= v.h.steps - 1) v.go(0);
  v.playing = true;
  v.playBtn.textContent = "Pause";
  v.playBtn.classList.add("gv-on");
  const due = playClock(performance.now(), () => v.speed);
  const tick = (now) => {
    if (!v.playing) return;
    const steps = due(now);
    if (steps > 0) {
      v.go(v.t + steps);
      if (v.t >= v.h.steps - 1) {
        pause(v);
        return;
      }
    }
    v.frame = requestAnimationFrame(tick);
  };
  v.frame = requestAnimationFrame(tick);
}

// Stop playing; the server hears where, once the user has stopped (another click may follow at once).
export function pause(v) {
  if (!v.playing) return;
  v.playing = false;
  cancelAnimationFrame(v.frame);
  v.playBtn.textContent = "Play";
  v.playBtn.classList.remove("gv-on");
  v.reporter.later();
}

function key(v, e) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
  const path = e.composedPath ? e.composedPath() : [e.target];
  const inside = path.includes(v.root);
  const typing = path.some((n) => n.tagName === "INPUT" || n.tagName === "TEXTAREA" || n.tagName === "SELECT"
    || n.isContentEditable);
  if (typing) return; // a focused slider, box or text field keeps its own keys
  if (v.h.group && !inside && !GROUPS.leads(v.h.group, v)) return; // one view of a group answers keys from the page
  const move = keyMove(e.key, { t: v.t, unit: v.unit, steps: v.h.steps, inside });
  if (move === null) return;
  e.preventDefault();
  if (move === "play") {
    if (v.playing) pause(v);
    else play(v);
    return;
  }
  pause(v);
  v.go(move.t, move.unit);
  v.reporter.later();
}

// The step and row under the pointer on a panel's map.
function cellAt(v, panel, e) {
  const rect = panel.canvas.getBoundingClientRect();
  const t = Math.floor(((e.clientX - rect.left) / rect.width) * v.h.steps);
  const r = Math.floor((e.clientY - rect.top) / panel.rowPx);
  const row = panel.isUnits ? panel.order[(panel.first || 0) + r] : r;
  return { t: Math.min(Math.max(t, 0), v.h.steps - 1), row };
}

function hover(v, panel, e) {
  const { t, row } = cellAt(v, panel, e);
  if (row === undefined || row < 0 || row >= panel.p.rows) return;
  const a = v.a[panel.p.name];
  v.tip.innerHTML = tipHtml(panel.p, v.h, t, row, a.values[t * a.cols + row]);
  v.tip.hidden = false;
  const box = v.root.getBoundingClientRect();
  v.tip.style.left = `${Math.min(e.clientX - box.left + 14, box.width - 260)}px`;
  v.tip.style.top = `${e.clientY - box.top + 14}px`;
}

// A click on a map picks its step, and its unit on a map of units.
function pick(v, panel, e) {
  const { t, row } = cellAt(v, panel, e);
  pause(v);
  v.go(t, panel.isUnits ? row : v.unit);
  v.reporter.later();
}

function wheel(v, e) {
  const next = scrolled(v.offset, e.deltaY, v.h.units);
  if (next === v.offset) return;
  e.preventDefault();
  v.offset = next;
  for (const panel of v.heat) drawHeat(v, panel);
  v.show();
}
