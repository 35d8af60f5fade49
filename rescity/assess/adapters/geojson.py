"""GeoJSON (WGS84) for the web map: the street network, origins with scores, geometries.

Coordinates are rounded to 6 decimals (~0.1 m) and the network is one MultiLineString, which
keeps a city's base layer small enough to send to a browser in one response.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from rescity.assess.domain.indices import INDEX_NAMES


def _to_wgs84(crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def network(edges: gpd.GeoDataFrame) -> dict[str, Any]:
    """All edges as one MultiLineString feature."""
    coords, idx = shapely.get_coordinates(edges.geometry.values, return_index=True)
    lon, lat = _to_wgs84(str(edges.crs)).transform(coords[:, 0], coords[:, 1])
    pts = np.round(np.column_stack([lon, lat]), 6)
    breaks = np.flatnonzero(np.diff(idx)) + 1
    lines = [part.tolist() for part in np.split(pts, breaks)]
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"kind": "network", "edges": len(edges)},
        "geometry": {"type": "MultiLineString", "coordinates": lines}}]}


def _num(value: float, digits: int) -> float | None:
    return round(float(value), digits) if math.isfinite(value) else None


def origins(gdf: gpd.GeoDataFrame, crs: str) -> dict[str, Any]:
    """Origins as points (their origin point, as snapped), with population and indices."""
    lon, lat = _to_wgs84(crs).transform(gdf["x"].to_numpy(), gdf["y"].to_numpy())
    cols = {name: gdf[name].to_numpy(np.float64) for name in INDEX_NAMES if name in gdf}
    pop = gdf["population"].to_numpy(np.float64)
    snapped = gdf["snapped"].to_numpy(bool)
    names = gdf["name"].fillna("").astype(str).to_numpy() if "name" in gdf else None
    features = []
    for i in range(len(gdf)):
        props: dict[str, Any] = {"oid": i, "population": _num(pop[i], 1),
                                 "snapped": bool(snapped[i])}
        if names is not None and names[i]:
            props["name"] = names[i]
        props.update({k: _num(v[i], 3) for k, v in cols.items()})
        features.append({"type": "Feature", "properties": props, "geometry": {
            "type": "Point", "coordinates": [round(float(lon[i]), 6), round(float(lat[i]), 6)]}})
    return {"type": "FeatureCollection", "features": features}


def geometry(geom: Any, crs: str, **properties: Any) -> dict[str, Any]:
    """One projected shapely geometry as a WGS84 Feature."""
    tr = _to_wgs84(crs)
    projected = shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0],
                                                                                xy[:, 1])))
    projected = shapely.set_precision(projected, 1e-6)
    return {"type": "Feature", "properties": properties,
            "geometry": shapely.geometry.mapping(projected)}


def point(x: float, y: float, crs: str) -> tuple[float, float]:
    lon, lat = _to_wgs84(crs).transform(x, y)
    return round(float(lon), 6), round(float(lat), 6)
