"""Map figures of one city: index per origin, interpolated surface, gaps and proposed sites.

Every map draws the walk network as its base layer (nothing is fetched from the internet),
with a colour legend, a scale bar, a north arrow and a bilingual title.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from rescity.assess.adapters.result_store import CityResult
from rescity.assess.domain.indices import TRANSPORT_MAX
from rescity.assess.domain.interpolate import built_up_grid, surface
from rescity.assess.reporting.layers import MapLayers, map_layers
from rescity.assess.reporting.style import (
    BORDER_COLOUR,
    CMAP,
    bilingual,
    draw_context,
    draw_network,
    fill_polygons,
    fit_to,
    index_label,
    map_colorbar,
    map_figure,
    scale_bar,
)
from rescity.assess.services.siting import SitingResult, uncovered

F64 = npt.NDArray[np.float64]
UNCOVERED, COVERED = "#d95f02", "#9ecae1"  # orange and light blue: safe for red-green CVD


def index_range(index: str) -> tuple[float, float]:
    """Fixed colour scales, so the same colour means the same score in every city."""
    return (0.0, TRANSPORT_MAX) if index == "transport" else (0.0, 1.0)


def _values(city: CityResult, index: str) -> F64:
    out: F64 = city.origins[index].to_numpy(np.float64)
    return out


def _title(city: CityResult, text: str) -> str:
    return f"{text}\n{city.name}"


def index_map(city: CityResult, index: str, layers: MapLayers | None = None) -> Figure:
    """Each origin coloured by its score; unsnapped origins hollow grey. ``layers``: the
    city's geometry as paths, when several maps of it are drawn (:func:`map_layers`)."""
    layers = layers or map_layers(city)
    fig, ax = map_figure()
    draw_network(ax, layers.network)
    vmin, vmax = index_range(index)
    norm = Normalize(vmin, vmax)
    cmap = colormaps[CMAP]
    values = _values(city, index)
    ok = np.isfinite(values)
    fill_polygons(ax, layers.origins.select(ok), cmap(norm(values)), alpha=0.85, zorder=2)
    x, y = city.origins["x"].to_numpy(), city.origins["y"].to_numpy()
    ax.scatter(x[ok], y[ok], c=values[ok], cmap=cmap, norm=norm, s=9, linewidths=0.2,
               edgecolors="#333333", zorder=3)
    ax.scatter(x[~ok], y[~ok], s=9, facecolors="none", edgecolors="#777777", linewidths=0.5,
               zorder=3)
    border = (city.origins["at_border"].to_numpy(bool) if "at_border" in city.origins
              else np.zeros(len(x), dtype=bool))
    ax.scatter(x[border], y[border], s=28, marker="s", facecolors="none",
               edgecolors=BORDER_COLOUR, linewidths=0.8, zorder=4)
    fit_to(ax, city.origins)
    draw_context(ax, city.context, layers.water)
    map_colorbar(fig, ax, ScalarMappable(norm=norm, cmap=cmap), index_label(index))
    ax.legend(handles=[
        Line2D([], [], color="#9a9a9a", lw=1, label="步行网络 Walk network"),
        Line2D([], [], marker="o", ls="", mfc=colormaps[CMAP](0.6), mec="#333333",
               label="居住单元 Residential origin"),
        Line2D([], [], marker="o", ls="", mfc="none", mec="#777777",
               label="未接入路网 Not on the network"),
        Line2D([], [], marker="s", ls="", mfc="none", mec=BORDER_COLOUR,
               label="数据边界处（得分为下限） At the data edge (lower bound)"),
    ], loc="upper left", fontsize=7, framealpha=0.9)
    ax.set_xlabel("")
    ax.set_ylabel("")
    scale_bar(ax)
    ax.set_title(_title(city, index_label(index)))
    return fig


def surface_map(city: CityResult, index: str, layers: MapLayers | None = None, *,
                cell: float = 40.0) -> Figure:
    """IDW surface of the index on a grid clipped to the built-up area (figures 49–50)."""
    layers = layers or map_layers(city)
    fig, ax = map_figure()
    draw_network(ax, layers.network, colour="#555555", width=0.35, zorder=3)
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    vmin, vmax = index_range(index)
    norm = Normalize(vmin, vmax)
    areas = city.origins.geometry.values
    if cell not in layers.built_up:
        layers.built_up[cell] = built_up_grid(areas, cell=cell)
    grid, est = surface(city.origins["x"].to_numpy(np.float64),
                        city.origins["y"].to_numpy(np.float64), _values(city, index), areas,
                        cell=cell, built_up=layers.built_up[cell])
    img = ax.imshow(np.ma.masked_invalid(est), origin="lower", extent=grid.extent,
                    cmap=CMAP, norm=norm, interpolation="nearest", alpha=0.9, zorder=2)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    map_colorbar(fig, ax, img, index_label(index))
    scale_bar(ax)
    ax.set_title(_title(city, bilingual(("插值表面", "Interpolated surface (IDW)"))
                        + " · " + index_label(index)))
    return fig


def gap_map(city: CityResult, item: str, siting: SitingResult | None = None,
            layers: MapLayers | None = None) -> Figure:
    """Residents without the item within the life circle (orange, by population) and the
    sites proposed to cover them (numbered stars); colours stay apart for red–green colour
    blindness."""
    layers = layers or map_layers(city)
    fig, ax = map_figure(colour_bar=False)
    draw_network(ax, layers.network)
    dist = siting.distance_m if siting else city.config.thresholds.distances_m[-1]
    mask = uncovered(city, item, dist)
    snapped = city.origins["snapped"].to_numpy(bool)
    pop = np.nan_to_num(city.origins["population"].to_numpy(np.float64))
    size = 6 + 60 * np.sqrt(pop / max(float(pop.max(initial=0.0)), 1.0))
    x, y = city.origins["x"].to_numpy(), city.origins["y"].to_numpy()
    covered = snapped & ~mask
    fit_to(ax, city.origins)
    draw_context(ax, city.context, layers.water)
    ax.scatter(x[covered], y[covered], s=size[covered], c=COVERED, alpha=0.6,
               linewidths=0, zorder=2)
    ax.scatter(x[mask], y[mask], s=size[mask], c=UNCOVERED, alpha=0.75, linewidths=0, zorder=3)
    facilities = city.facilities
    has = facilities["items"].fillna("").astype(str).str.split(";").apply(lambda s: item in s)
    existing = facilities[has.to_numpy()]
    if len(existing):
        pts = existing.geometry.representative_point()
        ax.scatter(pts.x, pts.y, marker="s", s=30, c="#2166ac", edgecolors="white",
                   linewidths=0.6, zorder=4)
    handles = [
        Line2D([], [], marker="o", ls="", color=UNCOVERED, label="未覆盖居民 Not covered"),
        Line2D([], [], marker="o", ls="", color=COVERED, label="已覆盖居民 Covered"),
        Line2D([], [], marker="s", ls="", color="#2166ac", label="现有设施 Existing facility"),
    ]
    if siting is not None and len(siting.sites):
        sx, sy = siting.sites["x"].to_numpy(), siting.sites["y"].to_numpy()
        ax.scatter(sx, sy, marker="*", s=260, c="#ffd92f", edgecolors="black", linewidths=0.8,
                   zorder=5)
        for rank, (px, py) in enumerate(zip(sx, sy, strict=True), start=1):
            ax.annotate(str(rank), (px, py), xytext=(6, 6), textcoords="offset points",
                        fontsize=9, fontweight="bold", zorder=6)
        handles.append(Line2D([], [], marker="*", ls="", mfc="#ffd92f", mec="black", ms=12,
                              label="建议新址 Proposed site"))
    ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.9)
    scale_bar(ax)
    by_id = {it.id: it for it in city.taxonomy.items}
    it = by_id[item]
    label = city.config.thresholds.labels[city.config.thresholds.distances_m.index(dist)] \
        if dist in city.config.thresholds.distances_m else f"{dist:g} m"
    ax.set_title(_title(city, f"{it.zh}缺口与选址  {it.en}: gaps and proposed sites ({label})"))
    return fig
