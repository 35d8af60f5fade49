"""Importer for the IUC city-to-city cooperation slides (text export).

Reads the Chinese pilot cities (the comma lists after "Chinese Pilot Cities"), the numbered
thematic clusters after "Possible Cooperation Projects in each cluster", the pilot pairing
("Pilot Project Example Mannheim / Chongqing") and the dated news items about it (events).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from rescity.core.errors import DataFileError
from rescity.knowledge.adapters.importers.text_lines import Line, read_lines
from rescity.knowledge.domain.gazetteer import city_data, find_city
from rescity.knowledge.domain.model import (
    EventData,
    ImportResult,
    PairingData,
    PartnerData,
    ProgrammeData,
    slugify,
)

FORMAT = "iuc-slides"
CN_PILOTS = re.compile(r"^\s*Chinese Pilot Cities\b(?P<period>.*)$", re.I)
EU_PILOTS = re.compile(r"^\s*Selected EU Pilot Cities\b", re.I)
CLUSTERS_START = re.compile(r"^\s*Possible Cooperation Projects in each cluster", re.I)
PAIRING = re.compile(
    r"^\s*Pilot Project Example\s+(?P<a>[A-Z][\w' -]+?)\s*/\s*(?P<b>[A-Z][\w' -]+?)\s*$"
)
DATED = re.compile(r"^\s*©\s*(?P<date>[A-Z]+\s+\d{1,2},\s*\d{4})", re.I)
CLUSTER_CODES = [
    ("iuc-mobility", ("mobility", "connectivity")),
    ("iuc-smart", ("smart", "digital")),
    ("iuc-health", ("health", "med")),
    ("iuc-culture", ("culture", "tourism", "education")),
    ("iuc-circular", ("circular",)),
]
EVENT_TYPES = [
    ("visit", "visit"),
    ("delegation", "delegation"),
    ("welcomes", "delegation"),
    ("workshop", "workshop"),
    ("forum", "forum"),
    ("meeting", "meeting"),
]


_MONTH = (
    r"(?P<mon>January|February|March|April|May|June|July|August|September|October|"
    r"November|December)"
)
_ORD = r"(?:st|nd|rd|th)?"
_RANGE = re.compile(rf"\b(?P<d1>\d{{1,2}}){_ORD}\s*[–-]\s*(?P<d2>\d{{1,2}}){_ORD}\s+{_MONTH}", re.I)
_ON = re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}}),\s*(?P<y>\d{{4}})", re.I)


def own_dates(text: str, published: date) -> tuple[date, date, str]:
    """The event's own dates from the news text ("14th – 17th August", "On January 17,
    2018"); a day and month without a year is the latest such day on or before publication.
    Falls back to the publication date, and says so."""
    m = _RANGE.search(text)
    if m is not None:
        month = datetime.strptime(m["mon"].title(), "%B").month
        year = published.year if month <= published.month else published.year - 1
        try:
            return date(year, month, int(m["d1"])), date(year, month, int(m["d2"])), ""
        except ValueError:
            pass
    m = _ON.search(text)
    if m is not None:
        try:
            day = datetime.strptime(f"{m['mon'].title()} {m['d']} {m['y']}", "%B %d %Y").date()
            return day, day, ""
        except ValueError:
            pass
    return published, published, "publication date of the news item"


def _cluster_code(name: str) -> str:
    lowered = name.lower()
    for code, words in CLUSTER_CODES:
        if any(w in lowered for w in words):
            return code
    return ""


def parse(path: Path) -> ImportResult:
    lines = read_lines(path)
    result = ImportResult(source=path.name, format=FORMAT)
    programme = ProgrammeData(
        key="iuc-asia",
        name_en="International Urban Cooperation (IUC) EU–China",
        name_zh="欧盟国际城镇合作项目（IUC）中国",
    )
    _pilots(lines, programme, result)
    _clusters(lines, programme, result)
    _pairing_and_events(lines, programme, result)
    if not programme.partners and not programme.clusters:
        raise DataFileError(
            str(path), "no pilot cities and no clusters found: not IUC slides", line=1
        )
    result.programmes.append(programme)
    return result


def _pilots(lines: list[Line], programme: ProgrammeData, result: ImportResult) -> None:
    for i, line in enumerate(lines):
        m = CN_PILOTS.match(line.text)
        if m is None:
            continue
        programme.period = m["period"].strip()
        for follow in lines[i + 1 :]:
            if follow.blank:
                continue
            if EU_PILOTS.match(follow.text) or (
                "," not in follow.text and find_city(follow.text.strip()) is None
            ):
                break
            for name in (n.strip() for n in follow.text.split(",")):
                if not name:
                    continue
                city = city_data(name, country="CN")
                if not city.name_zh:
                    result.warn(follow.number, "city", f"no Chinese name known for {name!r}")
                result.cities.append(city)
                programme.partners.append(PartnerData(city.key, "cn", role="pilot"))
        break
    for i, line in enumerate(lines):
        if EU_PILOTS.match(line.text):
            nxt = next((f for f in lines[i + 1 :] if not f.blank), None)
            if nxt is None or find_city(nxt.text.split(",")[0].strip()) is None:
                result.warn(
                    line.number,
                    "EU pilot cities",
                    "the list is not in the text (an image on the slide); only the "
                    "pilot pairings name EU pilots",
                )


def _clusters(lines: list[Line], programme: ProgrammeData, result: ImportResult) -> None:
    start = next((i for i, ln in enumerate(lines) if CLUSTERS_START.match(ln.text)), None)
    if start is None:
        result.warn(None, "clusters", "no 'Possible Cooperation Projects in each cluster' slide")
        return
    i = start + 1
    while i < len(lines):
        text = lines[i].text.strip()
        if re.fullmatch(r"\d", text):
            name_parts = []
            j = i + 1
            while j < len(lines) and not re.match(r"^\d+\.|^\d$", lines[j].text.strip()):
                if lines[j].text.strip():
                    name_parts.append(lines[j].text.strip())
                j += 1
            name = " ".join(name_parts)
            code = _cluster_code(name)
            if code:
                programme.clusters.append(code)
            else:
                result.warn(lines[i].number, "cluster", f"cluster {name!r} matches no IUC cluster")
            i = j
            continue
        if PAIRING.match(text) or text.startswith("Pilot Project"):
            break
        i += 1


def _pairing_and_events(lines: list[Line], programme: ProgrammeData, result: ImportResult) -> None:
    for line in lines:
        m = PAIRING.match(line.text)
        if m is None:
            continue
        a, b = city_data(m["a"]), city_data(m["b"])
        for city in (a, b):
            result.cities.append(city)
            if (
                city.country
                and city.country != "CN"
                and all(p.city_key != city.key for p in programme.partners)
            ):
                programme.partners.append(PartnerData(city.key, "eu", role="pilot"))
        programme.pairings.append(PairingData(a.key, b.key, "pilot project", line.number))
    for i, line in enumerate(lines):
        m = DATED.match(line.text)
        if m is None:
            continue
        try:
            when = datetime.strptime(re.sub(r"\s+", " ", m["date"].title()), "%B %d, %Y").date()
        except ValueError:
            result.warn(line.number, "event date", f"cannot read date {m['date']!r}")
            continue
        back = [
            ln
            for ln in lines[max(0, i - 15) : i]
            if ln.text.strip() and ln.text.strip() != "IUC ASIA"
        ]
        title = back[-1].text.strip() if back else ""
        outputs = []
        for follow in lines[i + 1 : i + 6]:
            if follow.text.startswith(("←", "EU's", "Field and")):
                break
            if follow.text.strip():
                outputs.append(follow.text.strip())
        kind = next((t for word, t in EVENT_TYPES if word in title.lower()), "news")
        start, end, note = own_dates(" ".join(outputs), when)
        participants = sorted(
            {c.key for w in re.findall(r"[A-Z][a-z]+", title) if (c := find_city(w)) is not None}
        )
        programme.events.append(
            EventData(
                key=f"iuc-{when.isoformat()}-{slugify(title, max_len=50)}",
                type=kind,
                date=start.isoformat(),
                end_date=end.isoformat() if end != start else "",
                date_note=note,
                title=title,
                participants=participants,
                outputs="\n".join(outputs),
                source_line=line.number,
            )
        )
