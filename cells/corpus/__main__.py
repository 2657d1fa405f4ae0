"""The command line of a corpus run and its census.

    python -m cells.corpus run --model FILE --text FILE                 # a JSON summary on standard output
    python -m cells.corpus census --model FILE --text FILE --json OUT   # the census as JSON, one object a finding

``--text stdlib-held-out`` reads the held-out files a shipped code model records (from this interpreter's
standard library). Progress goes to standard error. Runs are cached (see cells/corpus/cache.py) unless
``--no-cache``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from cells.corpus import stdlib
from cells.corpus.cache import Cache
from cells.corpus.run import run_corpus
from cells.corpus.stream import MAX_CHARACTERS
from cells.files.model import load

HELD_OUT = "stdlib-held-out"
MANIFEST = Path(__file__).resolve().parents[2] / "assets" / "pretrained" / "manifest.json"


def read_text(value: str) -> str:
    """The text of a file (UTF-8, at most MAX_CHARACTERS), or the shipped models' held-out corpus."""
    if value == HELD_OUT:
        manifest = json.loads(MANIFEST.read_text())
        entry = next(iter(manifest.get("corpus_models", [])), None)
        if entry is None:
            raise ValueError("no shipped corpus model lists held-out files in assets/pretrained/manifest.json")
        return stdlib.text(entry["held_out_files"])
    path = Path(value)
    try:
        size = path.stat().st_size
        if size > 4 * MAX_CHARACTERS:
            raise ValueError(f"{value}: {size:,} bytes is over the limit of {MAX_CHARACTERS:,} characters")
        return path.read_bytes().decode("utf-8")
    except OSError as e:
        raise ValueError(f"{value}: cannot read it ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"{value}: not UTF-8 text (byte {e.start:,} is {e.object[e.start]:#04x})") from None


def _progress(what: str):
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 1.0 or done == total:
            print(f"{what}: {done:,} of {total:,}", file=sys.stderr, flush=True)
            last[0] = now

    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cells.corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["run", "census"])
    parser.add_argument("--model", required=True, help="a model file cells.load reads, with a vocabulary")
    parser.add_argument("--text", required=True, help=f"a UTF-8 text file, or {HELD_OUT}")
    parser.add_argument("--json", help="census: where to write the findings")
    parser.add_argument("--pattern", help="a regular expression whose matches make one more concept track")
    parser.add_argument("--streams", type=int, default=64)
    parser.add_argument("--ablate", type=int, default=1, help="census: units ablated per concept")
    parser.add_argument("--windows", type=int, default=32, help="census: sample windows of each ablation")
    parser.add_argument("--length", type=int, default=512, help="census: characters per sample window")
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "census" and not args.json:
        parser.error("census needs --json OUT")
    try:
        model = load(args.model)
        text = read_text(args.text)
        result = run_corpus(model, text, pattern=args.pattern, streams=args.streams,
                            cache=None if args.no_cache else Cache(), progress=_progress("steps"))
        if args.command == "run":
            json.dump(result.summary(), sys.stdout, indent=1)
            print()
            return 0
        began = time.perf_counter()
        table = result.census(ablate=args.ablate, windows=args.windows, length=args.length,
                              progress=_progress("ablations"))
        Path(args.json).write_text(json.dumps([f.to_json() for f in table], indent=1) + "\n")
        clear = [f for f in table if f.clear and f.loss_rise_on is not None]
        confirmed = sum(f.confirmed is True for f in clear)
        cached = " (cached)" if result.cached else ""
        print(f"census of {result.steps:,} steps: {len(table):,} findings, {len(clear)} clear and ablated "
              f"({confirmed} confirmed by it), run "
              f"{result.seconds:.1f} s{cached}, census {time.perf_counter() - began:.1f} s; wrote {args.json}",
              file=sys.stderr)
        return 0
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
