# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled construction of the branch-node search graph (``search_graph.py``): counting
sorts and tree walks over flat arrays, built at install time like ``_engine.pyx``."""

from libc.stdint cimport int64_t

import numpy as np



def simple_csr(int64_t n, const int64_t[::1] u, const int64_t[::1] v, const double[::1] w):
    """CSR of an undirected graph without self-loops, keeping the shortest of parallel
    edges; a counting sort, O(n + m)."""
    cdef int64_t k, a, b, x, y, j, m = u.shape[0]
    deg_a = np.zeros(n + 1, dtype=np.int64)
    cdef int64_t[::1] deg = deg_a
    for k in range(m):
        if u[k] != v[k]:
            deg[u[k] + 1] += 1
            deg[v[k] + 1] += 1
    ptr_a = np.cumsum(deg_a)
    fill_a = ptr_a[:-1].copy()
    nb_a = np.empty(ptr_a[-1], dtype=np.int64)
    wt_a = np.empty(ptr_a[-1])
    mark_a = np.full(n, -1, dtype=np.int64)
    at_a = np.empty(n, dtype=np.int64)
    out_a = np.zeros(n + 1, dtype=np.int64)
    cdef int64_t[::1] ptr = ptr_a, fill = fill_a, nb = nb_a, mark = mark_a, at = at_a
    cdef int64_t[::1] out_ptr = out_a
    cdef double[::1] wt = wt_a
    with nogil:
        for k in range(m):
            a = u[k]
            b = v[k]
            if a != b:
                nb[fill[a]] = b
                wt[fill[a]] = w[k]
                fill[a] += 1
                nb[fill[b]] = a
                wt[fill[b]] = w[k]
                fill[b] += 1
        j = 0
        for x in range(n):
            for k in range(ptr[x], ptr[x + 1]):
                y = nb[k]
                if mark[y] == x:
                    if wt[k] < wt[at[y]]:
                        wt[at[y]] = wt[k]
                else:
                    mark[y] = x
                    at[y] = j
                    nb[j] = y
                    wt[j] = wt[k]
                    j += 1
            out_ptr[x + 1] = j
    return out_a, nb_a[:j], wt_a[:j]


def regions(const int64_t[::1] indptr, const int64_t[::1] nbr, const double[::1] wgt):
    """Peel dead-end trees, pick branch nodes, and attach every other node to its region's
    one or two exits; returns (ok, branch, n_branch, exit_node, exit_dist, chain u, v, w)."""
    cdef int64_t n = indptr.shape[0] - 1, x, k, v, top, n_branch = 0, first, nb = 0
    cdef int64_t n_chain = 0, n_region = 0, s, m, head, nbd, inner, i, b, parent
    cdef double d
    cdef bint ok = True
    deg_a = np.empty(n, dtype=np.int64)
    alive_a = np.ones(n, dtype=np.uint8)
    stack_a = np.empty(n, dtype=np.int64)
    isb_a = np.zeros(n, dtype=np.uint8)
    branch_a = np.full(n, -1, dtype=np.int64)
    region_a = np.full(n, -1, dtype=np.int64)
    exit_node_a = np.full((n, 2), -1, dtype=np.int64)
    exit_dist_a = np.full((n, 2), np.inf)
    dstack_a = np.empty(n, dtype=np.int64)
    pstack_a = np.empty(n, dtype=np.int64)
    fstack_a = np.empty(n, dtype=np.float64)
    members_a = np.empty(n, dtype=np.int64)
    cu_a = np.empty(n, dtype=np.int64)
    cv_a = np.empty(n, dtype=np.int64)
    cw_a = np.empty(n, dtype=np.float64)
    cdef int64_t[::1] deg = deg_a, stack = stack_a, branch = branch_a, region = region_a
    cdef unsigned char[::1] alive = alive_a, is_branch = isb_a
    cdef int64_t[:, ::1] exit_node = exit_node_a
    cdef double[:, ::1] exit_dist = exit_dist_a
    cdef int64_t[::1] dstack = dstack_a, pstack = pstack_a, members = members_a
    cdef int64_t[::1] chain_u = cu_a, chain_v = cv_a
    cdef double[::1] fstack = fstack_a, chain_w = cw_a
    cdef int64_t b_in[3]
    cdef int64_t b_out[3]
    cdef double b_w[3]
    with nogil:
        for x in range(n):
            deg[x] = indptr[x + 1] - indptr[x]
        top = 0
        for x in range(n):
            if deg[x] <= 1:
                stack[top] = x
                top += 1
        while top > 0:
            top -= 1
            x = stack[top]
            if not alive[x]:
                continue
            alive[x] = False
            for k in range(indptr[x], indptr[x + 1]):
                v = nbr[k]
                if alive[v]:
                    deg[v] -= 1
                    if deg[v] == 1:
                        stack[top] = v
                        top += 1
        for x in range(n):
            if alive[x] and deg[x] != 2:
                is_branch[x] = True
                n_branch += 1
        if n_branch == 0 and n > 0:
            first = 0
            for x in range(n):
                if alive[x]:
                    first = x
                    break
            is_branch[first] = True
        for x in range(n):
            if is_branch[x]:
                branch[x] = nb
                nb += 1
        for i in range(3):
            b_in[i] = -1
            b_out[i] = -1
            b_w[i] = 0.0
        for s in range(n):
            if is_branch[s] or region[s] >= 0:
                continue
            m = 0
            region[s] = n_region
            members[m] = s
            m += 1
            head = 0
            nbd = 0
            while head < m:
                x = members[head]
                head += 1
                for k in range(indptr[x], indptr[x + 1]):
                    v = nbr[k]
                    if is_branch[v]:
                        if nbd < 3:
                            b_in[nbd] = x
                            b_out[nbd] = branch[v]
                            b_w[nbd] = wgt[k]
                        nbd += 1
                    elif region[v] < 0:
                        region[v] = n_region
                        members[m] = v
                        m += 1
            inner = 0
            for i in range(m):
                x = members[i]
                for k in range(indptr[x], indptr[x + 1]):
                    if not is_branch[nbr[k]]:
                        inner += 1
            if nbd == 0 or nbd > 2 or inner != 2 * (m - 1):
                ok = False
                break
            for b in range(nbd):
                dstack[0] = b_in[b]
                pstack[0] = -1
                fstack[0] = b_w[b]
                top = 1
                while top > 0:
                    top -= 1
                    x = dstack[top]
                    parent = pstack[top]
                    d = fstack[top]
                    exit_node[x, b] = b_out[b]
                    exit_dist[x, b] = d
                    for k in range(indptr[x], indptr[x + 1]):
                        v = nbr[k]
                        if v != parent and not is_branch[v]:
                            dstack[top] = v
                            pstack[top] = x
                            fstack[top] = d + wgt[k]
                            top += 1
            if nbd == 2 and b_out[0] != b_out[1]:
                chain_u[n_chain] = b_out[0]
                chain_v[n_chain] = b_out[1]
                chain_w[n_chain] = exit_dist[b_in[0], 1] + b_w[0]
                n_chain += 1
            n_region += 1
    return (ok, branch_a, nb, exit_node_a, exit_dist_a, cu_a[:n_chain], cv_a[:n_chain],
            cw_a[:n_chain])


def branch_graph(const int64_t[::1] s_indptr, const int64_t[::1] s_nbr,
                 const double[::1] s_wgt, const int64_t[::1] branch, int64_t nb,
                 const int64_t[::1] cu, const int64_t[::1] cv, const double[::1] cw):
    """Branch-to-branch edges and one edge per chain, as a CSR; the shortest of parallel
    edges is kept."""
    cdef int64_t n = branch.shape[0], x, bx, by, c, k, i, a, b, y, j, lo, hi
    ptr_a = np.zeros(nb + 1, dtype=np.int64)
    cdef int64_t[::1] ptr = ptr_a
    for x in range(n):
        bx = branch[x]
        if bx >= 0:
            c = 0
            for k in range(s_indptr[x], s_indptr[x + 1]):
                if branch[s_nbr[k]] >= 0:
                    c += 1
            ptr[bx + 1] = c
    for i in range(cu.shape[0]):
        ptr[cu[i] + 1] += 1
        ptr[cv[i] + 1] += 1
    for i in range(nb):
        ptr[i + 1] += ptr[i]
    nbr_a = np.empty(ptr[nb], dtype=np.int64)
    wgt_a = np.empty(ptr[nb])
    fill_a = ptr_a[:-1].copy()
    mark_a = np.full(nb, -1, dtype=np.int64)
    cdef int64_t[::1] nbr = nbr_a, fill = fill_a, mark = mark_a
    cdef double[::1] wgt = wgt_a
    with nogil:
        for x in range(n):
            bx = branch[x]
            if bx >= 0:
                for k in range(s_indptr[x], s_indptr[x + 1]):
                    by = branch[s_nbr[k]]
                    if by >= 0:
                        nbr[fill[bx]] = by
                        wgt[fill[bx]] = s_wgt[k]
                        fill[bx] += 1
        for i in range(cu.shape[0]):
            a = cu[i]
            b = cv[i]
            nbr[fill[a]] = b
            wgt[fill[a]] = cw[i]
            fill[a] += 1
            nbr[fill[b]] = a
            wgt[fill[b]] = cw[i]
            fill[b] += 1
        j = 0
        lo = 0
        for x in range(nb):
            hi = ptr[x + 1]
            for k in range(lo, hi):
                y = nbr[k]
                if mark[y] == x:
                    if wgt[k] < wgt[fill[y]]:
                        wgt[fill[y]] = wgt[k]
                else:
                    mark[y] = x
                    fill[y] = j
                    nbr[j] = y
                    wgt[j] = wgt[k]
                    j += 1
            lo = hi
            ptr[x + 1] = j
    return ptr_a, nbr_a[:j], wgt_a[:j]


def reduce(
    const int64_t[::1] branch, const int64_t[:, ::1] exit_node,
    const double[:, ::1] exit_dist,
    const int64_t[::1] s_indptr, const int64_t[::1] s_nbr, const double[::1] s_wgt,
    const int64_t[::1] seed_ptr, const int64_t[::1] seed_node, const double[::1] seed_dist,
    const int64_t[::1] direct_ptr, const int64_t[::1] direct_org,
    const double[::1] direct_dist,
    const int64_t[::1] norg_ptr, const int64_t[::1] norg_org, const double[::1] norg_off,
    double cutoff,
):
    """The attachments moved onto the branch-node graph (see ``search_graph.py``)."""
    cdef int64_t n = branch.shape[0], n_src = seed_ptr.shape[0] - 1
    cdef int64_t cap = 2 * seed_node.shape[0] + 1, k2 = 0, f, k, x, e, nb = 0, m, r, j
    cdef int64_t dcap, need, x0, top, parent, q, v
    cdef double d, dd, nd
    o_seed_ptr_a = np.zeros(n_src + 1, dtype=np.int64)
    o_seed_node_a = np.empty(cap, dtype=np.int64)
    o_seed_dist_a = np.empty(cap)
    cdef int64_t[::1] o_seed_ptr = o_seed_ptr_a, o_seed_node = o_seed_node_a
    cdef double[::1] o_seed_dist = o_seed_dist_a
    for f in range(n_src):
        for k in range(seed_ptr[f], seed_ptr[f + 1]):
            x = seed_node[k]
            if branch[x] >= 0:
                o_seed_node[k2] = branch[x]
                o_seed_dist[k2] = seed_dist[k]
                k2 += 1
            else:
                for e in range(2):
                    if exit_node[x, e] >= 0 and seed_dist[k] + exit_dist[x, e] <= cutoff:
                        o_seed_node[k2] = exit_node[x, e]
                        o_seed_dist[k2] = seed_dist[k] + exit_dist[x, e]
                        k2 += 1
        o_seed_ptr[f + 1] = k2
    for x in range(n):
        if branch[x] >= 0:
            nb += 1
    cnt_a = np.zeros(nb + 1, dtype=np.int64)
    cdef int64_t[::1] cnt = cnt_a
    for x in range(n):
        m = norg_ptr[x + 1] - norg_ptr[x]
        if m == 0:
            continue
        if branch[x] >= 0:
            cnt[branch[x] + 1] += m
        else:
            for e in range(2):
                if exit_node[x, e] >= 0:
                    cnt[exit_node[x, e] + 1] += m
    o_norg_ptr_a = np.cumsum(cnt_a)
    fill_a = o_norg_ptr_a[:-1].copy()
    o_norg_org_a = np.empty(o_norg_ptr_a[-1], dtype=np.int64)
    o_norg_off_a = np.empty(o_norg_ptr_a[-1])
    cdef int64_t[::1] fill = fill_a, o_norg_org = o_norg_org_a
    cdef double[::1] o_norg_off = o_norg_off_a
    for x in range(n):
        for k in range(norg_ptr[x], norg_ptr[x + 1]):
            if branch[x] >= 0:
                r = branch[x]
                o_norg_org[fill[r]] = norg_org[k]
                o_norg_off[fill[r]] = norg_off[k]
                fill[r] += 1
            else:
                for e in range(2):
                    r = exit_node[x, e]
                    if r >= 0:
                        o_norg_org[fill[r]] = norg_org[k]
                        o_norg_off[fill[r]] = norg_off[k] + exit_dist[x, e]
                        fill[r] += 1
    # Pairs inside one region: walk the region tree from each seed on it.
    dcap = direct_org.shape[0] + 1024
    o_direct_ptr_a = np.zeros(n_src + 1, dtype=np.int64)
    o_direct_org_a = np.empty(dcap, dtype=np.int64)
    o_direct_dist_a = np.empty(dcap)
    stack_n_a = np.empty(n, dtype=np.int64)
    stack_p_a = np.empty(n, dtype=np.int64)
    stack_d_a = np.empty(n)
    cdef int64_t[::1] o_direct_ptr = o_direct_ptr_a, o_direct_org = o_direct_org_a
    cdef double[::1] o_direct_dist = o_direct_dist_a
    cdef int64_t[::1] stack_n = stack_n_a, stack_p = stack_p_a
    cdef double[::1] stack_d = stack_d_a
    j = 0
    for f in range(n_src):
        need = j + (direct_ptr[f + 1] - direct_ptr[f])
        if need > dcap:
            dcap = 2 * need
            o_direct_org_a = _grown(o_direct_org_a, dcap)
            o_direct_dist_a = _grown(o_direct_dist_a, dcap)
            o_direct_org = o_direct_org_a
            o_direct_dist = o_direct_dist_a
        for k in range(direct_ptr[f], direct_ptr[f + 1]):
            o_direct_org[j] = direct_org[k]
            o_direct_dist[j] = direct_dist[k]
            j += 1
        for k in range(seed_ptr[f], seed_ptr[f + 1]):
            x0 = seed_node[k]
            if branch[x0] >= 0 or seed_dist[k] > cutoff:
                continue
            stack_n[0] = x0
            stack_p[0] = -1
            stack_d[0] = seed_dist[k]
            top = 1
            while top > 0:
                top -= 1
                x = stack_n[top]
                parent = stack_p[top]
                d = stack_d[top]
                for q in range(norg_ptr[x], norg_ptr[x + 1]):
                    dd = d + norg_off[q]
                    if dd <= cutoff:
                        if j == dcap:
                            dcap *= 2
                            o_direct_org_a = _grown(o_direct_org_a, dcap)
                            o_direct_dist_a = _grown(o_direct_dist_a, dcap)
                            o_direct_org = o_direct_org_a
                            o_direct_dist = o_direct_dist_a
                        o_direct_org[j] = norg_org[q]
                        o_direct_dist[j] = dd
                        j += 1
                for q in range(s_indptr[x], s_indptr[x + 1]):
                    v = s_nbr[q]
                    nd = d + s_wgt[q]
                    if v != parent and branch[v] < 0 and nd <= cutoff:
                        stack_n[top] = v
                        stack_p[top] = x
                        stack_d[top] = nd
                        top += 1
        o_direct_ptr[f + 1] = j
    return (o_seed_ptr_a, o_seed_node_a[:k2].copy(), o_seed_dist_a[:k2].copy(),
            o_direct_ptr_a, o_direct_org_a[:j].copy(), o_direct_dist_a[:j].copy(),
            o_norg_ptr_a, o_norg_org_a, o_norg_off_a)


def _grown(a, int64_t cap):
    out = np.empty(cap, dtype=a.dtype)
    out[:len(a)] = a
    return out
