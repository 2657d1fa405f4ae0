// The attribution and state-space panels' numbers (viz/insight.py sends what they are made of): the memory path
// at the cursor's step from the keep share the view holds, which steps a unit still remembers, and the state
// space's scale. Pure: nothing here touches the page.

// The keep share k_t, {values, rows: T, cols: H}: sent as it is, or (``at.keep``) read off the keep gate's own map,
// k = g or 1 - g (the kind's KEEP); null for a kind with no gate that keeps memory.
export function keepShare(at, arrays) {
  if (arrays["attr.keep"]) return arrays["attr.keep"];
  if (!at || !at.keep || !arrays[at.keep.gate]) return null;
  const gate = arrays[at.keep.gate];
  return at.keep.sign > 0 ? gate : { rows: gate.rows, cols: gate.cols, values: gate.values.map((g) => 1 - g) };
}

// M[s, u] = k_{s+1}[u] ⋯ k_t[u] for s ≤ t, 0 after t; for a backward direction k_{s-1} ⋯ k_t for s ≥ t, 0 before
// (cells.attribution.memory_path, the same running product). ``keep`` is {values, rows: T, cols: H}; the result
// is a Float64Array of T × H, row-major, written into ``out`` when given.
export function memoryPath(keep, t, reverse, out) {
  const T = keep.rows;
  const H = keep.cols;
  const k = keep.values;
  const m = out || new Float64Array(T * H);
  m.fill(0);
  for (let u = 0; u < H; u++) m[t * H + u] = 1;
  if (!reverse) {
    for (let s = t - 1; s >= 0; s--) {
      for (let u = 0; u < H; u++) m[s * H + u] = m[(s + 1) * H + u] * k[(s + 1) * H + u];
    }
  } else {
    for (let s = t + 1; s < T; s++) {
      for (let u = 0; u < H; u++) m[s * H + u] = m[(s - 1) * H + u] * k[(s - 1) * H + u];
    }
  }
  return m;
}

// The steps s whose share M[s, unit] is at least ``threshold``, in order (cells.attribution.remembered).
export function rememberedSteps(m, H, unit, threshold) {
  const steps = [];
  const T = m.length / H;
  for (let s = 0; s < T; s++) if (m[s * H + unit] >= threshold) steps.push(s);
  return steps;
}

// A token as Python's repr writes a plain string: in single quotes, or double ones when it holds a single quote.
export function quoted(token) {
  const text = String(token).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t");
  if (text.includes("'") && !text.includes('"')) return `"${text}"`;
  return `'${text.replace(/'/g, "\\'")}'`;
}

// What the unit can still remember, in words (cells.attribution.Remembered.sentence, with tokens).
export function rememberedSentence(steps, unit, t, threshold, tokens) {
  const name = (s) => `step ${s} (${quoted(tokens[s])})`;
  const share = `${Math.round(threshold * 100)}%`;
  const others = steps.filter((s) => s !== t);
  if (!others.length) {
    return `Unit ${unit} keeps less than ${share} of any earlier step's memory at step ${t}: `
      + "it remembers only the current input.";
  }
  const first = others[0];
  const last = others[others.length - 1];
  const span = first === last ? name(first) : `${name(first)} to ${name(last)}`;
  return `Unit ${unit} still carries at least ${share} of its memory from ${span} into step ${t} `
    + `(${others.length} other input${others.length !== 1 ? "s" : ""}).`;
}

// The largest |value| of an array's values (1 when all are 0), the scale of a bar row.
export function largest(values) {
  let top = 0;
  for (const value of values) top = Math.max(top, Math.abs(value));
  return top || 1;
}

// A map from state-space coordinates to pixels of a (width × height) box with ``pad`` around: one scale for
// both axes, so distances read the same across and up. bounds = [xmin, xmax, ymin, ymax].
export function planeScale(bounds, width, height, pad) {
  const [x0, x1, y0, y1] = bounds;
  const span = Math.max(x1 - x0, y1 - y0, 1e-9);
  const scale = Math.min(width - 2 * pad, height - 2 * pad) / span;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return { x: (x) => width / 2 + (x - cx) * scale, y: (y) => height / 2 - (y - cy) * scale };
}
