"""Every preset does what its explanation says, checked on numbers: random sequences against the
behaviour computed independently (counts, depths, last marked value), the gates' values on the
preset's own sequence, and the arithmetic its paragraph quotes."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import cells
from cells import presets
from cells.encode import one_hot
from cells.presets import PRESETS, Preset, preset

RNG_SEED = 20261126
# How far a held value may drift over 60 steps, and a count of up to 60 (f_t = σ(20) lets
# 2·10⁻⁹ of C_t leak per step). Measured: 5e-9 held, 2.5e-6 counted.
HOLD_TOL = 1e-6
COUNT_TOL = 1e-5


def forward(p: Preset | cells.Network, xs: np.ndarray) -> cells.Trace:
    net = p.build() if isinstance(p, Preset) else p
    return net.run(xs).layers[0].forward


def memory(trace: cells.Trace) -> np.ndarray:
    """Unit 0's store: C_t for an LSTM, h_t for a GRU, (T,)."""
    return trace.values["cell" if trace.family == "lstm" else "hidden"][:, 0]


def random_text(rng: np.random.Generator, alphabet: str, low: int = 10, high: int = 60) -> str:
    return "".join(rng.choice(list(alphabet), size=int(rng.integers(low, high + 1))))


def balanced(rng: np.random.Generator, length: int) -> str:
    """A random string of '(' ')' 'a' 'b' of ``length`` whose brackets are balanced."""
    out, depth = [], 0
    for left in range(length, 0, -1):  # ``left`` characters still to write, this one included
        choices = []
        if depth + 1 <= left - 1:
            choices += ["(", "("]
        if depth > 0:
            choices += [")", ")"]
        if depth <= left - 1:
            choices += ["a", "b"]
        c = str(rng.choice(choices))
        depth += {"(": 1, ")": -1}.get(c, 0)
        out.append(c)
    assert depth == 0
    return "".join(out)


def depth_of(text: str) -> np.ndarray:
    """The nesting depth after each character, (T,)."""
    return np.cumsum([{"(": 1, ")": -1}.get(c, 0) for c in text]).astype(float)


def latch_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random [value, marker] steps and the value each step should hold: tanh(value at the last marker)."""
    T = int(rng.integers(10, 61))
    values = rng.uniform(-1, 1, T)  # (T,)
    markers = (rng.random(T) < 0.2).astype(float)  # (T,)
    held, want = 0.0, np.empty(T)
    for t in range(T):
        if markers[t]:
            held = math.tanh(values[t])
        want[t] = held
    return np.stack([values, markers], axis=1), want  # (T, 2), (T,)


# ----- the registry ----------------------------------------------------------------------------------

def test_registry_keys_are_the_slugs_and_lookup_names_every_preset_on_a_miss():
    assert set(PRESETS) >= {"remember", "forget", "latch", "counter", "bracket-depth",
                            "gru-remember", "gru-forget", "gru-latch", "gru-counter"}
    for name, p in PRESETS.items():
        assert p.name == name and re.fullmatch(r"[a-z]+(-[a-z]+)*", name)
        assert preset(name) is p
    with pytest.raises(ValueError, match="nope") as err:
        preset("nope")
    assert all(name in str(err.value) for name in PRESETS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_builds_and_runs_its_own_sequence(name):
    p = preset(name)
    net = p.build()
    assert isinstance(net, cells.Network) and net.kind == p.kind
    encoded = p.inputs()
    assert encoded.xs.shape[1] == net.input_size
    if p.mode == "onehot":
        assert encoded.features == tuple(p.vocabulary) and set(p.sequence) <= set(p.vocabulary)
    trace = forward(p, encoded.xs)
    assert trace.steps == len(encoded.tokens) >= 10
    assert all(np.all(np.isfinite(v)) for v in trace.values.values())
    # the texts a user reads: one paragraph, one line, naming the gates by the deck's symbols
    assert "\n" not in p.explanation and len(p.explanation) > 200
    assert "\n" not in p.watch and p.title
    assert ("f_t" in p.explanation) if p.kind == "lstm" else ("z_t" in p.explanation)


def test_a_preset_refuses_text_outside_its_vocabulary_and_a_mode_without_one():
    with pytest.raises(ValueError, match="'c' at step 2"):
        preset("counter").inputs("abc")
    with pytest.raises(ValueError, match="vocabulary"):
        Preset("x", "x", "lstm", "x", "ab", "onehot", None, "x", presets.counter)
    with pytest.raises(ValueError, match="expected one character"):
        presets.counter("z", "ab")


# ----- the paragraphs' numbers -----------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
_CLAIM = re.compile(r"(σ|tanh)\(([−+\d .]+)\) (≈|=) (\d+(?:\.\d+)?(?:·10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?)")
_PARAMETER = re.compile(r"(bias|weight) (?:of )?([+−]\d+)")


def _value(text: str) -> tuple[float, float]:
    """A quoted number and how far off it may be: one unit of its last digit, or 10% of a·10ⁿ."""
    if "·10" in text:
        mantissa, exponent = text.split("·10")
        value = float(mantissa) * 10.0 ** int(exponent.translate(_SUPERSCRIPT))
        return value, 0.1 * value
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text), 10.0**-decimals


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_gate_value_a_paragraph_quotes_is_right(name):
    text = preset(name).explanation
    claims = _CLAIM.findall(text)
    assert claims, "the paragraph names no gate values"
    for fn, argument, _, quoted in claims:
        a = eval(argument.replace("−", "-"), {"__builtins__": {}})  # only digits, spaces, + and -
        got = 1 / (1 + math.exp(-a)) if fn == "σ" else math.tanh(a)
        want, tol = _value(quoted)
        assert abs(got - want) <= tol, f"{fn}({argument}) is {got}, the text says {quoted}"


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_bias_and_weight_a_paragraph_quotes_is_in_the_network(name):
    p = preset(name)
    cell = p.build().layers[0].forward
    biases = {float(v) for b in cell.biases.values() for v in b}
    weights = {float(v) for w in cell.weights.values() for v in w.ravel()}
    for what, number in _PARAMETER.findall(p.explanation):
        value = float(number.replace("−", "-"))
        assert value in (biases if what == "bias" else weights), f"{what} {number} is not in the {name} weights"


# ----- the gates on each preset's own sequence -------------------------------------------------------

def own_trace(name: str) -> tuple[Preset, cells.Trace]:
    p = preset(name)
    return p, forward(p, p.inputs().xs)


def test_remember_gates_forget_open_throughout_input_open_only_at_the_first_step():
    _, tr = own_trace("remember")
    f, i, o = tr.values["forget"], tr.values["input"], tr.values["output"]
    assert f.mean() > 0.99 and f.min() > 1 - 1e-8
    assert i[0].min() > 1 - 1e-8 and i[1:].max() < 1e-10
    assert o.min() > 1 - 1e-8


def test_forget_gates_forget_shut_input_open():
    _, tr = own_trace("forget")
    assert tr.values["forget"].mean() < 0.01 and tr.values["forget"].max() < 1e-8
    assert tr.values["input"].min() > 1 - 1e-8


def test_latch_gates_flip_exactly_at_the_markers():
    p, tr = own_trace("latch")
    marker = p.inputs().xs[:, 1] == 1  # (T,)
    f, i = tr.values["forget"][:, 0], tr.values["input"][:, 0]
    assert f[marker].max() < 1e-8 and f[~marker].min() > 1 - 1e-8
    assert i[marker].min() > 1 - 1e-8 and i[~marker].max() < 1e-8


@pytest.mark.parametrize("name, opens_on", [("counter", "a"), ("bracket-depth", "()")])
def test_counting_gates_input_opens_only_on_counted_characters(name, opens_on):
    p, tr = own_trace(name)
    hit = np.array([c in opens_on for c in p.sequence])
    i, f = tr.values["input"][:, 0], tr.values["forget"][:, 0]
    assert hit.any() and (~hit).any()
    assert i[hit].min() > 1 - 1e-8 and i[~hit].max() < 1e-8
    assert f.min() > 1 - 1e-8


def test_gru_gates_share_of_the_new_candidate():
    _, tr = own_trace("gru-remember")
    z = tr.values["update"]  # written at the first step, kept ever after
    assert z[0].min() > 1 - 1e-8 and (1 - z[1:]).min() > 1 - 1e-15
    _, tr = own_trace("gru-forget")
    assert tr.values["update"].mean() > 0.99 and tr.values["update"].min() > 1 - 1e-8
    p, tr = own_trace("gru-latch")
    marker = p.inputs().xs[:, 1] == 1
    z = tr.values["update"][:, 0]
    assert z[marker].min() > 1 - 1e-8 and z[~marker].max() < 1e-8
    p, tr = own_trace("gru-counter")
    hit = np.array([c == "a" for c in p.sequence])
    z = tr.values["update"][:, 0]
    assert np.allclose(z[hit], 1 / (1 + math.exp(3)), atol=1e-12) and z[~hit].max() < 1e-8


# ----- the behaviours on random sequences ------------------------------------------------------------

@pytest.mark.parametrize("name", ["remember", "gru-remember"])
def test_remember_holds_the_first_input_over_500_steps(name):
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(20):
        xs = rng.uniform(-1, 1, (500, 1))
        stored = memory(forward(preset(name), xs))  # (T,)
        assert abs(stored[0] - math.tanh(xs[0, 0])) < 1e-8
        assert np.abs(stored - stored[0]).max() < 1e-5  # measured: 7e-7 for the LSTM, 0 for the GRU


@pytest.mark.parametrize("name", ["forget", "gru-forget"])
def test_forget_depends_only_on_the_current_input(name):
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(50):
        a, b = rng.uniform(-1, 1, (40, 1)), rng.uniform(-1, 1, (25, 1))
        b[-1] = a[-1]  # different histories, the same last input
        ma, mb = memory(forward(preset(name), a)), memory(forward(preset(name), b))
        assert abs(ma[-1] - mb[-1]) < 1e-8
        assert np.abs(ma - np.tanh(a[:, 0])).max() < 1e-8


@pytest.mark.parametrize("name", ["latch", "gru-latch"])
def test_latch_holds_the_value_seen_with_the_last_marker(name):
    rng = np.random.default_rng(RNG_SEED)
    worst, markers = 0.0, 0
    for _ in range(200):
        xs, want = latch_inputs(rng)
        got = memory(forward(preset(name), xs))
        worst = max(worst, float(np.abs(got - want).max()))
        markers += int(xs[:, 1].sum())
    assert markers > 1000
    assert worst < HOLD_TOL


@pytest.mark.parametrize("target", ["a", "b"])
def test_counter_cell_state_is_the_count_so_far(target):
    rng = np.random.default_rng(RNG_SEED)
    net = presets.counter(target, "ab")
    worst = 0.0
    for _ in range(200):
        text = random_text(rng, "ab")
        count = np.cumsum([c == target for c in text])  # (T,)
        got = memory(forward(net, one_hot(text, "ab").xs))
        worst = max(worst, float(np.abs(got - 1.0 * count).max()))  # k = 1
    assert worst < COUNT_TOL


def test_counter_counts_a_chosen_letter_of_a_wider_vocabulary():
    text = "a banana and an apple"
    vocabulary = "abdelnp "
    got = memory(forward(presets.counter("n", vocabulary), one_hot(text, vocabulary).xs))
    assert np.allclose(got, np.cumsum([c == "n" for c in text]), atol=COUNT_TOL)


def test_bracket_depth_cell_state_is_the_depth():
    rng = np.random.default_rng(RNG_SEED)
    texts = [balanced(rng, int(rng.integers(10, 61))) for _ in range(150)]
    texts += [balanced(rng, 80)[: int(rng.integers(10, 61))] for _ in range(50)]  # open brackets left over
    assert sum(depth_of(t)[-1] > 0 for t in texts) >= 40
    p = preset("bracket-depth")
    got, want = [], []
    for text in texts:
        got.append(memory(forward(p, p.inputs(text).xs)))
        want.append(depth_of(text))
    got, want = np.concatenate(got), np.concatenate(want)
    assert want.max() >= 5
    assert np.corrcoef(got, want)[0, 1] >= 0.99  # measured: 1 - 1e-16
    assert np.abs(got - want).max() < COUNT_TOL  # C_t = 1 · depth


def test_bracket_depth_goes_below_zero_when_a_close_comes_first():
    p = preset("bracket-depth")
    got = memory(forward(p, p.inputs("))a(").xs))
    assert np.allclose(got, [-1, -2, -2, -1], atol=HOLD_TOL)


def test_gru_counter_rises_with_every_counted_character_on_a_fixed_curve():
    rng = np.random.default_rng(RNG_SEED)
    p = preset("gru-counter")
    worst, by_count = 0.0, {}
    for _ in range(200):
        text = random_text(rng, "ab")
        count = np.cumsum([c == "a" for c in text])  # (T,)
        got = memory(forward(p, p.inputs(text).xs))
        worst = max(worst, float(np.abs(got - presets.gru_count_value(count)).max()))
        for n, h in zip(count, got, strict=True):
            by_count.setdefault(int(n), []).append(h)
    assert worst < HOLD_TOL
    # the count can be read back: each count has its own value, higher for a higher count
    lows = [min(by_count[n]) for n in sorted(by_count)]
    highs = [max(by_count[n]) for n in sorted(by_count)]
    assert all(hi < lo for hi, lo in zip(highs[:-1], lows[1:], strict=True))
