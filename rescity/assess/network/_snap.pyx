# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled snapping kernels (``snap.py``): a uniform grid over straight segments, searched
ring by ring; ``query`` releases the GIL so chunks of points run on threads."""

from libc.math cimport INFINITY, ceil, floor, sqrt
from libc.stdint cimport int64_t

import numpy as np



def grid(const double[::1] x0, const double[::1] y0, const double[::1] x1,
         const double[::1] y1, double minx, double miny, double cell, int64_t nx, int64_t ny):
    """Segments per grid cell (CSR over cells r * nx + c)."""
    cdef int64_t n = x0.shape[0], s, ca, cb, ra, rb, r, c
    counts_a = np.zeros(nx * ny + 1, dtype=np.int64)
    cdef int64_t[::1] counts = counts_a
    with nogil:
        for s in range(n):
            ca = <int64_t>((min(x0[s], x1[s]) - minx) / cell)
            cb = <int64_t>((max(x0[s], x1[s]) - minx) / cell)
            ra = <int64_t>((min(y0[s], y1[s]) - miny) / cell)
            rb = <int64_t>((max(y0[s], y1[s]) - miny) / cell)
            for r in range(ra, rb + 1):
                for c in range(ca, cb + 1):
                    counts[r * nx + c + 1] += 1
    ptr_a = np.cumsum(counts_a)
    fill_a = ptr_a[:-1].copy()
    items_a = np.empty(ptr_a[-1], dtype=np.int64)
    cdef int64_t[::1] fill = fill_a, items = items_a
    with nogil:
        for s in range(n):
            ca = <int64_t>((min(x0[s], x1[s]) - minx) / cell)
            cb = <int64_t>((max(x0[s], x1[s]) - minx) / cell)
            ra = <int64_t>((min(y0[s], y1[s]) - miny) / cell)
            rb = <int64_t>((max(y0[s], y1[s]) - miny) / cell)
            for r in range(ra, rb + 1):
                for c in range(ca, cb + 1):
                    items[fill[r * nx + c]] = s
                    fill[r * nx + c] += 1
    return ptr_a, items_a


def query(const double[::1] px, const double[::1] py, const double[::1] x0,
          const double[::1] y0, const double[::1] x1, const double[::1] y1,
          const int64_t[::1] ptr, const int64_t[::1] items, double minx, double miny,
          double cell, int64_t nx, int64_t ny, double max_dist, int64_t[::1] best_seg,
          double[::1] best_t, double[::1] best_d, int64_t first, int64_t last):
    """Nearest segment within ``max_dist`` of points ``first`` to ``last`` (GIL released);
    ties go to the lowest segment number."""
    cdef int64_t i, cx, cy, k, r, c, step, cid, j, s, bs
    cdef int64_t rings = <int64_t>ceil(max_dist / cell) + 1
    cdef double bd2, bt, dx, dy, ll, t, qx, qy, d2, d
    with nogil:
        for i in range(first, last):
            cx = <int64_t>floor((px[i] - minx) / cell)
            cy = <int64_t>floor((py[i] - miny) / cell)
            bd2 = INFINITY
            bs = -1
            bt = 0.0
            for k in range(rings + 1):
                if bs >= 0 and sqrt(bd2) <= (k - 1) * cell:
                    break
                for r in range(cy - k, cy + k + 1):
                    if r < 0 or r >= ny:
                        continue
                    step = 1 if (r == cy - k or r == cy + k) else 2 * k
                    c = cx - k
                    while c <= cx + k:
                        if 0 <= c < nx:
                            cid = r * nx + c
                            for j in range(ptr[cid], ptr[cid + 1]):
                                s = items[j]
                                dx = x1[s] - x0[s]
                                dy = y1[s] - y0[s]
                                ll = dx * dx + dy * dy
                                t = 0.0
                                if ll > 0:
                                    t = ((px[i] - x0[s]) * dx + (py[i] - y0[s]) * dy) / ll
                                    t = min(max(t, 0.0), 1.0)
                                qx = x0[s] + t * dx - px[i]
                                qy = y0[s] + t * dy - py[i]
                                d2 = qx * qx + qy * qy
                                if d2 < bd2 or (d2 == bd2 and s < bs):
                                    bd2 = d2
                                    bs = s
                                    bt = t
                        if step == 0:
                            break
                        c += step
            d = sqrt(bd2)
            if bs >= 0 and d <= max_dist:
                best_seg[i] = bs
                best_t[i] = bt
                best_d[i] = d
