"""Settings of the gap, siting and catchment analyses, from ``data/analysis.toml``.

Kept apart from :class:`~rescity.assess.domain.config.AssessConfig` because they do not change
any index: a report can be re-run with another ``k`` without re-assessing the city.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rescity.assess.domain.config import _merge
from rescity.core.errors import ConfigError, Problem

_STRICT = ConfigDict(frozen=True, extra="forbid")


class GapsConfig(BaseModel):
    model_config = _STRICT
    threshold: str


class SitingConfig(BaseModel):
    model_config = _STRICT
    k: int = Field(ge=1)
    items: list[str]
    candidates: Literal["nodes"]
    min_degree: int = Field(ge=1)
    exact_max_candidates: int = Field(ge=1)
    exact_max_demand: int = Field(ge=1)
    exact_time_limit_s: float = Field(gt=0)


class CatchmentConfig(BaseModel):
    model_config = _STRICT
    distance_m: float = Field(gt=0)
    decay: Literal["step", "gaussian"]
    per_population: float = Field(gt=0)
    supply_per_facility: float = Field(gt=0)
    groups: dict[str, list[str]]


class AnalysisConfig(BaseModel):
    """Everything the gap, siting and catchment analyses can be told."""

    model_config = _STRICT
    gaps: GapsConfig
    siting: SitingConfig
    catchment: CatchmentConfig


def _defaults() -> dict[str, Any]:
    ref = resources.files("rescity.assess") / "data" / "analysis.toml"
    return tomllib.loads(ref.read_text(encoding="utf-8"))


def build_analysis(overrides: dict[str, Any] | None = None, *,
                   source: str = "analysis") -> AnalysisConfig:
    """Defaults merged with ``overrides``, validated; every problem reported at once."""
    data = _defaults()
    if overrides:
        _merge(data, overrides, ())
    try:
        return AnalysisConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(f"{source}: key '{'.'.join(str(p) for p in e['loc'])}'",
                    "unknown key" if e["type"] == "extra_forbidden" else e["msg"])
            for e in exc.errors()
        ]
        raise ConfigError(problems, source=source) from None


def load_analysis(path: Path | str | None = None) -> AnalysisConfig:
    """A user's TOML file in the layout of ``analysis.toml`` (optionally under ``[analysis]``)."""
    if path is None:
        return build_analysis()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([Problem(str(path), f"cannot read: {exc}")], source=str(path)) from None
    section = data.get("analysis", data)
    return build_analysis(section if isinstance(section, dict) else {}, source=str(path))
