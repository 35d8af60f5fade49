"""Importer for the IURC China news page (Chinese): the partner lists and named pairings.

The announcement of the partner cities lists the 22 Chinese cities after "它们是：" and the
22 European cities and regions, each with its country in brackets, after
"伙伴城市及区域为：". A pairing is read from any sentence that names exactly one Chinese
and one European partner together with 合作 (cooperation) or 共建 (build together), e.g.
"意大利的拉齐奥大区和中国郑州展示了农业食品创新驱动的合作".
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from rescity.core.errors import DataFileError
from rescity.knowledge.adapters.importers.iurc_events import parse_events
from rescity.knowledge.adapters.importers.text_lines import Line, read_lines
from rescity.knowledge.domain.gazetteer import find_city, known_cities
from rescity.knowledge.domain.model import (
    CityData,
    ImportResult,
    PairingData,
    PartnerData,
    ProgrammeData,
)
from rescity.knowledge.domain.taxonomy import read_data

FORMAT = "iurc-news"
CN_LIST = re.compile(r"它们是\s*[:：]\s*(?P<list>[^。]+)。")
EU_LIST = re.compile(r"伙伴城市及区域为\s*[:：]\s*(?P<list>[^。]+)。")
PERIOD = re.compile(r"在\s*(?P<period>(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d)\s*年期间")
_ITEM = re.compile(r"^(?P<name>[^(（]+?)\s*(?:[(（]\s*(?P<country>[^)）]+?)\s*[)）])?$")
_SENTENCE = re.compile(r"[^。；;！!？?,，\n]+")


def _country_code(zh: str) -> str:
    for code, info in read_data("cities.toml")["country"].items():
        if info.get("zh") == zh.strip():
            return str(code)
    return ""


def _locate(lines: list[Line], needle: str) -> int | None:
    for line in lines:
        if needle in line.text:
            return line.number
    return None


def _city_for(name: str, country: str, result: ImportResult, line: int | None) -> CityData:
    known = find_city(name)
    if known is not None:
        return known.data()
    result.warn(
        line, "city", f"{name!r} is not in data/cities.toml: stored without an English name"
    )
    key = "city-" + hashlib.sha1(name.encode()).hexdigest()[:10]  # noqa: S324 - a key, not security
    return CityData(key, "", name, country)


def parse(path: Path) -> ImportResult:
    lines = read_lines(path)
    text = "\n".join(line.text for line in lines)
    result = ImportResult(source=path.name, format=FORMAT)
    cn_match, eu_match = CN_LIST.search(text), EU_LIST.search(text)
    if cn_match is None or eu_match is None:
        missing = "Chinese (它们是：…)" if cn_match is None else "European (伙伴城市及区域为：…)"
        raise DataFileError(str(path), f"no list of {missing} partner cities found", line=1)
    cn_line = text[: cn_match.start()].count("\n") + 1
    eu_line = text[: eu_match.start()].count("\n") + 1
    period = PERIOD.search(text)
    programme = ProgrammeData(
        key="iurc-china",
        name_en="International Urban and Regional Cooperation (IURC) China",
        name_zh="欧盟国际城市与区域合作项目（IURC）中国",
        period=re.sub(r"\s", "", period["period"]) if period else "",
    )
    names: dict[str, tuple[str, str]] = {}  # surface name → (city key, region)
    for raw in re.split(r"[、,，]", cn_match["list"]):
        name = raw.strip()
        if not name:
            continue
        city = _city_for(name, "CN", result, cn_line)
        result.cities.append(city)
        programme.partners.append(PartnerData(city.key, "cn"))
        names[name] = (city.key, "cn")
    for raw in re.split(r"[、]", eu_match["list"]):
        m = _ITEM.match(raw.strip())
        if m is None or not m["name"].strip():
            if raw.strip():
                result.warn(eu_line, "partner", f"cannot read {raw.strip()!r}")
            continue
        country = _country_code(m["country"] or "")
        if m["country"] and not country:
            result.warn(eu_line, "country", f"unknown country {m['country']!r}")
        city = _city_for(m["name"].strip(), country, result, eu_line)
        if not city.country:
            city.country = country
        result.cities.append(city)
        programme.partners.append(PartnerData(city.key, "eu"))
        names[m["name"].strip()] = (city.key, "eu")
    for p in programme.partners:
        known = known_cities().get(p.city_key)
        for alias in known.aliases if known else ():
            names.setdefault(alias, (p.city_key, p.region))
        if known is not None:
            names.setdefault(known.zh, (p.city_key, p.region))
    programme.pairings = _pairings(lines, names)
    programme.events = parse_events(lines, names, result)
    result.programmes.append(programme)
    for label, count in (
        ("Chinese", sum(p.region == "cn" for p in programme.partners)),
        ("European", sum(p.region == "eu" for p in programme.partners)),
    ):
        if count != 22:
            result.warn(None, "partners", f"{count} {label} partners found, the page announces 22")
    return result


def _pairings(lines: list[Line], names: dict[str, tuple[str, str]]) -> list[PairingData]:
    found: dict[tuple[str, str], PairingData] = {}
    ordered = sorted(names, key=len, reverse=True)
    for line in lines:
        for sentence in _SENTENCE.findall(line.text):
            if "合作" not in sentence and "共建" not in sentence:
                continue
            hits: dict[str, set[str]] = {"cn": set(), "eu": set()}
            rest = sentence
            for name in ordered:
                if name in rest:
                    key, region = names[name]
                    hits[region].add(key)
                    rest = rest.replace(name, "　")
            if len(hits["cn"]) == 1 and len(hits["eu"]) == 1:
                eu, cn = next(iter(hits["eu"])), next(iter(hits["cn"]))
                found.setdefault((eu, cn), PairingData(eu, cn, sentence.strip()[:300], line.number))
    return list(found.values())
