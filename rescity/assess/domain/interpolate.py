"""Index surfaces: inverse-distance weighting (IDW) on a regular grid, clipped to the built-up area.

Scores live at origins (residential areas or buildings); the report's figures 49–50 show them
as continuous surfaces. IDW with the ``k`` nearest origins is local, exact at the data points
and never leaves the range of the data, which keeps a surface honest about what was measured.
Cells outside the built-up area (origins buffered by ``reach_m``) are masked, so the surface
does not invent scores over rivers, rail yards or the countryside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Grid:
    """Cell centres ``x`` (columns) and ``y`` (rows, increasing), and the cell size."""

    x: F64
    y: F64
    cell: float

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) edges, for ``imshow(origin="lower")``."""
        h = self.cell / 2
        return (float(self.x[0] - h), float(self.x[-1] + h),
                float(self.y[0] - h), float(self.y[-1] + h))


def make_grid(bounds: tuple[float, float, float, float], *, cell: float,
              max_cells: int = 250_000) -> Grid:
    """A grid over ``(minx, miny, maxx, maxy)``; the cell grows if it would exceed max_cells."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, cell), max(maxy - miny, cell)
    if (w / cell) * (h / cell) > max_cells:
        cell = float(np.sqrt(w * h / max_cells))
    nx, ny = int(np.ceil(w / cell)), int(np.ceil(h / cell))
    gx: F64 = minx + cell * (np.arange(nx, dtype=np.float64) + 0.5)
    gy: F64 = miny + cell * (np.arange(ny, dtype=np.float64) + 0.5)
    return Grid(gx, gy, cell)


def idw(x: F64, y: F64, values: F64, qx: F64, qy: F64, *, power: float = 2.0,
        k: int = 12) -> F64:
    """IDW estimate at the query points from the ``k`` nearest data points.

    Non-finite values are ignored; a query point on a data point takes its value.
    """
    ok = np.isfinite(values) & np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return np.full(len(qx), np.nan)
    from scipy.spatial import cKDTree  # here: the report's main process never needs it

    tree = cKDTree(np.column_stack([x[ok], y[ok]]))
    kk = min(k, int(ok.sum()))
    d, i = tree.query(np.column_stack([qx, qy]), k=kk)
    d = d.reshape(len(qx), kk)
    i = i.reshape(len(qx), kk)
    v = values[ok][i]
    exact = d[:, 0] <= 1e-9
    w = 1.0 / np.maximum(d, 1e-9) ** power
    out: F64 = (w * v).sum(axis=1) / w.sum(axis=1)
    out[exact] = v[exact, 0]
    return out


def built_up_mask(grid: Grid, areas: npt.NDArray[np.object_], reach_m: float) -> npt.NDArray[
        np.bool_]:
    """True for cells whose centre lies within ``reach_m`` of an origin's geometry."""
    zone = shapely.union_all(shapely.buffer(areas, reach_m, quad_segs=4))
    gx, gy = np.meshgrid(grid.x, grid.y)
    out: npt.NDArray[np.bool_] = shapely.contains_xy(zone, gx, gy)
    return out


def built_up_grid(areas: npt.NDArray[np.object_], *, cell: float = 50.0,
                  reach_m: float = 150.0) -> tuple[Grid, npt.NDArray[np.bool_]]:
    """The grid over the origins (plus ``reach_m``) and its built-up cells: the same for every
    index of a city, so its surfaces can share it."""
    b = shapely.total_bounds(areas)
    grid = make_grid((b[0] - reach_m, b[1] - reach_m, b[2] + reach_m, b[3] + reach_m),
                     cell=cell)
    return grid, built_up_mask(grid, areas, reach_m)


def surface(x: F64, y: F64, values: F64, areas: npt.NDArray[np.object_], *,
            cell: float = 50.0, reach_m: float = 150.0, power: float = 2.0,
            k: int = 12, built_up: tuple[Grid, npt.NDArray[np.bool_]] | None = None,
            ) -> tuple[Grid, npt.NDArray[np.float64]]:
    """The clipped IDW surface: a (rows, cols) array, NaN outside the built-up area.
    ``built_up``: :func:`built_up_grid` of the same areas, cell and reach, if already made."""
    grid, mask = built_up or built_up_grid(areas, cell=cell, reach_m=reach_m)
    gx, gy = np.meshgrid(grid.x, grid.y)
    est = np.full(gx.shape, np.nan)
    if mask.any():
        est[mask] = idw(x, y, values, gx[mask], gy[mask], power=power, k=k)
    return grid, est
