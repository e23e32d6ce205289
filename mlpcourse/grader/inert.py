"""Student text made inert: what "inert" means, for every place a report is shown.

Text from the student's side (exception messages and type names, source
lines, descriptions of values, folder names) may hold characters that act
instead of showing: ESC starts terminal sequences (cursor up, erase line,
conceal, OSC 8 links), CR and backspace overwrite what was printed,
bidirectional overrides reorder a line (U+202A–U+202E, U+2066–U+2069), and
zero-width characters hide text. :func:`inert` writes each such character as
a visible escape, ``\\x1b``, ``\\r``, ``\\u202e``, so that the student can
still read where it was, and nothing else changes: ``σ'(z) → ∇C ✓`` stays.

Unsafe are the categories Cc (controls: C0, DEL, C1), Cf (format: bidi
controls, zero-width characters, the BOM, soft hyphen…), Cs (surrogates),
Co (private use), Cn (unassigned), Zl and Zp (line and paragraph separators),
and a few letters that show as nothing (:data:`INVISIBLE`). Ordinary spaces
(category Zs) stay. A backslash stays as it is: :func:`inert` applied twice
gives the same text as once.

The grader applies it where student text enters a report (its messages), and
every output sink applies it again before its own escaping (Rich markup, HTML,
Markdown, CSV), so a report read back from disk is shown inert too.
"""

import unicodedata

#: Categories whose characters act or hide instead of showing.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

#: Characters of other categories that show as nothing: the Hangul fillers, the
#: combining grapheme joiner, the Braille blank and the Khmer inherent vowels.
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u034f\u2800\u17b4\u17b5")

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_unsafe(character: str) -> bool:
    """Whether one character acts or hides instead of showing (see the module's docstring)."""
    return character in INVISIBLE or unicodedata.category(character) in UNSAFE_CATEGORIES


def escaped(character: str) -> str:
    """``\\x1b``, ``\\n``, ``\\u202e``, ``\\U000e0041``: a character written visibly."""
    if character in _SHORT:
        return _SHORT[character]
    point = ord(character)
    if point < 0x100:
        return f"\\x{point:02x}"
    return f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def inert(text: object, keep: str = "") -> str:
    """``text`` with every unsafe character written as a visible escape.

    ``keep``: characters left as they are where a layout needs them (``"\\n"``
    in a multi-line text that is shown as such); nothing by default.
    """
    text = text if type(text) is str else str(text)
    if text.isprintable() and not INVISIBLE.intersection(text):
        return text  # the common case: nothing to do
    return "".join(escaped(c) if c not in keep and is_unsafe(c) else c for c in text)


def is_inert(text: str, keep: str = "") -> bool:
    """Whether ``text`` holds no unsafe character (outside ``keep``)."""
    return not any(c not in keep and is_unsafe(c) for c in text)
