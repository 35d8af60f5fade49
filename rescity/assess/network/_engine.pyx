# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""The engine's compiled searches: bounded multi-source Dijkstra, the reach kernel and pairs.

Built at install time by the machine's C compiler (setup.py), so that no run ever waits for a
compiler. The Python modules ``kernel.py`` and ``pairs.py`` describe the algorithms and call
these functions (``_graph.pyx`` and ``_snap.pyx`` hold the search graph's and the snapping's). Threads come from Python
(``concurrent.futures``): every function that does heavy work releases the GIL, so no OpenMP
is needed and the extension builds with any C compiler.
"""

from libc.math cimport INFINITY
from libc.stdint cimport int32_t, int64_t, uint16_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

import numpy as np

cdef enum:
    N_BUCKETS = 256

ctypedef fused count_t:
    uint16_t
    int32_t


# ---------------------------------------------------------------------------------------
# Raw pointers of (possibly empty, possibly read-only) contiguous arrays.

cdef inline int64_t* pi(const int64_t[::1] a) noexcept:
    return <int64_t*>&a[0] if a.shape[0] > 0 else NULL


cdef inline double* pf(const double[::1] a) noexcept:
    return <double*>&a[0] if a.shape[0] > 0 else NULL


# ---------------------------------------------------------------------------------------
# One search.

cdef struct Problem:
    int64_t* indptr
    int64_t* nbr
    double* wgt
    int64_t* seed_ptr
    int64_t* seed_node
    double* seed_dist
    int64_t* direct_ptr
    int64_t* direct_org
    double* direct_dist
    int64_t* norg_ptr
    int64_t* norg_org
    double* norg_off
    unsigned char* single
    int64_t n_nodes
    int64_t n_org
    double cutoff


cdef struct WS:
    double* dist
    int64_t* seen_nodes
    double* best
    int64_t* seen_org
    double* hd
    int64_t* hn
    int64_t* head
    int64_t* e_node
    int64_t* e_next
    double* e_d
    int64_t* hit_org
    double* hit_d
    unsigned char* long_edges


cdef int ws_init(WS* ws, const Problem* p, int64_t cap) noexcept nogil:
    """Scratch arrays of :func:`search` (all-inf distances, empty buckets); 0 or -1."""
    cdef int64_t n = p.n_nodes, m = p.n_org, x, k
    cdef double band
    cdef bint ok
    ws.dist = <double*>malloc((n + 1) * sizeof(double))
    ws.seen_nodes = <int64_t*>malloc((n + 1) * sizeof(int64_t))
    ws.best = <double*>malloc((m + 1) * sizeof(double))
    ws.seen_org = <int64_t*>malloc((m + 1) * sizeof(int64_t))
    ws.hd = <double*>malloc((cap + 1) * sizeof(double))
    ws.hn = <int64_t*>malloc((cap + 1) * sizeof(int64_t))
    ws.head = <int64_t*>malloc((N_BUCKETS + 2) * sizeof(int64_t))
    ws.e_node = <int64_t*>malloc((cap + 1) * sizeof(int64_t))
    ws.e_next = <int64_t*>malloc((cap + 1) * sizeof(int64_t))
    ws.e_d = <double*>malloc((cap + 1) * sizeof(double))
    ws.hit_org = <int64_t*>malloc((m + 1) * sizeof(int64_t))
    ws.hit_d = <double*>malloc((m + 1) * sizeof(double))
    ws.long_edges = <unsigned char*>malloc(n + 1)
    if (ws.dist == NULL or ws.seen_nodes == NULL or ws.best == NULL or ws.seen_org == NULL
            or ws.hd == NULL or ws.hn == NULL or ws.head == NULL or ws.e_node == NULL
            or ws.e_next == NULL or ws.e_d == NULL or ws.hit_org == NULL or ws.hit_d == NULL
            or ws.long_edges == NULL):
        ws_free(ws)
        return -1
    for x in range(n):
        ws.dist[x] = INFINITY
    for x in range(m):
        ws.best[x] = INFINITY
    for x in range(N_BUCKETS + 2):
        ws.head[x] = -1
    # A node whose every edge is longer than a queue band: a margin far above rounding.
    band = p.cutoff / N_BUCKETS * (1.0 + 1e-6)
    for x in range(n):
        ok = p.cutoff > 0
        if ok:
            for k in range(p.indptr[x], p.indptr[x + 1]):
                if not p.wgt[k] > band:
                    ok = False
                    break
        ws.long_edges[x] = ok
    return 0


cdef void ws_free(WS* ws) noexcept nogil:
    free(ws.dist)
    free(ws.seen_nodes)
    free(ws.best)
    free(ws.seen_org)
    free(ws.hd)
    free(ws.hn)
    free(ws.head)
    free(ws.e_node)
    free(ws.e_next)
    free(ws.e_d)
    free(ws.hit_org)
    free(ws.hit_d)
    free(ws.long_edges)


cdef inline int64_t _push(double* hd, int64_t* hn, int64_t size, double d,
                          int64_t node) noexcept nogil:
    """Binary heap insert, moving the hole up instead of swapping."""
    cdef int64_t i = size, parent
    cdef double pd
    while i > 0:
        parent = (i - 1) >> 1
        pd = hd[parent]
        if pd <= d:
            break
        hd[i] = pd
        hn[i] = hn[parent]
        i = parent
    hd[i] = d
    hn[i] = node
    return size + 1


cdef inline int64_t _pop(double* hd, int64_t* hn, int64_t size) noexcept nogil:
    """Remove the heap's minimum (read ``hd[0]``, ``hn[0]`` first)."""
    cdef int64_t i = 0, c, node
    cdef double d
    size -= 1
    d = hd[size]
    node = hn[size]
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hd[c + 1] < hd[c]:
            c += 1
        if d <= hd[c]:
            break
        hd[i] = hd[c]
        hn[i] = hn[c]
        i = c
    hd[i] = d
    hn[i] = node
    return size


cdef int64_t search(const Problem* p, int64_t f, WS* ws) noexcept nogil:
    """Shortest distance from source ``f`` to every origin within the cutoff.

    Returns n: the origins reached are ``ws.hit_org[:n]``, each once, at ``ws.hit_d[:n]``.
    A bucket queue over distance bands with a binary heap for the current band only (see
    ``kernel.py``); the scratch arrays are left clean for the next search.
    """
    cdef double* dist = ws.dist
    cdef double* best = ws.best
    cdef int64_t* head = ws.head
    cdef int64_t n_hit = 0, n_seen = 0, n_seen_org = 0, n_e = 0, top = -1
    cdef int64_t k, node, o, v, bk, b, size, e, j
    cdef double d, nd, cand
    cdef double cutoff = p.cutoff
    cdef double inv_w = N_BUCKETS / cutoff if cutoff > 0 else 0.0
    for k in range(p.seed_ptr[f], p.seed_ptr[f + 1]):
        node = p.seed_node[k]
        d = p.seed_dist[k]
        if d <= cutoff and d < dist[node]:
            if dist[node] == INFINITY:
                ws.seen_nodes[n_seen] = node
                n_seen += 1
            dist[node] = d
            bk = <int64_t>(d * inv_w)
            ws.e_node[n_e] = node
            ws.e_d[n_e] = d
            ws.e_next[n_e] = head[bk]
            head[bk] = n_e
            n_e += 1
            if bk > top:
                top = bk
    for k in range(p.direct_ptr[f], p.direct_ptr[f + 1]):
        o = p.direct_org[k]
        if p.direct_dist[k] < best[o]:
            if best[o] == INFINITY:
                ws.seen_org[n_seen_org] = o
                n_seen_org += 1
            best[o] = p.direct_dist[k]
    b = 0
    size = 0
    while b <= top:
        e = head[b]
        if e < 0:
            b += 1
            continue
        head[b] = -1
        # The band's list first, then its heap; nodes whose edges are all longer than a
        # band are settled straight from the list, the others through the heap.
        while e >= 0 or size > 0:
            if e >= 0:
                node = ws.e_node[e]
                d = ws.e_d[e]
                e = ws.e_next[e]
                if d != dist[node]:
                    continue  # stale: the node was reached closer since
                if not ws.long_edges[node]:
                    size = _push(ws.hd, ws.hn, size, d, node)
                    continue
            else:
                d = ws.hd[0]
                node = ws.hn[0]
                size = _pop(ws.hd, ws.hn, size)
                if d > dist[node]:
                    continue  # stale heap entry
            for k in range(p.norg_ptr[node], p.norg_ptr[node + 1]):
                o = p.norg_org[k]
                cand = d + p.norg_off[k]
                if p.single[o]:
                    if cand <= cutoff:
                        ws.hit_org[n_hit] = o
                        ws.hit_d[n_hit] = cand
                        n_hit += 1
                elif cand < best[o]:
                    if best[o] == INFINITY:
                        ws.seen_org[n_seen_org] = o
                        n_seen_org += 1
                    best[o] = cand
            for k in range(p.indptr[node], p.indptr[node + 1]):
                v = p.nbr[k]
                nd = d + p.wgt[k]
                if nd <= cutoff and nd < dist[v]:
                    if dist[v] == INFINITY:
                        ws.seen_nodes[n_seen] = v
                        n_seen += 1
                    dist[v] = nd
                    bk = <int64_t>(nd * inv_w)
                    if bk <= b:
                        size = _push(ws.hd, ws.hn, size, nd, v)
                    else:
                        ws.e_node[n_e] = v
                        ws.e_d[n_e] = nd
                        ws.e_next[n_e] = head[bk]
                        head[bk] = n_e
                        n_e += 1
                        if bk > top:
                            top = bk
        b += 1
    for j in range(n_seen):
        dist[ws.seen_nodes[j]] = INFINITY
    for j in range(n_seen_org):
        o = ws.seen_org[j]
        if best[o] <= cutoff:
            ws.hit_org[n_hit] = o
            ws.hit_d[n_hit] = best[o]
            n_hit += 1
        best[o] = INFINITY
    return n_hit


cdef Problem make_problem(
    const int64_t[::1] indptr, const int64_t[::1] nbr, const double[::1] wgt,
    const int64_t[::1] seed_ptr, const int64_t[::1] seed_node, const double[::1] seed_dist,
    const int64_t[::1] direct_ptr, const int64_t[::1] direct_org,
    const double[::1] direct_dist,
    const int64_t[::1] norg_ptr, const int64_t[::1] norg_org, const double[::1] norg_off,
    const unsigned char[::1] single, int64_t n_org, double cutoff,
):
    cdef Problem p
    p.indptr = pi(indptr)
    p.nbr = pi(nbr)
    p.wgt = pf(wgt)
    p.seed_ptr = pi(seed_ptr)
    p.seed_node = pi(seed_node)
    p.seed_dist = pf(seed_dist)
    p.direct_ptr = pi(direct_ptr)
    p.direct_org = pi(direct_org)
    p.direct_dist = pf(direct_dist)
    p.norg_ptr = pi(norg_ptr)
    p.norg_org = pi(norg_org)
    p.norg_off = pf(norg_off)
    p.single = <unsigned char*>&single[0] if single.shape[0] > 0 else NULL
    p.n_nodes = indptr.shape[0] - 1
    p.n_org = n_org
    p.cutoff = cutoff
    return p


def single_origins(const int64_t[::1] norg_org, const int64_t[::1] direct_org, int64_t n_org):
    """Origins that hang on one node only and are in no direct pair (bool array)."""
    uses = np.zeros(n_org, dtype=np.int64)
    cdef int64_t[::1] u = uses
    cdef Py_ssize_t k
    for k in range(norg_org.shape[0]):
        u[norg_org[k]] += 1
    for k in range(direct_org.shape[0]):
        u[direct_org[k]] += 2
    return uses == 1


# ---------------------------------------------------------------------------------------
# The reach kernel: one search per group, accumulated per origin by its owner thread.

cdef struct Accum:
    int64_t* gitem_ptr
    int64_t* gitem
    int32_t* gitem_n
    int64_t* gslot_ptr
    int64_t* gslot
    double* gslot_val
    double* thresholds
    int64_t n_thr
    int64_t n_items
    int64_t n_slots
    double* pop
    int32_t* owner
    void* counts
    double* nearest
    bint with_nearest
    double* value


cdef inline void _add_hit(const Accum* a, count_t* counts, int64_t o, int64_t g, double d,
                          double* grp_pop) noexcept nogil:
    """Add group g's hit on origin o at distance d: every threshold from the first that
    holds d counts it (one cache line), without data-dependent branches."""
    cdef int64_t b = 0, q, k, it, bb, n_thr = a.n_thr, base
    cdef int32_t c
    cdef double val
    for q in range(n_thr):
        b += d > a.thresholds[q]
    if b == n_thr:
        return
    for k in range(a.gitem_ptr[g], a.gitem_ptr[g + 1]):
        it = a.gitem[k]
        if a.with_nearest:
            base = o * a.n_items + it
            if d < a.nearest[base]:
                a.nearest[base] = d
        c = a.gitem_n[k]
        base = (o * a.n_items + it) * n_thr
        for bb in range(n_thr):
            counts[base + bb] = <count_t>(counts[base + bb] + (c if bb >= b else 0))
    for k in range(a.gslot_ptr[g], a.gslot_ptr[g + 1]):
        val = a.gslot_val[k]
        base = (o * a.n_slots + a.gslot[k]) * n_thr
        for bb in range(n_thr):
            a.value[base + bb] += val if bb >= b else 0.0
    grp_pop[g * n_thr + b] += a.pop[o]


cdef int64_t _searches(const Problem* p, const Accum* a, count_t* counts, int64_t t,
                       int64_t n_threads, int64_t first, int64_t last, int64_t cap,
                       int64_t* grp_rep, double* grp_pop, int64_t* buf_o, int64_t* buf_g,
                       double* buf_d, int64_t buf_cap, int64_t* buf_n) noexcept nogil:
    """Thread t's searches, groups ``first`` to ``last``: hits on its own origins go straight
    into the results, the others into its buffer until it could not take a whole search.
    Returns the first group not done (-1 when out of memory)."""
    cdef WS ws
    cdef int64_t n_buf = 0, g, n_hit, j, o
    cdef double d
    if ws_init(&ws, p, cap) != 0:
        return -1
    for g in range(first, last):
        n_hit = search(p, grp_rep[g], &ws)
        if n_threads > 1 and n_buf + n_hit > buf_cap:
            ws_free(&ws)
            buf_n[0] = n_buf
            return g  # redone in the next round, after the buffers are emptied
        for j in range(n_hit):
            o = ws.hit_org[j]
            d = ws.hit_d[j]
            if a.owner[o] != t:
                buf_o[n_buf] = o
                buf_g[n_buf] = g
                buf_d[n_buf] = d
                n_buf += 1
                continue
            _add_hit(a, counts, o, g, d, grp_pop)
    ws_free(&ws)
    buf_n[0] = n_buf
    return last


cdef void _deferred(const Accum* a, count_t* counts, int64_t t, int64_t n_threads,
                    double* grp_pop, int64_t* buf_o, int64_t* buf_g, double* buf_d,
                    int64_t buf_cap, int64_t* buf_n) noexcept nogil:
    """Thread t adds the other threads' hits on its origins."""
    cdef int64_t u, j, o, at
    for u in range(n_threads):
        if u == t:
            continue
        for j in range(buf_n[u]):
            at = u * buf_cap + j
            o = buf_o[at]
            if a.owner[o] != t:
                continue
            _add_hit(a, counts, o, buf_g[at], buf_d[at], grp_pop)


cdef class ReachRun:
    """One reach-kernel run: its arrays held alive, one method per thread's share."""

    cdef Problem p
    cdef Accum a
    cdef bint narrow
    cdef int64_t n_threads, cap, buf_cap
    cdef int64_t* grp_rep
    cdef double* grp_pop
    cdef int64_t* buf_o
    cdef int64_t* buf_g
    cdef double* buf_d
    cdef int64_t* buf_n
    cdef int64_t* pos
    cdef int64_t* bounds
    cdef list keep

    def __init__(self, tuple arrays, tuple accum, int64_t[::1] grp_rep, double[:, :, ::1] grp_pop,
                 int64_t[::1] bounds, int32_t[::1] owner, int64_t[::1] pos,
                 int64_t[:, ::1] buf_o, int64_t[:, ::1] buf_g, double[:, ::1] buf_d,
                 int64_t[::1] buf_n, int64_t cap, double cutoff, int64_t n_org):
        (indptr, nbr, wgt, seed_ptr, seed_node, seed_dist, direct_ptr, direct_org,
         direct_dist, norg_ptr, norg_org, norg_off, single) = arrays
        (gitem_ptr, gitem, gitem_n, gslot_ptr, gslot, gslot_val, thresholds, pop, counts,
         nearest, value) = accum
        self.keep = [arrays, accum, grp_rep, grp_pop, bounds, owner, pos, buf_o, buf_g, buf_d,
                     buf_n]
        self.p = make_problem(indptr, nbr, wgt, seed_ptr, seed_node, seed_dist, direct_ptr,
                              direct_org, direct_dist, norg_ptr, norg_org, norg_off,
                              single.view(np.uint8), n_org, cutoff)
        cdef const int64_t[::1] gp = gitem_ptr, gi = gitem, sp = gslot_ptr, sl = gslot
        cdef const int32_t[::1] gn = gitem_n
        cdef const double[::1] sv = gslot_val, th = thresholds, po = pop
        cdef double[:, ::1] ne = nearest
        cdef double[:, :, ::1] va = value
        self.a.gitem_ptr = pi(gp)
        self.a.gitem = pi(gi)
        self.a.gitem_n = <int32_t*>&gn[0] if gn.shape[0] > 0 else NULL
        self.a.gslot_ptr = pi(sp)
        self.a.gslot = pi(sl)
        self.a.gslot_val = pf(sv)
        self.a.thresholds = pf(th)
        self.a.n_thr = th.shape[0]
        self.a.n_items = ne.shape[1]
        self.a.n_slots = va.shape[1]
        self.a.pop = pf(po)
        self.a.owner = &owner[0] if owner.shape[0] > 0 else NULL
        self.a.with_nearest = ne.shape[0] == n_org and n_org > 0
        self.a.nearest = &ne[0, 0] if ne.shape[0] > 0 and ne.shape[1] > 0 else NULL
        self.a.value = &va[0, 0, 0] if va.shape[0] * va.shape[1] * va.shape[2] > 0 else NULL
        self.narrow = counts.dtype == np.uint16
        if self.narrow:
            self.a.counts = <void*>self._ptr16(counts.reshape(-1))
        else:
            self.a.counts = <void*>self._ptr32(counts.reshape(-1))
        self.n_threads = grp_pop.shape[0]
        self.cap = cap
        self.buf_cap = buf_o.shape[1]
        self.grp_rep = &grp_rep[0] if grp_rep.shape[0] > 0 else NULL
        self.grp_pop = &grp_pop[0, 0, 0] if grp_pop.shape[1] * grp_pop.shape[2] > 0 else NULL
        self.buf_o = &buf_o[0, 0] if buf_o.shape[1] > 0 else NULL
        self.buf_g = &buf_g[0, 0] if buf_g.shape[1] > 0 else NULL
        self.buf_d = &buf_d[0, 0] if buf_d.shape[1] > 0 else NULL
        self.buf_n = &buf_n[0]
        self.pos = &pos[0]
        self.bounds = &bounds[0]

    cdef uint16_t* _ptr16(self, uint16_t[::1] c):
        return &c[0] if c.shape[0] > 0 else NULL

    cdef int32_t* _ptr32(self, int32_t[::1] c):
        return &c[0] if c.shape[0] > 0 else NULL

    def searches(self, int64_t t):
        """Thread t's searches from where it stopped; True when its share is done."""
        cdef int64_t r, first = self.pos[t], last = self.bounds[t + 1]
        cdef int64_t stride = (self.bounds[self.n_threads] if self.n_threads else 0)
        cdef double* gp = self.grp_pop + t * stride * self.a.n_thr if self.grp_pop else NULL
        cdef int64_t off = t * self.buf_cap
        with nogil:
            if self.narrow:
                r = _searches(&self.p, &self.a, <uint16_t*>self.a.counts, t, self.n_threads,
                              first, last, self.cap, self.grp_rep, gp, self.buf_o + off,
                              self.buf_g + off, self.buf_d + off, self.buf_cap,
                              self.buf_n + t)
            else:
                r = _searches(&self.p, &self.a, <int32_t*>self.a.counts, t, self.n_threads,
                              first, last, self.cap, self.grp_rep, gp, self.buf_o + off,
                              self.buf_g + off, self.buf_d + off, self.buf_cap,
                              self.buf_n + t)
        if r < 0:
            raise MemoryError("reach kernel: no memory for a search's scratch arrays")
        self.pos[t] = r
        return r >= last

    def deferred(self, int64_t t):
        """Thread t adds the hits the other threads found on its origins."""
        cdef int64_t stride = self.bounds[self.n_threads]
        cdef double* gp = self.grp_pop + t * stride * self.a.n_thr if self.grp_pop else NULL
        with nogil:
            if self.narrow:
                _deferred(&self.a, <uint16_t*>self.a.counts, t, self.n_threads, gp,
                          self.buf_o, self.buf_g, self.buf_d, self.buf_cap, self.buf_n)
            else:
                _deferred(&self.a, <int32_t*>self.a.counts, t, self.n_threads, gp,
                          self.buf_o, self.buf_g, self.buf_d, self.buf_cap, self.buf_n)


def split(int64_t n_threads, int64_t n_org, int64_t n_branch, const int64_t[::1] seed_ptr,
          const int64_t[::1] seed_node, const int64_t[::1] norg_ptr,
          const int64_t[::1] norg_org, const int64_t[::1] grp_rep):
    """Groups in ``n_threads`` runs of equal length and each origin's owner thread (the one
    whose part of the space-filling curve holds the node the origin hangs on)."""
    cdef int64_t n_grp = grp_rep.shape[0], t, f, k, key, part, x
    bounds_a = np.empty(n_threads + 1, dtype=np.int64)
    start_a = np.empty(n_threads, dtype=np.int64)
    owner_a = np.zeros(n_org, dtype=np.int32)
    cdef int64_t[::1] bounds = bounds_a, start = start_a
    cdef int32_t[::1] owner = owner_a
    for t in range(n_threads + 1):
        bounds[t] = n_grp * t // n_threads
    for t in range(n_threads):
        start[t] = 0
        if t > 0 and bounds[t] < n_grp:
            f = grp_rep[bounds[t]]
            key = n_branch
            for k in range(seed_ptr[f], seed_ptr[f + 1]):
                if seed_node[k] < key:
                    key = seed_node[k]
            start[t] = key
        elif t > 0:
            start[t] = n_branch
    part = 0
    for x in range(norg_ptr.shape[0] - 1):
        while part + 1 < n_threads and x >= start[part + 1]:
            part += 1
        for k in range(norg_ptr[x], norg_ptr[x + 1]):
            owner[norg_org[k]] = part
    return bounds_a, owner_a


cdef bint _same(int64_t a, int64_t b, const int64_t[::1] seed_ptr,
                const int64_t[::1] seed_node, const double[::1] seed_dist,
                const int64_t[::1] direct_ptr, const int64_t[::1] direct_org,
                const double[::1] direct_dist):
    cdef int64_t k
    if seed_ptr[a + 1] - seed_ptr[a] != seed_ptr[b + 1] - seed_ptr[b]:
        return False
    if direct_ptr[a + 1] - direct_ptr[a] != direct_ptr[b + 1] - direct_ptr[b]:
        return False
    for k in range(seed_ptr[a + 1] - seed_ptr[a]):
        if (seed_node[seed_ptr[a] + k] != seed_node[seed_ptr[b] + k]
                or seed_dist[seed_ptr[a] + k] != seed_dist[seed_ptr[b] + k]):
            return False
    for k in range(direct_ptr[a + 1] - direct_ptr[a]):
        if (direct_org[direct_ptr[a] + k] != direct_org[direct_ptr[b] + k]
                or direct_dist[direct_ptr[a] + k] != direct_dist[direct_ptr[b] + k]):
            return False
    return True


def group_sources(const int64_t[::1] seed_ptr, const int64_t[::1] seed_node,
                  const double[::1] seed_dist, const int64_t[::1] direct_ptr,
                  const int64_t[::1] direct_org, const double[::1] direct_dist):
    """Group sources with identical seeds and direct pairs: (grp_rep, group_of), groups
    numbered by their lowest seed node (nodes are in space-filling-curve order)."""
    cdef int64_t n = seed_ptr.shape[0] - 1, f, k, i, j, a, r, g, first_rep, n_grp = 0
    cdef uint64_t x, prime = 1099511628211ULL
    h_a = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] h = h_a
    for f in range(n):
        x = 1469598103934665603ULL
        for k in range(seed_ptr[f], seed_ptr[f + 1]):
            x = (x ^ <uint64_t>seed_node[k]) * prime
            x = (x ^ <uint64_t><int64_t>(seed_dist[k] * 1e6)) * prime
        x = (x ^ <uint64_t>(direct_ptr[f + 1] - direct_ptr[f])) * prime
        for k in range(direct_ptr[f], direct_ptr[f + 1]):
            x = (x ^ <uint64_t>direct_org[k]) * prime
        h[f] = x
    order_a = np.argsort(h_a, kind="stable").astype(np.int64)
    group_a = np.full(n, -1, dtype=np.int64)
    reps_a = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] order = order_a, group = group_a, reps = reps_a
    i = 0
    while i < n:
        j = i
        while j < n and h[order[j]] == h[order[i]]:
            j += 1
        first_rep = n_grp
        for a in range(i, j):
            f = order[a]
            for r in range(first_rep, n_grp):
                g = reps[r]
                if _same(f, g, seed_ptr, seed_node, seed_dist, direct_ptr, direct_org,
                         direct_dist):
                    group[f] = r
                    break
            if group[f] < 0:
                reps[n_grp] = f
                group[f] = n_grp
                n_grp += 1
        i = j
    key_a = np.full(n_grp, np.iinfo(np.int64).max, dtype=np.int64)
    cdef int64_t[::1] key = key_a
    for r in range(n_grp):
        f = reps[r]
        for k in range(seed_ptr[f], seed_ptr[f + 1]):
            if seed_node[k] < key[r]:
                key[r] = seed_node[k]
    by_key = np.argsort(key_a, kind="stable")
    renum = np.empty(n_grp, dtype=np.int64)
    renum[by_key] = np.arange(n_grp)
    grp_rep = reps_a[:n_grp][by_key].copy()
    return grp_rep, renum[group_a] if n else group_a


# ---------------------------------------------------------------------------------------
# Pairs: every (source, target, distance) within the cutoff, for sources first..last-1.

def pairs_chunk(tuple arrays, int64_t n_targets, double cutoff, int64_t first, int64_t last):
    """(source, target, distance) arrays of sources ``first`` to ``last`` (GIL released)."""
    (indptr, nbr, wgt, seed_ptr, seed_node, seed_dist, direct_ptr, direct_org,
     direct_dist, norg_ptr, norg_org, norg_off, single) = arrays
    cdef Problem p = make_problem(indptr, nbr, wgt, seed_ptr, seed_node, seed_dist,
                                  direct_ptr, direct_org, direct_dist, norg_ptr, norg_org,
                                  norg_off, single.view(np.uint8), n_targets, cutoff)
    cdef int64_t s, j, n_hit, n_out = 0, out_cap = 1024, max_seeds = 0
    cdef int64_t* out_s = NULL
    cdef int64_t* out_t = NULL
    cdef double* out_d = NULL
    cdef void* grown
    cdef int err = 0
    cdef WS ws
    with nogil:
        for s in range(first, last):
            if p.seed_ptr[s + 1] - p.seed_ptr[s] > max_seeds:
                max_seeds = p.seed_ptr[s + 1] - p.seed_ptr[s]
        out_s = <int64_t*>malloc(out_cap * sizeof(int64_t))
        out_t = <int64_t*>malloc(out_cap * sizeof(int64_t))
        out_d = <double*>malloc(out_cap * sizeof(double))
        if out_s == NULL or out_t == NULL or out_d == NULL:
            err = 1
        elif ws_init(&ws, &p, (p.indptr[p.n_nodes] if p.n_nodes >= 0 else 0) + max_seeds + 1) != 0:
            err = 1
        else:
            for s in range(first, last):
                n_hit = search(&p, s, &ws)
                if n_out + n_hit > out_cap:
                    while n_out + n_hit > out_cap:
                        out_cap *= 2
                    grown = realloc(out_s, out_cap * sizeof(int64_t))
                    if grown == NULL:
                        err = 1
                        break
                    out_s = <int64_t*>grown
                    grown = realloc(out_t, out_cap * sizeof(int64_t))
                    if grown == NULL:
                        err = 1
                        break
                    out_t = <int64_t*>grown
                    grown = realloc(out_d, out_cap * sizeof(double))
                    if grown == NULL:
                        err = 1
                        break
                    out_d = <double*>grown
                for j in range(n_hit):
                    out_s[n_out] = s
                    out_t[n_out] = ws.hit_org[j]
                    out_d[n_out] = ws.hit_d[j]
                    n_out += 1
            ws_free(&ws)
    try:
        if err:
            raise MemoryError("pairs kernel: out of memory")
        rs = np.empty(n_out, dtype=np.int64)
        rt = np.empty(n_out, dtype=np.int64)
        rd = np.empty(n_out, dtype=np.float64)
        if n_out:
            _copy_out(rs, rt, rd, out_s, out_t, out_d, n_out)
        return rs, rt, rd
    finally:
        free(out_s)
        free(out_t)
        free(out_d)


cdef void _copy_out(int64_t[::1] rs, int64_t[::1] rt, double[::1] rd, int64_t* s,
                    int64_t* t, double* d, int64_t n):
    memcpy(&rs[0], s, n * sizeof(int64_t))
    memcpy(&rt[0], t, n * sizeof(int64_t))
    memcpy(&rd[0], d, n * sizeof(double))
