"""assess: 15-minute life circle and resilience evaluation from OpenStreetMap.

>>> from rescity.assess import evaluate
>>> result = evaluate("city.osm.pbf")          # doctest: +SKIP
>>> result.origins, result.facilities, result.summary  # doctest: +SKIP
"""

from rescity.assess.domain.config import AssessConfig, build_config, load_config
from rescity.assess.services.pipeline import AssessmentResult, evaluate

__all__ = ["AssessConfig", "AssessmentResult", "build_config", "evaluate", "load_config"]
