"""What a user waits for, from the file (not a test): ``rescity assess`` cold and warm, the read
stage against a bare libosmium pass, the report, compare serial vs Dask, and the pipelines an
analyst would write with the peers, all in fresh processes and in one run.

Run:  .venv/bin/python bench/assess_e2e.py [--city malta] [--repeat 3] [--python PY]
      [--compare monaco munich_altstadt porto_centro] [--mosaic 33]
      [--skip assess cold help read report compare peers pandana pyrosm cityseer]

``--python`` times ``rescity`` from another environment (e.g. a fresh ``pip install .`` in a
new virtualenv); every run gets its own empty HOME, cache and matplotlib folders, so "cold"
is a first run after installing, and "warm" the next one with the same folders. The peers
(``pip install -e '.[bench]'``: pandana, pyrosm, cityseer) run the same way, each a fresh
process from the file to 48 counts (16 kinds of place x 300/500/1000 m): pyosmium -> pandana,
pyrosm -> pandana, pyosmium -> networkx -> cityseer. Timings are wall-clock medians of
``--repeat`` runs, interleaved so that a busy moment of the machine hits every tool alike,
with the CPU time of the timed process and its children where it says so; the load average
is printed before and after.

``rescity compare`` runs serially, on local processes (``--workers 2``) and on a local Dask
cluster (``--dask --workers 2``), for the first two ``--compare`` cities and, given three or
more, for all of them; besides the command's wall time, the time its cities took (assessed
and written, what the workers share) as the command prints it. ``--mosaic N`` adds the
megacity from a file (``bench/assess_mosaic.py``: N tiles of Malta as one .osm.pbf, written
once to the temporary folder) in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OSM = Path(os.environ.get("RESCITY_SHARED_DIR", REPO.parent / "shared")) / "data" / "osm"

# An analyst's 16 kinds of place, for the peers' 48 counts (16 x 300/500/1000 m).
PEER_KINDS = (
    ("amenity", "school"), ("amenity", "kindergarten"), ("amenity", "library"),
    ("amenity", "pharmacy"), ("amenity", "clinic"), ("amenity", "doctors"),
    ("amenity", "hospital"), ("amenity", "community_centre"), ("amenity", "marketplace"),
    ("amenity", "post_office"), ("amenity", "police"), ("amenity", "bank"),
    ("amenity", "restaurant"), ("leisure", "park"), ("shop", "supermarket"),
    ("shop", "convenience"),
)
NOT_WALKABLE = {"motorway", "motorway_link", "trunk", "trunk_link", "construction", "proposed",
                "abandoned", "platform", "raceway", "bus_guideway", "escape", "busway"}


def fresh_env(root: Path) -> dict[str, str]:
    """Empty HOME, caches and matplotlib folder under ``root`` (made if missing)."""
    env = dict(os.environ)
    for key, sub in (("HOME", "home"), ("XDG_CACHE_HOME", "cache"),
                     ("MPLCONFIGDIR", "mpl"), ("NUMBA_CACHE_DIR", "numba")):
        (root / sub).mkdir(parents=True, exist_ok=True)
        env[key] = str(root / sub)
    env.pop("PYTHONPATH", None)
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU time (the process and its children, from ``wait4``) and its stderr."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{text[-3000:]}")
    return wall, ru.ru_utime + ru.ru_stime, text


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    return run(cmd, env, cwd)[0]


def _peer_run(tool: str, city: Path, root: Path) -> float:
    return timed([sys.executable, str(Path(__file__).resolve()), "--peer", tool, str(city)],
                 fresh_env(root), root)


def med(xs: list[float]) -> float:
    return statistics.median(xs)


# ---------------------------------------------------------------------------------------
# The peer: pyosmium -> pandana, as an analyst writes it (run in a fresh process).

def _osmium_walk(path: str) -> tuple[Any, Any, Any, Any, dict[tuple[str, str], Any], float]:
    """pyosmium, as an analyst writes it: walk segments (u, v node ids), node coordinates in
    metres (equirectangular), the places of the 16 kinds."""
    import math

    import numpy as np
    import osmium

    keys = {k for k, _ in PEER_KINDS}
    lon: dict[int, float] = {}
    lat: dict[int, float] = {}
    u: list[int] = []
    v: list[int] = []
    poi: dict[tuple[str, str], list[tuple[float, float]]] = {k: [] for k in PEER_KINDS}
    fp = (osmium.FileProcessor(path).with_locations()
          .with_filter(osmium.filter.KeyFilter("highway", *keys)))
    for o in fp:
        if o.is_node():
            for k in PEER_KINDS:
                if o.tags.get(k[0]) == k[1]:
                    poi[k].append((o.location.lon, o.location.lat))
            continue
        if not o.is_way():
            continue
        hw = o.tags.get("highway")
        if hw and hw not in NOT_WALKABLE and o.tags.get("foot") != "no" \
                and o.tags.get("access") != "private":
            prev = None
            for n in o.nodes:
                if not n.location.valid():
                    prev = None
                    continue
                lon[n.ref], lat[n.ref] = n.lon, n.lat
                if prev is not None:
                    u.append(prev)
                    v.append(n.ref)
                prev = n.ref
        for k in PEER_KINDS:
            if o.tags.get(k[0]) == k[1] and len(o.nodes) and o.nodes[0].location.valid():
                poi[k].append((o.nodes[0].lon, o.nodes[0].lat))
    ids = np.fromiter(lon, dtype=np.int64)
    x = np.fromiter(lon.values(), dtype=np.float64)
    y = np.fromiter(lat.values(), dtype=np.float64)
    cos0 = math.cos(math.radians(float(y.mean())))
    xy = {k: np.array(p).reshape(-1, 2) * (111_320.0 * cos0, 110_540.0) for k, p in poi.items()}
    return ids, x * 111_320.0 * cos0, y * 110_540.0, (np.array(u), np.array(v)), xy, cos0


def _pandana_counts(x: Any, y: Any, a: Any, b: Any, w: Any,
                    poi: dict[tuple[str, str], Any]) -> None:
    """Contraction + precompute(1000), then 16 kinds x 300/500/1000 m counts."""
    import numpy as np
    import pandana
    import pandas as pd

    net = pandana.Network(pd.Series(x), pd.Series(y), pd.Series(a), pd.Series(b),
                          pd.DataFrame({"w": w}), twoway=True)
    net.precompute(1000)
    for k, p in poi.items():
        if not len(p):
            continue
        node_ids = net.get_node_ids(pd.Series(p[:, 0]), pd.Series(p[:, 1]))
        name = f"{k[0]}_{k[1]}"
        net.set(node_ids, variable=pd.Series(np.ones(len(p)), index=node_ids.index), name=name)
        for d in (300, 500, 1000):
            net.aggregate(d, type="count", decay="flat", name=name)


def peer_pandana(path: str) -> None:
    """pyosmium -> pandana."""
    import numpy as np
    import pandas as pd

    ids, x, y, (u, v), poi, _ = _osmium_walk(path)
    pos = pd.Series(np.arange(len(ids)), index=ids)
    a, b = pos[u].to_numpy(), pos[v].to_numpy()
    _pandana_counts(x, y, a, b, np.hypot(x[a] - x[b], y[a] - y[b]), poi)


def peer_pyrosm(path: str) -> None:
    """pyrosm (walking network, POIs) -> pandana."""
    import math

    import numpy as np
    import pyrosm

    osm = pyrosm.OSM(path)
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    filt: dict[str, list[str]] = {}
    for k, val in PEER_KINDS:
        filt.setdefault(k, []).append(val)
    pois = osm.get_pois(custom_filter=filt)
    cos0 = math.cos(math.radians(float(nodes["lat"].mean())))
    pos = {n: i for i, n in enumerate(nodes["id"].to_numpy())}
    a = np.array([pos[n] for n in edges["u"].to_numpy()])
    b = np.array([pos[n] for n in edges["v"].to_numpy()])
    x = nodes["lon"].to_numpy() * 111_320.0 * cos0
    y = nodes["lat"].to_numpy() * 110_540.0
    poi = {}
    if pois is not None and len(pois):
        pts = pois.geometry.representative_point()
        px, py = pts.x.to_numpy() * 111_320.0 * cos0, pts.y.to_numpy() * 110_540.0
        for k, val in PEER_KINDS:
            m = (pois[k] == val).to_numpy() if k in pois else np.zeros(len(pois), dtype=bool)
            poi[(k, val)] = np.column_stack([px[m], py[m]])
    _pandana_counts(x, y, a, b, edges["length"].to_numpy(dtype=np.float64), poi)


def peer_cityseer(path: str) -> None:
    """pyosmium -> networkx -> cityseer (compute_accessibilities at 300/500/1000 m)."""
    import geopandas as gpd
    import networkx as nx
    import shapely
    from cityseer.metrics import layers
    from cityseer.tools import io

    ids, x, y, (u, v), poi, _ = _osmium_walk(path)
    crs = "EPSG:3857"  # metres of the equirectangular projection above; a label only
    g = nx.MultiGraph()
    g.graph["crs"] = crs
    at = {int(n): i for i, n in enumerate(ids)}
    for n, i in at.items():
        g.add_node(str(n), x=float(x[i]), y=float(y[i]))
    for p, q in zip(u.tolist(), v.tolist(), strict=True):
        if p != q:
            i, j = at[p], at[q]
            g.add_edge(str(p), str(q), geom=shapely.LineString([(x[i], y[i]), (x[j], y[j])]))
    nodes_gdf, _, ns = io.network_structure_from_nx(g, crs=crs)
    rows = [(f"{k[0]}_{k[1]}", shapely.Point(px, py)) for k, pts in poi.items()
            for px, py in pts]
    data = gpd.GeoDataFrame({"kind": [r[0] for r in rows]}, geometry=[r[1] for r in rows],
                            crs=crs)
    layers.compute_accessibilities(data, "kind", sorted({r[0] for r in rows}), nodes_gdf, ns,
                                   max_netw_assign_dist=100, distances=[300, 500, 1000])


# ---------------------------------------------------------------------------------------

def read_vs_bare(path: Path, repeat: int) -> tuple[float, float]:
    import osmium

    from rescity.assess.adapters.osm_reader import EXTRA_KEYS, read_osm
    from rescity.assess.domain.taxonomy import load_taxonomy

    tax = load_taxonomy()
    keys = sorted(tax.keys | set(EXTRA_KEYS))

    def bare() -> None:
        for _ in (osmium.FileProcessor(str(path)).with_locations()
                  .with_areas(osmium.filter.KeyFilter(*keys))
                  .with_filter(osmium.filter.KeyFilter(*keys))):
            pass

    def ours() -> None:
        read_osm(path, tax)

    b, r = [], []
    for _ in range(repeat):
        for fn, out in ((bare, b), (ours, r)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return med(b), med(r)


def assess_rows(py: str, city: Path, repeat: int, skip: list[str],
                work: Path) -> list[tuple[str, str]]:
    """``rescity assess`` cold (empty caches) and warm, and the peers, interleaved."""
    rows: list[tuple[str, str]] = []
    peers: dict[str, Callable[[Path], float]] = {}
    if "peers" not in skip:
        for label, tool in (("pyosmium → pandana", "pandana"), ("pyrosm → pandana", "pyrosm"),
                            ("pyosmium → networkx → cityseer", "cityseer")):
            if tool in skip:
                continue
            peers[label] = partial(_peer_run, tool, city)
    cold: list[tuple[float, float]] = []
    warm: list[tuple[float, float]] = []
    stage_rows: dict[str, float] = {}
    peer_t: dict[str, list[float]] = {k: [] for k in peers}
    for r in range(repeat):
        root = work / f"run{r}"
        env = fresh_env(root)
        cmd = [py, "-m", "rescity", "assess", str(city), "--out", str(root / "out")]
        if "cold" not in skip:
            cold.append(run(cmd, env, root)[:2])  # empty caches: the first run ever
        warm.append(run(cmd, env, root)[:2])
        stage_rows = json.loads((root / "out" / "summary.json").read_text())["timings_s"]
        for name, fn in peers.items():
            peer_t[name].append(fn(work / f"peer{r}"))
    w = med([t for t, _ in warm])
    rows.append(("rescity assess, warm (file → all outputs)",
                 f"{w:.2f} s (CPU {med([c for _, c in warm]):.2f} s)"))
    if cold:
        first = med([t for t, _ in cold])
        rows.append(("rescity assess, cold (first run, empty HOME and caches)",
                     f"{first:.2f} s (CPU {med([c for _, c in cold]):.2f} s): "
                     f"{first / w:.2f}× warm"))
    rows.append(("  its stages (last warm run)",
                 ", ".join(f"{k} {v:.2f}" for k, v in stage_rows.items())))
    for name, ts in peer_t.items():
        rows.append((f"{name} (file → 48 counts)",
                     f"{med(ts):.2f} s (rescity warm = {w / med(ts):.2f}× of it)"))
    return rows


def compare_rows(py: str, cities: list[str], repeat: int,
                 root: Path) -> list[tuple[str, str]]:
    """``rescity compare`` serially, on 2 local processes and on a 2-worker local Dask
    cluster, interleaved, for the first two cities and (given more) for all of them."""
    modes = {"serial": ["--serial"], "processes": ["--workers", "2"],
             "Dask": ["--dask", "--workers", "2"]}
    rows = []
    for n in sorted({2, len(cities)}):
        files = [str(OSM / f"{c}.osm.pbf") for c in cities[:n]]
        env = fresh_env(root)
        wall: dict[str, list[float]] = {m: [] for m in modes}
        cpu: dict[str, list[float]] = {m: [] for m in modes}
        part: dict[str, list[float]] = {m: [] for m in modes}
        load = os.getloadavg()[0]
        for _ in range(repeat):
            for mode, extra in modes.items():
                dest = root / mode
                shutil.rmtree(dest, ignore_errors=True)
                w, c, err = run([py, "-m", "rescity", "compare", *files, "--out", str(dest),
                                 *extra], env, root)
                wall[mode].append(w)
                cpu[mode].append(c)
                found = re.search(r"cities ([0-9.]+) s", err)
                part[mode].append(float(found.group(1)) if found else float("nan"))
        s = med(wall["serial"])
        rows.append((f"rescity compare, {n} cities ({', '.join(cities[:n])}): serial vs 2 "
                     f"processes vs Dask with 2 workers (load {load:.1f}–"
                     f"{os.getloadavg()[0]:.1f})",
                     "; ".join(f"{m} {med(wall[m]):.1f} s ({med(wall[m]) / s:.2f}×, CPU "
                               f"{med(cpu[m]):.1f} s, cities {med(part[m]):.1f} s)"
                               for m in modes)))
    return rows


def help_time(py: str, repeat: int, root: Path) -> float:
    """``rescity --help`` through the environment's console script (else ``-m rescity``)."""
    script = Path(py).parent / "rescity"
    cmd = [str(script), "--help"] if script.is_file() else [py, "-m", "rescity", "--help"]
    env = fresh_env(root)
    timed(cmd, env, root)  # the first one compiles the environment's .pyc files
    return med([timed(cmd, env, root) for _ in range(repeat)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--city", default="malta")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--python", default=sys.executable, help="Python of the rescity to time.")
    ap.add_argument("--compare", nargs="*", default=["monaco", "munich_altstadt"],
                    help="Cities for compare serial vs processes vs Dask (2, and all if more).")
    ap.add_argument("--mosaic", type=int, default=0, metavar="TILES",
                    help="Also assess the megacity file of this many tiles of Malta.")
    ap.add_argument("--skip", nargs="*", default=[],
                    help="Parts to skip: assess cold help read report compare peers pandana "
                         "pyrosm cityseer.")
    ap.add_argument("--peer", nargs=2, metavar=("TOOL", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        {"pandana": peer_pandana, "pyrosm": peer_pyrosm,
         "cityseer": peer_cityseer}[args.peer[0]](args.peer[1])
        return
    city = OSM / f"{args.city}.osm.pbf"
    py = args.python
    rows: list[tuple[str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="rescity-e2e-"))
    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC {platform.node()} "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; {city.name}; rescity from {py}; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    try:
        if "help" not in args.skip:
            rows.append(("rescity --help (median, after one run that compiles .pyc)",
                         f"{help_time(py, args.repeat, work / 'help'):.2f} s"))
        if "assess" not in args.skip:
            rows += assess_rows(py, city, args.repeat, args.skip, work)
        if "read" not in args.skip:
            b, r_ = read_vs_bare(city, args.repeat)
            rows.append(("read stage vs bare filtered libosmium pass",
                         f"{r_:.2f} s vs {b:.2f} s ({r_ / b:.1f}×)"))
        out = work / "run0" / "out"
        if "report" not in args.skip and out.is_dir():
            env = fresh_env(work / "report")
            rep = work / "report" / "rep"
            t = med([timed([py, "-m", "rescity", "report", str(out), "--out", str(rep)], env,
                           work) for _ in range(args.repeat)])
            pdf = "with PDF" if (rep / "report.pdf").is_file() else "no Chromium: no PDF"
            rows.append((f"rescity report ({pdf})",
                         f"{t:.2f} s, HTML {(rep / 'report.html').stat().st_size / 1e6:.1f} MB"))
        if "compare" not in args.skip and len(args.compare) >= 2:
            rows += compare_rows(py, args.compare, args.repeat, work / "compare")
        if args.mosaic:
            sys.path.insert(0, str(REPO))
            from bench.assess_mosaic import assess_file, mosaic_file

            m = assess_file(mosaic_file("malta", args.mosaic), py)
            net = m["network"]
            rows.append((f"rescity assess, megacity file: {args.mosaic} tiles of Malta "
                         f"({m['size_mb']:.0f} MB, {net.get('nodes', 0):,} graph nodes)",
                         f"{m['wall']:.1f} s (CPU {m['cpu']:.1f} s), peak {m['peak_gib']:.2f} "
                         f"GiB, load {m['load'][0]:.1f}/{m['load'][1]:.1f}; stages "
                         + ", ".join(f"{k} {v:.1f}" for k, v in m["stages"].items())))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"# load average at the end {os.getloadavg()[0]:.1f}")
    print("| what | time |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
