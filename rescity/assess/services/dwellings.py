"""Dwellings and their floor area: the building side of the population estimate.

Only dwellings hold residents. A building counts when its type is a dwelling type
(``apartments``, ``house`` …), or when it is a plain ``building=yes`` with residential evidence:
it stands in residential land, says ``building:use=residential`` or stands in a town's fabric
outside any land use (:func:`built_up`), carries no tag of another use (shop, office, amenity,
historic …) and is no smaller than a shed (``origins.min_dwelling_footprint_m2``). Garages,
sheds, barns, roofs, commercial, industrial, religious and public buildings never count.

Storeys come from ``building:levels`` (or ``height`` at 3 m a storey); where neither is
tagged, from the median of the nearest tagged dwellings of the same kind around (houses apart
from blocks; ``origins.neighbour_levels_m``, at least ``origins.neighbour_levels_min`` of
them), else ``origins.house_levels`` for houses and ``origins.default_levels`` for the rest.
A dwelling with a shop, office or other service mapped inside (or tagged on it) keeps its
ground floor for them (``origins.mixed_use_ground_floor``). In a centre, whole plain buildings
are offices, shops and hotels: the services mapped around a plain building claim their floor
space from it (``service_share``), so an old town's untyped blocks are not all homes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from scipy.spatial import cKDTree

from rescity.assess.adapters.osm_reader import RESIDENTIAL_BUILDINGS, OsmData
from rescity.assess.domain.config import AssessConfig
from rescity.assess.domain.unique import unique_inverse

NEIGHBOURS = 10  # tagged dwellings looked at around an untagged one
HOUSES = frozenset({"house", "detached", "semidetached_house", "terrace", "bungalow", "farm",
                    "cabin", "static_caravan", "houseboat"})
# Houses often empty most of the year: not evidence of a village on their own.
HOLIDAY = frozenset({"cabin", "static_caravan", "houseboat"})
# Buildings without usable floor space: they house neither people nor services.
NO_FLOOR = frozenset({"roof", "garage", "garages", "carport", "shed", "hut", "ruins",
                      "collapsed", "construction", "greenhouse", "bunker", "container"})
_AREA_TYPES = [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON]


def buildings_frame(osm: OsmData, crs: str) -> gpd.GeoDataFrame:
    """Every mapped building, projected, with its footprint."""
    b = osm.buildings
    gdf = gpd.GeoDataFrame(
        {
            "osm_type": [f.osm_type for f in b],
            "osm_id": np.array([f.osm_id for f in b], dtype=np.int64),
            "name": [f.name for f in b],
            "building": [f.building for f in b],
            "use": [f.use for f in b],
            "levels": np.array([f.levels for f in b], dtype=np.float64),
        },
        geometry=[f.geometry for f in b],
        crs="EPSG:4326",
    ).to_crs(crs)
    gdf["footprint_m2"] = gdf.geometry.area
    return gdf


def in_areas(geoms: gpd.GeoSeries, areas: gpd.GeoSeries, *,
             xy: npt.NDArray[np.float64] | None = None,
             pts: npt.NDArray[np.object_] | None = None) -> npt.NDArray[np.bool_]:
    """Whether each geometry's representative point lies in one of ``areas``; ``pts`` (the
    points) or ``xy`` (their coordinates, n × 2), when given, are those points already
    computed, as the caller often has them."""
    inside = np.zeros(len(geoms), dtype=bool)
    if len(geoms) and len(areas):
        if pts is None:
            pts = shapely.points(xy) if xy is not None else geoms.representative_point().values
        # The tree over the points, each area asked once: the areas are prepared, so a point
        # is located without walking a long outline again for every point (a point is within
        # an area exactly when the area contains it).
        _, idx = shapely.STRtree(pts).query(np.asarray(areas.values, dtype=object),
                                            predicate="contains")
        inside[idx] = True
    return inside


def dwelling_mask(bld: gpd.GeoDataFrame, in_residential: npt.NDArray[np.bool_],
                  config: AssessConfig,
                  built_up: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.bool_]:
    """Which buildings are dwellings (see the module docstring); ``built_up`` marks the
    buildings in no land use that stand in a town's fabric (:func:`built_up`)."""
    typed = bld["building"].isin(RESIDENTIAL_BUILDINGS).to_numpy()
    use = bld["use"].to_numpy()
    plain = (bld["building"] == "yes").to_numpy()
    evidence = (in_residential & ~np.isin(use, ["other", "service"])) | (use == "residential")
    if built_up is not None:
        evidence |= built_up & np.isin(use, ["", "address"])
    big = bld["footprint_m2"].to_numpy() >= config.origins.min_dwelling_footprint_m2
    out: npt.NDArray[np.bool_] = typed | (plain & evidence & big)
    return out


def no_landuse(bld: gpd.GeoDataFrame, osm: OsmData, crs: str,
               in_residential: npt.NDArray[np.bool_], *,
               xy: npt.NDArray[np.float64] | None = None,
               pts: npt.NDArray[np.object_] | None = None) -> npt.NDArray[np.bool_]:
    """Buildings in no land use at all: neither residential nor any other (commercial,
    industrial, farmyard …) nor the grounds of a facility (a school, a park, a hospital)."""
    fac = np.array([f.geometry for f in osm.facilities], dtype=object)
    grounds = fac[np.isin(shapely.get_type_id(fac), _AREA_TYPES)] if len(fac) else fac
    land = gpd.GeoSeries([*osm.other_landuse, *grounds], crs="EPSG:4326").to_crs(crs)
    out: npt.NDArray[np.bool_] = ~in_residential & ~in_areas(bld.geometry, land, xy=xy,
                                                             pts=pts)
    return out


def built_up(bld: gpd.GeoDataFrame, candidates: npt.NDArray[np.bool_],
             config: AssessConfig, *,
             xy: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.bool_]:
    """Which ``candidates`` stand in a town's fabric: buildings (any) cover at least
    ``origins.built_up_coverage`` of the ground within ``origins.built_up_radius_m`` (counted
    on a grid of cells half that wide, like the services). A barn, a shed or a farmhouse in
    the fields stands alone."""
    oc = config.origins
    out = np.zeros(len(bld), dtype=bool)
    if oc.built_up_coverage <= 0 or not candidates.any():
        return out
    xy = _xy(bld.geometry) if xy is None else xy
    order = np.r_[np.flatnonzero(candidates), np.flatnonzero(~candidates)]
    sums, km2, at = _cell_sums(oc.built_up_radius_m / 2, oc.built_up_radius_m,
                               [(xy[order], bld["footprint_m2"].to_numpy()[order])])
    coverage = sums[0] / (km2 * 1e6)
    out[candidates] = coverage[at[:int(candidates.sum())]] >= oc.built_up_coverage
    # A large free-standing block without land use is more often an office, a mall or a
    # school than housing; one built against its neighbours is a town's terrace or block.
    big = bld["footprint_m2"].to_numpy() > oc.built_up_max_footprint_m2
    ask = np.flatnonzero(out & big)
    if len(ask):
        geoms = np.asarray(bld.geometry.values)
        i, j = shapely.STRtree(geoms).query(geoms[ask], predicate="intersects")
        attached = np.zeros(len(bld), dtype=bool)
        attached[ask[i[ask[i] != j]]] = True
        out[ask] = attached[ask]
    return out


def village(bld: gpd.GeoDataFrame, candidates: npt.NDArray[np.bool_],
            config: AssessConfig) -> npt.NDArray[np.bool_]:
    """Which ``candidates`` are homes without a dense fabric around them: a building a mapper
    typed as a house (``house``, ``detached``, ``terrace`` …) or a plain one with a house
    number and no other use, no larger than ``origins.built_up_max_footprint_m2``. A
    village of detached houses with gardens rarely reaches ``built_up_coverage``, and its
    land use is often not mapped; a barn has neither a house type nor a door number."""
    if config.origins.built_up_coverage <= 0:
        return np.zeros(len(bld), dtype=bool)
    house = bld["building"].isin(HOUSES - HOLIDAY).to_numpy()
    numbered = ((bld["use"] == "address").to_numpy()
                & (bld["footprint_m2"].to_numpy() <= config.origins.built_up_max_footprint_m2))
    out: npt.NDArray[np.bool_] = candidates & (house | numbered)
    return out


def _nearest_median(tree: cKDTree, tagged_levels: npt.NDArray[np.float64],
                    xy: npt.NDArray[np.float64], radius: float,
                    need: int) -> npt.NDArray[np.float64]:
    """Median storeys of the nearest tagged dwellings (up to ``NEIGHBOURS``) within
    ``radius`` of each point, NaN where fewer than ``need`` are found."""
    k = min(NEIGHBOURS, len(tagged_levels))
    dist, idx = tree.query(xy, k=k, distance_upper_bound=radius)
    dist, idx = dist.reshape(len(xy), k), idx.reshape(len(xy), k)
    found = np.isfinite(dist)
    vals = np.where(found, tagged_levels[np.minimum(idx, len(tagged_levels) - 1)], np.nan)
    enough = found.sum(axis=1) >= need
    med = np.full(len(xy), np.nan)
    if enough.any():
        med[enough] = np.nanmedian(vals[enough], axis=1)
    return med


def _neighbour_storeys(xy: npt.NDArray[np.float64], levels: npt.NDArray[np.float64],
                       default: float | npt.NDArray[np.float64],
                       config: AssessConfig) -> npt.NDArray[np.float64]:
    """Tagged storeys, else the median of the nearest tagged neighbours within
    ``origins.neighbour_levels_m`` (the street), else within ``origins.neighbour_levels_wide_m``
    (the quarter), else ``default``. Where tags are sparse, the quarter's few tagged dwellings
    say more about a town's height than one figure for every extract: Gozo's tagged homes
    have 2 storeys, Malta's towns' 4 (method.md, "Storeys")."""
    oc = config.origins
    default = np.broadcast_to(np.asarray(default, dtype=np.float64), levels.shape)
    tagged = np.isfinite(levels)
    missing = np.flatnonzero(~tagged)
    out = np.where(tagged, levels, default)
    if oc.neighbour_levels_m <= 0 or len(missing) == 0 or tagged.sum() < oc.neighbour_levels_min:
        return out
    tree = cKDTree(xy[tagged])
    med = _nearest_median(tree, levels[tagged], xy[missing], oc.neighbour_levels_m,
                          oc.neighbour_levels_min)
    wide = np.flatnonzero(np.isnan(med))
    if oc.neighbour_levels_wide_m > oc.neighbour_levels_m and len(wide):
        med[wide] = _nearest_median(tree, levels[tagged], xy[missing[wide]],
                                    oc.neighbour_levels_wide_m, oc.neighbour_levels_min)
    out[missing] = np.where(np.isnan(med), default[missing], med)
    return out


def storeys(bld: gpd.GeoDataFrame, config: AssessConfig, *,
            xy: npt.NDArray[np.float64] | None = None,
            coverage: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.float64]:
    """Storeys per dwelling. Houses (``house``, ``detached``, ``bungalow`` …) and blocks
    (everything else) are looked up separately: an untagged house takes the median of the
    tagged houses around it, else ``origins.house_levels``; a block that of the tagged blocks
    around it, else a default from its fabric (:func:`fabric_levels`, with ``coverage``) or
    ``origins.default_levels``. A house beside a tower is still a house."""
    levels = bld["levels"].to_numpy(dtype=np.float64)
    xy = _xy(bld.geometry) if xy is None else xy
    house = bld["building"].isin(HOUSES).to_numpy()
    out = np.empty(len(bld))
    oc = config.origins
    block: float | npt.NDArray[np.float64] = oc.default_levels
    if coverage is not None:
        block = fabric_levels(bld["footprint_m2"].to_numpy(), coverage, config)[~house]
    for mask, default in ((house, oc.house_levels), (~house, block)):
        if mask.any():
            out[mask] = _neighbour_storeys(xy[mask], levels[mask], default, config)
    return out


def fabric_coverage(xy: npt.NDArray[np.float64], footprint: npt.NDArray[np.float64],
                    config: AssessConfig) -> npt.NDArray[np.float64]:
    """The share of the ground within ``origins.built_up_radius_m`` of each building that
    buildings (all of ``xy``, ``footprint``) cover, on the same grid as :func:`built_up`."""
    r = config.origins.built_up_radius_m
    if len(xy) == 0:
        return np.zeros(0)
    sums, km2, at = _cell_sums(r / 2, r, [(xy, footprint)])
    out: npt.NDArray[np.float64] = (sums[0] / (km2 * 1e6))[at]
    return out


def fabric_levels(footprint: npt.NDArray[np.float64], coverage: npt.NDArray[np.float64],
                  config: AssessConfig) -> npt.NDArray[np.float64]:
    """Storeys of an untagged block with no tagged neighbours, from the fabric it stands in:
    in an open fabric (buildings cover less than ``origins.open_coverage`` of the ground
    around) a building of at most ``origins.small_footprint_m2`` is a house
    (``origins.house_levels``: detached houses with gardens, Spacematrix's low-rise spacious
    type; method.md, "Storeys from the fabric"); else ``origins.default_levels``."""
    oc = config.origins
    out = np.full(len(footprint), oc.default_levels)
    out[(coverage < oc.open_coverage) & (footprint <= oc.small_footprint_m2)] = oc.house_levels
    return out


def poi_xy(osm: OsmData, crs: str) -> npt.NDArray[np.float64]:
    """The shop, office, amenity … nodes, projected to ``crs`` (n × 2)."""
    if len(osm.poi_lon) == 0:
        return np.empty((0, 2))
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        osm.poi_lon, osm.poi_lat)
    return np.column_stack([np.asarray(x), np.asarray(y)])


def hosts_services(bld: gpd.GeoDataFrame, poi: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Whether a shop, office, amenity or other service node is mapped inside the building."""
    out = np.zeros(len(bld), dtype=bool)
    if len(bld) == 0 or len(poi) == 0:
        return out
    pts = shapely.points(poi)
    b_idx, _ = shapely.STRtree(pts).query(bld.geometry.values, predicate="contains")
    out[b_idx] = True
    return out


def _cell_sums(cell: float, radius: float,
               sets: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]],
               ) -> tuple[list[npt.NDArray[np.float64]], npt.NDArray[np.float64],
                          npt.NDArray[np.int64]]:
    """Sums of each (points, weights) set over the neighbourhood of every grid cell (the
    cells of width ``cell`` whose centres lie within ``radius``), the neighbourhood's km², and
    the cell of each point of the first set.

    The neighbourhood is the same stencil of whole-cell offsets for every cell, so each
    offset is one vectorised lookup among the occupied cells (no ball query, no per-cell
    lists); offsets run in the cells' sort order, so every sum adds the same numbers in the
    same order as a sum over each cell's sorted neighbours."""
    keys = np.floor(np.vstack([xy for xy, _ in sets]) / cell).astype(np.int64)
    reach = int(np.floor((radius + 1e-6) / cell)) + 1
    gx, gy = np.meshgrid(np.arange(-reach, reach + 1), np.arange(-reach, reach + 1),
                         indexing="ij")
    dx, dy = gx.ravel(), gy.ravel()  # (dx, dy) in lexicographic order
    near = (dx * cell) ** 2 + (dy * cell) ** 2 <= (radius + 1e-6) ** 2
    dx, dy = dx[near], dy[near]
    # One int64 per cell, ordered as the (x, y) pairs are: y shifted to start at ``reach``
    # and given room for the stencil, so a neighbour's key is the cell's plus an offset.
    if len(keys):
        ky = keys[:, 1] - keys[:, 1].min() + reach
        span = int(ky.max()) + reach + 1
        flat = keys[:, 0] * span + ky
    else:
        span, flat = 1, np.zeros(0, dtype=np.int64)
    ukeys, inv = unique_inverse(flat)
    n = len(ukeys)
    nb_of: list[npt.NDArray[np.int64]] = []
    found: list[npt.NDArray[np.bool_]] = []
    for ox, oy in zip(dx.tolist(), dy.tolist(), strict=True):
        want = ukeys + (ox * span + oy)
        pos = np.minimum(np.searchsorted(ukeys, want), max(n - 1, 0))
        hit = ukeys[pos] == want if n else np.zeros(0, dtype=bool)
        nb_of.append(pos)
        found.append(hit)
    lens = np.stack(found).sum(axis=0, dtype=np.int64)  # the offset (0, 0) is always there
    sums: list[npt.NDArray[np.float64]] = []
    at = 0
    for xy, w in sets:
        per_cell = np.bincount(inv[at:at + len(xy)], weights=w, minlength=n)
        total = np.zeros(n)
        for pos, hit in zip(nb_of, found, strict=True):
            total += np.where(hit, per_cell[pos], 0.0).astype(np.float64)
        sums.append(total)
        at += len(xy)
    km2: npt.NDArray[np.float64] = (lens * cell * cell / 1e6).astype(np.float64)
    first: npt.NDArray[np.int64] = inv[:len(sets[0][0])].astype(np.int64)
    return sums, km2, first


def _xy(geoms: gpd.GeoSeries) -> npt.NDArray[np.float64]:
    return points_xy(np.asarray(geoms.representative_point().values, dtype=object))


def points_xy(pts: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """The coordinates of points (n × 2; NaN for an empty one, as ``GeoSeries.x`` gives)."""
    return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])


def service_share(dw: gpd.GeoDataFrame, others: gpd.GeoDataFrame,
                  poi: npt.NDArray[np.float64], config: AssessConfig, *,
                  xy: npt.NDArray[np.float64] | None = None,
                  others_xy: npt.NDArray[np.float64] | None = None,
                  ) -> npt.NDArray[np.float64]:
    """The share of each dwelling's floor area left for housing once the services around it
    have their space (1 for typed dwellings: a mapper said they are housing).

    Every shop, office, restaurant, hotel … node mapped within ``origins.service_radius_m``,
    beyond a background of ``origins.service_background_per_km2`` (a residential quarter's
    own shops, which the ground-floor rule already houses), stands for
    ``origins.service_floor_m2`` of gross floor area that is not housing: its own space and,
    in a city centre, the unmapped offices, storage and staff rooms above and behind it. That
    demand is met first by the buildings around that are not dwellings (``others``: offices,
    shops, hotels, churches, plain buildings outside residential land …, with their
    ``floor_area_m2``), then by the plain
    ``building=yes`` dwellings, whose use nobody tagged; what is left of them is housing.
    Neighbourhoods are counted on a grid of cells ``service_radius_m / 2`` wide. ``xy`` and
    ``others_xy`` are the representative points when the caller has them already.
    """
    oc = config.origins
    share = np.ones(len(dw))
    plain = (dw["building"] == "yes").to_numpy()
    if oc.service_floor_m2 <= 0 or not plain.any() or len(poi) == 0:
        return share
    sums, km2, at = _cell_sums(
        oc.service_radius_m / 2, oc.service_radius_m,
        [((_xy(dw.geometry) if xy is None else xy)[plain], dw["floor_area_m2"].to_numpy()[plain]),
         (_xy(others.geometry) if others_xy is None else others_xy,
          others["floor_area_m2"].to_numpy()),
         (poi, np.ones(len(poi)))])
    plain_floor, other_floor, services = sums
    excess = np.maximum(services - oc.service_background_per_km2 * km2, 0.0)
    unmet = np.maximum(excess * oc.service_floor_m2 - other_floor, 0.0)
    left = 1.0 - unmet / np.maximum(plain_floor, 1e-9)
    share[plain] = np.clip(left, 0.0, 1.0)[at]
    return share


def dwellings(osm: OsmData, crs: str, residential: gpd.GeoSeries,
              config: AssessConfig) -> gpd.GeoDataFrame:
    """The dwellings, with ``storeys`` and residential ``floor_area_m2``."""
    return dwellings_and_points(osm, crs, residential, config)[0]


def dwellings_and_points(osm: OsmData, crs: str, residential: gpd.GeoSeries,
                         config: AssessConfig,
                         ) -> tuple[gpd.GeoDataFrame, npt.NDArray[np.object_]]:
    """:func:`dwellings` and their representative points, row for row (the origins need
    them again)."""
    bld = buildings_frame(osm, crs)
    # Representative points are costly (a few seconds for a megacity): computed once here
    # and taken by every rule below, subsets by the same masks as the frames.
    bpts = np.asarray(bld.geometry.representative_point().values, dtype=object)
    bxy = points_xy(bpts)
    in_res = in_areas(bld.geometry, residential, pts=bpts)
    # Plain buildings need the fabric to count at all; typed dwellings count anyway, and the
    # fabric decides only whether they join the town-fabric origins (origins.py).
    loose = (bld["building"] == "yes").to_numpy() & bld["use"].isin(["", "address"]).to_numpy()
    loose |= bld["building"].isin(RESIDENTIAL_BUILDINGS).to_numpy()
    loose &= no_landuse(bld, osm, crs, in_res, pts=bpts)
    fabric = built_up(bld, loose, config, xy=bxy) | village(bld, loose, config)
    keep = dwelling_mask(bld, in_res, config, fabric)
    out = bld[keep].reset_index(drop=True)
    out["built_up"] = fabric[keep]
    # The fabric around each building, for the storeys of untagged ones (off: no grid).
    cover = (fabric_coverage(bxy, bld["footprint_m2"].to_numpy(), config)
             if config.origins.open_coverage > 0 else np.ones(len(bld)))
    out["storeys"] = storeys(out, config, xy=bxy[keep], coverage=cover[keep])
    floors = out["storeys"].to_numpy()
    poi = poi_xy(osm, crs)
    if config.origins.mixed_use_ground_floor:
        mixed = hosts_services(out, poi) | (out["use"] == "service").to_numpy()
        floors = np.where(mixed, np.maximum(floors - 1.0, 0.0), floors)
    out["floor_area_m2"] = out["footprint_m2"].to_numpy() * floors
    is_other = (~keep & ~bld["building"].isin(NO_FLOOR).to_numpy()
                & (bld["footprint_m2"].to_numpy() >= config.origins.min_dwelling_footprint_m2))
    others = bld[is_other].copy()
    others["floor_area_m2"] = (others["footprint_m2"].to_numpy()
                               * storeys(others, config, xy=bxy[is_other],
                                         coverage=cover[is_other]))
    out["residential_share"] = service_share(out, others, poi, config, xy=bxy[keep],
                                             others_xy=bxy[is_other])
    out["floor_area_m2"] = out["floor_area_m2"].to_numpy() * out["residential_share"].to_numpy()
    return out, bpts[keep]
