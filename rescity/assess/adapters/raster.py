"""Read the part of a population raster (persons per cell) that covers a city.

Only the window over the requested bounding box is read, so a national or global raster
(WorldPop, GHS-POP) costs what the city costs. Every problem with the file becomes a
:class:`DataFileError` naming it: missing, not a raster, truncated, no CRS, negative counts,
or no overlap with the city.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyproj
import rasterio
from rasterio.errors import RasterioError
from rasterio.transform import Affine
from rasterio.windows import Window

from rescity.core.errors import DataFileError

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PopulationWindow:
    """Band 1 over a window: ``values`` (nodata and NaN as 0), ``valid`` (not nodata)."""

    path: str
    crs: pyproj.CRS
    transform: Affine
    values: F64
    valid: npt.NDArray[np.bool_]
    resolution: tuple[float, float]

    def cell_of(self, x: F64, y: F64) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Row and column of points given in the raster's CRS (may fall outside the window)."""
        inv = ~self.transform
        col = inv.a * x + inv.b * y + inv.c
        row = inv.d * x + inv.e * y + inv.f
        return np.floor(row).astype(np.int64), np.floor(col).astype(np.int64)


def _window(ds: rasterio.io.DatasetReader, bounds: tuple[float, float, float, float]) -> Window:
    """Cells touching ``bounds`` (raster CRS), clipped to the raster; may be empty."""
    minx, miny, maxx, maxy = bounds
    inv = ~ds.transform
    cols, rows = [], []
    for x, y in ((minx, miny), (minx, maxy), (maxx, miny), (maxx, maxy)):
        cols.append(inv.a * x + inv.b * y + inv.c)
        rows.append(inv.d * x + inv.e * y + inv.f)
    c0 = max(0, math.floor(min(cols)))
    c1 = min(ds.width, math.ceil(max(cols)))
    r0 = max(0, math.floor(min(rows)))
    r1 = min(ds.height, math.ceil(max(rows)))
    return Window(c0, r0, max(0, c1 - c0), max(0, r1 - r0))


def read_population_window(
    path: Path | str, bounds: tuple[float, float, float, float], bounds_crs: str,
) -> PopulationWindow:
    """Band 1 of ``path`` over ``bounds`` (given in ``bounds_crs``), checked for use."""
    name = str(path)
    if not Path(path).is_file():
        raise DataFileError(name, "population raster not found")
    try:
        ds = rasterio.open(path)
    except RasterioError as exc:
        raise DataFileError(name, f"not a readable raster (a GeoTIFF is expected): {exc}") from None
    with ds:
        if ds.crs is None:
            raise DataFileError(name, "the population raster has no coordinate reference system "
                                      "(CRS); assign one, e.g. gdal_edit.py -a_srs EPSG:4326")
        if ds.count < 1:
            raise DataFileError(name, "the raster has no band")
        crs = pyproj.CRS.from_wkt(ds.crs.to_wkt())
        to_raster = pyproj.Transformer.from_crs(bounds_crs, crs, always_xy=True)
        box = to_raster.transform_bounds(*bounds, densify_pts=21)
        finite = all(map(math.isfinite, box))
        win = _window(ds, box) if finite else Window(0, 0, 0, 0)
        if win.width == 0 or win.height == 0:
            b = ds.bounds
            raise DataFileError(
                name, "the population raster does not overlap the city: its bounds "
                f"({b.left:.6g}, {b.bottom:.6g}, {b.right:.6g}, {b.top:.6g}) in {crs.to_string()}"
                f" miss the origins' bounding box ({box[0]:.6g}, {box[1]:.6g}, {box[2]:.6g}, "
                f"{box[3]:.6g})")
        try:
            band = ds.read(1, window=win, masked=True)
        except RasterioError as exc:
            raise DataFileError(name, f"cannot read the raster (truncated or corrupt?): {exc}"
                                ) from None
        t = ds.transform  # the window's own transform, without rasterio's deprecated `*`
        transform = Affine(t.a, t.b, t.c + t.a * win.col_off + t.b * win.row_off,
                           t.d, t.e, t.f + t.d * win.col_off + t.e * win.row_off)
        res = (float(ds.res[0]), float(ds.res[1]))
    if np.iscomplexobj(band):
        raise DataFileError(name, "band 1 holds complex numbers, not persons per cell")
    values = np.ma.getdata(band).astype(np.float64)
    valid = ~np.ma.getmaskarray(band) & np.isfinite(values)
    negative = valid & (values < 0)
    if negative.any():
        r, c = np.argwhere(negative)[0]
        raise DataFileError(
            name, f"{int(negative.sum())} cells over the city hold negative values (e.g. "
            f"{values[r, c]:g} at row {r + int(win.row_off)}, column {c + int(win.col_off)}); "
            "persons per cell must be ≥ 0 (set the raster's nodata value if these mean 'no data')")
    values = np.where(valid, values, 0.0)
    return PopulationWindow(name, crs, transform, values, valid, res)
