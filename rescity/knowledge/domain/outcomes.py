"""Structured outcome figures ("students walking to school 30 % → 95 %") from outcome text.

The sentence shapes recognised are the ones case collections use for headline results:

* ``<indicator> [was/will be] increased/shortened/... from <baseline>[ unit] to <value>[ unit]``
* ``<indicator> increased/decreased/... by <n>%`` and ``increased <indicator> by <n>%``
  (a relative change: unit "% change", negative for decreases)
* ``<n>% of the <things> were <done>`` ("97.4% of the cases were resolved")
* counts: ``[about] <n>[ million] <things>`` ("about 21,000 units", "17,599,000 issues")

Each figure says its ``direction`` (increase/decrease, when it is a change) and its
``status``: "target" when its clause speaks of the future (will, expected to, aims to, plans
to, by 2030…), "achieved" otherwise — so a promise is never shown as a result. Anything else
stays in the free-text outcome; editors can add figures by hand.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from rescity.knowledge.domain import outcome_patterns as pat
from rescity.knowledge.domain.figures import parse_figure


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
    direction: str = ""  # "increase" | "decrease" | "" (not a change)
    status: str = "achieved"  # "achieved" | "target"
    baseline_unit: str = ""  # only when the baseline is stated in another unit

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def label(self) -> str:
        unit = f" {self.unit}" if self.unit and self.unit != "%" else self.unit
        value = f"{_fmt(self.value)}{unit}"
        target = " (target)" if self.status == "target" else ""
        if self.baseline is not None:
            bunit = f" {self.baseline_unit}" if self.baseline_unit else unit
            return f"{self.indicator}: {_fmt(self.baseline)}{bunit} → {value}{target}"
        return f"{self.indicator}: {value}{target}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _clean_indicator(text: str) -> tuple[str, int | None]:
    """The indicator phrase without leading clauses, and a year stated before it."""
    ind = text.strip(" ,")
    year = None
    m = pat.YEAR_LEAD.match(ind)
    if m:
        year = int(m.group(1))
        ind = ind[m.end() :]
    if ", " in ind:
        ind = ind.rsplit(", ", 1)[1]
    ind = pat.LEAD.sub("", ind.strip(" ,"))
    return (ind[:1].lower() + ind[1:] if ind[1:2].islower() else ind), year


def _unit(text: str | None) -> str:
    words = (text or "").strip().split()
    while words and words[-1].lower() in pat.NOT_UNITS:
        words.pop()
    unit = " ".join(words)
    return "%" if re.fullmatch(r"per\s?cent|percent", unit, re.I) else unit


def _num(text: str) -> float | None:
    return parse_figure(text).value


def _status(sentence: str, start: int, end: int) -> str:
    """ "target" when the clause holding sentence[start:end] speaks of the future."""
    cuts = [0, *(m.end() for m in pat.CLAUSE.finditer(sentence)), len(sentence)]
    lo = max(c for c in cuts if c <= start)
    hi = min((c for c in cuts if c >= end), default=len(sentence))
    return "target" if pat.FUTURE.search(sentence[lo:hi]) else "achieved"


def _direction(verb: str) -> str:
    return "decrease" if verb.lower().startswith(pat.NEGATIVE_VERBS) else "increase"


def _change(verb: str, base: float, val: float, particle: str = "") -> str:
    """Direction from the verb when it says one (units may differ), else from the numbers."""
    if verb.lower().startswith(pat.NEGATIVE_VERBS) or particle.strip().lower() == "down":
        return "decrease"
    if particle.strip().lower() == "up":
        return "increase"
    if verb.lower().startswith(("went", "improved")):
        return "increase" if val > base else "decrease" if val < base else ""
    return "increase"


def _count_unit(words: str) -> tuple[str, str] | None:
    """(unit, indicator) of the words after a number: the noun phrase up to its first plural
    head ("community elderly canteens", "new electric buses"), or a measure of something
    ("5,188 kilometres of greenway"); None when the words name nothing counted."""
    m = pat.OF_MEASURE.match(" ".join(words.split()[:5]))
    if m:
        what = []
        for word in pat.LEAD.sub("", m["what"]).split()[:3]:
            if word in pat.NOT_MODIFIERS:
                break
            what.append(word)
        return m["measure"], " ".join(what) or m["measure"]
    taken: list[str] = []
    for word in words.split():
        joined = word == "and" and bool(taken)  # "106 black and odorous water bodies"
        if (word in pat.NOT_MODIFIERS and not joined) or (taken == [] and word in pat.NOT_COUNTED):
            return None
        taken.append(word)
        if word not in ("square", "cubic") and _countable(" ".join(taken)):
            if len(taken) == 1 and word in pat.NOT_COUNTED:
                return None
            unit = " ".join(taken)
            return unit, unit
    return None


def _countable(unit: str) -> bool:
    """A plural noun phrase ("units", "new jobs", "cubic metres"), not an adjective."""
    words = unit.lower().split()
    head = words[-1]
    if len(words) == 1 and head in pat.NOT_COUNTED:
        return False
    if words[0] in ("square", "cubic"):
        return True
    return head in pat.IRREGULAR_PLURALS or (
        head.endswith("s") and not head.endswith(("ss", "us", "is"))
    )


def _count_value(m: re.Match[str]) -> float | None:
    number = float(re.sub(r"[,\s]", "", m["num"]))
    mult = (m["mult"] or "").lower()
    factor = {"million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "thousand": 1e3}.get(mult)
    factor = factor or {"万": 1e4, "亿": 1e8}.get(m["mult"] or "", 1.0)
    is_year = m["mult"] is None and re.fullmatch(r"(?:19|20)\d\d", m["num"]) is not None
    return None if is_year else number * factor


def _level(m: re.Match[str], sentence: str) -> OutcomeFigure | None:
    """A value reached ("visitors reached 2.6 million", "raise the rate to 65%")."""
    value = _num(m["val"])
    if value is None or (m["mult"] is None and re.fullmatch(r"(?:19|20)\d\d", m["val"])):
        return None
    value *= pat.MULTIPLIERS.get((m["mult"] or "").lower(), 1)
    unit = _unit(m["unit"])
    if unit.lower() in pat.NOT_VALUE_UNITS:
        unit = ""
    verb = m["verb"].lower()
    direction = (
        "" if verb.startswith("reach") else _direction(verb) if " down" not in verb else "decrease"
    )
    indicator, lead_year = _clean_indicator(m["ind"])
    indicator = re.sub(
        r"\s+(?:(?:continues?|continued|keeps?|kept)\s+to\s+\w+\s+)?and$", "", indicator
    )
    return OutcomeFigure(
        indicator=indicator,
        value=value,
        unit=unit,
        year=lead_year,
        text=m.group(0).strip(),
        direction=direction,
        status=_status(sentence, *m.span()),
    )


def extract_figures(text: str) -> list[OutcomeFigure]:
    """Every outcome figure found in ``text``, in order, without duplicates."""
    found: list[OutcomeFigure] = []
    seen: set[tuple[str, float, float | None]] = set()

    def add(fig: OutcomeFigure) -> None:
        key = (fig.indicator, fig.value, fig.baseline)
        if key not in seen:
            seen.add(key)
            found.append(fig)

    for sentence in re.split(r"(?<=[.;])\s+(?=[A-Z0-9])", text):
        taken: list[tuple[int, int]] = []
        for m in pat.FROM_TO.finditer(sentence):
            base, val = _num(m["base"]), _num(m["val"])
            if base is None or val is None:
                continue
            vunit, bunit = _unit(m["vunit"]), _unit(m["bunit"])
            unit = vunit or bunit
            indicator, lead_year = _clean_indicator(m["ind"])
            taken.append((m.end("ind") - len(indicator), m.end()))
            add(
                OutcomeFigure(
                    indicator=indicator,
                    value=val,
                    unit=unit,
                    baseline=base,
                    year=int(m["vyear"]) if m["vyear"] else lead_year,
                    baseline_year=int(m["byear"]) if m["byear"] else None,
                    text=m.group(0).strip(),
                    direction=_change(m["verb"], base, val, m["particle"] or ""),
                    status=_status(sentence, *m.span()),
                    baseline_unit=bunit if bunit and vunit and bunit != vunit else "",
                )
            )
        for pattern in (pat.BY, pat.VERB_FIRST_BY):
            for m in pattern.finditer(sentence):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                amount = _num(m["val"])
                if amount is None:
                    continue
                amount *= pat.MULTIPLIERS.get((m["mult"] or "").lower(), 1)
                direction = _direction(m["verb"])
                unit = _unit(m["unit"])
                unit = "% change" if unit == "%" else unit.lower()
                indicator, lead_year = _clean_indicator(m["ind"])
                taken.append(m.span())
                add(
                    OutcomeFigure(
                        indicator=indicator,
                        value=amount * (-1 if direction == "decrease" else 1),
                        unit=unit,
                        year=lead_year,
                        text=m.group(0).strip(),
                        direction=direction,
                        status=_status(sentence, *m.span()),
                    )
                )
        for pattern in (pat.TO, pat.VERB_FIRST_TO):
            for m in pattern.finditer(sentence):
                if any(a <= m.start("val") < b for a, b in taken):
                    continue
                fig = _level(m, sentence)
                if fig is not None:
                    taken.append(m.span())
                    add(fig)
        for m in pat.SHARE.finditer(sentence):
            if m["ind"].lower().startswith(("whom", "which", "them", "those", "these")):
                continue
            if any(a <= m.start() < b for a, b in taken):
                continue
            taken.append(m.span())
            indicator = f"{pat.LEAD.sub('', m['ind'].strip())} {m['what'] or m['past']}"
            add(
                OutcomeFigure(
                    indicator=indicator,
                    value=float(m["val"]),
                    unit="%",
                    text=m.group(0).strip(),
                    status=_status(sentence, *m.span()),
                )
            )
        for m in pat.COUNT.finditer(sentence):
            named = _count_unit(m["words"])
            if named is None or any(a <= m.start() < b for a, b in taken):
                continue
            value = _count_value(m)
            if value is None:
                continue
            unit, indicator = named
            add(
                OutcomeFigure(
                    indicator=indicator,
                    value=value,
                    unit=unit,
                    text=sentence[max(0, m.start() - 40) : m.start() + len(m["num"]) + 40].strip(),
                    status=_status(sentence, *m.span()),
                )
            )
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
        direction=_choice(data, "direction", ("", "increase", "decrease")),
        status=_choice(data, "status", ("achieved", "target")),
        baseline_unit=str(data.get("baseline_unit", "") or ""),
    )


def _choice(data: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = str(data.get(key, allowed[0]) or allowed[0])
    if value not in allowed:
        raise ValueError(f"{key}: one of {', '.join(a for a in allowed if a)}")
    return value
