"""From snapped origins and facilities to per-origin indices: the arithmetic core of the
pipeline, on plain arrays so that a hand-built network can be scored in a test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from rescity.assess.domain.config import AssessConfig
from rescity.assess.domain.indices import ReachView, compute_indices
from rescity.assess.domain.taxonomy import Taxonomy
from rescity.assess.domain.unique import sorted_unique
from rescity.assess.network.graph import WalkNetwork
from rescity.assess.network.reach import ReachResult, attach, run_reach
from rescity.assess.network.snap import Snapped

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
SLOT_OPEN, SLOT_GREEN, SLOT_PARK = 0, 1, 2


@dataclass
class Scores:
    reach: ReachResult
    distances: F64
    view: ReachView
    indices: dict[str, F64]

    def k(self, distance: float) -> int:
        """Column of ``distance`` in the threshold axis of the reach arrays."""
        return int(np.flatnonzero(np.isclose(self.distances, distance))[0])


def search_distances(cfg: AssessConfig) -> F64:
    """Every distance an index asks about; the largest is the search cutoff."""
    t, e = cfg.transport, cfg.environment
    return np.unique(np.array([*cfg.thresholds.distances_m, t.rail_distance_m,
                               t.bus_distance_m, e.catchment_m, e.near_green_m, e.park_m]))


def value_slots(items: list[list[int]], area: F64, tax: Taxonomy,
                cfg: AssessConfig) -> list[list[int]]:
    """Per facility the area slots it adds to: open space, green ≥ min, park ≥ min."""
    open_items = {tax.index(i) for i in cfg.disaster.open_space_items}
    green = {tax.index("park"), tax.index("green_space")}
    park = tax.index("park")
    ec = cfg.environment
    out: list[list[int]] = []
    for f, its in enumerate(items):
        s = set(its)
        row = []
        if s & open_items:
            row.append(SLOT_OPEN)
        if s & green and area[f] > 0 and area[f] >= ec.min_green_area_m2:
            row.append(SLOT_GREEN)
        if park in s and area[f] > 0 and area[f] >= ec.min_park_area_m2:
            row.append(SLOT_PARK)
        out.append(row)
    return out


def green_per_capita(
    net: WalkNetwork, slots: list[list[int]], area: F64, access: Snapped, access_fac: I64,
    osnap: Snapped, first: ReachResult, distances: F64, pop: F64, cfg: AssessConfig,
) -> F64:
    """Two-step floating catchment: each green space's area is shared among the residents
    who reach it (step 1, from the first pass), then summed over the spaces each origin
    reaches (step 2, a second pass over green spaces only)."""
    k = int(np.flatnonzero(np.isclose(distances, cfg.environment.catchment_m))[0])
    gids = np.flatnonzero(np.array([SLOT_GREEN in row for row in slots], dtype=bool))
    if len(gids) == 0:
        return np.zeros(len(pop))
    reached = first.fac_pop[gids, k]
    ratio = np.where(reached > 0, area[gids] / np.where(reached > 0, reached, 1.0), 0.0)
    remap = np.full(len(slots), -1, dtype=np.int64)
    remap[gids] = np.arange(len(gids))
    sel = remap[access_fac] >= 0
    acc = Snapped(access.edge[sel], access.offset[sel], access.dist[sel])
    att = attach(net, osnap, acc, remap[access_fac[sel]], len(gids),
                 add_snap_distance=cfg.network.add_snap_distance)
    ones = [[0] for _ in gids]
    second = run_reach(net, att, ones, 1, distances[k:k + 1], float(distances[k]), pop,
                       fac_value=ratio, fac_slots=ones, n_slots=1)
    out: F64 = second.value[:, 0, 0]
    return out


def street_degree(net: WalkNetwork) -> I64:
    """Distinct streets meeting at each node: parallel edges (a dual carriageway's two
    ways, a footway beside a road between the same nodes) and loops count once, so that an
    intersection is a place where at least three different streets meet."""
    u, v = np.minimum(net.edge_u, net.edge_v), np.maximum(net.edge_u, net.edge_v)
    keep = u != v
    # One int64 key per pair, sorted and deduplicated: a sort of numbers, not of rows (and
    # not np.unique's hash path, slow on a million distinct keys).
    n = max(net.n_nodes, 1)
    pairs = sorted_unique(u[keep].astype(np.int64) * n + v[keep])
    ends = np.concatenate([pairs // n, pairs % n])
    out: I64 = np.bincount(ends, minlength=net.n_nodes).astype(np.int64)
    return out


def score(
    net: WalkNetwork, items: list[list[int]], area: F64, access: Snapped, access_fac: I64,
    osnap: Snapped, ox: F64, oy: F64, pop: F64, cfg: AssessConfig, tax: Taxonomy,
) -> Scores:
    """Reach every origin from every facility and compute all indices."""
    distances = search_distances(cfg)
    att = attach(net, osnap, access, access_fac, len(items),
                 add_snap_distance=cfg.network.add_snap_distance)
    slots = value_slots(items, area, tax, cfg)
    reach = run_reach(net, att, items, len(tax.ids), distances, float(distances[-1]), pop,
                      fac_value=area, fac_slots=slots, n_slots=3)
    per_capita = green_per_capita(net, slots, area, access, access_fac, osnap, reach,
                                  distances, pop, cfg)

    def k_of(d: float) -> int:
        return int(np.flatnonzero(np.isclose(distances, d))[0])

    deg = street_degree(net)
    r = cfg.transport.intersection_radius_m
    tree = cKDTree(np.column_stack([net.x[deg >= 3], net.y[deg >= 3]]))
    n_inter = np.asarray(tree.query_ball_point(np.column_stack([ox, oy]), r, return_length=True),
                         dtype=np.float64)
    ec = cfg.environment
    view = ReachView(
        item_ids=tax.ids, distances=distances, counts=reach.counts, nearest=reach.nearest,
        open_area=reach.value[:, SLOT_OPEN, k_of(cfg.thresholds.distances_m[-1])],
        green_near=reach.value[:, SLOT_GREEN, k_of(ec.near_green_m)],
        park_near=reach.value[:, SLOT_PARK, k_of(ec.park_m)],
        green_per_capita=per_capita,
        intersection_density=n_inter / (np.pi * r * r / 1e6),
    )
    return Scores(reach, distances, view, compute_indices(view, cfg))
