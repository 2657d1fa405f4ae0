"""Gatescope's cell engine: gated recurrent cells in NumPy that record every gate, step by step."""

from cells.activations import GATE_ACTIVATIONS, GateActivation
from cells.cell import Cell
from cells.clamp import Clamp
from cells.files.interop import from_keras, from_torch, to_keras, to_torch
from cells.files.model import LoadedModel, load
from cells.files.storage import from_json, load_npz, save_npz, to_json
from cells.gates import GATES, GateInfo, gate_info
from cells.gru import GRU, GRUResetAfter, GRUResetBefore
from cells.initializers import SCHEMES, initialise
from cells.kinds import KINDS, cell_class
from cells.layers import Layer, LayerTrace, Network, NetworkTrace
from cells.lstm import LSTM, CoupledLSTM, PeepholeLSTM
from cells.lstmp import ProjectedLSTM
from cells.rnn import RNN
from cells.trace import State, Step, Trace

__all__ = [
    "GATES",
    "GATE_ACTIVATIONS",
    "GRU",
    "KINDS",
    "LSTM",
    "RNN",
    "SCHEMES",
    "Cell",
    "Clamp",
    "CoupledLSTM",
    "GRUResetAfter",
    "GRUResetBefore",
    "GateActivation",
    "GateInfo",
    "Layer",
    "LayerTrace",
    "LoadedModel",
    "Network",
    "NetworkTrace",
    "PeepholeLSTM",
    "ProjectedLSTM",
    "State",
    "Step",
    "Trace",
    "cell_class",
    "from_json",
    "from_keras",
    "from_torch",
    "gate_info",
    "initialise",
    "load",
    "load_npz",
    "save_npz",
    "to_json",
    "to_keras",
    "to_torch",
]
