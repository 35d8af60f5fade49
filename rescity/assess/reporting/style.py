"""What every figure shares: a CJK-capable font, bilingual labels, base map, scale bar, saving.

Figures are drawn with matplotlib's object API (``Figure`` without ``pyplot``) inside
:func:`figure_style`, so nothing changes matplotlib's global state and figures can be made
from worker threads. Chinese text needs a CJK font: Debian's ``fonts-noto-cjk`` provides
"Noto Sans CJK SC" (installed by ``scripts/setup.sh``). When matplotlib's font cache predates
the install, :func:`cjk_font` finds the file through fontconfig and registers it; without any
CJK font titles would show boxes, so it logs a warning naming the package.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import numpy.typing as npt
import shapely
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from rescity.assess.reporting.layers import (
    NetworkLine,
    PolygonPaths,
    network_line,
    polygon_paths,
)

log = logging.getLogger(__name__)

CJK_FONT = "Noto Sans CJK SC"
DPI = 120
"""Maps are 8 x 7 in: 960 x 840 px, readable on a screen and on A4."""
PNG_COLOURS = 256
"""Figures are stored as palette PNGs: a quarter of the bytes of full colour for flat map
colours and antialiased lines (a one-city report stays well under 3 MB)."""

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
# Perceptually uniform and readable with the common colour-vision deficiencies (red–green
# maps are not): low scores dark purple, high scores yellow.
CMAP = "viridis"
BORDER_COLOUR = "#d95f02"


def bilingual(pair: tuple[str, str]) -> str:
    """"中文 English": every figure title carries both languages."""
    return f"{pair[0]}  {pair[1]}"


def index_label(name: str) -> str:
    return bilingual(INDEX_LABELS.get(name, (name, name.replace("_", " "))))


def cjk_font_files() -> list[Path]:
    """CJK font files fontconfig knows (the system's own index, not matplotlib's cache)."""
    files: list[Path] = []
    exe = shutil.which("fc-match")
    if exe:
        try:
            found = subprocess.run(  # noqa: S603 (fixed arguments, no user input)
                [exe, "-f", "%{file}", CJK_FONT], capture_output=True, text=True, timeout=10,
                check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and "CJK" in Path(found).name:
            files.append(Path(found))
    exe = shutil.which("fc-list")
    if exe:
        try:
            out = subprocess.run(  # noqa: S603 (fixed arguments, no user input)
                [exe, ":lang=zh", "file"], capture_output=True, text=True, timeout=10,
                check=False).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        files += sorted(Path(line.split(":")[0]) for line in out.splitlines()
                        if "CJK" in line and "Sans" in line)
    return [f for f in dict.fromkeys(files) if f.is_file()]


@cache
def cjk_font() -> str | None:
    """The CJK font family for figures, or None (with a warning) when none is installed.

    Matplotlib's font cache can predate the font's installation (anything that imported
    matplotlib before ``fonts-noto-cjk`` arrived), so a font missing from the cache is looked
    up through fontconfig and registered from its file.
    """
    names = {f.name for f in font_manager.fontManager.ttflist}
    if CJK_FONT in names:
        return CJK_FONT
    for alt in sorted(n for n in names if "CJK" in n):
        return alt
    for path in cjk_font_files():
        try:
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
        log.info("registered the CJK font %s from %s (matplotlib's font cache predates it)",
                 name, path)
        return name
    log.warning("no CJK font found: Chinese text will not render; install Debian's "
                "fonts-noto-cjk (scripts/setup.sh does)")
    return None


@contextmanager
def figure_style() -> Iterator[None]:
    """Fonts and defaults for one figure, without touching matplotlib's global settings."""
    font = cjk_font()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with mpl.rc_context({
        # The families themselves, not "sans-serif": matplotlib falls back glyph by glyph
        # only along an explicit list (a generic family resolves to its first font), so
        # letters the CJK font lacks (Maltese Ħ, say) come from DejaVu Sans, not as boxes.
        "font.family": families,
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
    """A chart whose layout matplotlib works out (its tick labels vary with the data)."""
    return Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


MAP_SIZE_IN = (8.0, 7.0)
MAP_RECT = (0.01, 0.01, 0.85, 0.89)
"""Left, bottom, width, height of a map's frame (figure fractions): room above for a two-line
title and on the right for the colour bar. Maps have a fixed layout: matplotlib's constrained
layout measured every text and artist of each map again, ~0.3 s a map."""
MAP_RECT_NO_BAR = (0.01, 0.01, 0.98, 0.89)


def map_figure(*, colour_bar: bool = True) -> tuple[Figure, Axes]:
    """An empty 8 x 7 in map with its frame at :data:`MAP_RECT` (the full width when it will
    have no colour bar)."""
    fig = Figure(figsize=MAP_SIZE_IN, dpi=DPI)
    return fig, fig.add_axes(MAP_RECT if colour_bar else MAP_RECT_NO_BAR)


def map_colorbar(fig: Figure, ax: Axes, mappable: ScalarMappable, label: str) -> None:
    """A colour bar beside the map's frame as drawn (an equal-aspect frame shrinks to the
    map's shape, so the bar follows it rather than the figure's edge). Call after the map's
    extent is set."""
    ax.apply_aspect()
    pos = ax.get_position()
    cax = fig.add_axes((pos.x1 + 0.02, pos.y0 + 0.15 * pos.height, 0.025, 0.7 * pos.height))
    fig.colorbar(mappable, cax=cax, label=label)


def draw_network(ax: Axes, edges: gpd.GeoDataFrame | NetworkLine, *,
                 colour: str = NETWORK_COLOUR, width: float = 0.5, zorder: float = 1) -> None:
    """The street network as the base layer (no internet tiles); ``edges`` may be the line
    already built (:class:`MapLayers`)."""
    line = edges if isinstance(edges, NetworkLine) else network_line(edges.geometry.values)
    ax.add_line(Line2D(line.xy[:, 0], line.xy[:, 1], color=colour, linewidth=width,
                       zorder=zorder, solid_capstyle="projecting",
                       label="步行网络 Walk network"))
    minx, miny, maxx, maxy = line.bounds
    pad = 0.02 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def fill_polygons(ax: Axes, geoms: npt.ArrayLike | PolygonPaths,
                  colour: str | npt.ArrayLike, *, alpha: float | None = None,
                  zorder: float = 1.0) -> None:
    """Fill (multi)polygons as one collection of paths (:func:`polygon_paths`, or already
    built). geopandas makes a Python patch per polygon, and the layout engine then measured
    each one: most of a map's time. ``colour`` is one colour or one RGBA row per geometry
    (indexed by the paths' ``owner``)."""
    shapes = geoms if isinstance(geoms, PolygonPaths) else polygon_paths(geoms)
    if not shapes.paths:
        return
    # one colour, or an RGBA row per geometry repeated for each of its parts
    face = (colour if isinstance(colour, str)
            else np.asarray(colour, dtype=float)[shapes.owner])
    coll = PathCollection(shapes.paths, facecolors=face, edgecolors="none", alpha=alpha,
                          zorder=zorder)
    coll.set_in_layout(False)  # clipped to the axes: nothing for the layout to measure
    ax.add_collection(coll, autolim=False)


WATER_COLOUR = "#cfe3f3"
PLACE_RANK = {"city": 0, "town": 1, "suburb": 2, "village": 2, "quarter": 3, "neighbourhood": 4}
MAX_PLACE_LABELS = 12


def draw_context(ax: Axes, context: gpd.GeoDataFrame | None,
                 water: PolygonPaths | None = None) -> None:
    """Water and place names from the extract itself, under everything else. Call after the
    map's frame is set: only names inside it are written, the most important first.
    ``water``: the context's water as paths, when already built (:class:`MapLayers`)."""
    if context is None or len(context) == 0:
        return
    if water is None:
        water = polygon_paths(context.geometry.values[(context["kind"] == "water").to_numpy()])
    fill_polygons(ax, water, WATER_COLOUR, zorder=0.5)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    places = context[context["kind"].isin(list(PLACE_RANK))]
    if len(places) == 0:
        return
    pts = places.geometry.centroid
    inside = ((pts.x > x0) & (pts.x < x1) & (pts.y > y0) & (pts.y < y1)).to_numpy()
    places = places[inside].assign(rank=places["kind"][inside].map(PLACE_RANK))
    for _, row in places.sort_values("rank").head(MAX_PLACE_LABELS).iterrows():
        c = row.geometry.centroid
        ax.text(c.x, c.y, row["name"], fontsize=7, color="#555555", ha="center",
                va="center", style="italic", zorder=6, alpha=0.9)


def fit_to(ax: Axes, gdf: gpd.GeoDataFrame, *, margin_m: float = 300.0) -> None:
    """Frame the map on ``gdf`` (the origins) rather than on the whole network, whose ways
    can run far past the place assessed (a relation reaching another country)."""
    if len(gdf) == 0:
        return
    minx, miny, maxx, maxy = shapely.total_bounds(gdf.geometry.values)
    pad = max(margin_m, 0.05 * max(maxx - minx, maxy - miny))
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)


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
    # "0" under the start and the length under the end, where a reader measures to.
    ax.text(bx, by + 2.2 * h, "0", ha="center", va="bottom", fontsize=8, zorder=10)
    ax.text(bx + length, by + 2.2 * h, label, ha="center", va="bottom", fontsize=8,
            zorder=10)
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2}, zorder=10)


def palette_png(rgba: npt.NDArray[np.uint8]) -> Image.Image:
    """An RGBA image (opaque, ``(height, width, 4)``) as a 256-colour palette image.

    The palette is chosen on a third-size copy (a ninth of the pixels, nearly the same
    palette) and every pixel then takes its nearest entry: a quarter of the time of choosing
    it on the full image. That lookup is approximate (to a few levels), so pure white and
    black, the page and the text, are set exactly."""
    img = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
    small = img.reduce(3) if min(img.size) >= 300 else img
    palette = small.quantize(PNG_COLOURS, method=Image.Quantize.MAXCOVERAGE)
    rgb = np.asarray(palette.getpalette() or [], dtype=np.int64).reshape(-1, 3)
    out = np.array(img.quantize(palette=palette, dither=Image.Dither.NONE))
    # one 32-bit word per pixel: a single comparison finds white or black (opaque) pixels
    words = np.ascontiguousarray(rgba).view(np.uint32)[..., 0]
    for target in (255, 0):
        entry = int(np.abs(rgb - target).sum(axis=1).argmin())
        if np.abs(rgb[entry] - target).max() <= 16:  # the image has (nearly) this colour
            rgb[entry] = target
            word = np.array([target, target, target, 255], dtype=np.uint8).view(np.uint32)[0]
            out[words == word] = entry
    result = Image.frombytes("P", img.size, out.tobytes())
    result.putpalette(rgb.astype(np.uint8).ravel().tolist())
    return result


@dataclass(frozen=True)
class FigureFiles:
    name: str
    png: Path
    svg: Path | None
    """Only when asked for (a vector copy for print; a map's SVG is ~8 MB)."""
    title: str


def save(fig: Figure, out_dir: Path, name: str, title: str, *,
         svg: bool = False) -> FigureFiles:
    """Write the PNG (drawn once, kept as a palette image) and, if asked, an SVG."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / f"{name}.png"
    fig.set_facecolor("white")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # type: ignore[no-untyped-call]
    rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
    palette_png(rgba).save(png, compress_level=6)
    svg_path = None
    if svg:
        svg_path = out_dir / f"{name}.svg"
        fig.savefig(svg_path, facecolor="white")
    return FigureFiles(name, png, svg_path, title)
