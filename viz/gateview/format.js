// Numbers and texts as the server writes them (viz/equations.py). Each equation's numbers come as a template
// with slots, "%{forget}" (the number) and "%{prev.cell:f}" (a factor: negative numbers in parentheses); the
// server fills the same templates with viz.equations.fill, the browser with ``compile`` below, at every step.

const TEMPLATE_SLOT = /(%\{[a-z_.]+(?::f)?\})/; // viz.equations.SLOT, captured whole to split a template on it
const SLOT_PARTS = /^%\{([a-z_.]+)(:f)?\}$/;
const NICE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];

// A number with ``digits`` fixed decimals, as Python's f"{value:.2f}" prints it (ties to even, where JavaScript's
// toFixed rounds them up), without "-0.00" (viz.equations.fmt).
export function fmt(value, digits = 2) {
  let text;
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (Math.abs(value) >= 1e21) text = `${BigInt(value)}${digits ? "." + "0".repeat(digits) : ""}`; // an integer
  else text = value.toFixed(digits);
  // An exact tie (value·10^digits ends in .5 exactly) is an odd multiple of 2^-(digits+1): scaling by a power
  // of two is exact, so this finds the ties and nothing else.
  const half = value * 2 ** (digits + 1);
  const scaled = value * 10 ** digits;
  if (Number.isInteger(half) && Math.abs(half % 2) === 1 && Number.isInteger(scaled * 2)) {
    const down = Math.floor(scaled);
    text = ((down % 2 === 0 ? down : down + 1) / 10 ** digits).toFixed(digits);
  }
  return text.startsWith("-") && Number(text) === 0 ? text.slice(1) : text;
}

// A number as a factor in a product: negative numbers in parentheses (viz.equations.factor).
export function factor(value, digits = 2) {
  const text = fmt(value, digits);
  return text.startsWith("-") ? `(${text})` : text;
}

// A template's filler: compiled once, then ``fill(lookup)`` gives the template with every slot's number,
// ``lookup(name)`` giving the number of a slot (viz.equations.fill on the same template gives the same text).
export function compile(template, digits = 2) {
  const parts = template.split(TEMPLATE_SLOT); // text, slot, text, slot, ..., text
  const slots = parts.map((part, k) => (k % 2 ? SLOT_PARTS.exec(part) : null));
  return (lookup) => parts.map((part, k) => {
    const slot = slots[k];
    if (!slot) return part;
    return (slot[2] ? factor : fmt)(lookup(slot[1]), digits);
  }).join("");
}

// Every slot a template names, in order (viz.equations.slot_names, for one template).
export function slotNames(template) {
  return template.split(TEMPLATE_SLOT).filter((_, k) => k % 2).map((slot) => SLOT_PARTS.exec(slot)[1]);
}

// A legend's number: two significant digits at most, with a true minus sign ("−0.98", "20").
export function short(value) {
  const text = String(Number(Math.abs(value).toPrecision(2)));
  return value < 0 ? `−${text}` : text;
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// The line above the maps: "step 4 of 10 · token “o” · unit 3", the pane's name first in a pane of Compare.
export function readout(header, t, unit) {
  const pane = header.side || !header.where ? "" : `${header.where}: `;
  return `${pane}step ${t} of ${header.steps - 1} · token “${header.tokens[t]}” · unit ${unit}`;
}

// The step panel's title: "Step 4 (token “o”), unit 3 · layer 2, backward: the numbers".
export function stepTitle(header, t, unit) {
  const where = header.where ? ` · ${header.where}` : "";
  return `Step ${t} (token “${header.tokens[t]}”), unit ${unit}${where}: the numbers`;
}

// A cell's tooltip (HTML): the panel's symbol (the server's HTML) and title, the row, step, token and value.
export function tipHtml(panel, header, t, row, value) {
  const rowText = panel.row_names ? `${escapeHtml(panel.row_title)} ${escapeHtml(panel.row_names[row])}` : `unit ${row}`;
  return `<b>${panel.symbol}</b> ${escapeHtml(panel.title)}<br>${rowText} · step ${t} · token `
    + `“${escapeHtml(header.tokens[t])}”<br>value ${fmt(value, 3)}`;
}

// Every how many steps a time axis of ``width`` pixels puts a label, its widest label ``widest`` pixels with its
// gap: every step while they fit, else every n-th, n the first round number that makes room.
export function axisStep(steps, widest, width) {
  const stride = Math.max(1, Math.ceil((widest * steps) / width));
  return NICE_STEPS.find((n) => n >= stride) || stride;
}
