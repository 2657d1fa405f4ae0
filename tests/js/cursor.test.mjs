// cursor.js: where the cursor goes, when the server hears of it, Play's clock, the rows in sight, linked views.
import assert from "node:assert/strict";
import { mock, test } from "node:test";

import { MAX_ROWS, REPORT_AFTER_MS, clamp, groups, keep, keyMove, openingRows, playClock, reporter, resume, rowsInSight,
  scrolled }
  from "../../viz/gateview/cursor.js";

test("the cursor stays on a whole step and unit inside the view", () => {
  assert.deepEqual(clamp(-3, 2.6, 11, 4), { t: 0, unit: 3 });
  assert.deepEqual(clamp(99, -1, 11, 4), { t: 10, unit: 0 });
});

test("keys: ← → Home End anywhere on the page, ↑ ↓ and space only in the view", () => {
  const at = { t: 4, unit: 2, steps: 11, inside: true };
  assert.deepEqual(keyMove("ArrowLeft", at), { t: 3, unit: 2 });
  assert.deepEqual(keyMove("ArrowRight", at), { t: 5, unit: 2 });
  assert.deepEqual(keyMove("Home", at), { t: 0, unit: 2 });
  assert.deepEqual(keyMove("End", at), { t: 10, unit: 2 });
  assert.deepEqual(keyMove("ArrowUp", at), { t: 4, unit: 1 });
  assert.deepEqual(keyMove("ArrowDown", at), { t: 4, unit: 3 });
  assert.equal(keyMove(" ", at), "play");
  assert.equal(keyMove("a", at), null);
  const page = { ...at, inside: false };
  assert.deepEqual(keyMove("ArrowRight", page), { t: 5, unit: 2 });
  assert.deepEqual([keyMove("ArrowUp", page), keyMove("ArrowDown", page), keyMove(" ", page)], [null, null, null]);
});

test("many moves in a row reach the server once, after the user stops, with where the cursor is then", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const cursor = { t: 0, unit: 0 };
    const sent = [];
    const tell = reporter(() => cursor, (c) => sent.push(c));
    for (let t = 1; t <= 5; t++) {
      cursor.t = t;
      tell.later();
      mock.timers.tick(REPORT_AFTER_MS - 100); // the next click comes before the pause is over
    }
    assert.deepEqual(sent, []);
    assert.equal(tell.pending, true);
    mock.timers.tick(100);
    assert.deepEqual(sent, [{ t: 5, unit: 0 }]);
    tell.later(); // nothing new: nothing sent
    mock.timers.tick(REPORT_AFTER_MS);
    assert.equal(sent.length, 1);
    cursor.unit = 3;
    tell.later();
    assert.equal(tell.now(), true); // a slider's release: at once, and the pending report is dropped
    mock.timers.tick(REPORT_AFTER_MS);
    assert.deepEqual(sent, [{ t: 5, unit: 0 }, { t: 5, unit: 3 }]);
    tell.known = { t: 7, unit: 1 }; // a cursor the server already has (a view that took the old one's place)
    Object.assign(cursor, { t: 7, unit: 1 });
    assert.equal(tell.now(), false);
    cursor.t = 8;
    tell.later();
    tell.cancel();
    mock.timers.tick(REPORT_AFTER_MS);
    assert.equal(sent.length, 2);
  } finally {
    mock.timers.reset();
  }
});

test("a new reporter knows where the server started the view", () => {
  const sent = [];
  const tell = reporter(() => ({ t: 4, unit: 2 }), (c) => sent.push(c));
  assert.deepEqual(tell.known, { t: 4, unit: 2 });
  assert.equal(tell.now(), false);
  assert.deepEqual(sent, []);
});

test("Play moves at its speed, slow or fast, whatever the frame rate", () => {
  let speed = 10;
  const due = playClock(0, () => speed);
  let moved = 0;
  for (let now = 16; now <= 992; now += 16) moved += due(now); // 62 frames at 60 a second
  assert.equal(moved, 9); // 0.992 s at 10 steps a second; the 0.92 left carries over
  speed = 100;
  assert.deepEqual([due(1008), due(1024), due(1040)], [2, 2, 1]); // 1.6 steps a frame, in whole steps
  assert.equal(due(2040), 100);
  // The first frame is often stamped before Play was pressed: the first step still comes a whole step later.
  const early = playClock(1000, () => 5);
  assert.deepEqual([early(990), early(1006), early(1180), early(1199), early(1215)], [0, 0, 0, 0, 1]);
});

test("the chosen unit stays in sight: the shown rows stay while it is, else it comes to their middle", () => {
  const order = [...Array(128).keys()];
  assert.equal(rowsInSight(order, 31, 0, 128), 0);
  assert.equal(rowsInSight(order, 32, 0, 128), 32 - MAX_ROWS / 2);
  assert.equal(rowsInSight(order, 127, 0, 128), 128 - MAX_ROWS);
  assert.equal(rowsInSight(order.toReversed(), 127, 40, 128), 0);
  assert.equal(rowsInSight([0, 1, 2, 3], 3, 0, 4), 0); // a small layer shows every row
  assert.deepEqual([scrolled(0, 120, 128), scrolled(0, -120, 128), scrolled(94, 50, 128)], [4, 0, 96]);
});

test("a view opening on a unit past the first rows opens scrolled to it, in the middle of the rows shown", () => {
  const order = [...Array(192).keys()];
  const shown = (unit) => {
    const first = openingRows(order, unit, 192);
    return [first, first + MAX_ROWS - 1];
  };
  assert.deepEqual(shown(32), [16, 47]); // the code-unit lesson's 192 units of C_t, unit 32 watched
  assert.deepEqual(shown(5), [0, 31]); // a unit among the first rows: they stay
  assert.deepEqual(shown(190), [160, 191]); // the last rows, never past the end
  assert.equal(openingRows([0, 1, 2], 2, 3), 0);
});

test("views of one group follow each other's cursor and colour range; other groups and the sender do not", () => {
  const page = new EventTarget();
  const linked = groups(page);
  const heard = { a: [], b: [], other: [] };
  const a = {};
  const b = {};
  const other = {};
  const stop = linked.follow("cursor", "compare", b, (d) => heard.b.push([d.t, d.unit]));
  linked.follow("cursor", "compare", a, (d) => heard.a.push([d.t, d.unit]));
  linked.follow("cursor", "weights", other, (d) => heard.other.push([d.t, d.unit]));
  linked.follow("ranges", "compare", b, (d) => heard.b.push(d.ranges));
  linked.share("cursor", "compare", a, { t: 3, unit: 1 });
  linked.share("ranges", "compare", a, { ranges: "unit" });
  linked.share("cursor", "", a, { t: 9, unit: 9 }); // a view in no group tells nobody
  assert.deepEqual(heard, { a: [], b: [[3, 1], "unit"], other: [] });
  stop();
  linked.share("cursor", "compare", a, { t: 4, unit: 1 });
  assert.deepEqual(heard.b, [[3, 1], "unit"]);
  linked.lead("compare", a);
  linked.lead("compare", b);
  assert.equal(linked.leads("compare", a), true);
  assert.equal(linked.leads("compare", b), false);
  linked.leave("compare", a);
  linked.lead("compare", b);
  assert.equal(linked.leads("compare", b), true);
});

test("a view that replaces another keeps its cursor while the server starts it in the same place", () => {
  const old = { t: 7, unit: 3, ranges: "unit", h: { t: 0, unit: 0, ranges: "shared" }, reporter: { pending: false } };
  const kept = keep(old);
  assert.deepEqual(resume(kept, { t: 0, unit: 0, ranges: "shared" }),
    { cursor: { t: 7, unit: 3 }, untold: false, ranges: "unit" });
  // A link or a cue moves the start: the new start wins. A view opened in another range keeps its own.
  assert.deepEqual(resume(kept, { t: 2, unit: 5, ranges: "unit" }), { cursor: null, untold: false, ranges: null });
  assert.deepEqual(resume(undefined, { t: 0, unit: 0 }), { cursor: null, untold: false, ranges: null });
  // Replaced before its report went (a rerun within the pause after a click): the new view is to report it.
  const clicked = keep({ ...old, reporter: { pending: true } });
  assert.equal(resume(clicked, { t: 0, unit: 0, ranges: "shared" }).untold, true);
  assert.equal(resume(clicked, { t: 1, unit: 0, ranges: "shared" }).untold, false);
});
