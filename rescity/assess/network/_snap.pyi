"""Types of the compiled snapping kernels (``_snap.pyx``)."""

from typing import Any

import numpy.typing as npt

_A = npt.NDArray[Any]

def grid(x0: _A, y0: _A, x1: _A, y1: _A, minx: float, miny: float, cell: float, nx: int,
         ny: int) -> tuple[_A, _A]: ...
def query(px: _A, py: _A, x0: _A, y0: _A, x1: _A, y1: _A, ptr: _A, items: _A, minx: float,
          miny: float, cell: float, nx: int, ny: int, max_dist: float, best_seg: _A,
          best_t: _A, best_d: _A, first: int, last: int) -> None: ...
