# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled loop over the OPL text libosmium wrote (``osm_ways``, ``osm_reader``): one pass in
C over a chunk of lines, no Python object per line or per node. Each way's tag field is looked
up in the collector's rule cache (the rules run in Python once per distinct tag set); node
lists are parsed straight into arrays. Coordinates are decimal fixed point with at most seven
decimals (libosmium's own format), read as an integer and divided by 10^7: the correctly
rounded value of that decimal, the same double as ``float()`` and ``Location.lon``/``lat``."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int64_t
from libc.string cimport memchr

import numpy as np

cdef int64_t[8] _SCALE
_SCALE[:] = [10000000, 1000000, 100000, 10000, 1000, 100, 10, 1]


cdef inline const char* _int(const char* p, const char* end, int64_t* out):
    """A signed decimal integer at ``p``; NULL where there is none."""
    cdef bint neg = p < end and p[0] == b"-"
    cdef int64_t v = 0
    cdef const char* start
    if neg:
        p += 1
    start = p
    while p < end and b"0" <= p[0] <= b"9":
        v = v * 10 + (p[0] - 48)
        p += 1
    if p == start:
        return NULL
    out[0] = -v if neg else v
    return p


cdef inline const char* _coord(const char* p, const char* end, double* out):
    """A coordinate ``[-]digits[.digits]`` (at most 7 decimals) at ``p``; NULL otherwise."""
    cdef bint neg = p < end and p[0] == b"-"
    cdef int64_t whole = 0, frac = 0
    cdef int nfrac = 0
    cdef const char* start
    if neg:
        p += 1
    start = p
    while p < end and b"0" <= p[0] <= b"9":
        if whole > 100000000:  # beyond any coordinate: left to ``float()``, no overflow
            return NULL
        whole = whole * 10 + (p[0] - 48)
        p += 1
    if p == start:
        return NULL
    if p < end and p[0] == b".":
        p += 1
        while p < end and b"0" <= p[0] <= b"9":
            if nfrac == 7:
                return NULL
            frac = frac * 10 + (p[0] - 48)
            nfrac += 1
            p += 1
        if nfrac == 0:
            return NULL
    whole = whole * 10000000 + frac * _SCALE[nfrac]
    out[0] = <double>(-whole if neg else whole) / 10000000.0
    return p


cdef inline const char* _slow_coord(const char* p, const char* end, double* out) except NULL:
    """What ``float()`` makes of the text up to the next "," or "y" (a format libosmium does
    not write; raises ValueError like the reader always did)."""
    cdef const char* q = p
    while q < end and q[0] != b"," and q[0] != b"y":
        q += 1
    out[0] = float(PyBytes_FromStringAndSize(p, q - p))
    return q


cdef int _way_features(object col, int64_t oid, bint closed, int64_t at, object rule) except -1:
    """The features a used way makes, each kept in its list and, with the row of its way in
    the coordinates, in ``col.pending_geoms`` (geometry made later, ``col.finish``)."""
    _, _, _, items, is_res, building, water, land, name, shape = rule
    feature = col.feature
    empty = col.no_geometry
    pending = col.pending_geoms
    if water and closed:
        f = feature("w", oid, "", empty)
        col.water_ways.append(f)
        pending.append((f, at, closed, col.water_ways))
    if land and closed:
        f = feature("w", oid, "", empty)
        col.land_ways.append(f)
        pending.append((f, at, closed, col.land_ways))
    if items:
        f = feature("w", oid, name, empty, list(items))
        col.facilities.append(f)
        pending.append((f, at, closed, col.facilities))
    if closed and is_res:
        f = feature("w", oid, name, empty)
        col.residential.append(f)
        pending.append((f, at, closed, col.residential))
    if closed and shape is not None:  # a building
        levels, use = shape
        f = feature("w", oid, name, empty, building=building, levels=levels, use=use)
        col.buildings.append(f)
        pending.append((f, at, closed, col.buildings))
    return 0


cdef inline object _rule_of(const char* p, const char* eol, const char** f1, dict cache,
                           object make):
    """The rule for the tag field of the line at ``p`` (its second field), from ``cache`` or
    made once by ``make``; ``f1`` is set to the space after the field."""
    cdef const char* f0 = <const char*>memchr(p, b" ", eol - p)
    if f0 == NULL:
        raise ValueError("malformed OPL line")
    f1[0] = <const char*>memchr(f0 + 1, b" ", eol - f0 - 1)
    if f1[0] == NULL:
        raise ValueError("malformed OPL line")
    field = PyBytes_FromStringAndSize(f0 + 1, f1[0] - f0 - 1)
    rule = cache.get(field)
    if rule is None:
        rule = make(field)
        cache[field] = rule
    return rule


cdef class Scan:
    """The node lists of the used ways of one chunk: flat ``ids``/``lon``/``lat``, the number
    of nodes of each way and whether one of its node locations is missing."""

    cdef public object ids, lon, lat, counts, bad


def scan(bytes data, object col):
    """Run ``col`` (``osm_reader._Collector``) over the OPL lines in ``data`` (whole lines,
    each ending in a newline except maybe the last), in order. What ``col.objects`` did line by
    line in Python, with the same calls back into ``col``; returns a :class:`Scan`."""
    cdef dict rules = col.way_cache, node_rules = col.node_cache
    cdef dict dropped = col.dropped, dropped_at = col.dropped_at
    cdef list walk_lines = col.walk_lines
    way_rule, node_rule = col._way_rules, col._node_rules
    node_at, take_areas = col._node_at, col.take_areas
    cdef int64_t at = col.n_lines, due = col.areas_due, oid, nid, n, k = 0, n_ways = 0
    cdef const char* base = PyBytes_AS_STRING(data)
    cdef const char* end = base + PyBytes_GET_SIZE(data)
    cdef const char* p = base
    cdef const char* eol
    cdef const char* q
    cdef const char* f0
    cdef const char* f1
    cdef double x, y
    cdef int64_t first_id, way_start
    cdef bint is_bad
    # Upper bounds (an entry "n1x0y0," takes 7 bytes at least, a way line more): the arrays
    # are only reserved, the memory of what is never written is never touched.
    cdef int64_t cap = PyBytes_GET_SIZE(data) // 6 + 1
    cdef int64_t lines_cap = PyBytes_GET_SIZE(data) // 3 + 1
    ids_a = np.empty(cap, dtype=np.int64)
    lon_a = np.empty(cap, dtype=np.float64)
    lat_a = np.empty(cap, dtype=np.float64)
    counts_a = np.empty(lines_cap, dtype=np.int64)
    bad_a = np.empty(lines_cap, dtype=bool)
    cdef int64_t[::1] ids = ids_a, counts = counts_a
    cdef double[::1] lon = lon_a, lat = lat_a
    cdef unsigned char[::1] bad = bad_a.view(np.uint8)
    while p < end:
        eol = <const char*>memchr(p, b"\n", end - p)
        if eol == NULL:
            eol = end
        if p[0] == b"w":  # "w<id> T<tags> N<nodes>"
            rule = _rule_of(p, eol, &f1, rules, way_rule)
            reason, walk, used = rule[0], rule[1], rule[2]
            if reason is not None:
                if reason in dropped:
                    dropped[reason] += 1
                else:
                    dropped[reason] = 1
                    dropped_at[reason] = at
            # Coordinates only for ways that are used: most tagged ways are not.
            if (walk or used) and eol - f1 > 2:
                q = f1 + 2
                n = 1
                f0 = q
                while True:
                    f0 = <const char*>memchr(f0, b",", eol - f0)
                    if f0 == NULL:
                        break
                    n += 1
                    f0 += 1
                if n >= 2:
                    # A way with a missing node location is taken out later (``finish``).
                    way_start = k
                    is_bad = False
                    while q < eol:
                        q = _int(q + 1, eol, &ids[k])  # "n<id>"
                        if q == NULL or q[0] != b"x":
                            raise ValueError("malformed OPL node list")
                        if q[1] == b"y":  # "n<id>xy": no location
                            is_bad = True
                            lon[k] = lat[k] = 0.0
                            q += 2
                        else:
                            f0 = _coord(q + 1, eol, &lon[k])
                            if f0 == NULL or f0 >= eol or f0[0] != b"y":
                                f0 = _slow_coord(q + 1, eol, &lon[k])
                            q = f0
                            if q >= eol or q[0] != b"y":
                                raise ValueError("malformed OPL node list")
                            f0 = _coord(q + 1, eol, &lat[k])
                            if f0 == NULL or (f0 < eol and f0[0] != b","):
                                f0 = _slow_coord(q + 1, eol, &lat[k])
                            q = f0
                        k += 1
                        if q < eol:
                            if q[0] != b",":
                                raise ValueError("malformed OPL node list")
                            q += 1
                    counts[n_ways] = n
                    bad[n_ways] = is_bad
                    n_ways += 1
                    if walk:
                        walk_lines.append(at)
                    if used:  # more than a street
                        _int(p + 1, eol, &oid)
                        _way_features(col, oid, n >= 4 and ids[way_start] == ids[k - 1], at,
                                      rule)
                    at += 1
        elif p[0] == b"n":  # "n<id> T<tags> x<lon> y<lat>"
            rule = _rule_of(p, eol, &f1, node_rules, node_rule)
            # (items, name, establishment, place): a node with none of them is not used.
            if (rule[0] or rule[2] or rule[3]) and eol - f1 > 2 and f1[2] != b" ":
                q = _coord(f1 + 2, eol, &x)
                if q == NULL or q >= eol or q[0] != b" ":
                    q = <const char*>memchr(f1 + 2, b" ", eol - f1 - 2)
                    if q == NULL:
                        raise ValueError("malformed OPL node")
                    x = float(PyBytes_FromStringAndSize(f1 + 2, q - f1 - 2))
                if eol - q > 2:
                    f0 = _coord(q + 2, eol, &y)
                    if f0 != eol:
                        y = float(PyBytes_FromStringAndSize(q + 2, eol - q - 2))
                    if abs(x) <= 180.0 and abs(y) <= 90.0:  # else not valid to libosmium either
                        _int(p + 1, eol, &nid)
                        node_at(nid, x, y, rule)
        elif p[0] == b"r":  # "r0": an area delivered here, taken after the next object
            due += 1
            p = eol + 1
            continue
        if due:
            col.areas_due = due
            take_areas()
            due = 0
        p = eol + 1
    col.areas_due = due
    col.n_lines = at
    out = Scan()
    out.ids, out.lon, out.lat = ids_a[:k].copy(), lon_a[:k].copy(), lat_a[:k].copy()
    out.counts, out.bad = counts_a[:n_ways].copy(), bad_a[:n_ways].copy()
    return out


cdef inline int _hex(char c):
    if b"0" <= c <= b"9":
        return c - 48
    if b"a" <= c <= b"f":
        return c - 87
    if b"A" <= c <= b"F":
        return c - 55
    return -1


cdef Py_ssize_t _unescape(const char* p, const char* end, char* out):
    """Copy ``p``..``end`` to ``out`` with every ``%<hex>%`` as the UTF-8 of its code point;
    -1 for anything else after a "%" (left to the Python decoder)."""
    cdef Py_ssize_t n = 0
    cdef long cp
    cdef int h, digits
    while p < end:
        if p[0] != b"%":
            out[n] = p[0]
            n += 1
            p += 1
            continue
        p += 1
        cp = 0
        digits = 0
        while p < end and digits <= 6:
            h = _hex(p[0])
            if h < 0:
                break
            cp = cp * 16 + h
            digits += 1
            p += 1
        if digits == 0 or digits > 6 or p >= end or p[0] != b"%" or cp > 0x10FFFF \
                or 0xD800 <= cp <= 0xDFFF:
            return -1
        p += 1
        if cp < 0x80:
            out[n] = <char>cp
            n += 1
        elif cp < 0x800:
            out[n] = <char>(0xC0 | (cp >> 6))
            out[n + 1] = <char>(0x80 | (cp & 0x3F))
            n += 2
        elif cp < 0x10000:
            out[n] = <char>(0xE0 | (cp >> 12))
            out[n + 1] = <char>(0x80 | ((cp >> 6) & 0x3F))
            out[n + 2] = <char>(0x80 | (cp & 0x3F))
            n += 3
        else:
            out[n] = <char>(0xF0 | (cp >> 18))
            out[n + 1] = <char>(0x80 | ((cp >> 12) & 0x3F))
            out[n + 2] = <char>(0x80 | ((cp >> 6) & 0x3F))
            out[n + 3] = <char>(0x80 | (cp & 0x3F))
            n += 4
    return n


def decode_tags(bytes field, fallback):
    """An OPL tag field ``T<k>=<v>,<k>=<v>…`` as a dict, in the file's order: split at the
    raw "," and "=" (those inside keys and values are escaped), each part unescaped in C. A
    field this does not take (malformed escapes) goes to ``fallback``, the Python decoder."""
    cdef const char* p = PyBytes_AS_STRING(field) + 1
    cdef const char* end = PyBytes_AS_STRING(field) + PyBytes_GET_SIZE(field)
    cdef const char* eq
    cdef const char* comma
    cdef Py_ssize_t n
    cdef dict tags = {}
    if p >= end:
        return tags
    # An escape is never longer than what it stands for: the field's size bounds every part.
    buf = bytearray(end - p)
    cdef char* out = buf
    while True:
        comma = <const char*>memchr(p, b",", end - p)
        if comma == NULL:
            comma = end
        eq = <const char*>memchr(p, b"=", comma - p)
        if eq == NULL:
            return fallback(field)
        n = _unescape(p, eq, out)
        if n < 0:
            return fallback(field)
        key = PyUnicode_DecodeUTF8(out, n, NULL)
        n = _unescape(eq + 1, comma, out)
        if n < 0:
            return fallback(field)
        tags[key] = PyUnicode_DecodeUTF8(out, n, NULL)
        if comma == end:
            return tags
        p = comma + 1
