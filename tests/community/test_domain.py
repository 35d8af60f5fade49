"""Pure rules: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rescity.community.access.domain import passage_window, too_frequent
from rescity.community.alerts import rules
from rescity.community.alerts.domain import AlertKind, AlertStatus, can_move
from rescity.community.dashboard.domain import rate, suppress
from rescity.community.health.domain import RiskQuestion, Symptom, assess
from rescity.community.residents.domain import check_national_id
from rescity.community.shared.domain import check_phone
from rescity.core.errors import DataFileError, InputError
from rescity.core.security.personal_data import load_field_policies
from tests.community.conftest import ALICE_ID


@pytest.mark.parametrize(
    ("temperature", "threshold", "fever"),
    [(37.2, 37.3, False), (37.3, 37.3, True), (38.0, 38.5, False), (39.1, 37.3, True)],
)
def test_fever_is_at_or_above_the_threshold(
    temperature: float, threshold: float, fever: bool
) -> None:
    assert assess(temperature, [], {}, fever_threshold_c=threshold).fever is fever


def test_assessment_collects_symptoms_and_yes_answers_only() -> None:
    a = assess(36.5, [Symptom.COUGH, Symptom.COUGH], {RiskQuestion.CONTACT_WITH_CASE: True,
               RiskQuestion.TRAVEL_FROM_RISK_AREA: False}, fever_threshold_c=37.3)
    assert a.symptoms == (Symptom.COUGH,) and a.risk == (RiskQuestion.CONTACT_WITH_CASE,)
    assert a.needs_attention


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [("new", "acknowledged", True), ("new", "resolved", True),
     ("acknowledged", "resolved", True), ("acknowledged", "acknowledged", False),
     ("resolved", "acknowledged", False), ("resolved", "new", False)],
)
def test_alert_lifecycle(current: str, target: str, ok: bool) -> None:
    assert can_move(AlertStatus(current), AlertStatus(target)) is ok


@pytest.mark.parametrize(
    ("count", "shown"), [(0, 0), (1, None), (4, None), (5, 5), (120, 120)]
)
def test_counts_below_k_are_suppressed(count: int, shown: int | None) -> None:
    assert suppress(count) == shown


def test_rates_over_small_populations_are_withheld() -> None:
    assert rate(2, 4) is None and rate(3, 10) == 0.3


def test_frequent_passages_count_only_inside_the_window() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    since, until = passage_window(now, timedelta(hours=1))
    times = [now - timedelta(minutes=m) for m in (0, 10, 20, 30, 90)]
    inside = sum(since <= t <= until for t in times)
    assert inside == 4
    assert too_frequent(inside, max_passages=3)
    assert not too_frequent(inside, max_passages=4)


def test_default_rules_cover_every_alert_kind() -> None:
    table = rules.defaults()
    assert set(table) == set(AlertKind)
    assert table[AlertKind.FEVER].number("threshold_c") == 37.3


def test_rule_overrides_are_checked_all_at_once() -> None:
    with pytest.raises(InputError) as err:
        rules.validate(AlertKind.FREQUENT_ACCESS,
                       {"max_passages": 0, "window_minutes": 2.5, "severity": "dire"}, where="x")
    assert {p.where for p in err.value.problems} == {
        "x.max_passages", "x.window_minutes", "x.severity"}


def test_identifier_checks() -> None:
    assert check_national_id(ALICE_ID) == []
    assert check_national_id(ALICE_ID[:-1] + ("0" if ALICE_ID[-1] != "0" else "1"))
    assert check_phone("+86 138-1234-1234") == [] and check_phone("12")


def test_field_policy_table_reports_every_bad_entry() -> None:
    text = """
[resident.phone]
sensitivity = "secret"
purpose = ""
retention_days = 30

[resident.name]
sensitivity = "personal"
purpose = "x"
retention_days = -1

[visitor.phone]
sensitivity = "identifier"
purpose = "reach"
retention_days = 3
masked = true
colour = "red"
"""
    with pytest.raises(DataFileError) as err:
        load_field_policies(text, source="fields.toml")
    message = str(err.value)
    for fragment in ("resident.phone", "sensitivity must be one of", "resident.name",
                     "retention_days", "unknown key 'colour'", "needs a reveal_action"):
        assert fragment in message
