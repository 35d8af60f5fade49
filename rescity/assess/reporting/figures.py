"""Render every figure of a report to PNG and SVG files.

Per city: one map per index, an interpolated surface of the life-service and health-resilience
indices, and a gap map per sited item. Across cities (also for one city): index box plots,
facility-class box plots, coverage bars and low-score shares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from matplotlib.figure import Figure

from rescity.assess.adapters.result_store import CityResult
from rescity.assess.domain.indices import INDEX_NAMES
from rescity.assess.reporting import charts, maps
from rescity.assess.reporting.style import (
    FigureFiles,
    bilingual,
    figure_style,
    index_label,
    save,
)
from rescity.assess.services.siting import SitingResult

SURFACE_INDICES = ("life_service", "health_resilience")


def render_figure(make: Callable[[], Figure], out_dir: Path, name: str,
                  title: str) -> FigureFiles:
    """Draw with the report style and save PNG + SVG; the figure is freed afterwards."""
    with figure_style():
        fig = make()
        files = save(fig, out_dir, name, title)
        fig.clear()
    return files


def city_figures(city: CityResult, out_dir: Path,
                 sitings: Sequence[SitingResult] = ()) -> list[FigureFiles]:
    """Maps of one city; files are named ``<city>-<kind>-<index or item>``."""
    out: list[FigureFiles] = []
    for index in INDEX_NAMES:
        out.append(render_figure(partial(maps.index_map, city, index), out_dir,
                           f"{city.name}-map-{index}", f"{city.name}: {index_label(index)}"))
    for index in SURFACE_INDICES:
        out.append(render_figure(partial(maps.surface_map, city, index), out_dir,
                           f"{city.name}-surface-{index}",
                           f"{city.name}: {bilingual(('插值表面', 'Surface'))} "
                           f"{index_label(index)}"))
    by_id = {it.id: it for it in city.taxonomy.items}
    for s in sitings:
        it = by_id[s.item]
        out.append(render_figure(partial(maps.gap_map, city, s.item, s), out_dir,
                           f"{city.name}-gaps-{s.item}",
                           f"{city.name}: {it.zh} {it.en} — gaps and proposed sites"))
    return out


def comparison_figures(cities: Sequence[CityResult], out_dir: Path) -> list[FigureFiles]:
    """Charts across cities (work for a single city too)."""
    return [
        render_figure(lambda: charts.index_boxplots(cities), out_dir, "compare-index-boxplots",
                bilingual(("各城市指数分布", "Index distributions by city"))),
        render_figure(lambda: charts.class_boxplots(cities), out_dir, "compare-class-boxplots",
                bilingual(("各类设施可达得分", "Facility-class scores by city"))),
        render_figure(lambda: charts.coverage_bars(cities), out_dir, "compare-coverage",
                bilingual(("表2 各项设施覆盖率", "Coverage per Table 2 item"))),
        render_figure(lambda: charts.low_share_bars(cities), out_dir, "compare-low-share",
                bilingual(("低分区居民比例", "Residents in low-score areas"))),
    ]
