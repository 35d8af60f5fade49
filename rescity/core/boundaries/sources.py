"""Reading place features from GeoJSON or GeoPackage files into plain records.

Nothing is judged here except what makes a feature unreadable; the importer checks the
rest so that one report names every problem. GeoPackage is read with pyogrio (already a
dependency of assess), imported only when such a file arrives; layers in another CRS are
reprojected to WGS84 with pyproj.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rescity.core.errors import DataFileError
from rescity.core.i18n import Translator, translator

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

GEOJSON_SUFFIXES = (".geojson", ".json")
GEOPACKAGE_SUFFIXES = (".gpkg",)


@dataclass(frozen=True)
class Feature:
    """One feature as read: fields are None when absent or blank."""

    index: int  # counted from 1, in file order
    code: str | None
    name: str | None
    name_en: str
    parent: str | None
    level: str | None
    geometry: BaseGeometry | None
    geometry_error: str | None = None

    def label(self) -> str:
        return f"feature {self.index}" + (f" ({self.code})" if self.code else "")


def read_features(path: Path, *, t: Translator | None = None) -> list[Feature]:
    """Features of a GeoJSON (.geojson/.json) or GeoPackage (.gpkg) file; messages from
    ``t`` (English by default)."""
    t = t or translator("en")
    suffix = path.suffix.lower()
    if suffix in GEOJSON_SUFFIXES:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError(str(path), t("places.file.unreadable", error=exc)) from None
        return parse_geojson(text, source=str(path), t=t)
    if suffix in GEOPACKAGE_SUFFIXES:
        return read_geopackage(path, t=t)
    raise DataFileError(str(path), t("places.file.suffix"))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _feature(index: int, props: dict[str, Any], geometry: BaseGeometry | None,
             error: str | None) -> Feature:
    return Feature(
        index=index,
        code=_text(props.get("code")),
        name=_text(props.get("name")) or _text(props.get("name_zh")),
        name_en=_text(props.get("name_en")) or "",
        parent=_text(props.get("parent")),
        level=_text(props.get("level")),
        geometry=geometry,
        geometry_error=error,
    )


def parse_geojson(text: str, *, source: str = "upload", t: Translator | None = None
                  ) -> list[Feature]:
    """Features of a GeoJSON FeatureCollection (RFC 7946: longitude/latitude, WGS84)."""
    from shapely.geometry import shape

    t = t or translator("en")

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(source, t("places.file.json", error=exc.msg), line=exc.lineno) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DataFileError(source, t("places.file.collection"))
    crs = json.dumps(data.get("crs") or "")
    if data.get("crs") and "4326" not in crs and "CRS84" not in crs:
        raise DataFileError(source, t("places.file.crs", crs=crs))
    features = data.get("features")
    if not isinstance(features, list):
        raise DataFileError(source, t("places.file.features"))
    found = []
    for i, item in enumerate(features, start=1):
        if not isinstance(item, dict):
            found.append(_feature(i, {}, None, t("places.file.not_feature")))
            continue
        props = item.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        geometry, error = None, None
        if item.get("geometry") is not None:
            try:
                geometry = shape(item["geometry"])
            except Exception as exc:
                error = t("places.file.geometry", error=exc)
        found.append(_feature(i, props, geometry, error))
    return found


def read_geopackage(path: Path, *, t: Translator | None = None) -> list[Feature]:
    """Features of the first layer of a GeoPackage, reprojected to WGS84 when needed."""
    import pyogrio
    import shapely

    t = t or translator("en")

    try:
        meta, _fids, wkb, fields = pyogrio.raw.read(path)
    except Exception as exc:
        raise DataFileError(str(path), t("places.file.geopackage", error=exc)) from None
    columns = list(meta["fields"])
    geoms = shapely.from_wkb(wkb) if wkb is not None else [None] * len(fields[0] if fields else [])
    crs = meta.get("crs")
    if crs and crs.upper() not in ("EPSG:4326", "OGC:CRS84"):
        from pyproj import Transformer

        to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        geoms = [None if g is None else shapely.transform(g, _projector(to_wgs84))
                 for g in geoms]
    found = []
    for i, geom in enumerate(geoms):
        props = {name: fields[j][i] for j, name in enumerate(columns)}
        found.append(_feature(i + 1, props, geom, None))
    return found


def _projector(transformer: Any) -> Any:
    def project(coords: Any) -> Any:
        import numpy as np

        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return project
