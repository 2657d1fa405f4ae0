// The entry: Streamlit's custom component calls mountGateView with the packed view (viz/gateview.py's pack);
// the offline page calls it once, with a reporter that reports to nobody. A re-render with the same data keeps
// the view; a new view takes the cursor and colour range of the one it replaces (cursor.js's keep and resume).

import { keep, resume } from "./cursor.js";
import { headerOf } from "./decode.js";
import { GROUPS } from "./dom.js";
import { GateView } from "./view.js";

const VIEWS = new WeakMap(); // host element -> its view
const KEPT = new Map(); // component key -> what its last view kept (cursor.js's keep)

export function mountGateView(component) {
  const { parentElement: host, data, setStateValue, key } = component;
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const old = VIEWS.get(host);
  const header = headerOf(bytes);
  if (old && old.h.id === header.id) {
    old.report = setStateValue;
    return undefined;
  }
  if (old && header.base && old.h.base === header.base) { // a new attribution for the view on screen
    old.report = setStateValue;
    old.refresh(bytes);
    return undefined;
  }
  if (old) {
    KEPT.set(key || host, keep(old));
    old.destroy();
  }
  const view = new GateView(host, bytes, setStateValue);
  const { cursor, untold, ranges } = resume(KEPT.get(key || host), view.h);
  if (cursor) {
    view.go(cursor.t, cursor.unit);
    if (untold) view.reporter.later(); // the old view was about to report it: this one does
    else view.reporter.known = cursor;
  }
  if (ranges) view.setRanges(ranges);
  GROUPS.lead(view.h.group, view);
  VIEWS.set(host, view);
  return () => {
    if (VIEWS.get(host) === view) {
      KEPT.set(key || host, keep(view));
      view.destroy();
      VIEWS.delete(host);
    }
  };
}
