// The share link in the address bar, and the browser's history of it (ui/history.py).
//
// Python passes `query` (the query string the page describes, without "?"), `push` (true: this run
// changed a setting, so the address becomes a new history entry that Back returns from; false: the
// current entry is corrected in place), `serial` (one per mount, so a redraw of the same data never
// pushes twice) and `order` (when the server mounted it: the browser can draw two mounts in the other
// order, so an older one than the newest applied is ignored). Streamlit's own handler of Back and
// Forward reruns the page with the entry's address.

const APPLIED = []; // serials already applied on this page, newest last
let newest = -Infinity; // the order of the newest mount applied on this page

export default function mountHistory(component) {
  const { parentElement, data } = component;
  // Nothing to see: the element takes no room on the page.
  const root = parentElement.getRootNode();
  const holder = (root.host || parentElement).closest("[data-testid=stElementContainer]");
  if (holder) holder.style.display = "none";
  const d = data || {};
  if (typeof d.query !== "string" || APPLIED.includes(d.serial)) return;
  if (typeof d.order === "number") {
    if (d.order <= newest) return; // drawn late: a newer address is already in the bar
    newest = d.order;
  }
  APPLIED.push(d.serial);
  if (APPLIED.length > 64) APPLIED.shift();
  const search = d.query ? `?${d.query}` : "";
  if (window.location.search === search) return;
  const address = window.location.pathname + search + window.location.hash;
  if (d.push) window.history.pushState(window.history.state, "", address);
  else window.history.replaceState(window.history.state, "", address);
}
