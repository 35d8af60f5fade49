"""Facility taxonomy: the declarative rule table and the classifier that applies it.

The rules live in ``data/facilities.toml`` (a data file, not code) so that planners can read
and extend them; this module only parses and applies them. Parsing validates every field and
raises one :class:`DataFileError` that names the file and the offending item.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from rescity.core.errors import DataFileError

NAME_KEYS = ("name", "name:zh", "name:en", "official_name", "name:zh-Hans")
_NAME_SET = frozenset(NAME_KEYS)


@dataclass(frozen=True)
class Rule:
    """One conjunction of conditions; see the header of ``facilities.toml``."""

    tags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    name: tuple[str, ...] = ()
    not_name: tuple[str, ...] = ()
    not_tags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    named: bool = False

    @property
    def name_only(self) -> bool:
        """True when the rule tests no tag, only names (it is skipped for streets, stops)."""
        return not self.tags and bool(self.name)

    def matches(self, tags: Mapping[str, str], names: Sequence[str]) -> bool:
        for key, values in self.tags.items():
            value = tags.get(key)
            if value is None or ("*" not in values and value not in values):
                return False
        if any(key in tags for key in self.absent):
            return False
        if any(tags.get(key) in values for key, values in self.not_tags.items()):
            return False
        if self.named and not names:
            return False
        if self.name and not any(sub in n for n in names for sub in self.name):
            return False
        return not (self.not_name and any(sub in n for n in names for sub in self.not_name))


@dataclass(frozen=True)
class Item:
    """A facility item (one row of Table 2, or a resilience class)."""

    id: str
    en: str
    zh: str
    group: str
    rules: tuple[Rule, ...]
    area: bool = False


@dataclass(frozen=True)
class Taxonomy:
    """All items, in file order; ``index`` maps an item id to its column in result arrays."""

    items: tuple[Item, ...]
    name_rules_skip_keys: frozenset[str]
    # key -> (value -> candidate rules, rules taking any value of the key)
    _by_key: dict[str, tuple[dict[str, list[tuple[int, Rule]]], list[tuple[int, Rule]]]] = \
        field(init=False, repr=False, compare=False)
    _by_name: list[tuple[int, Rule]] = field(init=False, repr=False, compare=False)
    _name_hint: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A lookup on (key, value) compiled once: the reader classifies every tagged object
        # of a file, and most of them (streets, plain buildings) meet no rule at all, so
        # classifying them must cost one dictionary look-up per tag, not a loop over rules.
        # Each rule is filed under one key it requires (and that key's values); ``matches``
        # still decides, so the result is the rule table's exactly.
        by_key: dict[str, tuple[dict[str, list[tuple[int, Rule]]], list[tuple[int, Rule]]]] = {}
        by_name: list[tuple[int, Rule]] = []
        subs: set[str] = set()
        for i, item in enumerate(self.items):
            for rule in item.rules:
                if rule.tags:
                    key, values = next(iter(rule.tags.items()))
                    by_value, any_value = by_key.setdefault(key, ({}, []))
                    if "*" in values:
                        any_value.append((i, rule))
                    else:
                        for value in values:
                            by_value.setdefault(value, []).append((i, rule))
                else:
                    by_name.append((i, rule))
                    subs.update(rule.name)
        hint = re.compile("|".join(re.escape(s) for s in sorted(subs))) if subs else None
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_name_hint", hint)

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items]

    def index(self, item_id: str) -> int:
        for i, item in enumerate(self.items):
            if item.id == item_id:
                return i
        raise KeyError(item_id)

    @property
    def keys(self) -> set[str]:
        """Every tag key a rule looks at; the OSM reader filters on these in C++."""
        keys: set[str] = set(NAME_KEYS)
        for item in self.items:
            for rule in item.rules:
                keys.update(rule.tags)
        return keys

    def classify(self, tags: Mapping[str, str]) -> list[int]:
        """Indices of every item the tags belong to (an object may serve several items)."""
        candidates: list[tuple[int, Rule]] = []
        by_key = self._by_key
        for key, value in tags.items():
            entry = by_key.get(key)
            if entry is not None:
                candidates += entry[0].get(value, ())
                candidates += entry[1]
        names: list[str] | None = None
        if (self._name_hint is not None and not _NAME_SET.isdisjoint(tags)
                and self.name_rules_skip_keys.isdisjoint(tags)):
            names = [tags[k].lower() for k in NAME_KEYS if k in tags]
            # Every name-only rule needs one of its substrings in a name: one regex search
            # over all of them rules out most named objects at once.
            if self._name_hint.search("\x00".join(names)):
                candidates += self._by_name
        if not candidates:
            return []
        if names is None:
            names = [tags[k].lower() for k in NAME_KEYS if k in tags]
        found: set[int] = set()
        for i, rule in candidates:
            if i not in found and rule.matches(tags, names):
                found.add(i)
        return sorted(found)


# Natural areas counted as green space by ``environment.natural_green`` (off by default: the
# table counts them only where tagged accessible): a planner whose residents do use the woods
# and meadows around them can count them without replacing the table.
NATURAL_GREEN = (
    Rule(tags={"landuse": frozenset({"grass", "forest", "meadow"})},
         not_tags={"access": frozenset({"private", "no"})}),
    Rule(tags={"natural": frozenset({"wood", "scrub", "grassland", "heath"})},
         not_tags={"access": frozenset({"private", "no"})}),
    Rule(tags={"leisure": frozenset({"nature_reserve"})},
         not_tags={"access": frozenset({"private", "no"})}),
)


def with_rules(taxonomy: Taxonomy, item_id: str, rules: tuple[Rule, ...]) -> Taxonomy:
    """A copy of ``taxonomy`` whose item ``item_id`` also matches ``rules``."""
    items = tuple(
        Item(i.id, i.en, i.zh, i.group, i.rules + rules, i.area) if i.id == item_id else i
        for i in taxonomy.items)
    return Taxonomy(items, taxonomy.name_rules_skip_keys)


def _str_list(value: Any, where: str, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFileError(path, f"{where} must be a list of strings")
    return tuple(value)


def _parse_rule(raw: Any, where: str, path: str) -> Rule:
    if not isinstance(raw, dict):
        raise DataFileError(path, f"{where} must be a table")
    unknown = set(raw) - {"tags", "absent", "name", "not_name", "not_tags", "named"}
    if unknown:
        raise DataFileError(path, f"{where}: unknown key(s) {sorted(unknown)}")
    tags_raw = raw.get("tags", {})
    if not isinstance(tags_raw, dict):
        raise DataFileError(path, f"{where}.tags must be a table")
    tags = {k: frozenset(_str_list(v, f"{where}.tags.{k}", path)) for k, v in tags_raw.items()}
    not_raw = raw.get("not_tags", {})
    if not isinstance(not_raw, dict):
        raise DataFileError(path, f"{where}.not_tags must be a table")
    named = raw.get("named", False)
    if not isinstance(named, bool):
        raise DataFileError(path, f"{where}.named must be true or false")
    rule = Rule(
        tags=tags,
        absent=_str_list(raw.get("absent", []), f"{where}.absent", path),
        name=tuple(s.lower() for s in _str_list(raw.get("name", []), f"{where}.name", path)),
        not_name=tuple(
            s.lower() for s in _str_list(raw.get("not_name", []), f"{where}.not_name", path)
        ),
        not_tags={k: frozenset(_str_list(v, f"{where}.not_tags.{k}", path))
                  for k, v in not_raw.items()},
        named=named,
    )
    if not rule.tags and not rule.name:
        raise DataFileError(path, f"{where} needs `tags` or `name`")
    return rule


def parse_taxonomy(data: Mapping[str, Any], path: str) -> Taxonomy:
    """Validate a parsed ``facilities.toml``; raise :class:`DataFileError` naming the item."""
    raw_items = data.get("item")
    if not isinstance(raw_items, list) or not raw_items:
        raise DataFileError(path, "needs at least one [[item]]")
    items: list[Item] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_items):
        where = f"item[{n}]"
        if not isinstance(raw, dict):
            raise DataFileError(path, f"{where} must be a table")
        for key in ("id", "en", "zh", "group"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise DataFileError(path, f"{where}.{key} must be a non-empty string")
        item_id = raw["id"]
        where = f"item '{item_id}'"
        if item_id in seen:
            raise DataFileError(path, f"{where} is defined twice")
        seen.add(item_id)
        unknown = set(raw) - {"id", "en", "zh", "group", "rule", "area"}
        if unknown:
            raise DataFileError(path, f"{where}: unknown key(s) {sorted(unknown)}")
        rules_raw = raw.get("rule")
        if not isinstance(rules_raw, list) or not rules_raw:
            raise DataFileError(path, f"{where} needs at least one rule")
        rules = tuple(_parse_rule(r, f"{where}.rule[{k}]", path) for k, r in enumerate(rules_raw))
        area = raw.get("area", False)
        if not isinstance(area, bool):
            raise DataFileError(path, f"{where}.area must be true or false")
        items.append(Item(item_id, raw["en"], raw["zh"], raw["group"], rules, area))
    skip = _str_list(data.get("name_rules_skip_keys", []), "name_rules_skip_keys", path)
    return Taxonomy(tuple(items), frozenset(skip))


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Load the packaged table, or a user's replacement at ``path``."""
    if path is None:
        ref = resources.files("rescity.assess") / "data" / "facilities.toml"
        text, where = ref.read_text(encoding="utf-8"), "rescity/assess/data/facilities.toml"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise DataFileError(where, f"cannot read taxonomy: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(where, f"not valid TOML: {exc}") from None
    return parse_taxonomy(data, where)
