// The message the server sends (viz/gateview.py, pack): b"GSV1", the header's length (uint32, little-endian),
// the header (JSON), then the arrays it lists, each row-major (steps, rows) in float64, float32 or float16
// (u1: a large view's colour-only array, 256 levels, viz/gateview.py's pack).

const MAGIC = "GSV1";
const SIZES = { f8: 8, f4: 4, f2: 2, u1: 1 }; // u1: 256 levels from 0, times the entry's scale

// One IEEE half-precision number from its 16 bits.
export function float16(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function bytesOf(data) {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

function headerLength(u8) {
  if (u8.length < 8 || String.fromCharCode(u8[0], u8[1], u8[2], u8[3]) !== MAGIC) {
    throw new Error("gate view: not a packed view (no GSV1 mark)");
  }
  const length = new DataView(u8.buffer, u8.byteOffset, u8.byteLength).getUint32(4, true);
  if (8 + length > u8.length) throw new Error(`gate view: header of ${length} bytes, message of ${u8.length}`);
  return length;
}

// The header alone (cheap: the arrays are not read), e.g. to compare a view's id with the one on screen.
export function headerOf(data) {
  const u8 = bytesOf(data);
  return JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + headerLength(u8))));
}

// {header, arrays}: each array as {values, rows: steps, cols: rows of its panel}.
export function unpack(data) {
  const u8 = bytesOf(data);
  const length = headerLength(u8);
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + length)));
  const start = 8 + length;
  const arrays = {};
  for (const a of header.arrays) {
    const count = a.shape.reduce((x, y) => x * y, 1);
    const size = SIZES[a.dtype];
    if (!size) throw new Error(`gate view: ${a.name}: unknown dtype ${a.dtype}`);
    const end = start + a.offset + count * size;
    if (end > u8.length) throw new Error(`gate view: ${a.name} ends at byte ${end}, the message at ${u8.length}`);
    const raw = u8.slice(start + a.offset, end).buffer; // a copy, aligned for the typed array
    let values;
    if (a.dtype === "f8") values = new Float64Array(raw);
    else if (a.dtype === "f4") values = new Float32Array(raw);
    else if (a.dtype === "u1") values = Float32Array.from(new Uint8Array(raw), (q) => q * a.scale);
    else {
      const bits = new Uint16Array(raw);
      values = new Float32Array(count);
      for (let k = 0; k < count; k++) values[k] = float16(bits[k]);
    }
    arrays[a.name] = { values, rows: a.shape[0], cols: a.shape[1] };
  }
  return { header, arrays };
}

// The number an equation's slot ``name`` holds at step ``t`` for unit ``row``. A recorded array is read as it
// is; a previous state (header.previous: "prev.cell" -> "cell") is that state one step earlier in the cell's
// reading order (later, for a backward direction), or the initial state before the first step. A value with
// fewer rows than units (h_t of a projection) gives its last row to the units past its end, as the server does.
export function slotValue(header, arrays, name, t, row) {
  const prev = header.previous[name];
  if (prev) {
    const before = header.reverse ? t + 1 : t - 1;
    if (before < 0 || before >= header.steps) {
      const start = header.initial[prev];
      return start[Math.min(row, start.length - 1)];
    }
    return slotValue(header, arrays, prev, before, row);
  }
  const a = arrays[name];
  if (!a) throw new Error(`gate view: no array for ${name}`);
  return a.values[t * a.cols + Math.min(row, a.cols - 1)];
}
