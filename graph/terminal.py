"""Text bound for a terminal, with control characters made visible instead of obeyed.

Literals, labels and query strings come from data written by others. Printed raw, an ESC in a
literal starts a terminal escape sequence (colours, cursor moves, window titles, hyperlinks), a
carriage return overwrites what the line said, and a bidirectional override reorders it. Every
place where untrusted text reaches a terminal passes it through :func:`printable`; the one-line
fields of ``kzgraph show`` and the link tables go through the stricter :func:`escape_invisible`.
"""

from __future__ import annotations

import re

#: C0 controls, DEL, C1 controls (U+0080-U+009F: U+009B is a one-byte CSI), the line and
#: paragraph separators, and the bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEPING_LINES = re.compile(
    "\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\r\n":
        return char
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\u202e``).

    Args:
        text: untrusted text.
        newlines: keep line feeds, tabs and CRLF pairs (multi-line output such as a CSV file
            or a report); otherwise they too are escaped, so the result is one line.
    """
    return (_UNSAFE_KEEPING_LINES if newlines else _UNSAFE).sub(_escape, text)


def escape_invisible(text: str) -> str:
    """``text`` on one line with every control or invisible formatting character (Unicode
    categories Cc and Cf) shown as ``\\uXXXX``.

    Stricter than :func:`printable`: zero-width spaces and joiners, soft hyphens and byte-order
    marks are shown too, so two names that print alike but differ are told apart (an entity's
    name, a dataset, a link target), and line breaks never survive.
    """
    import unicodedata

    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text
    )
