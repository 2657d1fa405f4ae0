"""Character n-gram baselines for the shipped code models: interpolated modified Kneser-Ney, n = 1 to 9.

    python assets/pretrained/stdlib/train_stdlib.py ngram    # writes ngram.json and ngram.log beside this file

Fitted on the same training text as the models (``train_stdlib.corpus()``, read through the same vocabulary,
unknown characters as ``<unk>``) and scored on the same held-out characters: every character of every held-out
file but its first, each file's context starting at its own first character.

The probability of character w after the context h (the last n - 1 characters), for the top order n with the
training counts c, and each lower order with the continuation counts N1+(• h w) (how many distinct characters
came before h w) in place of c (Chen and Goodman, 1998):

    P_k(w | h) = max(c(h w) - D_k(c(h w)), 0) / c(h) + γ_k(h) · P_{k-1}(w | h without its first character)
    γ_k(h)     = (D_k,1 · N1(h •) + D_k,2 · N2(h •) + D_k,3+ · N3+(h •)) / c(h)
    P_0(w)     = 1 / V,    and P_k = P_{k-1} where c(h) = 0 (a context never seen)

with c(h) = Σ_w c(h w), N_j(h •) the number of characters seen exactly j (3+: at least 3) times after h, and the
three discounts of each order from its counts of counts n_1 … n_4: Y = n_1 / (n_1 + 2 n_2),
D_1 = 1 - 2Y n_2/n_1, D_2 = 2 - 3Y n_3/n_2, D_3+ = 3 - 4Y n_4/n_3. Each order's counts are exact (n-grams are
packed base V into 64-bit integers, which holds n ≤ 9 for V = 100).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MAX_ORDER = 9


def packed(ids: np.ndarray, n: int, base: int) -> np.ndarray:
    """The n-gram starting at each position i (ids[i : i + n]) as one integer, (len - n + 1,)."""
    key = ids[: len(ids) - n + 1].astype(np.uint64)
    for j in range(1, n):
        key = key * np.uint64(base) + ids[j : len(ids) - n + 1 + j].astype(np.uint64)
    return key


class Table:
    """One order's counts of (context, character) pairs and what interpolation needs of each context."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray, base: int) -> None:
        self.keys, self.counts = keys, counts  # sorted unique n-grams and their counts (raw or continuation)
        n = [int(np.sum(counts == j)) for j in (1, 2, 3, 4)]
        y = n[0] / (n[0] + 2 * n[1])
        self.discounts = np.array([0.0, 1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
        contexts, start = np.unique(keys // np.uint64(base), return_index=True)
        total = np.add.reduceat(counts, start)
        ones = np.add.reduceat((counts == 1).astype(np.int64), start)
        twos = np.add.reduceat((counts == 2).astype(np.int64), start)
        more = np.add.reduceat((counts >= 3).astype(np.int64), start)
        self.contexts, self.total = contexts, total.astype(np.float64)
        d = self.discounts
        self.gamma = (d[1] * ones + d[2] * twos + d[3] * more) / self.total

    def discount(self, c: np.ndarray) -> np.ndarray:
        return self.discounts[np.minimum(c, 3)]

    @staticmethod
    def lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index, found) of each key in sorted_keys."""
        at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
        return at, sorted_keys[at] == keys

    def interpolate(self, gram: np.ndarray, context: np.ndarray, lower: np.ndarray) -> np.ndarray:
        """P_k for each position from its packed n-gram, its packed context and P_{k-1} there."""
        at, found = self.lookup(self.keys, gram)
        c = np.where(found, self.counts[at], 0)
        cat, seen = self.lookup(self.contexts, context)
        total = np.where(seen, self.total[cat], 1.0)
        own = np.maximum(c - self.discount(c), 0) / total
        return np.where(seen, own + np.where(seen, self.gamma[cat], 0) * lower, lower)


def evaluate(train_ids: np.ndarray, held: list[np.ndarray], vocab: int, logfile: Path) -> dict[int, float]:
    """Held-out bits per character of the interpolated modified Kneser-Ney model of each order 1 … MAX_ORDER."""
    held = [h for h in held if len(h) > 1]
    cat = np.concatenate(held)
    offset = np.concatenate([np.arange(len(h)) for h in held])  # position within its file
    scored = offset >= 1  # every character but each file's first
    results: dict[int, float] = {}
    lower_cont = np.full(len(cat), 1.0 / vocab)  # P_0
    next_keys = np.unique(packed(train_ids, 1, vocab), return_counts=True)
    for k in range(1, MAX_ORDER + 1):
        started = time.time()
        keys, raw = next_keys
        next_keys = np.unique(packed(train_ids, k + 1, vocab), return_counts=True) if k < MAX_ORDER else None
        # continuation counts of each k-gram: distinct characters before it in the (k+1)-grams
        suffix = next_keys[0] % np.uint64(vocab) ** np.uint64(k) if next_keys is not None else None
        # the k-gram ending at each held-out position (positions with fewer than k-1 characters before them in
        # their file keep the lower order's probability)
        usable = offset >= k - 1
        gram = np.zeros(len(cat), np.uint64)
        for j in range(k):  # character at position t - (k - 1) + j, within the file
            back = k - 1 - j
            shifted = np.zeros(len(cat), np.uint64)
            shifted[back:] = cat[: len(cat) - back].astype(np.uint64)
            gram = gram * np.uint64(vocab) + shifted
        context = gram // np.uint64(vocab)
        top = Table(keys, raw.astype(np.int64), vocab)
        p_top = np.where(usable, top.interpolate(gram, context, lower_cont), lower_cont)
        bits = float(-np.log2(p_top[scored]).mean())
        results[k] = bits
        message = (f"order {k}: {len(keys):,} distinct {k}-grams, discounts "
                   f"{', '.join(f'{d:.3f}' for d in top.discounts[1:])}; held out {bits:.4f} bits/char "
                   f"({time.time() - started:.0f} s)")
        print(message, flush=True)
        with logfile.open("a") as f:
            f.write(message + "\n")
        if suffix is not None:
            cont_keys, cont = np.unique(suffix, return_counts=True)
            lower_table = Table(cont_keys, cont.astype(np.int64), vocab)
            lower_cont = np.where(usable, lower_table.interpolate(gram, context, lower_cont), lower_cont)
    return results


def check_normalised(train_ids: np.ndarray, vocab: int, order: int, context: np.ndarray) -> float:
    """Σ_w P(w | context) under the order-``order`` model: 1 when the smoothing is right."""
    held = [np.concatenate([context, [w]]) for w in range(vocab)]
    cat = np.concatenate(held)
    offset = np.concatenate([np.arange(len(h)) for h in held])
    total = 0.0
    lower = np.full(len(cat), 1.0 / vocab)
    for k in range(1, order + 1):
        keys, raw = np.unique(packed(train_ids, k, vocab), return_counts=True)
        gram = np.zeros(len(cat), np.uint64)
        for j in range(k):
            back = k - 1 - j
            shifted = np.zeros(len(cat), np.uint64)
            shifted[back:] = cat[: len(cat) - back].astype(np.uint64)
            gram = gram * np.uint64(vocab) + shifted
        context_keys = gram // np.uint64(vocab)
        usable = offset >= k - 1
        if k == order:
            p = np.where(usable, Table(keys, raw.astype(np.int64), vocab).interpolate(gram, context_keys, lower), lower)
            last = np.cumsum([len(h) for h in held]) - 1
            total = float(p[last].sum())
        else:
            nk, _ = np.unique(packed(train_ids, k + 1, vocab), return_counts=True)
            ck, cc = np.unique(nk % np.uint64(vocab) ** np.uint64(k), return_counts=True)
            lower = np.where(usable, Table(ck, cc.astype(np.int64), vocab).interpolate(gram, context_keys, lower),
                             lower)
    return total


def main() -> None:
    from train_stdlib import corpus, encode, vocabulary  # the sibling script: the same split and vocabulary

    from cells.corpus import stdlib

    logfile = HERE / "ngram.log"
    logfile.write_text("")
    _, held_files, train_text, _ = corpus()
    tokens = vocabulary(train_text)
    train_ids = encode(train_text, tokens)
    held = [encode(stdlib.read(n), tokens) for n in held_files]
    with logfile.open("a") as f:
        scored = sum(len(h) - 1 for h in held if len(h) > 1)
        f.write(f"training text {len(train_ids):,} characters, held out {scored:,} scored, vocabulary {len(tokens)}\n")
    small = train_ids[:200_000]
    for order in (3, 6):
        s = check_normalised(small, len(tokens), order, train_ids[1000 : 1000 + order - 1])
        with logfile.open("a") as f:
            f.write(f"check: the order-{order} model's probabilities after a seen context sum to {s:.9f}\n")
    results = evaluate(train_ids, held, len(tokens), logfile)
    best = min(results, key=results.get)
    record = {"method": "interpolated modified Kneser-Ney", "held_out_bits_per_char": {str(k): round(v, 4)
                                                                                      for k, v in results.items()},
              "best_order": best, "best_bits_per_char": round(results[best], 4)}
    (HERE / "ngram.json").write_text(json.dumps(record, indent=1) + "\n")
    with logfile.open("a") as f:
        f.write(f"best: order {best}, {results[best]:.4f} bits/char\n")
    assert math.isfinite(results[best])


if __name__ == "__main__":
    main()
