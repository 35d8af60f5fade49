"""The kept ways, written by libosmium and read back in bulk: no Python object per way or node.

Handing a way to Python costs a wrapper object, a tuple per tag and the rules run on it; on a
city that was most of the read. Instead libosmium's OPL writer is the last handler of the C++
chain (after the key filter): it formats each kept way — tags, node ids and their locations
(``locations_on_ways``) — into a temporary file without entering Python. After the pass the
file is read back in 16 MB chunks of whole lines, each run through a compiled loop
(``_opl.scan``): ways with the same tags (most buildings and streets) share one decoding and one
evaluation of the rules, and the node lists of the ways used are parsed in C straight into
arrays (exact: coordinates are the same doubles as libosmium's ``Location.lon``/``lat``).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import osmium

from rescity.assess.adapters import _opl
from rescity.assess.adapters._opl import Scan

CHUNK = 1 << 24  # bytes of OPL read at a time
# OPL escapes every character that could clash with its syntax (space, comma, "=", "%" …) as
# "%<hex code point>%"; a literal "%" is itself escaped, so the pattern cannot misfire.
_ESCAPED = re.compile(r"%([0-9a-fA-F]+)%")
_SEPARATOR_ESCAPED = re.compile(r"%(2c|3d)%", re.IGNORECASE)  # an escaped "," or "="


def _char(m: re.Match[str]) -> str:
    return chr(int(m[1], 16))


def decode_tags(field: bytes) -> dict[str, str]:
    """An OPL tag field ``T<k>=<v>,<k>=<v>…`` as a dict, in the file's order (compiled:
    ``_opl.decode_tags``; most fields hold escapes, a space in a name is one)."""
    return _opl.decode_tags(field, _decode_tags)


def _decode_tags(field: bytes) -> dict[str, str]:
    """:func:`decode_tags` in Python, for what the compiled one leaves (malformed escapes).

    "," and "=" inside keys and values are escaped, so where none is, the whole field can be
    unescaped first and then split at every "," and "=" (two C loops, not one per tag)."""
    text = field[1:].decode()
    if not text:
        return {}
    if "%" in text:
        if _SEPARATOR_ESCAPED.search(text):
            tags = {}
            for pair in text.split(","):
                key, value = pair.split("=", 1)
                tags[_ESCAPED.sub(_char, key)] = _ESCAPED.sub(_char, value)
            return tags
        text = _ESCAPED.sub(_char, text)
    parts = iter(text.replace("=", ",").split(","))
    return dict(zip(parts, parts, strict=True))


@dataclass
class WayCoords:
    """All ways used: ``ptr`` into the flat ``ids``/``lon``/``lat``; ``bad`` marks ways with
    a missing or invalid node location."""

    ptr: npt.NDArray[np.int64]
    ids: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    bad: npt.NDArray[np.bool_]


class OplSink:
    """A C++ writer to put in a handler chain; what it wrote comes back as lines."""

    def __init__(self) -> None:
        fd, name = tempfile.mkstemp(prefix="rescity-ways-", suffix=".opl")
        os.close(fd)
        os.unlink(name)  # osmium refuses to overwrite
        self.path = Path(name)
        self.writer = osmium.SimpleWriter(osmium.io.File(
            name, "opl,add_metadata=false,locations_on_ways=true"))
        self.closed = False
        self.done = 0.0  # share of the file read back by ``chunks``

    def close(self) -> None:
        if not self.closed:
            self.writer.close()
            self.closed = True

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def chunks(self) -> Iterator[bytes]:
        """The written lines, whole, about :data:`CHUNK` bytes at a time."""
        self.close()
        size = max(self.path.stat().st_size, 1)
        with self.path.open("rb") as fh:
            rest = b""
            while True:
                block = fh.read(CHUNK)
                self.done = fh.tell() / size
                data = rest + block
                if not data:
                    return
                cut = data.rfind(b"\n") + 1 if block else len(data)
                rest = data[cut:]
                if cut:
                    yield data[:cut]
                if not block:
                    return


class CoordParser:
    """The node lists of the used ways, chunk by chunk (``_opl.scan``), in; :class:`WayCoords`
    out."""

    def __init__(self) -> None:
        self.scans: list[Scan] = []

    def add(self, scan: Scan) -> None:
        if len(scan.counts):
            self.scans.append(scan)

    def result(self) -> WayCoords:
        scans = self.scans
        n_all = _join([s.counts for s in scans], np.int64)
        ptr = np.zeros(len(n_all) + 1, dtype=np.int64)
        np.cumsum(n_all, out=ptr[1:])
        ids = _join([s.ids for s in scans], np.int64)
        lon = _join([s.lon for s in scans], np.float64)
        lat = _join([s.lat for s in scans], np.float64)
        bad = _join([s.bad for s in scans], np.bool_)
        # A location outside the world is "not valid" to libosmium too.
        out = ~((np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0))
        if out.any():
            owner = np.repeat(np.arange(len(n_all)), n_all)
            bad[owner[out]] = True
        return WayCoords(ptr, ids, lon, lat, bad)


def _join(parts: list[npt.NDArray[Any]], dtype: type) -> npt.NDArray[Any]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
