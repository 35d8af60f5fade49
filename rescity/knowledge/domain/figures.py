"""Reading the figures that real documents contain.

Seed documents write numbers in many ways: ``3,036,100``, ``2.908million``, ``2, 868`` (a
thousands separator followed by a stray space), ``16,725 (Dalian)`` (a qualifier), ``1.2万``,
or nothing at all. :func:`parse_figure` turns one such string into a value, the qualifier it
dropped, and a problem message when it cannot. It never guesses silently: anything it had to
interpret is visible in the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MULTIPLIERS = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mio": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "万": 1e4,
    "亿": 1e8,
}
_QUALIFIER = re.compile(r"\(([^)]*)\)|（([^）]*)）")
# digits with optional thousands separators (", " allowed after the comma) and decimals
_NUMBER = re.compile(
    r"^(?P<num>[-+]?\d{1,3}(?:,\s?\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?)\s*(?P<mult>[A-Za-z万亿]+)?$"
)
_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a dozen": 12,
    "zero": 0,
    "none": 0,
}


@dataclass(frozen=True)
class Figure:
    """One parsed figure: ``value`` is None when the text held no usable number."""

    raw: str
    value: float | None
    qualifier: str = ""
    problem: str = ""


def parse_figure(raw: str) -> Figure:
    """Parse one figure as written in a document.

    Returns a :class:`Figure`; ``problem`` says why ``value`` is None ("missing" for an empty
    field). Qualifiers in brackets, such as "(Dalian)", are kept in ``qualifier``.
    """
    text = raw.strip().replace("\u00a0", " ")
    qualifiers = [a or b for a, b in _QUALIFIER.findall(text)]
    text = _QUALIFIER.sub("", text).strip().rstrip(".;").strip()
    qualifier = "; ".join(q.strip() for q in qualifiers if q.strip())
    if not text:
        return Figure(raw, None, qualifier, "missing")
    lowered = text.lower()
    if lowered in _WORDS:
        return Figure(raw, float(_WORDS[lowered]), qualifier)
    match = _NUMBER.match(text)
    if match is None:
        return Figure(raw, None, qualifier, f"not a number: {raw.strip()!r}")
    number = float(re.sub(r",\s?", "", match["num"]))
    mult = match["mult"]
    if mult:
        factor = _MULTIPLIERS.get(mult.lower())
        if factor is None:
            return Figure(raw, None, qualifier, f"unknown unit {mult!r} in {raw.strip()!r}")
        number *= factor
    return Figure(raw, number, qualifier)


def as_int(figure: Figure) -> int | None:
    return None if figure.value is None else round(figure.value)


def word_number(text: str) -> float | None:
    """A number written as digits or as a small English word ("one", "ten")."""
    fig = parse_figure(text)
    return fig.value
