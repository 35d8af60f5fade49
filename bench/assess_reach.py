"""Benchmark of the assess reach stage against pandana, networkx and cityseer (not a test).

Run:  .venv/bin/python bench/assess_reach.py [--tiles 33] [--repeat 3] [--skip-cityseer]

Part 1, on the Malta network (the largest shared extract), the same problem for every tool:
the 16 Table-2 items' facilities, each put on its nearest network node (pandana's model),
origins = every network node, thresholds 300/500/1000 m: 16 items x 3 thresholds = 48
count queries. Counts are compared node by node.

Part 2, scale: a "mosaic" of the Malta network tiled side by side (borders stitched by short
links between the boundary nodes of neighbouring tiles), with its facilities and residential
origins tiled too, evaluated end to end from the arrays (snapping, reach, indices, summary).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import resource
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from rescity.assess import evaluate
from rescity.assess.domain.indices import INDEX_NAMES
from rescity.assess.domain.summary import city_summary
from rescity.assess.network import reach as reach_module
from rescity.assess.network.graph import WalkNetwork, assemble
from rescity.assess.network.reach import Attachments, run_reach
from rescity.assess.network.snap import Snapper
from rescity.assess.services.facilities import access_points
from rescity.assess.services.scoring import score

REPO = Path(__file__).resolve().parent.parent
OSM = Path(os.environ.get("RESCITY_SHARED_DIR", REPO.parent / "shared")) / "data" / "osm"
THRESHOLDS = np.array([300.0, 500.0, 1000.0])


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def node_problem(result: Any) -> tuple[np.ndarray, list[list[int]], list[str]]:
    """Facilities of the 16 Table-2 items on their nearest node (as pandana assigns them)."""
    from scipy.spatial import cKDTree

    tax = result.taxonomy
    items = list(result.config.life_service.weights)
    cols = [tax.index(i) for i in items]
    fac = result.facilities
    keep = [k for k, its in enumerate(result.facility_set.items) if set(its) & set(cols)]
    pts = fac.geometry.iloc[keep].representative_point()
    net = result.network
    _, node = cKDTree(np.column_stack([net.x, net.y])).query(np.column_stack([pts.x, pts.y]))
    fac_items = [[cols.index(i) for i in result.facility_set.items[k] if i in cols] for k in keep]
    return np.asarray(node, dtype=np.int64), fac_items, items


def rescity_node_counts(net: WalkNetwork, fac_node: np.ndarray, fac_items: list[list[int]],
                        n_items: int, *, with_nearest: bool = False) -> np.ndarray:
    n, f = net.n_nodes, len(fac_node)
    att = Attachments(
        seed_ptr=np.arange(f + 1, dtype=np.int64), seed_node=fac_node, seed_dist=np.zeros(f),
        direct_ptr=np.zeros(f + 1, dtype=np.int64), direct_org=np.zeros(0, dtype=np.int64),
        direct_dist=np.zeros(0), norg_ptr=np.arange(n + 1, dtype=np.int64),
        norg_org=np.arange(n, dtype=np.int64), norg_off=np.zeros(n),
    )
    r = run_reach(net, att, fac_items, n_items, THRESHOLDS, float(THRESHOLDS[-1]), np.ones(n),
                  with_nearest=with_nearest)  # counts only: what the other tools are asked
    return r.counts


def simple_edges(net: WalkNetwork, *, with_ids: bool = False) -> Any:
    """Edges without self-loops, the shortest of parallel edges (same graph for every tool)."""
    u, v, w = net.edge_u, net.edge_v, net.edge_len
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    eid = np.flatnonzero(lo != hi)
    lo, hi, w = lo[eid], hi[eid], w[eid]
    order = np.lexsort((w, hi, lo))
    lo, hi, w, eid = lo[order], hi[order], w[order], eid[order]
    first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
    if with_ids:
        return lo[first], hi[first], w[first], eid[first]
    return lo[first], hi[first], w[first]


def run_pandana(net: WalkNetwork, fac_node: np.ndarray, fac_items: list[list[int]],
                n_items: int) -> tuple[np.ndarray, float, float, float]:
    import pandana
    import pandas as pd

    t0, c0 = time.perf_counter(), time.process_time()
    lo, hi, w = simple_edges(net)
    ids = pd.Index(np.arange(net.n_nodes), name="id")
    pnet = pandana.Network(pd.Series(net.x, index=ids), pd.Series(net.y, index=ids),
                           pd.Series(lo), pd.Series(hi), pd.DataFrame({"w": w}), twoway=True)
    pnet.precompute(float(THRESHOLDS[-1]))
    t_build = time.perf_counter() - t0
    counts = np.zeros((net.n_nodes, n_items, len(THRESHOLDS)), dtype=np.int32)
    t1 = time.perf_counter()
    for i in range(n_items):
        nodes = [int(fac_node[k]) for k, its in enumerate(fac_items) if i in its]
        pnet.set(pd.Series(nodes, dtype=np.int64), variable=pd.Series(np.ones(len(nodes))),
                 name=f"i{i}")
        for q, d in enumerate(THRESHOLDS):
            s = pnet.aggregate(float(d), type="count", decay="flat", name=f"i{i}")
            counts[:, i, q] = s.reindex(ids).to_numpy()
    t_agg = time.perf_counter() - t1
    return counts, t_build, t_agg, time.process_time() - c0


def run_networkx(net: WalkNetwork, fac_node: np.ndarray, fac_items: list[list[int]],
                 n_items: int) -> tuple[np.ndarray, float, float]:
    import networkx as nx

    t0, c0 = time.perf_counter(), time.process_time()
    lo, hi, w = simple_edges(net)
    g = nx.Graph()
    g.add_weighted_edges_from(zip(lo.tolist(), hi.tolist(), w.tolist(), strict=True))
    counts = np.zeros((net.n_nodes, n_items, len(THRESHOLDS)), dtype=np.int32)
    for k, node in enumerate(fac_node):
        lengths = nx.single_source_dijkstra_path_length(g, int(node), cutoff=THRESHOLDS[-1])
        reached = np.fromiter(lengths.keys(), dtype=np.int64, count=len(lengths))
        d = np.fromiter(lengths.values(), dtype=np.float64, count=len(lengths))
        for i in fac_items[k]:
            for q, t in enumerate(THRESHOLDS):
                counts[reached[d <= t], i, q] += 1
    return counts, time.perf_counter() - t0, time.process_time() - c0


def run_cityseer(result: Any, fac_node: np.ndarray, fac_items: list[list[int]],
                 items: list[str]) -> tuple[np.ndarray | None, float, float, str]:
    try:
        import geopandas as gpd
        import networkx as nx
        from cityseer.metrics import layers
        from cityseer.tools import io
    except ImportError as exc:  # pragma: no cover - optional
        return None, float("nan"), float("nan"), f"not installed: {exc}"
    net = result.network
    t0, c0 = time.perf_counter(), time.process_time()
    lo, hi, _, eid = simple_edges(net, with_ids=True)
    g = nx.MultiGraph()
    g.graph["crs"] = net.crs
    for n in range(net.n_nodes):
        g.add_node(str(n), x=float(net.x[n]), y=float(net.y[n]))
    lines = net.lines
    for a, b, e in zip(lo.tolist(), hi.tolist(), eid.tolist(), strict=True):
        g.add_edge(str(a), str(b), geom=lines[e])
    nodes_gdf, _, ns = io.network_structure_from_nx(g, crs=net.crs)
    rows = [(items[i], shapely.Point(net.x[fac_node[k]], net.y[fac_node[k]]))
            for k, its in enumerate(fac_items) for i in its]
    data = gpd.GeoDataFrame({"item": [r[0] for r in rows]}, geometry=[r[1] for r in rows],
                            crs=net.crs)
    out = layers.compute_accessibilities(
        data, "item", items, nodes_gdf, ns, max_netw_assign_dist=1.0,
        distances=[int(d) for d in THRESHOLDS])
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    counts = np.zeros((net.n_nodes, len(items), len(THRESHOLDS)), dtype=np.int32)
    for i, item in enumerate(items):
        for q, d in enumerate(THRESHOLDS):
            col = f"cc_{item}_{int(d)}_nw"
            if col in out:
                keys = [str(n) for n in range(net.n_nodes)]
                counts[:, i, q] = out[col].reindex(keys).fillna(0).to_numpy()
    return counts, elapsed, cpu, ""


def agreement(a: np.ndarray, b: np.ndarray) -> str:
    same = float((a == b).mean()) * 100
    return f"{same:.3f} % ({int((a != b).sum())} of {a.size:,} differ)"


def mosaic(result: Any, tiles: int) -> dict[str, Any]:
    """Tile the city's arrays side by side, stitch the borders, evaluate from the arrays."""
    net = result.network
    cfg = result.config
    t0 = time.perf_counter()
    width = float(net.x.max() - net.x.min()) + 50.0
    n, m = net.n_nodes, net.n_edges
    xs = [net.x + k * width for k in range(tiles)]
    ys = [net.y for _ in range(tiles)]
    us = [net.edge_u + k * n for k in range(tiles)]
    vs = [net.edge_v + k * n for k in range(tiles)]
    gx = [net.geom_x + k * width for k in range(tiles)]
    gy = [net.geom_y for _ in range(tiles)]
    lens = [net.edge_len for _ in range(tiles)]
    ptrs = [net.geom_ptr[:-1] + k * len(net.geom_x) for k in range(tiles)]
    # Stitch: the 300 eastmost nodes of tile k to their nearest westmost nodes of tile k+1.
    east = np.argsort(net.x)[-300:]
    west = np.argsort(net.x)[:300]
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([net.x[west] + width, net.y[west]]))
    d, j = tree.query(np.column_stack([net.x[east], net.y[east]]))
    su, sv, sl, sgx, sgy = [], [], [], [], []
    for k in range(tiles - 1):
        a = east + k * n
        b = west[j] + (k + 1) * n
        su.append(a)
        sv.append(b)
        sl.append(d)
        sgx.append(np.column_stack([net.x[east] + k * width,
                                    net.x[west[j]] + (k + 1) * width]).ravel())
        sgy.append(np.column_stack([net.y[east], net.y[west[j]]]).ravel())
    n_stitch = sum(len(s) for s in su)
    geom_x = np.concatenate(gx + sgx)
    geom_y = np.concatenate(gy + sgy)
    base = len(net.geom_x) * tiles
    ptr = np.concatenate([*ptrs, base + 2 * np.arange(n_stitch + 1)])
    big = assemble(net.crs, np.concatenate(xs), np.concatenate(ys),
                   np.arange(n * tiles), np.concatenate(us + su), np.concatenate(vs + sv),
                   np.concatenate(lens + sl), ptr.astype(np.int64), geom_x, geom_y,
                   source="mosaic")
    del m
    t_build = time.perf_counter() - t0
    # Facilities and origins, tiled.
    fs = result.facility_set
    geoms = np.asarray(fs.gdf.geometry.values, dtype=object)
    org = result.origins
    t1 = time.perf_counter()
    snapper = Snapper(big)
    all_geoms = np.concatenate([
        shapely.transform(geoms, lambda c, k=k: c + np.array([k * width, 0.0]))
        for k in range(tiles)
    ])
    items = fs.items * tiles
    area = np.tile(fs.gdf["area_m2"].to_numpy(), tiles)
    access, access_fac = access_points(all_geoms, snapper, cfg)
    ox = np.concatenate([org["x"].to_numpy() + k * width for k in range(tiles)])
    oy = np.tile(org["y"].to_numpy(), tiles)
    pop = np.tile(org["population"].to_numpy(), tiles)
    osnap = snapper.snap(ox, oy, cfg.network.max_snap_m)
    t_snap = time.perf_counter() - t1
    t2 = time.perf_counter()
    sc = score(big, items, area, access, access_fac, osnap, ox, oy, pop, cfg, result.taxonomy)
    t_score = time.perf_counter() - t2
    t3 = time.perf_counter()
    ok = osnap.ok
    idx = {k: np.where(ok, v, np.nan) for k, v in sc.indices.items()}
    lows = {k: 0.5 for k in INDEX_NAMES}
    summary = city_summary(idx, lows, pop, ok,
                           {it: sc.reach.nearest[:, i] for i, it in enumerate(result.taxonomy.ids)},
                           cfg.thresholds.distances_m, cfg.thresholds.labels,
                           {it: 1 for it in result.taxonomy.ids})
    t_sum = time.perf_counter() - t3
    return {
        "tiles": tiles, "graph_nodes": big.n_nodes, "graph_edges": big.n_edges,
        "walk_vertices": int(len(big.geom_x) - big.n_edges),  # polyline vertices
        "facilities": len(items), "access_points": len(access.edge),
        "origins": len(ox), "build_s": t_build, "snap_s": t_snap, "score_s": t_score,
        "summary_s": t_sum, "total_s": t_build + t_snap + t_score + t_sum,
        "median_life_service": summary["indices"]["life_service"]["median"],
        "peak_rss_gib": peak_rss_gib(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--city", default="malta")
    ap.add_argument("--tiles", type=int, default=33)
    ap.add_argument("--skip-cityseer", action="store_true")
    ap.add_argument("--skip-networkx", action="store_true")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per tool in part 1; the fastest is reported")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore")
    path = OSM / f"{args.city}.osm.pbf"
    # Warm the numba cache on a small city so no run below pays for compilation: once with
    # uint16 counts (Malta) and once with int32 counts (the mosaic has more than 65,535
    # facilities of an item), each a kernel specialisation of its own.
    evaluate(OSM / "monaco.osm.pbf")
    narrow, reach_module._narrow_limit = reach_module._narrow_limit, 0
    try:
        evaluate(OSM / "monaco.osm.pbf")
    finally:
        reach_module._narrow_limit = narrow
    t0 = time.perf_counter()
    result = evaluate(path)
    t_e2e = time.perf_counter() - t0
    net = result.network
    fac_node, fac_items, items = node_problem(result)
    n_items = len(items)
    reps = max(1, args.repeat)

    def run_rescity(with_nearest: bool = False) -> tuple[np.ndarray, float, float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        net2 = WalkNetwork(net.crs, net.x, net.y, net.node_osm, net.edge_u, net.edge_v,
                           net.edge_len, net.geom_ptr, net.geom_x, net.geom_y)
        _ = net2.search_graph  # what the reach kernel runs on
        t_build = time.perf_counter() - t0
        t1 = time.perf_counter()
        counts = rescity_node_counts(net2, fac_node, fac_items, n_items,
                                     with_nearest=with_nearest)
        return counts, t_build, time.perf_counter() - t1, time.process_time() - c0

    # Each tool runs `reps` times and its fastest run is reported (the machine is shared).
    mine, t_csr, t_reach, c_mine = min((run_rescity() for _ in range(reps)),
                                       key=lambda r: r[1] + r[2])
    # The same run also computing the nearest distance per origin and item (the pipeline
    # does), which none of the other tools is asked for: reported, not compared.
    full, f_csr, f_reach, f_cpu = min((run_rescity(with_nearest=True) for _ in range(reps)),
                                      key=lambda r: r[1] + r[2])
    rows: list[tuple[str, ...]] = []
    rows.append(("rescity", f"{t_csr:.3f}", f"{t_reach:.3f}", f"{t_csr + t_reach:.3f}",
                 f"{c_mine:.3f}", "-"))
    rows.append(("rescity, + nearest distances", f"{f_csr:.3f}", f"{f_reach:.3f}",
                 f"{f_csr + f_reach:.3f}", f"{f_cpu:.3f}", agreement(mine, full)))
    pan, pb, pa, pc = min((run_pandana(net, fac_node, fac_items, n_items) for _ in range(reps)),
                          key=lambda r: r[1] + r[2])
    rows.append(("pandana 0.8", f"{pb:.3f}", f"{pa:.3f}", f"{pb + pa:.3f}", f"{pc:.3f}",
                 agreement(mine, pan)))
    speed = [f"reach vs pandana aggregate {pa / t_reach:.1f}x",
             f"end to end vs pandana {(pb + pa) / (t_csr + t_reach):.1f}x (CPU {pc / c_mine:.1f}x)"]
    if not args.skip_networkx:
        nxc, nt, nc = min((run_networkx(net, fac_node, fac_items, n_items)
                           for _ in range(reps)), key=lambda r: r[1])
        rows.append(("networkx 3", "-", f"{nt:.3f}", f"{nt:.3f}", f"{nc:.3f}",
                     agreement(mine, nxc)))
        speed.append(f"vs networkx {nt / (t_csr + t_reach):.1f}x (CPU {nc / c_mine:.1f}x; "
                     f"with nearest distances too {nt / (f_csr + f_reach):.1f}x)")
    if not args.skip_cityseer:
        cs, ct, cc, note = min((run_cityseer(result, fac_node, fac_items, items)
                                for _ in range(reps)), key=lambda r: r[1])
        if cs is not None:
            rows.append(("cityseer 5.8", "-", f"{ct:.3f}", f"{ct:.3f}", f"{cc:.3f}",
                         agreement(mine, cs)))
            speed.append(f"vs cityseer {ct / (t_csr + t_reach):.1f}x (CPU {cc / c_mine:.1f}x)")
        else:
            rows.append(("cityseer", "-", "-", "-", "-", note))
    mo = mosaic(result, args.tiles)
    lines = [
        f"# assess reach benchmark — {dt.date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}",
        "",
        f"## 1. {args.city}: {net.n_nodes:,} nodes, {net.n_edges:,} edges, "
        f"{len(fac_node):,} facilities of 16 items, origins = all nodes, 48 count queries",
        "",
        f"rescity full pipeline (read OSM → summary, {len(result.origins)} origins): "
        f"{t_e2e:.2f} s; stages: "
        + ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()),
        "",
        f"Best of {reps} runs per tool.",
        "",
        "| tool | network build (s) | 48 queries (s) | end to end (s) | end to end CPU (s) "
        "| counts equal to rescity |",
        "|---|---|---|---|---|---|",
        *[f"| {' | '.join(r)} |" for r in rows],
        "",
        "Speed-ups (wall): " + "; ".join(speed),
        "",
        f"Load average during the run: {os.getloadavg()[0]:.1f} (shared 2-core machine)",
        "",
        f"## 2. Mosaic: {mo['tiles']} tiles of {args.city}, stitched",
        "",
        "| graph nodes | edges | polyline vertices | facilities | access points | origins "
        "| build (s) | snap (s) | reach+indices (s) | summary (s) | total (s) | peak RSS (GiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {mo['graph_nodes']:,} | {mo['graph_edges']:,} | {mo['walk_vertices']:,} | "
        f"{mo['facilities']:,} | {mo['access_points']:,} | {mo['origins']:,} | "
        f"{mo['build_s']:.2f} | {mo['snap_s']:.2f} | {mo['score_s']:.2f} | "
        f"{mo['summary_s']:.2f} | {mo['total_s']:.2f} | {mo['peak_rss_gib']:.2f} |",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
