"""assess: 15-minute life circle and resilience evaluation from OpenStreetMap.

>>> from rescity.assess import evaluate
>>> result = evaluate("city.osm.pbf")          # doctest: +SKIP
>>> result.origins, result.facilities, result.summary  # doctest: +SKIP

The names below are imported when first used: importing any ``rescity.assess`` module (a
report, say) does not load the whole pipeline (OSM reading, the network kernels).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rescity.assess.domain.config import AssessConfig, build_config, load_config
    from rescity.assess.services.pipeline import AssessmentResult, evaluate

__all__ = ["AssessConfig", "AssessmentResult", "build_config", "evaluate", "load_config"]

_HOMES = {"AssessConfig": "rescity.assess.domain.config",
          "build_config": "rescity.assess.domain.config",
          "load_config": "rescity.assess.domain.config",
          "AssessmentResult": "rescity.assess.services.pipeline",
          "evaluate": "rescity.assess.services.pipeline"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
