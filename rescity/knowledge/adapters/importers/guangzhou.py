"""Importer for the Guangzhou International Award collections (English text).

The layout of one case, as the 6th collection prints it::

    <title, one or two lines>            (sometimes missing: then the CONTENTS entry is used)
    <emoji> <City>, China                (the case start)
    <jury summary paragraph>
    BASIC CITY DATA [(scope)]
    Population size: 3,036,100 Surface Area (sq.km): 9,752     (several figures on one line)
    Population Density (people/sq.km): 268
    GDP Per Capita (U.S.\\$): 8,590                               (may be empty)
    Main Source of Prosperity: Agriculture, tourism, and ...     (may continue on later lines)
    CITY, CHINA                          (page headers repeat through the case)
    Abstract / Background ... / Key Measures / Innovative Aspects / Desired ... Outcome / Lessons

The data block may also come before the title of its case; it is then given to the case whose
page header follows it, or else to the next case when no section heading lies between them.
Everything the importer could not read is reported as an issue with its line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rescity.core.errors import DataFileError
from rescity.knowledge.adapters.importers.text_lines import Line, paragraphs, read_lines
from rescity.knowledge.domain.figures import parse_figure
from rescity.knowledge.domain.gazetteer import city_data
from rescity.knowledge.domain.model import (
    ImportResult,
    InitiativeData,
    ProfileData,
    density_mismatch,
    slugify,
)
from rescity.knowledge.domain.outcomes import extract_figures
from rescity.knowledge.domain.taxonomy import auto_tags, read_data

FORMAT = "guangzhou-award"
AWARD_YEARS = {1: 2012, 2: 2014, 3: 2016, 4: 2018, 5: 2021, 6: 2023}
_COUNTRIES = "China|Spain|Italy|Germany|France|Greece|Poland|Japan|Korea|Singapore|India|Brazil"
CITY_LINE = re.compile(
    rf"^\s*(?:[^\w\s,]{{1,4}}\s*)?(?P<city>[A-Z][A-Za-z.'\- ]{{1,40}}?)"
    rf"\s*,\s*(?P<country>{_COUNTRIES})\s*$"
)
PAGE_HEADER = re.compile(
    rf"^\s*(?P<city>[A-Z][A-Z.'\- ]{{1,40}}?)\s*,\s*(?P<country>{_COUNTRIES.upper()})\s*$"
)
DATA_HEADING = re.compile(r"^\s*basic city data\s*(?:\((?P<scope>[^)]*)\))?\s*$", re.I)
CONTENTS_HEADING = re.compile(r"^\s*contents\s*$", re.I)
CONTENTS_ENTRY = re.compile(
    r"^\s*(?:(?P<page>\d{1,3})\s+)?(?P<city>[A-Z][A-Za-z .'\-]{1,40}):\s+(?P<title>\S.*\S)\s*$"
)
EDITION = re.compile(r"\bThe (\d+)(?:st|nd|rd|th) Guangzhou International Award", re.I)

SECTION_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("abstract", re.compile(r"^abstract$", re.I)),
    ("background", re.compile(r"^background\b.{0,40}$", re.I)),
    ("key_measures", re.compile(r"^(?:key\s+)?measures\b.{0,40}$|^implementation$", re.I)),
    ("innovative_aspects", re.compile(r"^(?:key\s+)?innovative aspects$", re.I)),
    (
        "outcomes",
        re.compile(
            r"^(?:(?:desired|expected)\b.{0,30}(?:outcomes?|change)|project schedule)$", re.I
        ),
    ),
    ("lessons", re.compile(r"^lessons(?: learned| learnt)?$", re.I)),
]

_LABELS: list[tuple[str, str]] = [
    ("population", r"Population size\s*:"),
    ("growth", r"Population Growth Rate\s*\(\s*%\s*\)\s*:"),
    ("area", r"Surface Area\s*\(\s*sq\.?\s*km\.?\s*\)\s*:"),
    ("density", r"Population Density\s*\(\s*people\s*/\s*sq\.?\s*km\.?\s*\)\s*:"),
    ("gdp", r"GDP Per Capita\s*\((?P<cur>[^)]*)\)\s*:"),
    ("gini", r"GINI Index\s*:"),
    ("prosperity", r"Main Sources? of Prosperity\s*:"),
]
LABEL = re.compile("|".join(f"(?P<{name}>{pat})" for name, pat in _LABELS), re.I)


@dataclass
class _Case:
    city_line: int  # index into lines
    city: str
    country: str
    title: str = ""
    title_line: int | None = None
    start: int = 0  # first index of the case (title or city line)
    data_block: tuple[int, int] | None = None  # [start, end) indexes


@dataclass
class _Block:
    start: int
    end: int
    scope: str
    header_city: str = ""
    values: dict[str, tuple[str, int]] = field(default_factory=dict)  # label → (raw, line no)


def _section_of(text: str) -> str | None:
    stripped = text.strip().rstrip(":")
    if not stripped or len(stripped) > 60:
        return None
    for name, pattern in SECTION_PATTERNS:
        if pattern.match(stripped):
            return name
    return None


def _is_title_like(text: str) -> bool:
    t = text.strip()
    return (
        0 < len(t) <= 200
        and not t.endswith((".", ":", ";", ","))
        and _section_of(t) is None
        and not PAGE_HEADER.match(t)
        and not DATA_HEADING.match(t)
        and not LABEL.match(t)
        and t[:1].isupper()
        and not CONTENTS_HEADING.match(t)
    )


def _norm(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def parse(path: Path) -> ImportResult:
    """Read one collection file; raises DataFileError when it holds no case at all."""
    lines = read_lines(path)
    result = ImportResult(source=path.name, format=FORMAT)
    full_text = "\n".join(line.text for line in lines)
    edition_match = EDITION.search(full_text)
    edition = int(edition_match.group(1)) if edition_match else None
    year = AWARD_YEARS.get(edition) if edition else None
    prefix = f"gz{edition}" if edition else "gz"

    cases = _find_cases(lines)
    if not cases:
        raise DataFileError(
            str(path),
            "no case found: expected a line like '<City>, China' after each title",
            line=1,
        )
    contents = _contents(lines, cases[0].start)
    blocks = _data_blocks(lines)
    _assign_blocks(lines, cases, blocks, result)

    seen_keys: dict[str, int] = {}
    for i, case in enumerate(cases):
        end = cases[i + 1].start if i + 1 < len(cases) else len(lines)
        initiative = _read_case(lines, case, end, blocks, contents, result, year)
        base = f"{prefix}-{slugify(initiative.city_key)}"
        seen_keys[base] = seen_keys.get(base, 0) + 1
        initiative.key = base if seen_keys[base] == 1 else f"{base}-{seen_keys[base]}"
        initiative.source_document = f"{path.name}:{lines[case.city_line].number}"
        listed = contents.get(_norm(case.city))
        initiative.source_page = listed[1] if listed else None
        initiative.source_section = f"{initiative.title_en}, {case.city}"
        zh_title = read_data("seed_translations.toml").get(initiative.key, {}).get("title_zh")
        if zh_title:
            initiative.title_zh = zh_title
        result.initiatives.append(initiative)
    return result


def _find_cases(lines: list[Line]) -> list[_Case]:
    cases: list[_Case] = []
    for idx, line in enumerate(lines):
        m = CITY_LINE.match(line.text)
        if m is None or m["city"].isupper():
            continue
        city = re.sub(r"\s+", " ", m["city"]).strip()
        case = _Case(city_line=idx, city=city, country=m["country"], start=idx)
        # the title: the block of short lines right above, if it looks like one
        j = idx - 1
        while j >= 0 and lines[j].blank:
            j -= 1
        title_lines: list[int] = []
        while (
            j >= 0 and not lines[j].blank and _is_title_like(lines[j].text) and len(title_lines) < 3
        ):
            title_lines.insert(0, j)
            j -= 1
        previous_end = cases[-1].city_line if cases else -1
        title_lines = [k for k in title_lines if k > previous_end]
        if title_lines and (j < 0 or lines[j].blank):
            case.title = " ".join(lines[k].text.strip() for k in title_lines)
            case.title_line = lines[title_lines[0]].number
            case.start = title_lines[0]
        cases.append(case)
    return cases


def _contents(lines: list[Line], first_case: int) -> dict[str, tuple[str, int | None]]:
    """CONTENTS entries by city: (title, page number when the entry gives one)."""
    entries: dict[str, tuple[str, int | None]] = {}
    in_contents = False
    for line in lines[:first_case]:
        if CONTENTS_HEADING.match(line.text):
            in_contents = True
            continue
        m = CONTENTS_ENTRY.match(line.text) if in_contents else None
        if m:
            page = int(m["page"]) if m["page"] else None
            entries.setdefault(_norm(m["city"]), (m["title"].strip(), page))
    return entries


def _data_blocks(lines: list[Line]) -> list[_Block]:
    blocks: list[_Block] = []
    idx = 0
    while idx < len(lines):
        m = DATA_HEADING.match(lines[idx].text)
        if m is None:
            idx += 1
            continue
        block = _Block(start=idx, end=idx + 1, scope=(m["scope"] or "").strip())
        j = idx + 1
        last_label = ""
        while j < len(lines):
            text = lines[j].text
            if lines[j].blank:
                j += 1
                continue
            header = PAGE_HEADER.match(text)
            if header:
                block.header_city = header["city"]
                j += 1
                break
            if (
                _section_of(text)
                or CITY_LINE.match(text)
                or DATA_HEADING.match(text)
                or CONTENTS_HEADING.match(text)
            ):
                break
            found = list(LABEL.finditer(text))
            if found:
                for k, lm in enumerate(found):
                    name = lm.lastgroup or ""
                    if name == "cur" or not name:
                        name = next(n for n, _ in _LABELS if lm.group(n))
                    stop = found[k + 1].start() if k + 1 < len(found) else len(text)
                    value = text[lm.end() : stop].strip()
                    if name == "gdp":
                        block.values["gdp_currency"] = (lm["cur"] or "", lines[j].number)
                    block.values[name] = (value, lines[j].number)
                    last_label = name
                j += 1
                block.end = j
                continue
            if last_label == "prosperity" and _continues(block.values["prosperity"][0], text):
                raw, number = block.values["prosperity"]
                block.values["prosperity"] = ((raw + " " + text.strip()).strip(), number)
                j += 1
                block.end = j
                continue
            break
        block.end = max(block.end, j if block.header_city else block.end)
        blocks.append(block)
        idx = max(j, idx + 1)
    return blocks


def _continues(previous: str, text: str) -> bool:
    """A prosperity list goes on when the line starts in lower case or the last one was cut."""
    t = text.strip()
    prev = previous.rstrip()
    return (
        bool(t)
        and (t[0].islower() or prev.endswith((",", " and", " or", "&")) or not prev)
        and len(t) < 120
        and not t.endswith(".")
    )


def _assign_blocks(
    lines: list[Line], cases: list[_Case], blocks: list[_Block], result: ImportResult
) -> None:
    for block in blocks:
        owner: _Case | None = None
        if block.header_city:
            named = [c for c in cases if _norm(c.city) == _norm(block.header_city)]
            if len(named) == 1:
                owner = named[0]
        if owner is None:
            before = [c for c in cases if c.city_line < block.start]
            after = [c for c in cases if c.city_line > block.start]
            if after and not any(
                _section_of(lines[k].text) for k in range(block.end, after[0].city_line)
            ):
                owner = after[0]
            elif before:
                owner = before[-1]
        if owner is None:
            result.warn(
                lines[block.start].number,
                "basic city data",
                "data block belongs to no case; ignored",
            )
            continue
        if owner.data_block is not None:
            result.warn(
                lines[block.start].number,
                "basic city data",
                "second data block for the same case; ignored",
                case=owner.city,
            )
            continue
        owner.data_block = (block.start, block.end)
        if owner.start > block.start and owner.city_line > block.start:
            # the block comes before the title: the case starts at the block
            owner.start = min(owner.start, block.start)


def _read_case(
    lines: list[Line],
    case: _Case,
    end: int,
    blocks: list[_Block],
    contents: dict[str, tuple[str, int | None]],
    result: ImportResult,
    year: int | None,
) -> InitiativeData:
    city = city_data(case.city, country=case.country)
    if not city.country:
        city.country = "CN" if case.country == "China" else ""
    if not city.name_zh:
        result.warn(
            lines[case.city_line].number,
            "city",
            f"no Chinese name known for {case.city!r} (add it to data/cities.toml)",
            case=case.city,
        )
    if city.key not in {c.key for c in result.cities}:
        result.cities.append(city)
    label = city.name_en
    title = case.title
    listed = contents.get(_norm(case.city), ("", None))[0]
    if not title:
        if listed:
            title = listed
            result.warn(
                lines[case.city_line].number,
                "title",
                "no title above the city line; taken from CONTENTS",
                case=label,
            )
        else:
            title = f"{city.name_en} initiative"
            result.warn(
                lines[case.city_line].number,
                "title",
                "no title found (neither above the city line nor in CONTENTS)",
                case=label,
            )
    elif listed and _norm(listed) == _norm(title):
        title = listed  # same words; the contents line keeps its hyphens

    item = InitiativeData(
        key="",
        city_key=city.key,
        title_en=title,
        year=year,
        source_line=lines[case.city_line].number,
    )
    if city.name_zh:
        item.title_zh = f"{city.name_zh}：{title}"

    block = next((b for b in blocks if case.data_block and b.start == case.data_block[0]), None)
    if block is None:
        result.warn(
            lines[case.city_line].number, "basic city data", "no data block found", case=label
        )
    else:
        result.profiles[city.key] = _profile(block, result, label, year)

    skip = set(range(*case.data_block)) if case.data_block else set()
    sections: dict[str, list[Line]] = {"summary": []}
    current = "summary"
    start = case.city_line + 1
    for idx in range(min(start, case.start), end):
        if idx <= case.city_line and idx not in skip:
            continue
        if idx in skip:
            continue
        line = lines[idx]
        header = PAGE_HEADER.match(line.text)
        if header:
            if _norm(header["city"]) != _norm(case.city):
                result.warn(
                    line.number,
                    "page header",
                    f"page header names {header['city'].title()} inside the "
                    f"{case.city} case; ignored",
                    case=label,
                )
            continue
        section = _section_of(line.text)
        if section:
            current = section
            sections.setdefault(current, [])
            if line.text.strip().lower().startswith("project schedule"):
                sections[current].append(Line(line.number, ""))
                sections[current].append(Line(line.number, "Project schedule:"))
            continue
        sections.setdefault(current, []).append(line)

    def text_of(name: str) -> str:
        return "\n\n".join(p for _, p in paragraphs(sections.get(name, [])))

    item.summary_en = text_of("summary")
    item.abstract_en = text_of("abstract")
    item.background_en = text_of("background")
    item.key_measures_en = [
        _strip_marker(p) for _, p in paragraphs(sections.get("key_measures", []))
    ]
    item.innovative_aspects_en = text_of("innovative_aspects")
    item.outcomes_en = text_of("outcomes")
    item.lessons_en = text_of("lessons")
    for name in ("abstract", "key_measures", "outcomes"):
        if not sections.get(name):
            result.warn(lines[case.city_line].number, name, "section not found", case=label)
    item.figures = extract_figures(
        "\n".join([item.outcomes_en, *item.key_measures_en, item.innovative_aspects_en])
    )
    everything = "\n".join(
        [item.background_en, item.innovative_aspects_en, item.outcomes_en, item.lessons_en]
    )
    item.tags = auto_tags(
        " ".join([item.title_en, item.summary_en, item.abstract_en, *item.key_measures_en]),
        whole_text=everything + "\n" + item.abstract_en + " ".join(item.key_measures_en),
        background=item.background_en,
    )
    if not item.tags:
        result.warn(
            lines[case.city_line].number,
            "tags",
            "no theme or SDG recognised: the record is in no facet until an editor tags it",
            case=label,
        )
    return item


def _strip_marker(text: str) -> str:
    return re.sub(
        r"^(?:-\s*)?(?:\(?\d{1,2}\)|\d{1,2}\.(?!\d)|\([a-z]\)|\(?[ivx]{1,4}\)|[ivx]{1,4}\.)\s*",
        "",
        text,
    ).strip()


def _profile(block: _Block, result: ImportResult, case: str, year: int | None) -> ProfileData:
    values = block.values
    profile = ProfileData(year=year, scope_note=block.scope)
    profile.source = f"{Path(result.source).name}:{block.start + 1}"

    def number(name: str, field_: str, *, required: bool = True) -> float | None:
        if name not in values:
            if required:
                result.warn(block.start + 1, field_, "not given", case=case)
            return None
        raw, line_no = values[name]
        fig = parse_figure(raw)
        if fig.value is None:
            result.warn(
                line_no, field_, fig.problem if fig.problem != "missing" else "empty", case=case
            )
        elif fig.qualifier:
            profile.notes[field_] = fig.qualifier
        if fig.raw.strip() and fig.value is not None and re.search(r"\d,\s\d", fig.raw):
            profile.notes.setdefault(field_, f"read {fig.raw.strip()!r} as {fig.value:g}")
        return fig.value

    pop = number("population", "population")
    profile.population = round(pop) if pop is not None else None
    profile.land_area_km2 = number("area", "land_area_km2")
    profile.stated_density = number("density", "stated_density")
    profile.gdp_per_capita = number("gdp", "gdp_per_capita")
    profile.growth_rate_pct = number("growth", "growth_rate_pct", required=False)
    currency = values.get("gdp_currency", ("", 0))[0]
    profile.gdp_currency = "USD" if re.search(r"U\.?\s*S|\$|USD", currency) else (currency or "USD")
    profile.gdp_year = year
    raw_prosperity = values.get("prosperity", ("", 0))[0]
    profile.prosperity = _split_list(raw_prosperity)
    if not profile.prosperity:
        result.warn(
            block.start + 1, "prosperity", "main sources of prosperity not given", case=case
        )
    gap = density_mismatch(profile)
    if gap is not None:
        result.warn(
            values["density"][1],
            "stated_density",
            f"stated density {profile.stated_density:g} differs from population/area "
            f"{profile.density:.0f} by {gap:.0%}",
            case=case,
        )
    if block.scope:
        result.warn(
            block.start + 1,
            "basic city data",
            f"figures describe {block.scope!r}, not the whole city",
            case=case,
        )
    return profile


def _split_list(raw: str) -> list[str]:
    parts = [p.strip(" .;") for p in re.split(r",|;", raw)]
    out = []
    for p in parts:
        p = re.sub(r"^(?:and|or)\s+", "", p).strip()
        if p:
            out.append(p[:1].upper() + p[1:])
    return out
