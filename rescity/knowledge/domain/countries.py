"""Countries by ISO 3166-1 alpha-2 code, with Chinese and English labels.

Records, facets and filters use the code only; what people type or older rows hold ("China",
中国, "cn", "People's Republic of China") is resolved to it by :func:`country_code`, so one
country never shows up twice.
"""

from __future__ import annotations

from functools import cache

from rescity.knowledge.domain.taxonomy import read_data

# Other names in use for a country (lower-cased), beyond its en/zh labels in cities.toml.
_ALIASES = {
    "prc": "CN",
    "p.r. china": "CN",
    "people's republic of china": "CN",
    "peoples republic of china": "CN",
    "中华人民共和国": "CN",
    "mainland china": "CN",
    "czech republic": "CZ",
    "the netherlands": "NL",
    "holland": "NL",
    "uk": "GB",
    "united kingdom": "GB",
}


@cache
def _names() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, info in read_data("cities.toml").get("country", {}).items():
        out[code.lower()] = code
        for lang in ("en", "zh"):
            if info.get(lang):
                out[str(info[lang]).strip().lower()] = code
    for alias, code in _ALIASES.items():
        out.setdefault(alias, code)
    return out


def country_code(text: str) -> str:
    """The ISO code for a code or a name in either language; "" when unknown or empty."""
    key = (text or "").strip().lower()
    if not key:
        return ""
    return _names().get(key, "")


def country_label(code: str, lang: str) -> str:
    """The country's name in ``lang`` (the code itself when the table does not know it)."""
    info = read_data("cities.toml").get("country", {}).get(code, {})
    return str(info.get(lang) or info.get("en") or code)


def countries() -> list[tuple[str, str, str]]:
    """(code, en, zh) of every country the reference table knows, by code."""
    table = read_data("cities.toml").get("country", {})
    return sorted((c, str(i.get("en", c)), str(i.get("zh", ""))) for c, i in table.items())
