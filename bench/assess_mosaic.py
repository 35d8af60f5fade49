"""A megacity from a file (not a test): ``rescity assess`` on a real-tile mosaic .osm.pbf.

Run:  .venv/bin/python bench/assess_mosaic.py [--tiles 33] [--city malta] [--keep]

The mosaic is written once to the temporary folder (never into the repository) and reused:
every object of the extract (nodes, ways, relations, all tags) copied ``--tiles`` times on a
grid, each copy with its own ids (a prefix per tile) and its coordinates shifted by whole
tenths of a degree, neighbouring copies stitched by ``highway=footway`` ways between the
border nodes of their walk networks. libosmium writes and re-reads the copies (OPL text made
from one template per object kind by byte replacements, then converted to PBF in C++), so
writing 11 M nodes takes seconds, not a Python loop over each.

Then ``rescity assess`` runs on the file in a fresh process, parsing included, and the
script prints its wall and CPU time, peak memory (that process's maximum resident set) and
the stage table from ``summary.json``. ``bench/assess_e2e.py --mosaic 33`` runs the same in
its one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

REPO = Path(__file__).resolve().parent.parent
OSM = Path(os.environ.get("RESCITY_SHARED_DIR", REPO.parent / "shared")) / "data" / "osm"
ID_DIGITS = 11  # ids of the extract, zero-padded; the tile's number goes in front
ID_MARK = b"\x03"
LINKS = 20  # stitching footways per border
STEP_M = 100.0  # a vertex every ~100 m along a stitching footway
_NUM = re.compile(rb"^(-?\d+)(?:\.(\d))?(\d*)$")


class _Coords:
    """Replaces a coordinate's integer part and first decimal by a placeholder byte, so a
    tile's shift by whole tenths of a degree is one ``bytes.replace`` per placeholder."""

    FREE: ClassVar[list[bytes]] = [bytes([c]) for c in range(4, 32) if c not in (9, 10, 13)]

    def __init__(self, free: list[bytes]) -> None:
        self.codes: dict[int, bytes] = {}  # tenths of a degree -> placeholder
        self.free = free  # shared by lon and lat: each placeholder means one thing

    def template(self, text: bytes) -> bytes:
        m = _NUM.match(text)
        if m is None:
            raise ValueError(f"unexpected coordinate {text!r}")
        whole, first, rest = m.group(1), m.group(2) or b"0", m.group(3)
        sign = -1 if whole.startswith(b"-") else 1
        tenths = int(whole) * 10 + sign * int(first)
        if whole == b"-0":
            tenths = -int(first)
        code = self.codes.get(tenths)
        if code is None:
            code = self.codes[tenths] = self.free.pop(0)
        return code + rest

    def shifted(self, text: bytes, by: int) -> bytes:
        for tenths, code in self.codes.items():
            t = tenths + by
            # rest digits follow the first decimal: only non-negative areas are supported
            if tenths < 0 or t < 0:
                raise ValueError("the mosaic needs coordinates east and north of 0, 0")
            text = text.replace(code, f"{t // 10}.{t % 10}".encode())
        return text


def _ref(token: bytes) -> bytes:
    """``n123`` -> ``n<mark>00000000123``"""
    return token[:1] + ID_MARK + token[1:].zfill(ID_DIGITS)


def templates(source: Path) -> tuple[bytes, bytes, bytes, _Coords, _Coords]:
    """OPL templates (nodes, ways, relations) of ``source`` with ids and coordinates as
    placeholders."""
    import osmium

    opl = Path(tempfile.mkdtemp(prefix="rescity-mosaic-")) / "src.opl"
    w = osmium.SimpleWriter(osmium.io.File(str(opl), "opl,add_metadata=false"))
    osmium.apply(osmium.io.Reader(str(source)), w)
    w.close()
    free = list(_Coords.FREE)
    lon, lat = _Coords(free), _Coords(free)
    nodes: list[bytes] = []
    ways: list[bytes] = []
    rels: list[bytes] = []
    for line in opl.read_bytes().split(b"\n"):
        if not line:
            continue
        f = line.split(b" ")
        head = _ref(f[0])
        if line[:1] == b"n":
            x, y = f[2], f[3]
            nodes.append(b" ".join((head, f[1], b"x" + lon.template(x[1:]),
                                    b"y" + lat.template(y[1:]))))
        elif line[:1] == b"w":
            refs = f[2][1:]
            body = b",".join(_ref(r) for r in refs.split(b",")) if refs else b""
            ways.append(b" ".join((head, f[1], b"N" + body)))
        else:
            mem = f[2][1:]
            body = b",".join(_ref(m[:m.index(b"@")]) + m[m.index(b"@"):]
                             for m in mem.split(b",")) if mem else b""
            rels.append(b" ".join((head, f[1], b"M" + body)))
    opl.unlink()
    opl.parent.rmdir()
    return (b"\n".join(nodes) + b"\n", b"\n".join(ways) + b"\n", b"\n".join(rels) + b"\n",
            lon, lat)


def border_nodes(source: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each side, ``LINKS`` nodes of the largest walk component nearest that border,
    ordered along it: (ids, lon, lat)."""
    from rescity.assess.adapters.osm_reader import read_osm
    from rescity.assess.domain.taxonomy import load_taxonomy
    from rescity.assess.network.graph import build_network

    osm = read_osm(source, load_taxonomy())
    net = build_network(osm)
    ids, first = np.unique(osm.node_ids, return_index=True)
    pos = first[np.searchsorted(ids, net.node_osm)]
    lon, lat = osm.lon[pos], osm.lat[pos]
    out = {}
    for side, key, along, sign in (("east", lon, lat, -1), ("west", lon, lat, 1),
                                   ("north", lat, lon, -1), ("south", lat, lon, 1)):
        pick = np.argsort(sign * key, kind="stable")[:LINKS]
        pick = pick[np.argsort(along[pick], kind="stable")]
        out[side] = (net.node_osm[pick], lon[pick], lat[pick])
    return out


def write_mosaic(source: Path, tiles: int, dest: Path) -> dict[str, float]:
    import osmium

    t0 = time.perf_counter()
    nodes, ways, rels, lon, lat = templates(source)
    border = border_nodes(source)
    cols = int(np.ceil(np.sqrt(tiles)))
    # Tiles one walk network apart (in whole tenths of a degree, plus one): the extract's
    # stray far nodes (ferry lines, boundaries) overlap the neighbours, not its streets.
    span_x = int(np.ceil((border["east"][1].max() - border["west"][1].min()) * 10)) + 1
    span_y = int(np.ceil((border["north"][2].max() - border["south"][2].min()) * 10)) + 1
    where = [(t % cols, t // cols) for t in range(tiles)]

    def tile_ids(t: int, text: bytes) -> bytes:
        return text.replace(ID_MARK, str(t + 1).encode())

    # Stitching footways: a chain of short segments (a vertex every ~100 m, new nodes) from
    # each of the LINKS border nodes of a tile to the matching one of its neighbour.
    link_nodes: list[bytes] = []
    links: list[bytes] = []
    n_link_nodes = 0
    index = {xy: t for t, xy in enumerate(where)}
    for t, (cx, cy) in enumerate(where):
        for nb, a_side, b_side in (((cx + 1, cy), "east", "west"),
                                   ((cx, cy + 1), "north", "south")):
            u = index.get(nb)
            if u is None:
                continue
            a_ids, a_lon, a_lat = border[a_side]
            b_ids, b_lon, b_lat = border[b_side]
            for i in range(LINKS):
                x0 = round(a_lon[i] * 1e7) + cx * span_x * 10**6
                y0 = round(a_lat[i] * 1e7) + cy * span_y * 10**6
                x1 = round(b_lon[i] * 1e7) + nb[0] * span_x * 10**6
                y1 = round(b_lat[i] * 1e7) + nb[1] * span_y * 10**6
                metres = np.hypot((x1 - x0) * 0.0090, (y1 - y0) * 0.0111)
                steps = max(1, int(metres / STEP_M))
                refs = [b"n%d%011d" % (t + 1, a_ids[i])]
                for j in range(1, steps):
                    n_link_nodes += 1
                    x = x0 + (x1 - x0) * j // steps
                    y = y0 + (y1 - y0) * j // steps
                    link_nodes.append(b"n98%011d T x%d.%07d y%d.%07d" % (
                        n_link_nodes, x // 10**7, x % 10**7, y // 10**7, y % 10**7))
                    refs.append(b"n98%011d" % n_link_nodes)
                refs.append(b"n%d%011d" % (u + 1, b_ids[i]))
                links.append(b"w99%011d Thighway=footway N" % (len(links) + 1)
                             + b",".join(refs))
    k = len(links)
    dest.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(dest))
    try:
        for kind in (nodes, b"\n".join(link_nodes), ways, b"\n".join(links), rels):
            if kind is not nodes and kind is not ways and kind is not rels:
                buf = osmium.io.FileBuffer(kind + b"\n", "opl")
                osmium.apply(osmium.io.Reader(buf), writer)
                continue
            for t, (cx, cy) in enumerate(where):
                text = tile_ids(t, kind)
                if kind is nodes:
                    text = lon.shifted(text, cx * span_x)
                    text = lat.shifted(text, cy * span_y)
                osmium.apply(osmium.io.Reader(osmium.io.FileBuffer(text, "opl")), writer)
    finally:
        writer.close()
    return {"write_s": time.perf_counter() - t0, "links": float(k),
            "size_mb": dest.stat().st_size / 1e6}


def mosaic_file(city: str, tiles: int, *, rewrite: bool = False) -> Path:
    """The mosaic of ``tiles`` copies of ``city``, written once to the temporary folder."""
    source = OSM / f"{city}.osm.pbf"
    dest = Path(tempfile.gettempdir()) / f"rescity-mosaic-{city}-{tiles}.osm.pbf"
    if rewrite or not dest.is_file():
        info = write_mosaic(source, tiles, dest)
        print(f"wrote {dest} ({info['size_mb']:.0f} MB, {int(info['links'])} stitching "
              f"footways) in {info['write_s']:.0f} s", flush=True)
    return dest


def assess_file(path: Path, python: str) -> dict[str, Any]:
    """``rescity assess`` on ``path`` in a fresh process: wall, CPU and peak memory of that
    process alone (``wait4``), load average before and after, the summary's network and
    stage table."""
    out = Path(tempfile.mkdtemp(prefix="rescity-mosaic-out-"))
    load = os.getloadavg()[0]
    try:
        with tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen([python, "-m", "rescity", "assess", str(path), "--out",
                                     str(out)], stdout=subprocess.DEVNULL, stderr=err)
            _, status, ru = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.returncode:
                err.seek(0)
                print(err.read()[-3000:].decode(errors="replace"))
                raise SystemExit(proc.returncode)
        summary = json.loads((out / "summary.json").read_text())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak_gib": ru.ru_maxrss / 2**20,
            "load": (load, os.getloadavg()[0]), "network": summary.get("network", {}),
            "stages": summary["timings_s"], "size_mb": path.stat().st_size / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--city", default="malta")
    ap.add_argument("--tiles", type=int, default=33)
    ap.add_argument("--python", default=sys.executable, help="Python of the rescity to time.")
    ap.add_argument("--rewrite", action="store_true", help="write the mosaic even if cached")
    args = ap.parse_args()
    dest = mosaic_file(args.city, args.tiles, rewrite=args.rewrite)
    r = assess_file(dest, args.python)
    net = r["network"]
    print("| file | graph nodes | edges | wall (s) | CPU (s) | peak RSS (GiB) | "
          "load before/after |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {dest.name} ({r['size_mb']:.0f} MB) | {net.get('nodes', '?'):,} | "
          f"{net.get('edges', '?'):,} | {r['wall']:.1f} | {r['cpu']:.1f} | "
          f"{r['peak_gib']:.2f} | {r['load'][0]:.1f} / {r['load'][1]:.1f} |")
    print("\nstages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()))


if __name__ == "__main__":
    main()
