"""User text echoed in a message, shown as typed.

Streamlit draws messages (``st.error``, ``st.warning``) as Markdown, so text from a link or a box
would otherwise be read as formatting: ``__init__`` turns into a bold "init", ``$x$`` into maths,
``[x](y)`` into a link. ``literal`` backslash-escapes every mark that formats text inside a line
(CommonMark lets a backslash escape any ASCII punctuation) and names invisible characters by their
code point. Marks that format only at the start of a line (``-``, ``1.``) are left alone: echoed
text always sits inside a sentence. Colons stay as they are (a colour needs ``[``, which is escaped).
"""

from __future__ import annotations

from cells.encode import visible

_ESCAPE = {ord(c): "\\" + c for c in "\\`*_~$[](){}<>!#|&"}


def literal(text: str, limit: int = 40) -> str:
    """``text`` (cut to ``limit`` characters, with "…") as Markdown that shows exactly those characters;
    invisible ones appear as U+XXXX, a space as a space."""
    cut = text if len(text) <= limit else text[:limit]
    shown = "".join(c if c == " " or c.isprintable() else visible(c) for c in cut)
    return shown.translate(_ESCAPE) + ("…" if len(text) > limit else "")
