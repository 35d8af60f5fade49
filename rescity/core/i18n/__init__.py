"""Message catalogs for zh and en: templates and messages never hard-code user-facing text.

Catalogs are flat TOML tables (``key = "text"``) under ``catalogs/``; a module may add its own
catalog file named ``<module>.<lang>.toml``. A key missing in one language falls back to the
other and is logged, and tests check both catalogs have the same keys.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable
from functools import cache
from importlib import resources

LANGUAGES = ("zh", "en")
log = logging.getLogger(__name__)

Translator = Callable[..., str]


@cache
def catalog(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language '{lang}'")
    merged: dict[str, str] = {}
    folder = resources.files("rescity.core.i18n").joinpath("catalogs")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(f"{lang}.toml"):
            data = tomllib.loads(entry.read_text("utf-8"))
            merged.update({k: str(v) for k, v in data.items()})
    return merged


def translator(lang: str) -> Translator:
    primary = catalog(lang)
    other = catalog("en" if lang == "zh" else "zh")

    def t(key: str, **params: object) -> str:
        text = primary.get(key)
        if text is None:
            log.warning("message '%s' missing in the %s catalog", key, lang)
            text = other.get(key, key)
        return text.format(**params) if params else text

    return t


def negotiate(accept_language: str | None, default: str) -> str:
    """Pick zh or en from an Accept-Language header."""
    if not accept_language:
        return default
    best, best_q = default, -1.0
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        lang = tag.strip().lower()[:2]
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if lang in LANGUAGES and weight > best_q:
            best, best_q = lang, weight
    return best
