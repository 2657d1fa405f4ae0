"""The gate view's script as the page receives it: viz/gateview/'s parts joined by viz.gateview.join_script."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from viz.gateview import ENTRY, JS, PAGE_JS, PARTS, SCRIPT, join_script

NODE = shutil.which("node")


def test_every_part_is_joined_once_in_order_and_the_entry_is_the_default_export() -> None:
    starts = [JS.index(f"\nconst {name} = (() => {{\n") for name in PARTS]
    assert starts == sorted(starts)
    assert sorted(p.stem for p in SCRIPT.glob("*.js")) == sorted(PARTS), "a part in viz/gateview/ is not joined"
    assert JS.count("export default") == 1 and JS.endswith(f"export default {ENTRY};\n")
    assert "export " not in PAGE_JS and "import " not in JS and f"function {ENTRY}(" in PAGE_JS


@pytest.mark.skipif(NODE is None, reason="needs node on PATH to parse the joined script")
def test_the_joined_script_parses_as_a_module(tmp_path: Path) -> None:
    path = tmp_path / "gateview.mjs"
    path.write_text(JS, encoding="utf-8")
    result = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def parts(folder: Path, **texts: str) -> Path:
    for name, text in texts.items():
        (folder / f"{name}.js").write_text(text, encoding="utf-8")
    return folder


def test_a_part_gets_its_own_scope_and_the_names_it_imports(tmp_path: Path) -> None:
    a = "const hidden = 2;\n  // gone\nexport function twice(x) {\n  return hidden * x; // kept\n}\n"
    folder = parts(tmp_path, a=a,
                   b='import { twice } from "./a.js";\nexport function go() {\n  return twice(3);\n}\n')
    joined = join_script(folder, ("a", "b"), "go")
    assert "const { twice } = a;" in joined and "return { twice };" in joined and joined.endswith("const go = b.go;\n")
    assert "  return hidden * x; // kept" in joined and "// gone" not in joined  # lines of comment only go
    if NODE is not None:
        out = subprocess.run([NODE, "-e", f"{joined}\nconsole.log(go(), typeof hidden)"], capture_output=True,
                             text=True, timeout=60)
        assert out.stdout.split() == ["6", "undefined"], out.stderr


@pytest.mark.parametrize(("texts", "message"), [
    ({"a": 'import { go } from "./b.js";\nexport const x = 1;\n', "b": "export function go() {}\n"},
     "a.js imports b.js, which is not a part before it"),
    ({"a": "export const x = 1;\n", "b": 'import * as a from "./a.js";\nexport function go() {}\n'},
     "b.js, line 1: only"),
    ({"a": "export const x = 1;\n", "b": "export default function go() {}\n"}, "b.js, line 1: only"),
    ({"a": "const x = 1;\nexport { x };\n", "b": "export function go() {}\n"}, "a.js, line 2: only"),
    ({"a": "export const x = `one\n// two`;\n", "b": "export function go() {}\n"},
     "a.js, line 1: a template literal over several lines"),
])
def test_a_part_in_a_form_the_joiner_does_not_know_is_refused(tmp_path: Path, texts: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        join_script(parts(tmp_path, **texts), ("a", "b"), "go")
