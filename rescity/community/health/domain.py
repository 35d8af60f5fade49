"""Daily health check-ins: what is asked, and what counts as fever or symptoms.

No location is ever asked for: Norway's Smittestopp was halted for collecting more than it
needed. A check-in is a temperature, a few yes/no symptoms and optional risk answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Symptom(StrEnum):
    COUGH = "cough"
    SORE_THROAT = "sore_throat"
    SHORTNESS_OF_BREATH = "shortness_of_breath"
    FATIGUE = "fatigue"
    LOSS_OF_TASTE_OR_SMELL = "loss_of_taste_or_smell"
    DIARRHOEA = "diarrhoea"


class RiskQuestion(StrEnum):
    CONTACT_WITH_CASE = "contact_with_case"
    TRAVEL_FROM_RISK_AREA = "travel_from_risk_area"
    TESTED_POSITIVE = "tested_positive"


MIN_TEMPERATURE_C = 34.0
MAX_TEMPERATURE_C = 43.0


@dataclass(frozen=True)
class Assessment:
    fever: bool
    symptoms: tuple[Symptom, ...]
    risk: tuple[RiskQuestion, ...]

    @property
    def needs_attention(self) -> bool:
        return self.fever or bool(self.symptoms) or bool(self.risk)


def assess(
    temperature_c: float,
    symptoms: list[Symptom],
    risk: dict[RiskQuestion, bool],
    *,
    fever_threshold_c: float,
) -> Assessment:
    """Fever is a temperature at or above the community's threshold (37.3 °C by default)."""
    return Assessment(
        fever=temperature_c >= fever_threshold_c,
        symptoms=tuple(sorted(set(symptoms))),
        risk=tuple(sorted(q for q, yes in risk.items() if yes)),
    )
