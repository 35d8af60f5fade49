"""A result folder's config.json reads back as the configuration that was saved."""

from __future__ import annotations

import json
from pathlib import Path

from rescity.assess.adapters.result_store import write_config
from rescity.assess.domain.config import build_config


def test_saved_threshold_labels_survive_reading_config_json(tmp_path: Path) -> None:
    # The summary's coverage is keyed by the labels ("5min" …). config.json stores
    # "minutes": null, which used to reset the labels to "300m" …: every report read from a
    # result folder showed an empty coverage table.
    cfg = build_config()
    assert cfg.thresholds.labels == ["5min", "10min", "15min"]
    data = json.loads(write_config(cfg, tmp_path).read_text("utf-8"))
    assert data["thresholds"]["minutes"] is None
    again = build_config(data)
    assert again.thresholds.labels == cfg.thresholds.labels
    assert again.thresholds.distances_m == cfg.thresholds.distances_m


def test_minutes_still_name_the_thresholds() -> None:
    cfg = build_config({"thresholds": {"minutes": [5.0, 10.0], "walk_speed_m_per_min": 80.0}})
    assert cfg.thresholds.labels == ["5min", "10min"]
    assert cfg.thresholds.distances_m == [400.0, 800.0]
