"""Types of the compiled kernels (``_engine.pyx``)."""

from typing import Any

import numpy as np
import numpy.typing as npt

_A = npt.NDArray[Any]

def single_origins(norg_org: _A, direct_org: _A, n_org: int) -> npt.NDArray[np.bool_]: ...
def split(n_threads: int, n_org: int, n_branch: int, seed_ptr: _A, seed_node: _A,
          norg_ptr: _A, norg_org: _A, grp_rep: _A) -> tuple[_A, _A]: ...
def group_sources(seed_ptr: _A, seed_node: _A, seed_dist: _A, direct_ptr: _A,
                  direct_org: _A, direct_dist: _A) -> tuple[_A, _A]: ...

class ReachRun:
    def __init__(self, arrays: tuple[_A, ...], accum: tuple[_A, ...], grp_rep: _A,
                 grp_pop: _A, bounds: _A, owner: _A, pos: _A, buf_o: _A, buf_g: _A,
                 buf_d: _A, buf_n: _A, cap: int, cutoff: float, n_org: int) -> None: ...
    def searches(self, t: int) -> bool: ...
    def deferred(self, t: int) -> None: ...

def pairs_chunk(arrays: tuple[_A, ...], n_targets: int, cutoff: float, first: int,
                last: int) -> tuple[_A, _A, _A]: ...
