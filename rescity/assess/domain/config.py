"""Configuration of an assessment: one frozen object built from ``data/defaults.toml``.

A user's TOML file is merged over the defaults key by key, then validated as a whole; every
problem (an unknown key, a wrong value, a weight for an item the taxonomy lacks) is reported at
once in a :class:`ConfigError` that names the file and the dotted key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from rescity.assess.domain.taxonomy import Taxonomy
from rescity.core.errors import ConfigError, Problem

_STRICT = ConfigDict(frozen=True, extra="forbid")


class Thresholds(BaseModel):
    """Life-circle distances; ``minutes`` × ``walk_speed_m_per_min`` replaces ``distances_m``."""

    model_config = _STRICT
    distances_m: list[float] = Field(min_length=1)
    labels: list[str] = Field(default_factory=list)
    minutes: list[float] | None = None
    walk_speed_m_per_min: float | None = Field(default=None, gt=0)

    @field_validator("distances_m", "minutes")
    @classmethod
    def _increasing(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and (any(d <= 0 for d in value) or value != sorted(value)):
            raise ValueError("must be positive and increasing")
        return value

    @model_validator(mode="after")
    def _resolve(self) -> Thresholds:
        if self.minutes is not None:
            if self.walk_speed_m_per_min is None:
                raise ValueError("minutes needs walk_speed_m_per_min")
            dist = [m * self.walk_speed_m_per_min for m in self.minutes]
            object.__setattr__(self, "distances_m", dist)
            object.__setattr__(self, "labels", [f"{m:g}min" for m in self.minutes])
        if len(self.labels) != len(self.distances_m):
            object.__setattr__(self, "labels", [f"{d:g}m" for d in self.distances_m])
        return self


class NetworkConfig(BaseModel):
    model_config = _STRICT
    max_snap_m: float = Field(gt=0)
    add_snap_distance: bool
    access_point_spacing_m: float = Field(gt=0)
    max_access_points: int = Field(ge=1)
    min_component_km: float = Field(ge=0)


class FacilitiesConfig(BaseModel):
    model_config = _STRICT
    stop_place_items: list[str]
    stop_same_name_m: float = Field(ge=0)
    stop_unnamed_m: float = Field(ge=0)


class OriginsConfig(BaseModel):
    model_config = _STRICT
    kind: Literal["landuse", "buildings", "h3"]
    floor_area_per_person_m2: float = Field(gt=0)
    default_levels: float = Field(gt=0)
    house_levels: float = Field(gt=0)
    neighbour_levels_m: float = Field(ge=0)
    neighbour_levels_min: int = Field(ge=1)
    neighbour_levels_wide_m: float = Field(ge=0)
    open_coverage: float = Field(ge=0, le=1)
    small_footprint_m2: float = Field(ge=0)
    min_dwelling_footprint_m2: float = Field(ge=0)
    mixed_use_ground_floor: bool
    service_floor_m2: float = Field(ge=0)
    service_radius_m: float = Field(gt=0)
    service_background_per_km2: float = Field(ge=0)
    built_up_coverage: float = Field(ge=0, le=1)
    built_up_radius_m: float = Field(gt=0)
    built_up_max_footprint_m2: float = Field(ge=0)
    built_up_cell_m: float = Field(gt=0)
    min_building_coverage: float = Field(ge=0, le=1)
    land_density_per_km2: float = Field(ge=0)
    land_density_radius_m: float = Field(ge=0)
    land_density_size_exponent: float = Field(ge=0, le=1)
    settlement_gap_m: float = Field(ge=0)
    settlement_min_km2: float = Field(gt=0)
    settlement_edge_km2: float = Field(ge=0)
    population_total: float = Field(ge=0)
    split_area_m2: float = Field(ge=0)
    split_cell_m: float = Field(gt=0)
    min_landuse_share: float = Field(ge=0, le=1)
    min_landuse_areas: int = Field(ge=0)
    sparse_landuse: Literal["buildings", "keep", "error"]
    h3_resolution: int = Field(ge=5, le=12)
    population_raster: str


class LifeServiceConfig(BaseModel):
    model_config = _STRICT
    mode: Literal["presence", "tiered", "decay", "standard"]
    tier_scores: list[float]
    low: float
    weights: dict[str, float]
    circle: dict[str, int]
    circle_population: list[float] = Field(min_length=1)

    @field_validator("circle")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        if any(v < 1 for v in value.values()):
            raise ValueError("life-circle levels start at 1 (the first threshold)")
        return value


class DisasterConfig(BaseModel):
    model_config = _STRICT
    low: float
    open_space_target_m2: float = Field(gt=0)
    open_space_items: list[str]
    sub_weights: dict[Literal["medical", "supply", "shelter", "open_space"], float]
    targets: dict[Literal["medical", "supply", "shelter"], dict[str, float]]


class TransportConfig(BaseModel):
    model_config = _STRICT
    low: float
    rail_distance_m: float = Field(gt=0)
    rail_full_m: float = Field(ge=0)
    rail_target: float = Field(gt=0)
    bus_distance_m: float = Field(gt=0)
    bus_target: float = Field(gt=0)
    intersection_radius_m: float = Field(gt=0)
    intersection_density_target_per_km2: float = Field(gt=0)


class EnvironmentConfig(BaseModel):
    model_config = _STRICT
    low: float
    per_capita_standard_m2: float = Field(gt=0)
    catchment_m: float = Field(gt=0)
    near_green_m: float = Field(gt=0)
    min_green_area_m2: float = Field(ge=0)
    park_m: float = Field(gt=0)
    min_park_area_m2: float = Field(ge=0)
    w_per_capita: float = Field(ge=0)
    w_near_green: float = Field(ge=0)
    w_park: float = Field(ge=0)
    natural_green: bool


class CompositeConfig(BaseModel):
    model_config = _STRICT
    low: float
    life_service: float = Field(ge=0)
    disaster: float = Field(ge=0)
    transport: float = Field(ge=0)
    environment: float = Field(ge=0)


class AssessConfig(BaseModel):
    """Everything an assessment can be told; see ``data/defaults.toml`` for each key."""

    model_config = _STRICT
    thresholds: Thresholds
    network: NetworkConfig
    facilities: FacilitiesConfig
    origins: OriginsConfig
    life_service: LifeServiceConfig
    disaster: DisasterConfig
    transport: TransportConfig
    environment: EnvironmentConfig
    composite: CompositeConfig

    @property
    def search_cutoff_m(self) -> float:
        """The longest distance any index asks about: one bounded search covers them all."""
        t, e = self.transport, self.environment
        return max(
            *self.thresholds.distances_m, t.rail_distance_m, t.bus_distance_m,
            e.catchment_m, e.near_green_m, e.park_m,
        )

    def check_items(self, taxonomy: Taxonomy, source: str) -> None:
        """Every item named in weights and targets must exist in the taxonomy."""
        known = set(taxonomy.ids)
        problems = [
            Problem(f"{source}: key 'life_service.weights.{k}'", "unknown facility item")
            for k in self.life_service.weights if k not in known
        ]
        for sub, targets in self.disaster.targets.items():
            problems += [
                Problem(f"{source}: key 'disaster.targets.{sub}.{k}'", "unknown facility item")
                for k in targets if k not in known
            ]
        problems += [
            Problem(f"{source}: key 'disaster.open_space_items'", f"unknown facility item {k!r}")
            for k in self.disaster.open_space_items if k not in known
        ]
        problems += [
            Problem(f"{source}: key 'life_service.circle.{k}'", "unknown facility item")
            for k in self.life_service.circle if k not in known
        ]
        n_thr = len(self.thresholds.distances_m)
        problems += [
            Problem(f"{source}: key 'life_service.circle.{k}'",
                    f"level {v} but only {n_thr} thresholds")
            for k, v in self.life_service.circle.items() if v > n_thr
        ]
        problems += [
            Problem(f"{source}: key 'facilities.stop_place_items'", f"unknown facility item {k!r}")
            for k in self.facilities.stop_place_items if k not in known
        ]
        for needed in ("park", "green_space", "rail_station", "bus_stop"):
            if needed not in known:
                problems.append(Problem(source, f"the taxonomy lacks the item {needed!r}"))
        if problems:
            raise ConfigError(problems, source=source)


def _defaults() -> dict[str, Any]:
    ref = resources.files("rescity.assess") / "data" / "defaults.toml"
    return tomllib.loads(ref.read_text(encoding="utf-8"))


# Tables whose keys are item ids: a user's table replaces the default one instead of merging,
# so that a user can drop an item from the weights.
_REPLACED = {("life_service", "weights")}


def _merge(base: dict[str, Any], over: Mapping[str, Any], path: tuple[str, ...]) -> None:
    for key, value in over.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict) and here not in _REPLACED:
            _merge(base[key], value, here)
        else:
            base[key] = value


def merge_config(base: dict[str, Any], over: Mapping[str, Any]) -> None:
    """Merge a parsed TOML mapping ``over`` into ``base`` in place, as over the defaults."""
    _merge(base, over, ())


def build_config(
    overrides: Mapping[str, Any] | None = None, *, source: str = "config"
) -> AssessConfig:
    """Defaults merged with ``overrides`` (a parsed TOML mapping), validated."""
    data = _defaults()
    if overrides:
        _merge(data, overrides, ())
    if (overrides or {}).get("thresholds", {}).get("minutes") is not None:
        # labels follow the minutes; a saved config (config.json) has "minutes": null, and
        # then keeps its labels (the summary's coverage is keyed by them)
        data["thresholds"].pop("labels", None)
    try:
        return AssessConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "config"
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(Problem(f"{source}: key '{key}'", msg))
        raise ConfigError(problems, source=source) from None


def load_config(path: Path | str | None = None) -> AssessConfig:
    """Read a user's TOML file (or none) into a validated :class:`AssessConfig`."""
    if path is None:
        return build_config()
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        problem = Problem(str(path), "config file not found")
        raise ConfigError([problem], source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        problem = Problem(str(path), f"not valid TOML: {exc}")
        raise ConfigError([problem], source=str(path)) from None
    origins = data.get("origins")
    raster = origins.get("population_raster") if isinstance(origins, dict) else None
    if (isinstance(origins, dict) and isinstance(raster, str) and raster
            and not Path(raster).is_absolute()):
        # Relative to the config file, so a project folder can be run from anywhere.
        origins["population_raster"] = str(Path(path).parent / raster)
    return build_config(data, source=str(path))
