"""What every figure shares: a CJK-capable font, bilingual labels, base map, scale bar, saving.

Figures are drawn with matplotlib's object API (``Figure`` without ``pyplot``) inside
:func:`figure_style`, so nothing changes matplotlib's global state and figures can be made
from worker threads. Chinese text needs a CJK font: Debian's ``fonts-noto-cjk`` provides
"Noto Sans CJK SC" (installed by ``scripts/setup.sh``); without it titles would show boxes,
so :func:`cjk_font` logs a warning naming the package.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import shapely
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

log = logging.getLogger(__name__)

CJK_FONT = "Noto Sans CJK SC"
DPI = 150

INDEX_LABELS: dict[str, tuple[str, str]] = {
    "life_service": ("生活服务指数", "Life-service index"),
    "disaster": ("防灾防疫指数", "Disaster & epidemic prevention index"),
    "transport": ("交通韧性指数", "Transport resilience index"),
    "environment": ("环境韧性指数", "Environmental resilience index"),
    "health_resilience": ("健康韧性综合得分", "Health-resilience score"),
}
# Table 2 categories (the taxonomy's groups of the life-service items).
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "education": ("教育", "Education"),
    "culture": ("文化", "Culture"),
    "sports": ("体育", "Sports"),
    "administration": ("行政管理", "Administration"),
    "commerce": ("商业服务", "Commerce"),
    "elderly_care": ("养老", "Elderly care"),
    "medical": ("医疗卫生", "Medical care"),
}
CATCHMENT_LABELS: dict[str, tuple[str, str]] = {
    "medical": ("医疗", "Medical care"),
    "elderly_care": ("养老", "Elderly care"),
}
NETWORK_COLOUR = "#9a9a9a"
CMAP = "RdYlGn"


def bilingual(pair: tuple[str, str]) -> str:
    """"中文 English": every figure title carries both languages."""
    return f"{pair[0]}  {pair[1]}"


def index_label(name: str) -> str:
    return bilingual(INDEX_LABELS.get(name, (name, name.replace("_", " "))))


@cache
def cjk_font() -> str | None:
    """The CJK font family matplotlib knows, or None (with a warning) when it is missing."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    if CJK_FONT in names:
        return CJK_FONT
    for alt in sorted(n for n in names if "CJK SC" in n or "CJK" in n):
        return alt
    log.warning("no CJK font found: Chinese text will not render; install Debian's "
                "fonts-noto-cjk (scripts/setup.sh does)")
    return None


@contextmanager
def figure_style() -> Iterator[None]:
    """Fonts and defaults for one figure, without touching matplotlib's global settings."""
    font = cjk_font()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with mpl.rc_context({
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "axes.unicode_minus": False,
        "svg.fonttype": "path",  # glyphs as outlines: the SVG shows Chinese on any machine
        "figure.dpi": DPI,
        "axes.titlesize": 12,
        "axes.labelsize": 9,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
    }):
        yield


def new_figure(width_in: float, height_in: float) -> Figure:
    return Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


def draw_network(ax: Axes, edges: gpd.GeoDataFrame, *, colour: str = NETWORK_COLOUR,
                 width: float = 0.5, zorder: float = 1) -> None:
    """The street network as the base layer (no internet tiles)."""
    coords, idx = shapely.get_coordinates(edges.geometry.values, return_index=True)
    breaks = np.flatnonzero(np.diff(idx)) + 1
    segments = np.split(coords, breaks)
    ax.add_collection(LineCollection(segments, colors=colour, linewidths=width, zorder=zorder,
                                     label="步行网络 Walk network"))
    minx, miny, maxx, maxy = shapely.total_bounds(edges.geometry.values)
    pad = 0.02 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def _nice_length(span: float) -> float:
    """A round scale-bar length near a fifth of the map width."""
    target = span / 5
    for unit in (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000):
        if unit >= target:
            return float(unit)
    return float(10 ** int(np.log10(target)))


def scale_bar(ax: Axes) -> None:
    """A metric scale bar (map units are metres: UTM) and a north arrow."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    h = 0.012 * (y1 - y0)
    ax.fill_between([bx, bx + length / 2], by, by + h, color="black", zorder=10)
    ax.fill_between([bx + length / 2, bx + length], by, by + h, facecolor="white",
                    edgecolor="black", linewidth=0.6, zorder=10)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + 2.2 * h, label, ha="center", va="bottom", fontsize=8,
            zorder=10)
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2}, zorder=10)


@dataclass(frozen=True)
class FigureFiles:
    name: str
    png: Path
    svg: Path
    title: str


def save(fig: Figure, out_dir: Path, name: str, title: str) -> FigureFiles:
    """Write PNG (raster, for quick viewing) and SVG (vector, for print and the report)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    fig.savefig(png, dpi=DPI, facecolor="white")
    fig.savefig(svg, facecolor="white")
    return FigureFiles(name, png, svg, title)
