"""Put text that comes from source code or the compiler into markdown without letting it act.

Identifiers, string literals and compiler messages end up in comments GitHub renders. Inside a
code span markdown, HTML, @mentions, #references and :emoji: are all inert, so every piece of
untrusted text is rendered as a code span whose fence is longer than any backtick run inside.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_BACKTICKS = re.compile(r"`+")
_NEWLINES = re.compile(r"[\r\n\t\v\f\u2028\u2029]+")


def code(text: str, *, in_table: bool = False) -> str:
    """`text` as one inline code span; `in_table` also protects a GFM table cell's `|`."""
    flat = _NEWLINES.sub(" ", text).strip() or " "
    longest = max((len(m) for m in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    # A span that starts or ends with a backtick needs a space so the fence stays separate;
    # CommonMark strips exactly one such space on each side.
    if flat.startswith("`") or flat.endswith("`") or (flat.startswith(" ") and flat != " "):
        flat = f" {flat} "
    if in_table:
        # GFM splits table cells on `|` even inside code spans; `\|` is unescaped there.
        flat = flat.replace("|", "\\|")
    return f"{fence}{flat}{fence}"


_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+!|~&=-])")
# GitHub links @mentions, #references and :emoji: in rendered text, after markdown has run,
# so a backslash does not stop them; a zero-width space after the sigil does.
_SIGILS = re.compile(r"([@#:])")


def plain(text: str) -> str:
    """Prose that may carry identifiers: every markdown, HTML and mention character neutral."""
    flat = _NEWLINES.sub(" ", text)
    flat = _SIGILS.sub("\\1\u200b", flat)
    return _PUNCTUATION.sub(r"\\\1", flat)


def url_path(path: str) -> str:
    """A repository path for a URL (spaces, `#` and the like percent-encoded)."""
    return quote(path, safe="/")
