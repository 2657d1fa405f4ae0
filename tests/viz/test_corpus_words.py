"""The Corpus page's findings in words: a loss change says which way it went, and never "-0 %"."""

from __future__ import annotations

from cells.corpus import Finding
from viz.corpus import finding_sentence, loss_change


def test_a_loss_change_says_which_way_it_went_to_the_census_bars_precision() -> None:
    assert loss_change(0.4127) == "rises 41 %"
    assert loss_change(0.015) == "rises 1.5 %"  # one decimal under 10 %: the census's bar is 1 %
    assert loss_change(-0.0031) == "falls 0.3 %"
    assert loss_change(-0.0004) == loss_change(0.0) == "does not change"  # not "-0 %"


def test_a_finding_reads_as_a_sentence_with_its_ablation() -> None:
    f = Finding(1, "forward", "cell", 37, "string", "auc", 0.97, 1, 2.0, 0.41, -0.0004)
    assert finding_sentence(f, "lstm") == ("C_t unit 37, layer 2: inside a string or quote (AUC 0.97); held at its "
                                           "mean, the loss there rises 41 %, elsewhere it does not change")
    still = Finding(1, "forward", "cell", 187, "line_position", "r", 0.88, 1, 1.5, -0.0002, 0.0003)
    assert finding_sentence(still, "lstm").endswith("held at its mean, the loss does not change, there or elsewhere")


def test_the_census_table_shows_no_minus_zero() -> None:
    from viz.corpus import census_frame

    f = Finding(0, "forward", "hidden", 3, "indent", "r", -0.7, -1, 1.2, 0.0213, -0.0004)
    row = census_frame([f], {0: "lstm"}).iloc[0]
    assert (row["loss rise on (%)"], str(row["loss rise off (%)"])) == (2.1, "0.0")
