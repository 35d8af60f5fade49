"""Maximal covering location problem (MCLP): pick k sites that cover the most demand.

Demand ``i`` (an origin, weighted by its uncovered population) is covered when at least one
chosen site lies within the threshold. Coverage is given as a sparse incidence: for each
candidate ``j`` the demand indices it covers (``cover_ptr``/``cover_idx``, CSR layout).

Two solvers:

- :func:`greedy_mclp` — lazy greedy (CELF): a site's marginal gain can only shrink as sites
  are added (coverage is submodular), so a stale gain from the priority queue is an upper
  bound; only the top entry is re-evaluated. Greedy is guaranteed ≥ (1 − 1/e) ≈ 63 % of the
  optimum, and in practice usually within a few percent.
- :func:`exact_mclp` — the integer programme (Church & ReVelle 1974) solved with
  :func:`scipy.optimize.milp` (HiGHS), for small instances, to show how close greedy is.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rescity.assess.domain.unique import sorted_unique

# scipy.optimize and scipy.sparse are imported by exact_mclp, the only user: half a second of
# every report's start (which imports this module) for an exact run that large cities skip.

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Coverage:
    """Which demand each candidate covers, in CSR layout, with the demand weights."""

    cover_ptr: I64
    cover_idx: I64
    weight: F64

    @property
    def n_candidates(self) -> int:
        return len(self.cover_ptr) - 1

    @property
    def n_demand(self) -> int:
        return len(self.weight)

    def covered_by(self, j: int) -> I64:
        return self.cover_idx[self.cover_ptr[j]:self.cover_ptr[j + 1]]

    @classmethod
    def from_pairs(cls, cand: I64, demand: I64, n_candidates: int, weight: F64) -> Coverage:
        """Build from (candidate, demand) pairs; duplicates are dropped."""
        key = sorted_unique(np.asarray(cand, np.int64) * len(weight)
                             + np.asarray(demand, np.int64))
        c, d = key // max(len(weight), 1), key % max(len(weight), 1)
        ptr = np.zeros(n_candidates + 1, dtype=np.int64)
        np.cumsum(np.bincount(c, minlength=n_candidates), out=ptr[1:])
        return cls(ptr, d.astype(np.int64), np.asarray(weight, np.float64))


@dataclass(frozen=True)
class SitingSolution:
    """Chosen candidates in the order picked, each one's marginal gain, and the total."""

    sites: list[int]
    gains: list[float]
    covered: float
    optimal: bool = False

    @property
    def total_demand_covered(self) -> float:
        return self.covered


def greedy_mclp(cov: Coverage, k: int) -> SitingSolution:
    """Lazy greedy: at each step the candidate with the largest marginal covered weight.

    Ties are broken by the lower candidate index, so the result is deterministic. Stops early
    when no candidate adds anything (a site that covers nobody new is never proposed).
    """
    if k < 0:
        raise ValueError("k must be ≥ 0")
    covered = np.zeros(cov.n_demand, dtype=bool)
    w = cov.weight
    # Max-heap via negated gains; entries are (-gain, candidate, round evaluated).
    heap = [(-float(w[cov.covered_by(j)].sum()), j, 0) for j in range(cov.n_candidates)]
    heapq.heapify(heap)
    sites: list[int] = []
    gains: list[float] = []
    total = 0.0
    while heap and len(sites) < k:
        neg, j, when = heapq.heappop(heap)
        if when == len(sites):
            if -neg <= 0.0:
                break
            sites.append(j)
            gains.append(-neg)
            total += -neg
            covered[cov.covered_by(j)] = True
            continue
        idx = cov.covered_by(j)
        gain = float(w[idx[~covered[idx]]].sum())
        heapq.heappush(heap, (-gain, j, len(sites)))
    return SitingSolution(sites, gains, total)


def exact_mclp(cov: Coverage, k: int, *, time_limit_s: float = 60.0) -> SitingSolution:
    """The optimum of the MCLP integer programme (small instances: it is NP-hard).

    Variables: ``x_j`` (site j chosen, binary) and ``y_i`` (demand i covered, 0..1; integral at
    the optimum because the objective pushes it up to its binding bound). Maximise Σ w_i y_i
    subject to y_i ≤ Σ_{j covers i} x_j and Σ x_j ≤ k. Gains are reported in greedy order of
    the chosen sites, so they add up to the total.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix, hstack, identity

    n, m = cov.n_candidates, cov.n_demand
    if n == 0 or m == 0 or k == 0:
        return SitingSolution([], [], 0.0, optimal=True)
    rows = cov.cover_idx
    cols = np.repeat(np.arange(n), np.diff(cov.cover_ptr))
    a_cover = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, n))
    # y_i - Σ a_ij x_j ≤ 0
    link = hstack([-a_cover, identity(m, format="csr")], format="csr")
    budget = np.concatenate([np.ones(n), np.zeros(m)])[None, :]
    cons = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(budget, 0.0, float(k)),
    ]
    c = np.concatenate([np.zeros(n), -cov.weight])
    integrality = np.concatenate([np.ones(n), np.zeros(m)])
    res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(0.0, 1.0),
               options={"time_limit": time_limit_s})
    if res.x is None:
        raise RuntimeError(f"MILP solver failed: {res.message}")
    chosen = [int(j) for j in np.flatnonzero(res.x[:n] > 0.5)]
    # Order the chosen sites greedily so each gain is its marginal contribution.
    sub = Coverage(
        np.concatenate([[0], np.cumsum([len(cov.covered_by(j)) for j in chosen])]).astype(
            np.int64),
        np.concatenate([cov.covered_by(j) for j in chosen]).astype(np.int64)
        if chosen else np.zeros(0, np.int64),
        cov.weight,
    )
    order = greedy_mclp(sub, len(chosen))
    sites = [chosen[s] for s in order.sites]
    gains = list(order.gains)
    # Chosen sites that add nothing (ties) are kept at the end with gain 0.
    for j in chosen:
        if j not in sites:
            sites.append(j)
            gains.append(0.0)
    return SitingSolution(sites, gains, float(sum(gains)), optimal=res.status == 0)
