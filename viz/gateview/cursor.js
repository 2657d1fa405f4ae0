// The time cursor: the step and unit a view shows, when the server hears of them, Play's clock, the rows in
// sight, and the views that share one cursor (Compare's panes). Nothing here touches the page.

export const SPEEDS = [1, 2, 5, 10, 20, 50, 100]; // steps per second while playing
export const REPORT_AFTER_MS = 600; // the server hears the cursor once the user has stopped this long
export const MAX_ROWS = 32; // units shown at once; a larger layer scrolls through its units
const CURSOR_EVENT = "gatescope:cursor"; // a group's views tell each other where the cursor went
const RANGES_EVENT = "gatescope:ranges"; // ... and how a stretched panel's rows are coloured

// (t, unit) rounded and kept inside the view: steps 0..steps-1, units 0..units-1.
export function clamp(t, unit, steps, units) {
  return {
    t: Math.min(Math.max(Math.round(t), 0), steps - 1),
    unit: Math.min(Math.max(Math.round(unit), 0), units - 1),
  };
}

// Where a key takes the cursor: ← → a step, Home End the ends, ↑ ↓ a unit and space Play/Pause (these two only
// with the focus in the view, ``inside``). {t, unit}, "play" (toggle), or null for a key the view leaves alone.
export function keyMove(key, { t, unit, steps, inside }) {
  if (key === "ArrowLeft") return { t: t - 1, unit };
  if (key === "ArrowRight") return { t: t + 1, unit };
  if (key === "Home") return { t: 0, unit };
  if (key === "End") return { t: steps - 1, unit };
  if (!inside) return null;
  if (key === "ArrowUp") return { t, unit: unit - 1 };
  if (key === "ArrowDown") return { t, unit: unit + 1 };
  if (key === " ") return "play";
  return null;
}

// What tells the server where the cursor is: ``later()`` once the user has stopped for ``delay`` ms (keys,
// clicks, a pause: many in a row make one report), ``now()`` at once (a slider's release). ``read()`` gives
// the cursor when the report goes; ``send({t, unit})`` sends it, never twice the same; ``known`` is what the
// server has (where it started the view, or the last report).
export function reporter(read, send, { delay = REPORT_AFTER_MS, known = read() } = {}) {
  let timer = null;
  let last = { t: known.t, unit: known.unit };
  const now = () => {
    clearTimeout(timer);
    timer = null;
    const { t, unit } = read();
    if (t === last.t && unit === last.unit) return false;
    last = { t, unit };
    send({ t, unit });
    return true;
  };
  return {
    now,
    later() {
      clearTimeout(timer);
      timer = setTimeout(now, delay);
    },
    cancel() {
      clearTimeout(timer);
      timer = null;
    },
    get pending() {
      return timer !== null;
    },
    get known() {
      return last;
    },
    set known(cursor) {
      last = { t: cursor.t, unit: cursor.unit };
    },
  };
}

// Play's clock: called with each frame's time (ms), how many whole steps to move at ``speed()`` steps a second;
// the fractions carry over, so a slow speed moves on time and a fast one moves several steps a frame. A frame
// can be stamped a little before the clock started (its start): that owes nothing, and moves nothing.
export function playClock(start, speed) {
  let last = start;
  let due = 0;
  return (now) => {
    due += ((now - last) / 1000) * speed();
    last = now;
    if (due < 1) return 0;
    const steps = Math.floor(due);
    due -= steps;
    return steps;
  };
}

// The first shown row, so that the chosen unit is in sight: kept while it is, else the unit in the middle.
export function rowsInSight(order, unit, first, units) {
  const shown = Math.min(units, MAX_ROWS);
  const r = order.indexOf(unit);
  if (r >= first && r < first + shown) return first;
  return Math.min(Math.max(r - Math.floor(shown / 2), 0), units - shown);
}

// The first shown row when a view opens on ``unit`` (a link's, a cue's, a lesson stop's): the first rows, or,
// when the unit lies past them, the rows with it in their middle, so the chosen unit is on screen from the start.
export function openingRows(order, unit, units) {
  return rowsInSight(order, unit, 0, units);
}

// The first shown row after a turn of the wheel (down: later rows), four rows a notch.
export function scrolled(first, deltaY, units) {
  const shown = Math.min(units, MAX_ROWS);
  return Math.min(Math.max(first + Math.sign(deltaY) * 4, 0), units - shown);
}

// Views sharing a group share the cursor and the colour ranges, through events on ``target`` (the window),
// so views mounted by separate copies of this script follow each other too; one view of each group, the
// leader, answers the page's keys. ``share`` tells the others, ``follow`` listens (and returns its undo).
export function groups(target) {
  const leaders = new Map();
  const event = { cursor: CURSOR_EVENT, ranges: RANGES_EVENT };
  return {
    share(what, group, source, detail) {
      if (group) target.dispatchEvent(new CustomEvent(event[what], { detail: { ...detail, group, source } }));
    },
    follow(what, group, self, fn) {
      const listen = (e) => {
        if (e.detail.source !== self && e.detail.group === group) fn(e.detail);
      };
      target.addEventListener(event[what], listen);
      return () => target.removeEventListener(event[what], listen);
    },
    lead(group, view) {
      if (group && !leaders.has(group)) leaders.set(group, view);
    },
    leads(group, view) {
      return leaders.get(group) === view;
    },
    leave(group, view) {
      if (leaders.get(group) === view) leaders.delete(group);
    },
  };
}

// What a view keeps when it is replaced (a rerun sends a new trace): where its cursor was and where the server
// had started it, whether the server is still to hear of it, and its colour range and the one it opened in.
export function keep(view) {
  return { t: view.t, unit: view.unit, start: `${view.h.t}/${view.h.unit}`, untold: Boolean(view.reporter?.pending),
    ranges: view.ranges, opened: view.h.ranges };
}

// What a new view takes from the one it replaces: the cursor, when the server starts it where it started the
// old one (a link or a "watch unit k" cue moves it by a new start), and the colour range while the server
// opens views the same way. {cursor: {t, unit} | null, untold: whether to report that cursor, ranges}.
export function resume(kept, header) {
  if (!kept) return { cursor: null, untold: false, ranges: null };
  const same = kept.start === `${header.t}/${header.unit}`;
  return {
    cursor: same ? { t: kept.t, unit: kept.unit } : null,
    untold: same && kept.untold,
    ranges: kept.opened === header.ranges ? kept.ranges : null,
  };
}
