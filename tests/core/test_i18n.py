"""Both catalogs carry the same keys, and every key code or a template uses exists in both."""

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from rescity.core.i18n import catalog, negotiate, translator

# A call of the translator t("some.key"), not of any function whose name ends in t.
KEY_CALL = r"""(?<![\w.])t\(\s*["']([a-z0-9_.]*[a-z0-9_])["']"""
# A key put together in a template or in code: t("prefix." ~ value) or t("prefix." + value).
PREFIX_CALL = r"""(?<![\w.])t\(\s*["']([a-z0-9_.]*\.)["']\s*[~+]"""
PACKAGE = Path(__file__).resolve().parents[2] / "rescity"
TEMPLATES = PACKAGE / "web" / "templates"


def test_zh_and_en_catalogs_have_the_same_keys() -> None:
    assert set(catalog("zh")) == set(catalog("en"))


def _sources() -> list[Path]:
    return [*TEMPLATES.rglob("*.html"), *PACKAGE.rglob("*.py")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_literal_key_used_in_code_or_templates_is_in_the_catalog(lang: str) -> None:
    used: dict[str, str] = {}
    for path in _sources():
        for key in re.findall(KEY_CALL, path.read_text("utf-8")):
            used.setdefault(key, str(path.relative_to(PACKAGE.parent)))
    assert len(used) > 100, "the key pattern no longer finds the translator's calls"
    missing = sorted(f"{k} ({where})" for k, where in used.items() if k not in catalog(lang))
    assert missing == []


def _community_code() -> list[Path]:
    """The community module's Python files (every capability package), migrations aside."""
    return [p for p in (PACKAGE / "community").rglob("*.py") if "migrations" not in p.parts]


def _case_events() -> set[str]:
    """Case event kinds: the literals passed to add_event (not detail dict keys)."""
    kinds: set[str] = set()
    for path in _community_code():
        for line in path.read_text("utf-8").splitlines():
            if "add_event(" in line:
                kinds |= set(re.findall(r'"([a-z_]+)"(?!\s*:)', line))
    return kinds


def _alert_kinds() -> set[str]:
    """Alert kinds: the enum, ``alert_kind`` in the rule files, and literals raised in code."""
    from rescity.community.alerts.domain import AlertKind

    def walk(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "alert_kind" and isinstance(value, str):
                    yield value
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    kinds = {k.value for k in AlertKind}
    for rules in (PACKAGE / "community").glob("*.toml"):
        kinds |= set(walk(tomllib.loads(rules.read_text("utf-8"))))
    for path in _community_code():
        kinds |= set(re.findall(r'raise_alert\([^)]*?kind="([a-z_]+)"', path.read_text("utf-8")))
    return kinds


def _sensor_rules(what: str) -> set[str]:
    """Sensor rule names (a sensor's alert is titled by the rule that raised it), or device
    kinds."""
    rules = tomllib.loads((PACKAGE / "community" / "sensor_rules.toml").read_text("utf-8"))
    return {rule["name"] for rule in rules["rules"]} if what == "rules" else set(rules["devices"])


def _personal_fields(what: str) -> set[str]:
    """Personal fields (record.field) in the community's tables, or where retention starts."""
    found: set[str] = set()
    for table in (PACKAGE / "community").glob("personal_fields*.toml"):
        for record, fields in tomllib.loads(table.read_text("utf-8")).items():
            for field, spec in fields.items():
                found.add(f"{record}.{field}" if what == "name" else spec[what])
    return found


def _help_page_outcomes() -> set[str]:
    pages = (PACKAGE / "community" / "help" / "pages.py").read_text("utf-8")
    return set(re.findall(r"/community/help\?done=([a-z]+)", pages))


def _value_domains() -> dict[str, set[str]]:
    """What each key built at run time (``t("prefix." ~ value)``) can end with."""
    from rescity.assess.services.pipeline import ORIGIN_KINDS
    from rescity.community.alerts import domain as alerts
    from rescity.community.alerts.subjects import SUBJECT_KINDS
    from rescity.community.cases import domain as work_orders
    from rescity.community.health import domain as health
    from rescity.community.help import domain as help_requests
    from rescity.community.help import shifts as help_shifts
    from rescity.community.help.unmatched import REASONS as UNMATCHED_REASONS
    from rescity.community.maps import services as staff_map
    from rescity.community.outbreak import domain as outbreak_domain
    from rescity.core.boundaries.importer import PROBLEM_KEYS
    from rescity.core.notifications.models import Status as DeliveryStatus
    from rescity.core.notifications.outbox import PREFERENCE_FIELDS
    from rescity.core.places import PlaceLevel
    from rescity.core.security.policy import Role
    from rescity.knowledge.domain.model import Status
    from rescity.knowledge.domain.taxonomy import KINDS
    from rescity.knowledge.services.plans import MILESTONE_STATUSES
    from rescity.knowledge.services.search import FACETS

    return {
        "role.": {r.value for r in Role},
        "places.import.": set(PROBLEM_KEYS),
        "places.level.": {level.value for level in PlaceLevel},
        "notify.problem.": set(PREFERENCE_FIELDS),
        "notify.status.": {s.value for s in DeliveryStatus},
        "assess.page.origins.": set(ORIGIN_KINDS),
        "c.kind.": _alert_kinds(),
        "c.rule.": _sensor_rules("rules"),
        "c.device.": _sensor_rules("devices"),
        "c.subject.": set(SUBJECT_KINDS),
        "c.severity.": {k.value for k in alerts.Severity},
        "c.status.": {k.value for k in alerts.AlertStatus},
        "c.symptom.": {k.value for k in health.Symptom},
        "c.risk.": {k.value for k in health.RiskQuestion},
        "kb.status.": {k.value for k in Status},
        "kb.facet.": set(FACETS),
        "kb.kind.": set(KINDS),
        "kb.plan.status.": set(MILESTONE_STATUSES),
        "kb.field.": set(re.findall(r'"([a-z_]+)"', " ".join(re.findall(
            r"{% for name in \(([^)]*)\)", (TEMPLATES / "knowledge" / "initiative.html")
            .read_text("utf-8"))))),
        "ops.case_status.": {k.value for k in work_orders.CaseStatus},
        "ops.event.": _case_events(),
        "ops.help.done.": _help_page_outcomes(),
        "ops.help_kind.": set(help_requests.help_rules().kinds),
        "ops.help.unmatched.": set(UNMATCHED_REASONS),
        "lang.name.": set(help_requests.help_rules().languages),
        "c.pf.": _personal_fields("name"),
        "c.pf_why.": _personal_fields("name"),
        "c.pf_from.": _personal_fields("retention_from"),
        "ops.help_status.": {k.value for k in help_requests.HelpStatus},
        "ops.offer_state.": {k.value for k in help_requests.OfferState},
        "ops.urgency.": {k.value for k in help_requests.Urgency},
        "ops.vetting.": {k.value for k in help_requests.Vetting},
        "vol.day.": set(help_shifts.DAYS),
        "vol.skill.": set(help_requests.help_rules().skills),
        "vol.done.": {help_requests.Vetting.VETTED, help_requests.Vetting.REJECTED,
                      help_requests.Vetting.SUSPENDED},
        "ob.status.": {k.value for k in outbreak_domain.CaseStatus},
        "ob.granularity.": {k.value for k in outbreak_domain.Granularity},
        "maps.kind.": set(staff_map.KINDS),
        "maps.status.": {"open", *staff_map.ALL_STATUSES},
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_key_built_at_run_time_is_in_the_catalog(lang: str) -> None:
    prefixes = {m for path in _sources() for m in re.findall(PREFIX_CALL, path.read_text("utf-8"))}
    domains = _value_domains()
    assert sorted(prefixes - set(domains)) == [], "say in _value_domains what these end with"
    missing = sorted(f"{prefix}{value}" for prefix in prefixes for value in domains[prefix]
                     if f"{prefix}{value}" not in catalog(lang))
    assert all(domains[p] for p in prefixes)
    assert missing == []


def test_parameters_are_filled_in() -> None:
    assert translator("en")("home.welcome", name="Li") == "Welcome, Li"
    assert translator("zh")("home.welcome", name="李") == "欢迎，李"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.5", "zh"),
        ("fr-FR", "zh"),
        (None, "zh"),
        ("de;q=0.9,en;q=0.8", "en"),
    ],
)
def test_accept_language_negotiation(header: str | None, lang: str) -> None:
    assert negotiate(header, "zh") == lang


def test_every_role_has_a_name_in_both_languages() -> None:
    from rescity.core.security.policy import Role

    for lang in ("zh", "en"):
        assert all(f"role.{r.value}" in catalog(lang) for r in Role)
