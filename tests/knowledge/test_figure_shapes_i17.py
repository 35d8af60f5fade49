"""Outcome-figure shapes met on cases outside the seed collection (audit of issue #17).

Each sentence failed before the fix: a count named by a noun phrase, a level reached
without its baseline, a verb-first target, "per cent", percentage points, a change in
hectares, km/h units and "went down from … to …"."""

from __future__ import annotations

import pytest

from rescity.knowledge.domain.outcomes import extract_figures

CASES = [
    # text, value, unit, baseline, direction, status
    (
        "The project built 2,400 public charging points.",
        2400,
        "public charging points",
        None,
        "",
        "achieved",
    ),
    (
        "Some 75,000 low-rent apartments were handed over.",
        75000,
        "low-rent apartments",
        None,
        "",
        "achieved",
    ),
    (
        "The scheme trained 1,250 community health volunteers.",
        1250,
        "community health volunteers",
        None,
        "",
        "achieved",
    ),
    (
        "So far 820 kilometres of cycle paths have been opened.",
        820,
        "kilometres",
        None,
        "",
        "achieved",
    ),
    ("Annual ridership reached 4.5 million.", 4_500_000, "", None, "", "achieved"),
    ("The tree canopy grew to 38% of the district.", 38, "%", None, "increase", "achieved"),
    (
        "The city intends to raise the share of cycling to 20% by 2030.",
        20,
        "%",
        None,
        "increase",
        "target",
    ),
    (
        "The district aims to reduce landfill waste to 30% by 2027.",
        30,
        "%",
        None,
        "decrease",
        "target",
    ),
    (
        "Tree cover went up from 18 per cent in 2015 to 31 per cent in 2023.",
        31,
        "%",
        18,
        "increase",
        "achieved",
    ),
    (
        "Trust in the police rose by 9 percentage points.",
        9,
        "percentage points",
        None,
        "increase",
        "achieved",
    ),
    (
        "Protected mangrove area expanded by 1,200 hectares.",
        1200,
        "hectares",
        None,
        "increase",
        "achieved",
    ),
    ("Coal use was cut by 2.4 million tonnes.", -2_400_000, "tonnes", None, "decrease", "achieved"),
    ("Tram speeds rose from 16 km/h to 22 km/h.", 22, "km/h", 16, "increase", "achieved"),
    (
        "Processing time went down from three weeks to two days.",
        2,
        "days",
        3,
        "decrease",
        "achieved",
    ),
    ("About 64% of the surveyed tenants are now satisfied.", 64, "%", None, "", "achieved"),
    ("Nearly 85 percent of the streets were repaved.", 85, "%", None, "", "achieved"),
    ("By 2035, 90% of the bus fleet will run on electricity.", 90, "%", None, "", "target"),
    ("The lanes are expected to reach 300 km next year.", 300, "km", None, "", "target"),
]


@pytest.mark.parametrize(("text", "value", "unit", "baseline", "direction", "status"), CASES)
def test_figure_shape(
    text: str, value: float, unit: str, baseline: float | None, direction: str, status: str
) -> None:
    """Each sentence yields its figure with value, unit, baseline, direction and status."""
    figs = [f for f in extract_figures(text) if f.value == value]
    assert figs, extract_figures(text)
    fig = figs[0]
    assert (fig.unit, fig.baseline, fig.direction, fig.status) == (
        unit,
        baseline,
        direction,
        status,
    )


def test_a_count_phrase_may_join_two_adjectives() -> None:
    """ "240 old and dilapidated buildings" is one count; "19 companies and 73 citizens" two."""
    figs = extract_figures("Some 240 old and dilapidated buildings were repaired.")
    assert [(f.value, f.unit) for f in figs] == [(240, "old and dilapidated buildings")]
    figs = extract_figures("It involved 19 local companies and 73 citizens.")
    assert [(f.value, f.unit) for f in figs] == [(19, "local companies"), (73, "citizens")]


def test_counts_stop_at_verbs_and_prepositions() -> None:
    """A count's noun phrase ends at its plural head; "COVID-19" is no count of anything."""
    figs = extract_figures("COVID-19 revealed gaps. In 2021, 140 km of bus lanes were marked.")
    assert [(f.value, f.unit, f.indicator) for f in figs] == [(140, "km", "bus lanes")]
    assert extract_figures("More than 1,200 pieces of information are kept for 30 days.") == []
