"""Structured outcome figures ("students walking to school 30 % → 95 %") from outcome text.

Two sentence shapes are recognised, because they are the ones the seed collections use:

* ``<indicator> increased/decreased/... from <baseline>[ unit][ in <year>]
  to <value>[ unit][ in <year>]``
* ``<indicator> increased/decreased/... by <n>%``  (a relative change: unit "% change",
  negative for decreases)

Anything else stays in the free-text outcome; editors can add figures by hand.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from rescity.knowledge.domain.figures import parse_figure

_NUM = r"(?:\d{1,3}(?:,\s?\d{3})+|\d+)(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten"
_VERB = (
    r"(?:increased|increasing|decreased|decreasing|reduced|rose|rise|fell|dropped|grew"
    r"|improved|went)"
)
_FROM_TO = re.compile(
    rf"(?P<ind>[A-Za-z][A-Za-z0-9 ,'\-]{{2,120}}?)\s+(?:will\s+)?{_VERB}\s+"
    rf"(?:significantly\s+|dramatically\s+)?"
    rf"from\s+(?:a mere\s+|about\s+)?(?P<base>{_NUM})\s*(?P<bunit>%|[a-z][a-z ]{{0,30}}?)?"
    rf"(?:,?\s+(?:in|at)\s+(?P<byear>(?:19|20)\d\d)[^,]*?|,[^,]{{0,60}},)?"
    rf"\s+to\s+(?:an impressive\s+|just\s+|more than\s+|about\s+|over\s+)?(?P<val>{_NUM})\s*"
    rf"(?P<vunit>%|[a-z]+(?: (?!in\b)[a-z]+){{0,3}})?"
    rf"(?:\s+in\s+(?P<vyear>(?:19|20)\d\d))?(?=[\s.,;(]|$)",
    re.IGNORECASE,
)
_BY = re.compile(
    rf"(?P<ind>[A-Za-z][A-Za-z0-9 ,'\-]{{2,120}}?)\s+(?:has\s+|have\s+)?(?P<verb>{_VERB})\s+"
    rf"(?:by\s+)(?P<val>\d+(?:\.\d+)?)\s*%",
    re.IGNORECASE,
)
_LEAD = re.compile(r"^(?:the|its|a|an)\s+", re.I)
_YEAR_LEAD = re.compile(r"^(?:in|by|as of)\s+((?:19|20)\d\d),?\s*", re.I)
_NOT_UNITS = {"in", "at", "to", "and", "now", "today", "currently", "by"}
_NEGATIVE = ("decreas", "reduc", "fell", "dropped")


@dataclass(frozen=True)
class OutcomeFigure:
    """A measured result: ``value`` of ``indicator`` in ``unit``, from ``baseline``."""

    indicator: str
    value: float
    unit: str = ""
    baseline: float | None = None
    year: int | None = None
    baseline_year: int | None = None
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def label(self) -> str:
        unit = f" {self.unit}" if self.unit and self.unit != "%" else self.unit
        value = f"{_fmt(self.value)}{unit}"
        if self.baseline is not None:
            return f"{self.indicator}: {_fmt(self.baseline)}{unit} → {value}"
        return f"{self.indicator}: {value}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _clean_indicator(text: str) -> tuple[str, int | None]:
    """The indicator phrase without leading clauses, and a year stated before it."""
    ind = text.strip(" ,")
    year = None
    m = _YEAR_LEAD.match(ind)
    if m:
        year = int(m.group(1))
        ind = ind[m.end() :]
    if ", " in ind:
        ind = ind.rsplit(", ", 1)[1]
    ind = _LEAD.sub("", ind.strip(" ,"))
    return (ind[:1].lower() + ind[1:] if ind[1:2].islower() else ind), year


def _unit(text: str | None) -> str:
    words = (text or "").strip().split()
    while words and words[-1].lower() in _NOT_UNITS:
        words.pop()
    return " ".join(words)


def _num(text: str) -> float | None:
    return parse_figure(text).value


def extract_figures(text: str) -> list[OutcomeFigure]:
    """Every outcome figure found in ``text``, in order, without duplicates."""
    found: list[OutcomeFigure] = []
    seen: set[tuple[str, float, float | None]] = set()
    for sentence in re.split(r"(?<=[.;])\s+", text):
        for m in _FROM_TO.finditer(sentence):
            base, val = _num(m["base"]), _num(m["val"])
            if base is None or val is None:
                continue
            unit = _unit(m["vunit"]) or _unit(m["bunit"])
            indicator, lead_year = _clean_indicator(m["ind"])
            fig = OutcomeFigure(
                indicator=indicator,
                value=val,
                unit=unit,
                baseline=base,
                year=int(m["vyear"]) if m["vyear"] else lead_year,
                baseline_year=int(m["byear"]) if m["byear"] else None,
                text=m.group(0).strip(),
            )
            key = (fig.indicator, fig.value, fig.baseline)
            if key not in seen:
                seen.add(key)
                found.append(fig)
        for m in _BY.finditer(sentence):
            val = float(m["val"])
            if m["verb"].lower().startswith(_NEGATIVE):
                val = -val
            indicator, lead_year = _clean_indicator(m["ind"])
            fig = OutcomeFigure(
                indicator=indicator,
                value=val,
                unit="% change",
                year=lead_year,
                text=m.group(0).strip(),
            )
            key = (fig.indicator, fig.value, None)
            if key not in seen:
                seen.add(key)
                found.append(fig)
    return found


def figure_from_dict(data: dict[str, Any]) -> OutcomeFigure:
    """Build a figure from stored/submitted data; raises ValueError naming the bad key."""
    try:
        value = float(data["value"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("value: a number is required") from None
    indicator = str(data.get("indicator", "")).strip()
    if not indicator:
        raise ValueError("indicator: must not be empty")

    def opt_float(key: str) -> float | None:
        v = data.get(key)
        if v in (None, ""):
            return None
        try:
            return float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{key}: not a number") from None

    def opt_int(key: str) -> int | None:
        f = opt_float(key)
        return None if f is None else int(f)

    return OutcomeFigure(
        indicator=indicator,
        value=value,
        unit=str(data.get("unit", "") or ""),
        baseline=opt_float("baseline"),
        year=opt_int("year"),
        baseline_year=opt_int("baseline_year"),
        text=str(data.get("text", "") or ""),
    )
