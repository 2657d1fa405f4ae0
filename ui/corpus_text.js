// The coloured text: a corpus with each character's background coloured by one unit's value (Karpathy's figure).
//
// The server sends one page of the corpus at a time: `text` (the page's characters), `codes` (base64, one
// byte a character: 0..255 over the value range [lo, hi]), `start` (the page's first position in the corpus),
// `total` (the corpus's length), `stops` (the colour scale as [r, g, b] samples), `at` (the position to show),
// `span` (the selected [start, stop), or null) and `label` (the unit's name). The browser draws only the lines
// on screen, so scrolling through a page is local; near either end of the page, or on a jump of the place
// slider past it, it asks for the page around a new place (state "want": {at, n}). A click reports the character's
// position (trigger "click"); a selection made with the mouse reports its [start, stop) (trigger "span").
// No build step, no network: Streamlit loads this text as it is; the pure parts are exported for node's tests.

const LINE_PX = 18; // one line of text
const EDGE_LINES = 8; // this close to a page's end (and the corpus goes on) asks for the next page
const VIEWS = new WeakMap(); // the component's host -> its view, kept across reruns

export function decodeCodes(b64) {
  // base64 -> Uint8Array
  const raw = typeof atob === "function" ? atob(b64 || "") : Buffer.from(b64 || "", "base64").toString("binary");
  const out = new Uint8Array(raw.length);
  for (let k = 0; k < raw.length; k += 1) out[k] = raw.charCodeAt(k);
  return out;
}

export function lineStarts(text) {
  // The offset of each line's first character in the page (a line ends after its "\n").
  const starts = [0];
  for (let k = 0; k < text.length; k += 1) if (text[k] === "\n" && k + 1 < text.length) starts.push(k + 1);
  return starts;
}

export function lineOf(starts, offset) {
  // The line holding page offset `offset` (binary search over lineStarts).
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function colourOf(stops, code) {
  // The background of a character whose value's code is `code` (0..255), on the scale's stops.
  const pos = (code / 255) * (stops.length - 1);
  const k = Math.min(Math.floor(pos), stops.length - 2);
  const w = pos - k;
  const c = [0, 1, 2].map((i) => Math.round(stops[k][i] * (1 - w) + stops[k + 1][i] * w));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

export function valueOf(code, lo, hi) {
  return lo + (code / 255) * (hi - lo);
}

export function needsPage(first, last, page) {
  // Whether lines first..last on screen come within EDGE_LINES of a page end the corpus goes past: the
  // position to ask for, or -1.
  const { start, length, total, lines } = page;
  if (first < EDGE_LINES && start > 0) return Math.max(0, start - 1);
  if (last > lines - EDGE_LINES && start + length < total) return start + length;
  return -1;
}

export function spanOf(a, b) {
  // Two character positions of a selection, in either order, as [start, stop).
  return a <= b ? [a, b + 1] : [b, a + 1];
}

class CorpusText {
  constructor(host, component) {
    this.component = component;
    this.root = document.createElement("div");
    this.root.className = "ct";
    this.root.innerHTML = `
      <div class="ct-bar"><span class="ct-label"></span>
        <label class="ct-place">place <input type="range" class="ct-slider" min="0" value="0"
          aria-label="place in the corpus"></label><span class="ct-where"></span></div>
      <div class="ct-scroll" tabindex="0" aria-label="coloured text"><div class="ct-body"></div></div>
      <div class="ct-tip" hidden></div>`;
    host.appendChild(this.root);
    this.scroll = this.root.querySelector(".ct-scroll");
    this.body = this.root.querySelector(".ct-body");
    this.slider = this.root.querySelector(".ct-slider");
    this.tip = this.root.querySelector(".ct-tip");
    this.asked = -1;
    this.scroll.addEventListener("scroll", () => this.paint());
    this.slider.addEventListener("change", () => this.jump(Number(this.slider.value)));
    this.body.addEventListener("mousemove", (e) => this.hover(e));
    this.body.addEventListener("mouseleave", () => { this.tip.hidden = true; });
    this.body.addEventListener("mousedown", (e) => {
      e.preventDefault(); // no focus scroll and no browser selection: the span is drawn by the view itself
      this.down = this.positionOf(e.target);
    });
    this.body.addEventListener("mouseup", (e) => this.up(e));
  }

  update(data) {
    const d = data || {};
    const fresh = d.start !== this.page?.start || d.text !== this.text || d.codes !== this.codesB64;
    this.stops = d.stops || [[255, 255, 255], [255, 255, 255]];
    this.lo = Number(d.lo) || 0;
    this.hi = Number(d.hi) || 1;
    this.span = d.span || null;
    this.root.querySelector(".ct-label").textContent = d.label || "";
    this.root.querySelector(".ct-scroll").style.height = `${Number(d.height) || 420}px`;
    if (fresh) {
      this.text = d.text || "";
      this.codesB64 = d.codes;
      this.codes = decodeCodes(d.codes);
      this.starts = lineStarts(this.text);
      this.page = { start: Number(d.start) || 0, length: this.text.length, total: Number(d.total) || 0,
        lines: this.starts.length };
      this.body.style.height = `${this.starts.length * LINE_PX}px`;
      this.slider.max = String(Math.max(0, this.page.total - 1));
      this.asked = -1;
    }
    if (fresh || d.at !== this.at) {
      this.at = Number(d.at) || 0;
      const line = lineOf(this.starts, Math.max(0, this.at - this.page.start));
      this.scroll.scrollTop = Math.max(0, (line - 3) * LINE_PX);
    }
    this.drawn = null;
    this.paint();
  }

  paint() {
    const first = Math.floor(this.scroll.scrollTop / LINE_PX);
    const count = Math.ceil(this.scroll.clientHeight / LINE_PX) + 2;
    const last = Math.min(this.page.lines - 1, first + count);
    const key = `${first}:${last}`;
    if (this.drawn !== key) {
      this.drawn = key;
      const parts = [];
      for (let line = first; line <= last; line += 1) parts.push(this.lineHtml(line));
      this.body.innerHTML = parts.join("");
    }
    const here = this.page.start + this.starts[Math.min(first, this.page.lines - 1)];
    this.slider.value = String(here);
    this.root.querySelector(".ct-where").textContent =
      `character ${here.toLocaleString()} of ${this.page.total.toLocaleString()}`;
    const want = needsPage(first, last, this.page);
    if (want >= 0 && want !== this.asked) {
      this.ask(want);
    }
  }

  lineHtml(line) {
    const a = this.starts[line];
    const b = line + 1 < this.starts.length ? this.starts[line + 1] : this.text.length;
    const out = [`<div class="ct-line" style="top:${line * LINE_PX}px">`];
    for (let k = a; k < b; k += 1) {
      const ch = this.text[k];
      const pos = this.page.start + k;
      const shown = ch === "\n" ? "⏎" : ch === "&" ? "&amp;" : ch === "<" ? "&lt;" : ch === ">" ? "&gt;" : ch;
      const chosen = this.span && pos >= this.span[0] && pos < this.span[1] ? " ct-span" : "";
      const nl = ch === "\n" ? " ct-nl" : "";
      out.push(`<span class="ct-c${chosen}${nl}" data-p="${pos}" style="background:${colourOf(this.stops,
        this.codes[k])}">${shown}</span>`);
    }
    out.push("</div>");
    return out.join("");
  }

  positionOf(node) {
    const p = node?.dataset?.p;
    return p === undefined ? null : Number(p);
  }

  hover(event) {
    const pos = this.positionOf(event.target);
    if (pos === null) {
      this.tip.hidden = true;
      return;
    }
    const k = pos - this.page.start;
    const ch = this.text[k] === "\n" ? "⏎" : this.text[k] === " " ? "␣" : this.text[k];
    this.tip.textContent = `${ch}  character ${pos.toLocaleString()}  value ${valueOf(this.codes[k], this.lo,
      this.hi).toFixed(3)}`;
    this.tip.hidden = false;
    const box = this.root.getBoundingClientRect();
    this.tip.style.left = `${Math.min(event.clientX - box.left + 12, box.width - 260)}px`;
    this.tip.style.top = `${event.clientY - box.top + 16}px`;
  }

  up(event) {
    const pos = this.positionOf(event.target);
    if (pos === null || this.down === null || this.down === undefined) return;
    if (pos === this.down) {
      this.component.setTriggerValue("click", pos);
    } else {
      const span = spanOf(this.down, pos);
      window.getSelection()?.removeAllRanges();
      this.component.setTriggerValue("span", span);
    }
    this.down = null;
  }

  jump(position) {
    const inside = position >= this.page.start && position < this.page.start + this.page.length;
    if (inside) {
      this.scroll.scrollTop = Math.max(0, (lineOf(this.starts, position - this.page.start) - 3) * LINE_PX);
      return;
    }
    this.ask(position);
  }

  ask(position) {
    // A new request each time (its count makes the value new), so asking again for the same place is heard.
    this.asked = position;
    this.requests = (this.requests || 0) + 1;
    this.component.setStateValue("want", { at: position, n: this.requests });
  }

  destroy() {
    this.root.remove();
  }
}

export default function mountCorpusText(component) {
  const { parentElement, data } = component;
  let view = VIEWS.get(parentElement);
  if (!view) {
    view = new CorpusText(parentElement, component);
    VIEWS.set(parentElement, view);
  }
  view.component = component;
  view.update(data);
  return () => {
    if (VIEWS.get(parentElement) === view) {
      view.destroy();
      VIEWS.delete(parentElement);
    }
  };
}
