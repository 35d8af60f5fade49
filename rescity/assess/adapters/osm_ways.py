"""Node ids and coordinates of the ways the reader keeps, in bulk, without Python per node.

Asking pyosmium for a way's nodes makes one Python object per node (and its location): on a
city that is most of the read. Instead each kept way is handed whole to libosmium's OPL
writer (``locations_on_ways``), which formats ids and coordinates in C++ into a temporary
file; after the pass the file is turned into CSV rows ``id,lon,lat`` with two byte-string
operations and parsed by Arrow's CSV reader (exact float parsing), in chunks so that memory
stays bounded. Coordinates are the same doubles as libosmium's ``Location.lon``/``lat``.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import osmium

CHUNK = 1 << 24  # bytes of OPL parsed at a time
# OPL "n<id>x<lon>y<lat>,n…" -> CSV "<id>,<lon>,<lat>\n…"
_TO_CSV = bytes.maketrans(b",xy", b"\n,,")
_INVALID = b"xy"  # a node whose location is missing is written "n<id>xy"
_NODE_LIST = re.compile(rb" N([^\n]*)\n")  # tags are %-escaped: " N" starts the node list


@dataclass
class WayCoords:
    """All written ways: ``ptr`` into the flat ``ids``/``lon``/``lat``; ``bad`` marks ways with
    a missing or invalid node location."""

    ptr: npt.NDArray[np.int64]
    ids: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    bad: npt.NDArray[np.bool_]


class WaySink:
    """Ways go in one by one (C++ copies), come out as arrays from :meth:`read`."""

    def __init__(self) -> None:
        fd, name = tempfile.mkstemp(prefix="rescity-ways-", suffix=".opl")
        os.close(fd)
        os.unlink(name)  # osmium refuses to overwrite
        self.path = Path(name)
        self.writer = osmium.SimpleWriter(osmium.io.File(
            name, "opl,add_metadata=false,locations_on_ways=true"))
        self._add = self.writer.add_way
        self.counts: list[int] = []  # nodes per way written
        self.closed = False

    def add(self, way: osmium.osm.Way, n_nodes: int) -> None:
        self._add(way)
        self.counts.append(n_nodes)

    def close(self) -> None:
        if not self.closed:
            self.writer.close()
            self.closed = True

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def read(self) -> WayCoords:
        """Parse what was written, then delete the file."""
        self.close()
        cols: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64],
                         npt.NDArray[np.float64]]] = []
        bads: list[npt.NDArray[np.bool_]] = []
        try:
            with self.path.open("rb") as fh:
                rest = b""
                while True:
                    block = fh.read(CHUNK)
                    data = rest + block
                    if not data:
                        break
                    cut = data.rfind(b"\n") + 1 if block else len(data)
                    rest = data[cut:]
                    if cut:
                        c, b = _parse(data[:cut])
                        cols.append(c)
                        bads.append(b)
                    if not block:
                        break
        finally:
            self.path.unlink(missing_ok=True)
        n_all = np.array(self.counts, dtype=np.int64)
        ptr = np.zeros(len(n_all) + 1, dtype=np.int64)
        np.cumsum(n_all, out=ptr[1:])
        ids = np.concatenate([c[0] for c in cols]) if cols else np.zeros(0, dtype=np.int64)
        lon = np.concatenate([c[1] for c in cols]) if cols else np.zeros(0)
        lat = np.concatenate([c[2] for c in cols]) if cols else np.zeros(0)
        bad = np.concatenate(bads) if bads else np.zeros(0, dtype=bool)
        # A location outside the world is "not valid" to libosmium too.
        out = ~((np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0))
        if out.any():
            owner = np.repeat(np.arange(len(n_all)), n_all)
            bad[owner[out]] = True
        return WayCoords(ptr, ids, lon, lat, bad)


def _parse(text: bytes) -> tuple[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64],
                                       npt.NDArray[np.float64]],
                                 npt.NDArray[np.bool_]]:
    """(ids, lon, lat) and missing-location flags of OPL way lines."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    nodes = _NODE_LIST.findall(text)
    bad = np.zeros(len(nodes), dtype=bool)
    joined = b",".join(nodes)
    if _INVALID in joined:
        for i, p in enumerate(nodes):
            if _INVALID in p:
                bad[i] = True
                nodes[i] = p.replace(_INVALID, b"x0y0")  # placeholder: the way is bad
        joined = b",".join(nodes)
    csv = joined.translate(_TO_CSV, b"n")
    table = pacsv.read_csv(
        pa.py_buffer(csv),
        read_options=pacsv.ReadOptions(column_names=["i", "x", "y"], use_threads=False,
                                       block_size=max(len(csv) + 1, 1 << 20)),
        convert_options=pacsv.ConvertOptions(
            column_types={"i": pa.int64(), "x": pa.float64(), "y": pa.float64()}),
    )
    ids = table.column("i").to_numpy()
    lon = table.column("x").to_numpy()
    lat = table.column("y").to_numpy()
    return (np.ascontiguousarray(ids, dtype=np.int64),
                    np.ascontiguousarray(lon, dtype=np.float64),
                    np.ascontiguousarray(lat, dtype=np.float64)), bad
