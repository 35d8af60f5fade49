"""Bad input gets a clear error that names the file or key; a missing item does not crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescity.assess import evaluate, load_config
from rescity.assess.domain.config import build_config
from rescity.core.errors import ConfigError, DataFileError, InputError

NO_WALK_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="32.04" lon="118.78"><tag k="amenity" v="pharmacy"/></node>
  <node id="2" lat="32.041" lon="118.781"/>
  <node id="3" lat="32.041" lon="118.782"/>
  <way id="10"><nd ref="2"/><nd ref="3"/><tag k="highway" v="motorway"/></way>
</osm>
"""


def test_a_truncated_pbf_names_the_file(tmp_path: Path, osm_dir: Path) -> None:
    data = (osm_dir / "monaco.osm.pbf").read_bytes()
    bad = tmp_path / "half.osm.pbf"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match=r"half\.osm\.pbf") as info:
        evaluate(bad)
    assert "truncated or corrupt" in str(info.value)


def test_garbage_bytes_are_a_data_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "noise.osm.pbf"
    bad.write_bytes(b"\x00\x01not a pbf at all" * 50)
    with pytest.raises(DataFileError, match=r"noise\.osm\.pbf"):
        evaluate(bad)


def test_an_extract_without_walkable_ways_says_so(tmp_path: Path) -> None:
    path = tmp_path / "nowalk.osm"
    path.write_text(NO_WALK_OSM, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"nowalk\.osm.*no walkable ways"):
        evaluate(path)


def test_a_missing_file_and_a_wrong_suffix(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="not found"):
        evaluate(tmp_path / "nope.osm.pbf")
    other = tmp_path / "city.geojson"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(DataFileError, match="not an OSM file"):
        evaluate(other)


def test_an_unknown_config_key_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "assess.toml"
    cfg.write_text("[network]\nmax_snap = 100\n[thresholdz]\na = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    text = str(info.value)
    assert "assess.toml" in text
    assert "network.max_snap" in text
    assert "thresholdz" in text


def test_a_weight_for_an_unknown_item_is_named(osm_dir: Path) -> None:
    cfg = build_config({"life_service": {"weights": {"kindergarden": 1.0}}}, source="my.toml")
    with pytest.raises(ConfigError, match=r"life_service.weights.kindergarden"):
        evaluate(osm_dir / "beijing_haidian_liudaokou.osm.pbf", cfg)


def test_wrong_values_are_named() -> None:
    with pytest.raises(ConfigError, match=r"thresholds.distances_m"):
        build_config({"thresholds": {"distances_m": [500.0, 300.0]}})
    with pytest.raises(ConfigError, match=r"origins.kind"):
        build_config({"origins": {"kind": "parcels"}})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(Path(__file__))


def test_an_unknown_origin_kind_is_a_config_error(osm_dir: Path) -> None:
    with pytest.raises(ConfigError, match="parcels"):
        evaluate(osm_dir / "monaco.osm.pbf", origins="parcels")


def test_no_residential_origins_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "street.osm"
    path.write_text(NO_WALK_OSM.replace('"motorway"', '"residential"'), encoding="utf-8")
    with pytest.raises(InputError, match="no residential origins"):
        evaluate(path)


def test_missing_items_lower_the_index_and_are_listed(assessed) -> None:  # type: ignore[no-untyped-def]
    result = assessed.get("beijing_haidian_liudaokou")
    missing = result.summary["missing_items"]
    assert "elderly_care" in missing
    assert result.summary["facility_counts"]["elderly_care"] == 0
    assert result.summary["coverage"]["elderly_care"]["15min"] == 0.0
    ls = result.origins["life_service"].dropna()
    assert (ls <= 1.0 - 0.0987 + 1e-9).all()
