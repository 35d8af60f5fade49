"""Which figures a report has, and how one is drawn to PNG (and SVG) files.

Per city: one map per index, an interpolated surface of the life-service and health-resilience
indices, and a gap map per sited item. Across cities: index box plots, facility-class box
plots, coverage bars and low-score shares. For a single city only the facility-class box plots
are drawn: the other three charts would repeat numbers the report's tables already give
(each index's quartiles, the coverage of each item, the share of residents in low-score areas)
and cost a fifth of the report's drawing time.

A figure is a :class:`FigureJob` (a name, a title, and how to make it) so that
:mod:`rescity.assess.reporting.drawing` can draw jobs on several processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from matplotlib.figure import Figure

from rescity.assess.adapters.result_store import CityResult
from rescity.assess.domain.indices import INDEX_NAMES
from rescity.assess.reporting import charts, maps
from rescity.assess.reporting.layers import MapLayers, map_layers
from rescity.assess.reporting.style import (
    FigureFiles,
    bilingual,
    figure_style,
    index_label,
    save,
)
from rescity.assess.services.siting import SitingResult

SURFACE_INDICES = ("life_service", "health_resilience")


@dataclass(frozen=True)
class FigureJob:
    """One figure to draw: ``make`` builds it, ``name`` is its file name (no suffix)."""

    name: str
    title: str
    make: Callable[[], Figure]
    group: str | None = None
    """Jobs of one group are drawn one after the other by the same process (they share
    work: a city's surfaces share their grid)."""


def render_figure(make: Callable[[], Figure], out_dir: Path, name: str,
                  title: str, *, svg: bool = False) -> FigureFiles:
    """Draw with the report style and save the PNG (and the SVG if asked); the figure is
    freed afterwards."""
    with figure_style():
        fig = make()
        files = save(fig, out_dir, name, title, svg=svg)
        fig.clear()
    return files


def render_job(job: FigureJob, out_dir: Path, *, svg: bool = False) -> FigureFiles:
    return render_figure(job.make, out_dir, job.name, job.title, svg=svg)


def index_jobs(city: CityResult, layers: MapLayers | None = None) -> list[FigureJob]:
    """The maps of one city that need no analysis: an index map per index, the surfaces.
    Files are named ``<city>-<kind>-<index>``."""
    layers = layers or map_layers(city)
    jobs = [FigureJob(f"{city.name}-map-{index}", f"{city.name}: {index_label(index)}",
                      partial(maps.index_map, city, index, layers))
            for index in INDEX_NAMES]
    jobs += [FigureJob(f"{city.name}-surface-{index}",
                       f"{city.name}: {bilingual(('插值表面', 'Surface'))} {index_label(index)}",
                       partial(maps.surface_map, city, index, layers),
                       group=f"{city.name}-surfaces")
             for index in SURFACE_INDICES]
    return jobs


def gap_jobs(city: CityResult, sitings: Sequence[SitingResult],
             layers: MapLayers | None = None) -> list[FigureJob]:
    """A gap map per sited item, named ``<city>-gaps-<item>``."""
    layers = layers or map_layers(city)
    by_id = {it.id: it for it in city.taxonomy.items}
    return [FigureJob(f"{city.name}-gaps-{s.item}",
                      f"{city.name}: {by_id[s.item].zh} {by_id[s.item].en} — gaps and "
                      "proposed sites",
                      partial(maps.gap_map, city, s.item, s, layers))
            for s in sitings]


def city_jobs(city: CityResult, sitings: Sequence[SitingResult] = (),
              layers: MapLayers | None = None) -> list[FigureJob]:
    """Every map of one city; its geometry is converted once for all of them."""
    layers = layers or map_layers(city)
    return index_jobs(city, layers) + gap_jobs(city, sitings, layers)


def comparison_jobs(cities: Sequence[CityResult]) -> list[FigureJob]:
    """Charts across cities; for one city only those whose numbers no table gives."""
    jobs = [FigureJob("compare-class-boxplots",
                      bilingual(("各类设施可达得分", "Facility-class scores by city")),
                      partial(charts.class_boxplots, cities))]
    if len(cities) < 2:
        return jobs
    return [
        FigureJob("compare-index-boxplots",
                  bilingual(("各城市指数分布", "Index distributions by city")),
                  partial(charts.index_boxplots, cities)),
        *jobs,
        FigureJob("compare-coverage",
                  bilingual(("表2 各项设施覆盖率", "Coverage per Table 2 item")),
                  partial(charts.coverage_bars, cities)),
        FigureJob("compare-low-share",
                  bilingual(("低分区居民比例", "Residents in low-score areas")),
                  partial(charts.low_share_bars, cities)),
    ]


def _render_all(jobs: Sequence[FigureJob], out_dir: Path, svg: bool,
                done: Callable[[FigureFiles], None] | None) -> list[FigureFiles]:
    out = []
    for job in jobs:
        out.append(render_job(job, out_dir, svg=svg))
        if done is not None:
            done(out[-1])
    return out


def city_figures(city: CityResult, out_dir: Path,
                 sitings: Sequence[SitingResult] = (), *, svg: bool = False,
                 done: Callable[[FigureFiles], None] | None = None) -> list[FigureFiles]:
    """Draw the maps of one city here, one after the other; ``done`` is called after each."""
    return _render_all(city_jobs(city, sitings), out_dir, svg, done)


def comparison_figures(cities: Sequence[CityResult], out_dir: Path, *, svg: bool = False,
                       done: Callable[[FigureFiles], None] | None = None) -> list[FigureFiles]:
    """Draw the charts across cities here; ``done`` as for city figures."""
    return _render_all(comparison_jobs(cities), out_dir, svg, done)
