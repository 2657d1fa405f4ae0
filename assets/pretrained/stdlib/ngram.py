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
D_1 = 1 - 2Y n_2/n_1, D_2 = 2 - 3Y n_3/n_2, D_3+ = 3 - 4Y n_4/n_3 (0.5 each where one of n_1 … n_4 is 0,
as for single characters each seen thousands of times, or where an estimate falls outside (0, j]). N-grams
are counted by a 64-bit polynomial hash (about 10^-5 chance of any collision among the ~10^7 distinct n-grams
of an order). Orders go up to 32, stopping once two orders in a row are worse than the best.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MAX_ORDER = 32


MULT = np.uint64(0x9E3779B97F4A7C15)  # odd: every n-gram's hash is its characters as digits of a base-MULT number


def extend(shorter: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """Hashes of the n-grams starting at each position, from those of the (n-1)-grams there:
    h(c_i … c_{i+n-1}) = h(c_i … c_{i+n-2})·MULT + (c_{i+n-1} + 1)  (mod 2^64)."""
    count = len(ids) - n + 1
    with np.errstate(over="ignore"):
        return shorter[:count] * MULT + (ids[n - 1 :].astype(np.uint64) + np.uint64(1))


class Table:
    """One order's counts of (context, character) pairs and what interpolation needs of each context."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray, contexts: np.ndarray) -> None:
        self.keys, self.counts = keys, counts  # sorted unique n-gram hashes and their counts (raw or continuation)
        n = [int(np.sum(counts == j)) for j in (1, 2, 3, 4)]
        d = np.array([0.5, 0.5, 0.5])  # for an order without counts of 1 to 4 (the characters on their own)
        if min(n) > 0:
            y = n[0] / (n[0] + 2 * n[1])
            estimated = np.array([1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
            if np.all((estimated > 0) & (estimated <= [1, 2, 3])):
                d = estimated
        self.discounts = np.array([0.0, *d])
        self.contexts, group = np.unique(contexts, return_inverse=True)
        size = len(self.contexts)
        self.total = np.bincount(group, weights=counts, minlength=size)
        ones = np.bincount(group, weights=counts == 1, minlength=size)
        twos = np.bincount(group, weights=counts == 2, minlength=size)
        more = np.bincount(group, weights=counts >= 3, minlength=size)
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
        """P_k for each position from its n-gram's hash, its context's hash and P_{k-1} there."""
        at, found = self.lookup(self.keys, gram)
        c = np.where(found, self.counts[at], 0)
        cat, seen = self.lookup(self.contexts, context)
        total = np.where(seen, self.total[cat], 1.0)
        own = np.maximum(c - self.discount(c), 0) / total
        return np.where(seen, own + np.where(seen, self.gamma[cat], 0) * lower, lower)


def held_out_hashes(cat: np.ndarray, offset: np.ndarray, previous: np.ndarray, k: int) -> np.ndarray:
    """The hash of the k characters ending at each held-out position, from the (k-1)-gram hashes ending one
    before (0 where a file has fewer than k characters up to there)."""
    shifted = np.zeros(len(cat), np.uint64)
    shifted[1:] = previous[:-1]
    with np.errstate(over="ignore"):
        out = shifted * MULT + (cat.astype(np.uint64) + np.uint64(1))
    out[offset < k - 1] = 0
    return out


def evaluate(train_ids: np.ndarray, held: list[np.ndarray], vocab: int, logfile: Path, max_order: int = MAX_ORDER,
             stop_early: bool = True) -> dict[int, float]:
    """Held-out bits per character of the interpolated modified Kneser-Ney model of each order 1 … MAX_ORDER
    (stopping two orders after the best when two in a row are worse)."""
    held = [h for h in held if len(h) > 1]
    cat = np.concatenate(held)
    offset = np.concatenate([np.arange(len(h)) for h in held])  # position within its file
    scored = offset >= 1  # every character but each file's first
    results: dict[int, float] = {}
    lower_cont = np.full(len(cat), 1.0 / vocab)  # P_0
    zero = np.zeros(len(train_ids) + 1, np.uint64)  # the hash of the empty context, at every position
    hashes = {0: zero, 1: extend(zero, train_ids, 1)}  # training n-gram hashes by start position
    held_hash = {0: np.zeros(len(cat), np.uint64)}
    held_hash[1] = held_out_hashes(cat, offset, np.zeros(len(cat), np.uint64), 1)
    for k in range(1, max_order + 1):
        started = time.time()
        hashes[k + 1] = extend(hashes[k], train_ids, k + 1)
        keys, first, raw = np.unique(hashes[k], return_index=True, return_counts=True)
        top = Table(keys, raw.astype(np.int64), hashes[k - 1][first])
        gram, context = held_hash[k], np.r_[np.uint64(0), held_hash[k - 1][:-1]] if k > 1 else held_hash[0]
        usable = offset >= k - 1
        p_top = np.where(usable, top.interpolate(gram, context, lower_cont), lower_cont)
        bits = float(-np.log2(p_top[scored]).mean())
        results[k] = bits
        message = (f"order {k}: {len(keys):,} distinct {k}-grams, discounts "
                   f"{', '.join(f'{d:.3f}' for d in top.discounts[1:])}; held out {bits:.4f} bits/char "
                   f"({time.time() - started:.0f} s)")
        print(message, flush=True)
        with logfile.open("a") as f:
            f.write(message + "\n")
        best = min(results, key=results.get)
        if stop_early and k >= best + 2 and results[k] > results[best] and results[k - 1] > results[best]:
            break
        # continuation counts of each k-gram: distinct characters before it, from the distinct (k+1)-grams
        _, first_longer = np.unique(hashes[k + 1], return_index=True)
        suffix_at = first_longer + 1  # where each distinct (k+1)-gram's last k characters start
        cont_keys, where, cont = np.unique(hashes[k][suffix_at], return_index=True, return_counts=True)
        lower_table = Table(cont_keys, cont.astype(np.int64), hashes[k - 1][suffix_at[where]])
        lower_cont = np.where(usable, lower_table.interpolate(gram, context, lower_cont), lower_cont)
        held_hash[k + 1] = held_out_hashes(cat, offset, held_hash[k], k + 1)
        del hashes[k - 1]
    return results


def check_normalised(train_ids: np.ndarray, vocab: int, order: int, context: np.ndarray) -> float:
    """Σ_w P(w | context) under the order-``order`` model: 1 when the smoothing is right (each candidate next
    character scored as the last character of a one-file held-out set)."""
    before = _context_bits(train_ids, vocab, order, context)
    total = 0.0
    for w in range(vocab):
        probe = np.concatenate([context, [w]])
        bits = evaluate(train_ids, [probe], vocab, Path("/dev/null"), order, False)[order]
        total += 2.0 ** -(bits * len(context) - before)  # the mean over len(context) scored characters, less theirs
    return total


def _context_bits(train_ids: np.ndarray, vocab: int, order: int, context: np.ndarray) -> float:
    """Bits of the context's own characters 2 … n (everything scored before the candidate)."""
    if len(context) < 2:
        return 0.0
    return evaluate(train_ids, [context], vocab, Path("/dev/null"), order, False)[order] * (len(context) - 1)


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
    results = evaluate(train_ids, held, len(tokens), logfile, MAX_ORDER)
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
