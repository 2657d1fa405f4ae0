"""PyTorch and Keras weights in and out: committed fixtures from the real frameworks, round trips,
refusals, and live checks against torch when it is installed."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest

import cells
from cells.files.interop import from_keras, from_torch, to_keras, to_torch

FIXTURES = Path(__file__).parents[1] / "fixtures"
TORCH_FIXTURES = sorted(FIXTURES.glob("torch_*.npz"))
KERAS_FIXTURES = sorted(FIXTURES.glob("keras_*.npz"))


def tolerance(dtype: np.dtype) -> float:
    return 1e-6 if dtype == np.float32 else 1e-12


def load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def torch_state(fx: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k.removeprefix("state."): v for k, v in fx.items() if k.startswith("state.")}


def finals(trace: cells.NetworkTrace) -> list[cells.State]:
    """Final states in PyTorch's h_n order: layer 0 forward, layer 0 backward, layer 1 forward ..."""
    return [d.final for layer in trace.layers for d in layer.directions]


def small_torch_dict(kind: str = "lstm", **options) -> dict[str, np.ndarray]:
    return to_torch(cells.Network.create("lstm" if kind == "lstm" else "gru_torch", 3, 4, seed=5, **options))


# ----- committed fixtures --------------------------------------------------------------------------
def test_every_fixture_case_is_there():
    assert len(TORCH_FIXTURES) == 24
    assert len(KERAS_FIXTURES) == 12


@pytest.mark.parametrize("path", TORCH_FIXTURES, ids=lambda p: p.stem)
def test_from_torch_matches_pytorch_fixture(path):
    fx = load(path)
    state = torch_state(fx)
    net = from_torch(str(fx["kind"]), state, num_layers=int(fx["num_layers"]), bidirectional=bool(fx["bidirectional"]))
    trace = net.run(fx["input"])
    dtype = fx["input"].dtype
    tol = tolerance(dtype)
    assert trace.output.dtype == dtype
    np.testing.assert_allclose(trace.output, fx["output"], rtol=0, atol=tol)
    np.testing.assert_allclose(np.stack([s.hidden for s in finals(trace)]), fx["h_n"], rtol=0, atol=tol)
    if "c_n" in fx:
        np.testing.assert_allclose(np.stack([s.cell for s in finals(trace)]), fx["c_n"], rtol=0, atol=tol)


@pytest.mark.parametrize("path", TORCH_FIXTURES, ids=lambda p: p.stem)
def test_to_torch_gives_back_the_same_state_dict(path):
    fx = load(path)
    state = torch_state(fx)
    net = from_torch(str(fx["kind"]), state, num_layers=int(fx["num_layers"]), bidirectional=bool(fx["bidirectional"]))
    back = to_torch(net, bias=bool(fx["bias"]))
    assert list(back) == list(state)  # PyTorch's own key order
    for key, value in state.items():
        assert back[key].dtype == value.dtype
        np.testing.assert_array_equal(back[key], value, err_msg=key)


@pytest.mark.parametrize("path", KERAS_FIXTURES, ids=lambda p: p.stem)
def test_from_keras_matches_keras_fixture(path):
    fx = load(path)
    layer = from_keras(str(fx["kind"]), fx["kernel"], fx["recurrent_kernel"], fx.get("bias"),
                       reset_after=bool(fx["reset_after"]))
    expected_kind = "lstm" if fx["kind"] == "lstm" else "gru_torch" if fx["reset_after"] else "gru_keras_v1"
    assert expected_kind == layer.forward.KIND
    trace = layer.run(fx["input"])
    tol = tolerance(fx["input"].dtype)
    assert trace.output.dtype == fx["input"].dtype
    np.testing.assert_allclose(trace.output, fx["output"], rtol=0, atol=tol)
    np.testing.assert_allclose(trace.forward.final.hidden, fx["h_n"], rtol=0, atol=tol)
    if "c_n" in fx:
        np.testing.assert_allclose(trace.forward.final.cell, fx["c_n"], rtol=0, atol=tol)


@pytest.mark.parametrize("path", KERAS_FIXTURES, ids=lambda p: p.stem)
def test_to_keras_gives_back_the_same_arrays(path):
    fx = load(path)
    layer = from_keras(str(fx["kind"]), fx["kernel"], fx["recurrent_kernel"], fx.get("bias"),
                       reset_after=bool(fx["reset_after"]))
    kernel, recurrent_kernel, bias = to_keras(layer)
    np.testing.assert_array_equal(kernel, fx["kernel"])
    np.testing.assert_array_equal(recurrent_kernel, fx["recurrent_kernel"])
    assert kernel.dtype == recurrent_kernel.dtype == bias.dtype == fx["kernel"].dtype
    if "bias" in fx:
        np.testing.assert_array_equal(bias, fx["bias"])
    else:  # use_bias=False comes back as Keras' layout of zeros
        two_rows = fx["kind"] == "gru" and fx["reset_after"]
        assert bias.shape == ((2, 12) if two_rows else (fx["kernel"].shape[1],))
        assert not bias.any()


def test_gate_blocks_land_on_the_named_gates():
    """PyTorch's second row block of an LSTM is the forget gate: it must become weights["forget"]."""
    state = small_torch_dict("lstm")
    state["weight_ih_l0"] = np.zeros((16, 3))
    state["weight_ih_l0"][4:8] = 7.0  # rows i, f, g, o: the f block only
    cell = from_torch("lstm", state).layers[0].forward
    assert np.all(cell.weights["forget"][:, 4:] == 7.0)
    assert not any(cell.weights[g][:, 4:].any() for g in ("input", "candidate", "output"))

    state = small_torch_dict("gru")
    state["bias_hh_l0"] = np.arange(12.0)  # rows r, z, n
    cell = from_torch("gru", state).layers[0].forward
    np.testing.assert_array_equal(cell.hidden_biases["reset"], [0, 1, 2, 3])
    np.testing.assert_array_equal(cell.hidden_biases["update"], [4, 5, 6, 7])
    np.testing.assert_array_equal(cell.hidden_biases["candidate"], [8, 9, 10, 11])

    kernel = np.zeros((3, 12))
    kernel[:, :4] = 1.0  # Keras GRU columns z, r, h: the z block only
    layer = from_keras("gru", kernel, np.zeros((4, 12)), None)
    assert np.all(layer.forward.weights["update"][:, 4:] == 1.0)
    assert not layer.forward.weights["reset"].any()


def test_float32_stays_float32_and_float64_stays_float64():
    for dtype in (np.float32, np.float64):
        state = {k: v.astype(dtype) for k, v in small_torch_dict("gru").items()}
        assert from_torch("gru", state).layers[0].forward.dtype == dtype
        assert all(v.dtype == dtype for v in to_torch(from_torch("gru", state)).values())
        k = np.ones((3, 16), dtype)
        assert from_keras("lstm", k, np.ones((4, 16), dtype), np.ones(16, dtype)).forward.dtype == dtype


def test_missing_recurrent_biases_export_as_zeros_and_compute_the_same():
    net = cells.Network.create("lstm", 3, 4, num_layers=2, bidirectional=True, seed=3)
    assert net.layers[0].forward.hidden_biases is None
    state = to_torch(net)
    assert not state["bias_hh_l1_reverse"].any()
    np.testing.assert_array_equal(state["bias_ih_l0"][4:8], net.layers[0].forward.biases["forget"])
    xs = np.random.default_rng(0).standard_normal((6, 3))
    again = from_torch("lstm", state, num_layers=2, bidirectional=True)
    np.testing.assert_array_equal(again.run(xs).output, net.run(xs).output)


def test_torch_lstm_through_keras_layout_computes_the_same():
    """Keras keeps one LSTM bias: to_keras adds PyTorch's two, which must not change a single output."""
    state = small_torch_dict("lstm")
    state["bias_hh_l0"] = np.linspace(-1, 1, 16)
    cell = from_torch("lstm", state).layers[0].forward
    kernel, recurrent_kernel, bias = to_keras(cell)
    np.testing.assert_array_equal(bias, state["bias_ih_l0"] + state["bias_hh_l0"])  # i, f, g, o in both
    xs = np.random.default_rng(1).standard_normal((5, 3))
    np.testing.assert_allclose(from_keras("lstm", kernel, recurrent_kernel, bias).run(xs).output,
                               cell.run(xs).output, rtol=0, atol=1e-15)


def test_keras_reset_before_gru_exports_back():
    layer = from_keras("gru", np.ones((2, 6)), np.ones((2, 6)) * 0.5, np.arange(6.0), reset_after=False)
    assert layer.forward.KIND == "gru_keras_v1"
    bias = to_keras(layer)[2]
    assert bias.shape == (6,)
    np.testing.assert_array_equal(bias, np.arange(6.0))


# ----- refusals ------------------------------------------------------------------------------------
def test_from_torch_refuses_unknown_kind():
    with pytest.raises(ValueError, match=r"kind: expected 'lstm' or 'gru', got 'rnn'"):
        from_torch("rnn", small_torch_dict())


def test_from_torch_lists_missing_keys():
    state = small_torch_dict()
    del state["weight_hh_l0"], state["bias_hh_l0"]
    with pytest.raises(ValueError, match=r"missing keys weight_hh_l0, bias_hh_l0"):
        from_torch("lstm", state)
    with pytest.raises(ValueError, match=r"missing keys weight_ih_l1, weight_hh_l1, bias_ih_l1, bias_hh_l1"):
        from_torch("lstm", small_torch_dict(), num_layers=2)
    with pytest.raises(ValueError, match=r"missing keys weight_ih_l0_reverse"):
        from_torch("lstm", small_torch_dict(), bidirectional=True)
    prefixed = {f"encoder.lstm.{k}": v for k, v in small_torch_dict().items()}
    with pytest.raises(ValueError, match=r"missing keys weight_ih_l0, .*bias_hh_l0; the keys carry a prefix: "
                                         r"remove 'encoder.lstm.' from them first"):
        from_torch("lstm", prefixed)


def test_from_torch_lists_unexpected_keys_with_a_hint():
    state = small_torch_dict(num_layers=2)
    with pytest.raises(ValueError, match=r"unexpected keys bias_hh_l1, bias_ih_l1, weight_hh_l1, weight_ih_l1; "
                                         r".*pass num_layers=2"):
        from_torch("lstm", state)
    with pytest.raises(ValueError, match=r"unexpected keys .*weight_ih_l0_reverse.*pass bidirectional=True"):
        from_torch("lstm", small_torch_dict(bidirectional=True))
    with pytest.raises(ValueError, match=r"unexpected keys extra"):
        from_torch("lstm", {**small_torch_dict(), "extra": np.zeros(3)})


def test_from_torch_reads_projections_as_the_lstm_with_projections():
    net = cells.Network.create("lstmp", 3, 4, num_layers=2, bidirectional=True, seed=1, state_size=2)
    state = to_torch(net)
    assert state["weight_hh_l1_reverse"].shape == (16, 2) and state["weight_hr_l1_reverse"].shape == (2, 4)
    assert state["weight_ih_l1"].shape == (16, 4)  # layer 2 reads D·P = 4 numbers
    assert list(state)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]  # torch's
    back = from_torch("lstm", state, num_layers=2, bidirectional=True)
    assert back.kind == "lstmp" and back.state_size == 2
    for mine, theirs in zip(net.layers, back.layers, strict=True):
        for a, b in zip(mine.cells, theirs.cells, strict=True):
            for field, per_gate in a.parameters().items():
                if field != "hidden_biases":
                    for g, v in per_gate.items():
                        np.testing.assert_array_equal(getattr(b, field)[g], v)
    xs = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(back.run(xs).output, net.run(xs).output)


def test_from_torch_names_a_projection_that_does_not_fit():
    state = {**small_torch_dict(), "weight_hr_l0": np.zeros((2, 4))}
    with pytest.raises(ValueError, match=r"weight_hh_l0: expected shape \(16, 2\) for an LSTM of hidden size 4 and "
                                         r"proj_size 2, got \(16, 4\)"):
        from_torch("lstm", state)
    with pytest.raises(ValueError, match=r"weight_hr_l0: expected shape \(proj_size, hidden\) with proj_size ≤ hidden"):
        from_torch("lstm", {**small_torch_dict(), "weight_hr_l0": np.zeros((5, 4))})
    with pytest.raises(ValueError, match=r"missing keys weight_ih_l1, .*, weight_hr_l1$"):
        from_torch("lstm", {**small_torch_dict(), "weight_hr_l0": np.zeros((2, 4))}, num_layers=2)


def test_from_torch_names_wrong_shapes():
    state = small_torch_dict()
    state["bias_ih_l0"] = np.zeros(15)
    with pytest.raises(ValueError, match=r"bias_ih_l0: expected shape \(16,\), got \(15,\)"):
        from_torch("lstm", state)
    state = small_torch_dict()
    state["weight_hh_l0"] = np.zeros((12, 4))  # a GRU's 3 gates in an LSTM
    with pytest.raises(ValueError, match=r"weight_hh_l0: expected shape \(4·hidden, hidden\) for an LSTM, "
                                         r"got \(12, 4\)"):
        from_torch("lstm", state)
    with pytest.raises(ValueError, match=r"weight_hh_l0: expected shape \(3·hidden, hidden\) for a GRU"):
        from_torch("gru", small_torch_dict("lstm"))


def test_from_torch_refuses_inconsistent_layer_sizes():
    state = small_torch_dict(num_layers=2)
    state["weight_ih_l1"] = np.zeros((16, 3))  # layer 1 reads layer 0's 4 outputs, not 3
    with pytest.raises(ValueError, match=r"weight_ih_l1: expected shape \(16, 4\), got \(16, 3\)"):
        from_torch("lstm", state, num_layers=2)
    state = small_torch_dict(num_layers=2)
    state["weight_hh_l1"] = np.zeros((20, 5))
    with pytest.raises(ValueError, match=r"weight_hh_l1: expected shape \(16, 4\), got \(20, 5\)"):
        from_torch("lstm", state, num_layers=2)


def test_from_torch_refuses_bad_values():
    state = small_torch_dict()
    state["weight_hh_l0"] = state["weight_hh_l0"].copy()
    state["weight_hh_l0"][2, 1] = np.nan
    with pytest.raises(ValueError, match=r"weight_hh_l0: every value must be finite, found nan at row 2, column 1"):
        from_torch("lstm", state)
    state = small_torch_dict()
    state["bias_hh_l0"] = state["bias_hh_l0"].tolist()
    with pytest.raises(ValueError, match=r"bias_hh_l0: expected a NumPy array, got list \(convert tensors first"):
        from_torch("lstm", state)
    state = small_torch_dict()
    state["bias_hh_l0"] = np.zeros(16, dtype=np.int64)
    with pytest.raises(ValueError, match=r"bias_hh_l0: expected float32 or float64 values, got int64"):
        from_torch("lstm", state)
    state = small_torch_dict()
    state["bias_hh_l0"] = state["bias_hh_l0"].astype(np.float32)
    with pytest.raises(ValueError, match=r"same dtype, got float64 for weight_ih_l0 and float32 for bias_hh_l0"):
        from_torch("lstm", state)
    with pytest.raises(ValueError, match=r"state_dict: expected a dict of arrays, got list"):
        from_torch("lstm", list(small_torch_dict().values()))
    with pytest.raises(ValueError, match=r"num_layers: expected a whole number from 1 to 16, got 0"):
        from_torch("lstm", small_torch_dict(), num_layers=0)


def test_to_torch_refuses_kinds_pytorch_does_not_have():
    for kind in ("gru", "peephole", "coupled", "rnn", "gru_keras_v1"):
        with pytest.raises(ValueError, match=rf"only networks of one kind, lstm or lstmp or gru_torch .*got {kind}"):
            to_torch(cells.Network.create(kind, 3, 4))
    with pytest.raises(ValueError, match=r"proj_size must be smaller than its hidden size, got h_t of 4 numbers"):
        to_torch(cells.Network.create("lstmp", 3, 4, state_size=4))
    lstm, gru = cells.initialise("lstm", 3, 4), cells.initialise("gru_torch", 4, 4)
    mixed = cells.Network((cells.Layer(lstm), cells.Layer(gru)))
    with pytest.raises(ValueError, match=r"got gru_torch, lstm"):
        to_torch(mixed)
    with pytest.raises(ValueError, match=r"network: expected a cells.Network, got LSTM"):
        to_torch(mixed.layers[0].forward)


def test_to_torch_refuses_mixed_direction_layers():
    bi = cells.Network.create("lstm", 3, 4, bidirectional=True)
    uni = cells.Network.create("lstm", 8, 4)
    with pytest.raises(ValueError, match=r"every layer must be bidirectional, or none"):
        to_torch(cells.Network((bi.layers[0], uni.layers[0])))


def test_to_torch_without_bias_refuses_to_drop_biases():
    state = small_torch_dict()
    with pytest.raises(ValueError, match=r"bias=False: layer 0 has non-zero biases"):
        to_torch(from_torch("lstm", state), bias=False)
    no_bias = {k: v for k, v in state.items() if k.startswith("weight")}
    net = from_torch("lstm", no_bias)
    assert net.layers[0].forward.hidden_biases is None
    assert not any(b.any() for b in net.layers[0].forward.biases.values())
    assert list(to_torch(net, bias=False)) == ["weight_ih_l0", "weight_hh_l0"]


def test_from_keras_refusals():
    with pytest.raises(ValueError, match=r"kind: expected 'lstm' or 'gru', got 'GRU'"):
        from_keras("GRU", np.zeros((3, 12)), np.zeros((4, 12)), None)
    with pytest.raises(ValueError, match=r"kernel: expected shape \(input size, 16\), got \(3, 12\)"):
        from_keras("lstm", np.zeros((3, 12)), np.zeros((4, 16)), None)
    with pytest.raises(ValueError, match=r"recurrent_kernel: expected shape \(units, 3·units\) for a Keras GRU, "
                                         r"got \(4, 16\)"):
        from_keras("gru", np.zeros((3, 12)), np.zeros((4, 16)), None)
    with pytest.raises(ValueError, match=r"bias: expected shape \(2, 12\), got \(12,\)"):
        from_keras("gru", np.zeros((3, 12)), np.zeros((4, 12)), np.zeros(12), reset_after=True)  # two rows
    with pytest.raises(ValueError, match=r"bias: expected shape \(12,\), got \(2, 12\)"):
        from_keras("gru", np.zeros((3, 12)), np.zeros((4, 12)), np.zeros((2, 12)), reset_after=False)
    kernel = np.zeros((3, 16))
    kernel[0, 5] = np.inf
    with pytest.raises(ValueError, match=r"kernel: every value must be finite, found inf at row 0, column 5"):
        from_keras("lstm", kernel, np.zeros((4, 16)), None)
    with pytest.raises(ValueError, match=r"recurrent_kernel: expected a NumPy array, got list"):
        from_keras("lstm", np.zeros((3, 16)), [[0.0] * 16] * 4, None)
    with pytest.raises(ValueError, match=r"kernel: expected float32 or float64 values, got complex128"):
        from_keras("lstm", np.zeros((3, 16), complex), np.zeros((4, 16)), None)


def test_to_keras_refusals():
    for kind in ("gru", "peephole", "coupled", "rnn", "lstmp"):  # Keras' LSTM has no projection
        with pytest.raises(ValueError, match=rf"only lstm, gru_torch, gru_keras_v1 cells can be exported, got {kind}"):
            to_keras(cells.initialise(kind, 3, 4))
    with pytest.raises(ValueError, match=r"bidirectional layer has two cells; export layer.forward and layer.backward"):
        to_keras(cells.Network.create("lstm", 3, 4, bidirectional=True).layers[0])
    with pytest.raises(ValueError, match=r"expected a cells.Layer or cells.Cell, got Network"):
        to_keras(cells.Network.create("lstm", 3, 4))


def test_edited_cell_exports_the_edit():
    cell = cells.initialise("gru_torch", 3, 4, seed=2)
    W = cell.weights["candidate"].copy()
    W[1, 5] = 9.0  # input column 1 of unit 1 of the candidate
    edited = dataclasses.replace(cell, weights={**cell.weights, "candidate": W})
    state = to_torch(cells.Network((cells.Layer(edited),)))
    assert state["weight_ih_l0"][8 + 1, 1] == 9.0  # rows r, z, n: n starts at 2H = 8
    kernel, _, _ = to_keras(edited)
    assert kernel[1, 8 + 1] == 9.0  # columns z, r, h: h starts at 8 too


# ----- live, against torch itself ---------------------------------------------------------------
LIVE = list(itertools.product(("lstm", "gru"), (1, 2, 3), (False, True), (True, False), ("float32", "float64")))


@pytest.mark.parametrize(("kind", "num_layers", "bidirectional", "bias", "dtype"), LIVE,
                         ids=["-".join(map(str, c)) for c in LIVE])
def test_live_against_torch(kind, num_layers, bidirectional, bias, dtype):
    torch = pytest.importorskip("torch")
    seed = LIVE.index((kind, num_layers, bidirectional, bias, dtype))
    rng = np.random.default_rng(seed)
    for _ in range(2):  # two sizes per configuration
        input_size, hidden, steps = (int(v) for v in rng.integers(1, [6, 7, 13]))
        torch.manual_seed(seed)
        module = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
        model = module(input_size, hidden, num_layers=num_layers, bidirectional=bidirectional, bias=bias)
        model = model.to(getattr(torch, dtype))
        if bias:  # make the recurrent biases differ clearly from the input ones
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if name.startswith("bias_hh"):
                        p.uniform_(-1, 1)
        xs = rng.standard_normal((steps, input_size)).astype(dtype)
        with torch.no_grad():
            output, state = model(torch.from_numpy(xs)[:, None, :])
        h_n, c_n = state if kind == "lstm" else (state, None)
        state_dict = {k: v.numpy() for k, v in model.state_dict().items()}

        net = from_torch(kind, state_dict, num_layers=num_layers, bidirectional=bidirectional)
        trace = net.run(xs)
        tol = tolerance(np.dtype(dtype))
        np.testing.assert_allclose(trace.output, output[:, 0, :].numpy(), rtol=0, atol=tol)
        np.testing.assert_allclose(np.stack([s.hidden for s in finals(trace)]), h_n[:, 0, :].numpy(), rtol=0, atol=tol)
        if c_n is not None:
            np.testing.assert_allclose(np.stack([s.cell for s in finals(trace)]), c_n[:, 0, :].numpy(),
                                       rtol=0, atol=tol)

        back = to_torch(net, bias=bias)
        fresh = module(input_size, hidden, num_layers=num_layers, bidirectional=bidirectional, bias=bias)
        fresh = fresh.to(getattr(torch, dtype))
        fresh.load_state_dict({k: torch.from_numpy(v) for k, v in back.items()})
        with torch.no_grad():
            again, _ = fresh(torch.from_numpy(xs)[:, None, :])
        np.testing.assert_array_equal(again.numpy(), output.numpy())


PROJECTED = list(itertools.product((1, 2), (False, True), (True, False), ("float32", "float64")))


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")  # torch's own note
@pytest.mark.parametrize(("num_layers", "bidirectional", "bias", "dtype"), PROJECTED,
                         ids=["-".join(map(str, c)) for c in PROJECTED])
def test_live_lstm_with_projections_against_torch(num_layers, bidirectional, bias, dtype):
    """nn.LSTM(proj_size=P) -> the engine gives its output, h_n and c_n; the engine -> a state_dict -> torch gives
    the same output back."""
    torch = pytest.importorskip("torch")
    seed = PROJECTED.index((num_layers, bidirectional, bias, dtype))
    rng = np.random.default_rng(100 + seed)
    for _ in range(2):  # two sizes per configuration
        input_size, hidden, steps = (int(v) for v in rng.integers([1, 2, 1], [6, 7, 13]))
        proj = int(rng.integers(1, hidden))
        torch.manual_seed(seed)
        model = torch.nn.LSTM(input_size, hidden, num_layers=num_layers, bidirectional=bidirectional, bias=bias,
                              proj_size=proj).to(getattr(torch, dtype))
        with torch.no_grad():  # weights big enough that the gates leave their middle
            for p in model.parameters():
                p.uniform_(-1, 1)
        xs = rng.standard_normal((steps, input_size)).astype(dtype)
        with torch.no_grad():
            output, (h_n, c_n) = model(torch.from_numpy(xs)[:, None, :])
        net = from_torch("lstm", {k: v.numpy() for k, v in model.state_dict().items()}, num_layers=num_layers,
                         bidirectional=bidirectional)
        assert net.kind == "lstmp" and (net.hidden_size, net.state_size) == (hidden, proj)
        trace = net.run(xs)
        tol = tolerance(np.dtype(dtype))
        np.testing.assert_allclose(trace.output, output[:, 0, :].numpy(), rtol=0, atol=tol)
        np.testing.assert_allclose(np.stack([s.hidden for s in finals(trace)]), h_n[:, 0, :].numpy(), rtol=0, atol=tol)
        np.testing.assert_allclose(np.stack([s.cell for s in finals(trace)]), c_n[:, 0, :].numpy(), rtol=0, atol=tol)

        mine = cells.Network.create("lstmp", input_size, hidden, num_layers=num_layers, bidirectional=bidirectional,
                                    seed=seed, scale=2.0, dtype=getattr(np, dtype), state_size=proj)
        if not bias:
            mine = cells.Network(tuple(cells.Layer(*(dataclasses.replace(
                c, biases={g: np.zeros_like(b) for g, b in c.biases.items()}) for c in layer.cells))
                for layer in mine.layers))
        fresh = torch.nn.LSTM(input_size, hidden, num_layers=num_layers, bidirectional=bidirectional, bias=bias,
                              proj_size=proj).to(getattr(torch, dtype))
        fresh.load_state_dict({k: torch.from_numpy(v) for k, v in to_torch(mine, bias=bias).items()})
        with torch.no_grad():
            theirs, _ = fresh(torch.from_numpy(xs)[:, None, :])
        np.testing.assert_allclose(theirs[:, 0, :].numpy(), mine.run(xs).output, rtol=0, atol=tol)
