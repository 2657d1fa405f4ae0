"""Share-link encoding, without Streamlit: what a query string may set, and what it may not."""

from __future__ import annotations

from workbench import keys
from workbench.settings import DEFAULTS, FIELDS, MAX_TEXT, from_query, to_query


def test_every_setting_survives_a_round_trip() -> None:
    k = keys.EXPLORE
    values = {
        k.seq_mode: "numbers", k.seq_text: "1 0; 0 1", k.embed_size: 3, k.embed_seed: 9, k.net_kind: "gru_keras_v1",
        k.net_hidden: 64, k.net_seed: 12, k.net_scheme: "orthogonal", k.net_scale: 0.25, k.net_bidirectional: True,
        k.net_layers: 4, k.view_layer: 3, k.view_direction: "backward", k.cursor.step: 1, k.cursor.unit: 63,
    }
    assert set(values) == {f.key for f in FIELDS}
    back, errors = from_query(to_query(values))
    assert errors == [] and back == values


def test_defaults_make_an_empty_link() -> None:
    assert to_query(DEFAULTS) == {}


def test_refused_values_name_the_parameter_and_keep_the_default() -> None:
    values, errors = from_query({
        "hidden": "999", "kind": "evil", "seed": "-1", "scale": "inf", "bidir": "maybe", "dir": "sideways",
        "seq": "x" * (MAX_TEXT + 1), "t": "2.5", "layers": "0",
    })
    assert values == {}
    assert len(errors) == 9
    joined = " ".join(errors)
    for name in ("hidden='999'", "kind='evil'", "seed='-1'", "scale='inf'", "bidir='maybe'", "dir='sideways'",
                 "seq='xxxx", "t='2.5'", "layers='0'"):
        assert name in joined
    assert "kept '8'" in joined and "1 to 64" in joined


def test_unknown_parameters_are_ignored_and_repeated_ones_take_the_last() -> None:
    values, errors = from_query({"utm_source": "mail", "hidden": ["4", "6"]})
    assert values == {keys.EXPLORE.net_hidden: 6} and errors == []
