// The server's side of the script's tests: tests/js/cases.py run once per test file (GATESCOPE_PYTHON, else the
// project's .venv/bin/python, else python3), and small readers of what it prints.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");

let found;

// {data} as cases.py printed it, or {skip: why not} (an error instead when GATESCOPE_REQUIRE_CASES is set, as
// the pytest wrapper sets it: there the server's side must be there).
export function cases() {
  if (found) return found;
  const venv = join(ROOT, ".venv", "bin", "python");
  const python = process.env.GATESCOPE_PYTHON || (existsSync(venv) ? venv : "python3");
  try {
    const out = execFileSync(python, [join(HERE, "cases.py")], { cwd: ROOT, encoding: "utf8", maxBuffer: 256 << 20 });
    found = { data: JSON.parse(out) };
  } catch (error) {
    if (process.env.GATESCOPE_REQUIRE_CASES) throw error;
    found = { skip: `needs Python with the project's packages to run tests/js/cases.py (${python}): ${error.message}` };
  }
  return found;
}

// A float as cases.py writes it (Python's repr), back to the same number.
export function num(text) {
  return { nan: NaN, inf: Infinity, "-inf": -Infinity }[text] ?? Number(text);
}

export function bytes(base64) {
  return new Uint8Array(Buffer.from(base64, "base64"));
}
