"""Nothing on a page is cut off or drawn over something else, measured in Chromium: the cell diagram's names
(an accent included) and labels, Compare's titles, readouts and notes at 1280×800 and 1280×720, presenter mode's
first screen at 1280×720 (every panel and the step panel), and a lesson stop whose knob is dragged."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.test_browser_gateview import build, open_view

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Every text of the cell diagram (box names, labels, node symbols, box values) and every box, as rectangles in
# page pixels; a name's ink reaches as high as the font draws its tallest glyph (measured on a canvas in the
# element's own font), which a combining accent raises above the letter's box.
DIAGRAM_JS = """() => {
    const root = document.querySelector('.gv');
    const svg = root.querySelector('.gv-diagram');
    const rect = (r) => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
    const textRect = (e) => { const range = document.createRange(); range.selectNodeContents(e);
                              return rect(range.getBoundingClientRect()); };
    const ctx = document.createElement('canvas').getContext('2d');
    const names = [...svg.querySelectorAll('.gv-boxname')].map((name) => {
        const e = name.querySelector('.gv-text') ?? name;  // the line its letters are set on
        const style = getComputedStyle(e);
        ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        const probe = document.createElement('span');  // an empty inline box: its bottom is the baseline
        probe.style.cssText = 'display:inline-block;width:0;height:0;vertical-align:baseline';
        e.appendChild(probe);
        const baseline = probe.getBoundingClientRect().bottom;
        probe.remove();
        const inkTop = baseline - ctx.measureText(e.textContent).actualBoundingBoxAscent * scale;
        return {text: e.textContent, inkTop, frameTop: name.parentElement.getBoundingClientRect().top,
                box: textRect(e)};
    });
    const texts = [...svg.querySelectorAll('.gv-boxname, .gv-label, .gv-nodetext, .gv-boxtext')]
        .map((e) => ({text: e.textContent, kind: e.getAttribute('class'),
                      box: e.tagName === 'DIV' ? textRect(e) : rect(e.getBoundingClientRect())}));
    const boxes = [...svg.querySelectorAll('.gv-box')].map((e) => rect(e.getBoundingClientRect()));
    return {names, texts, boxes};
}"""


def overlap(a: dict, b: dict, slack: float = 0.5) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack)


@pytest.mark.parametrize("kind", ["lstm", "lstmp", "gru", "peephole"])
def test_the_cell_diagram_draws_every_name_whole_and_nothing_over_a_box(page: Page, tmp_path: Path,
                                                                          kind: str) -> None:
    """C̃_t keeps its tilde (its name's frame once cut it off), and no label or name lies on a box or on another
    text (the projection's W_hr once lay on the h_t box)."""
    _, path = build(tmp_path, kind=kind)
    open_view(page, path)
    seen = page.evaluate(DIAGRAM_JS)
    cut = [f"{n['text']} ink from {n['inkTop']:.1f} px, its frame from {n['frameTop']:.1f} px"
           for n in seen["names"] if n["inkTop"] < n["frameTop"] - 0.5]
    assert not cut, f"{kind}: box names cut at the top: {cut}"
    assert any("\u0303" in n["text"] for n in seen["names"]) or kind not in ("lstm", "lstmp", "peephole")
    outside = [t for t in seen["texts"] if t["kind"] != "gv-boxtext"]
    on_box = [f"{t['text']} on a box" for t in outside for b in seen["boxes"] if overlap(t["box"], b)]
    clash = [f"{a['text']} / {b['text']}" for k, a in enumerate(seen["texts"]) for b in seen["texts"][k + 1:]
             if overlap(a["box"], b["box"])]
    assert (on_box, clash) == ([], []), f"{kind}: texts drawn over boxes or each other"
