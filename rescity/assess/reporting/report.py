"""The self-contained HTML report (and its PDF): tables, figures, method, attribution.

One file a planner can e-mail: figures are embedded as data URIs (palette PNGs; SVG when asked
for and small), so the report needs neither the result folder nor a network connection. Next to
it, ``report.json`` carries the same numbers for machines and ``report.pdf`` the printable
version (when Chromium is installed).
"""

from __future__ import annotations

import base64
import json
import math
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from rescity.assess.adapters.pdf import PdfPrinter
from rescity.assess.adapters.result_store import CityResult
from rescity.assess.adapters.writers import _clean
from rescity.assess.domain.analysis import AnalysisConfig
from rescity.assess.domain.indices import INDEX_NAMES
from rescity.assess.reporting.caveats import city_caveats
from rescity.assess.reporting.drawing import Drawing
from rescity.assess.reporting.figures import (
    SURFACE_INDICES,
    FigureJob,
    comparison_jobs,
    gap_jobs,
    index_jobs,
)
from rescity.assess.reporting.layers import map_layers
from rescity.assess.reporting.style import (
    CATCHMENT_LABELS,
    GROUP_LABELS,
    INDEX_LABELS,
    FigureFiles,
)
from rescity.assess.services.analyse import CityAnalysis
from rescity.core.i18n import translator

MAX_SVG_BYTES = 1_500_000


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    json: Path
    pdf: Path | None
    figures: list[FigureFiles]


def _data_uri(fig: FigureFiles) -> str:
    if fig.svg is not None and fig.svg.stat().st_size <= MAX_SVG_BYTES:
        return "data:image/svg+xml;base64," + base64.b64encode(fig.svg.read_bytes()).decode()
    return "data:image/png;base64," + base64.b64encode(fig.png.read_bytes()).decode()


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{100 * float(value):.1f} %"


def _rows(analyses: Sequence[CityAnalysis]) -> dict[str, Any]:
    """Table rows, already formatted, so the template only lays them out."""
    first = analyses[0].city
    by_id = {it.id: it for it in first.taxonomy.items}
    labels = first.config.thresholds.labels
    overview, indices, coverage, gaps, catchment = [], [], [], [], []
    for a in analyses:
        s, c = a.city.summary, a.city
        overview.append({
            "city": c.name, "origins": s.get("origins"), "population": f"{s['population']:,.0f}",
            "network_km": _fmt(s.get("network", {}).get("length_km"), 1),
            "facilities": len(c.facilities), "missing": [
                f"{by_id[i].zh} {by_id[i].en}" for i in s.get("missing_items", [])
                if i in by_id],
        })
        for name in INDEX_NAMES:
            st = s["indices"].get(name, {})
            indices.append({"city": c.name, "index": INDEX_LABELS[name],
                            **{k: _fmt(st.get(k)) for k in ("median", "q1", "q3", "mean")},
                            "low": _fmt(st.get("low"), 2), "share_low": _pct(st.get("share_low"))})
        for item in c.config.life_service.weights:
            cov = s["coverage"].get(item, {})
            coverage.append({"city": c.name, "item": (by_id[item].zh, by_id[item].en),
                             "values": [_pct(cov.get(lab)) for lab in labels]})
        for g in a.gaps:
            gaps.append({"city": c.name, "item": (g.zh, g.en),
                         "population": f"{g.uncovered_population:,.0f}",
                         "share": _pct(g.uncovered_share), "origins": g.uncovered_origins})
        for group, acc in a.catchment.items():
            catchment.append({"city": c.name, "group": CATCHMENT_LABELS.get(group, (group, group)),
                              "facilities": acc.facilities,
                              **{k: _fmt(acc.stats.get(k), 2) for k in ("median", "mean")},
                              "share_none": _pct(acc.stats.get("share_none"))})
    return {"overview": overview, "indices": indices, "coverage": coverage, "gaps": gaps,
            "catchment": catchment, "labels": labels}


def _sitings(analyses: Sequence[CityAnalysis], t: Any) -> list[dict[str, Any]]:
    out = []
    for a in analyses:
        by_id = {it.id: it for it in a.city.taxonomy.items}
        for s in a.sitings:
            if s.exact is not None and s.exact.covered > 0:
                note = t("assess.report.greedy_vs_exact", greedy=f"{s.greedy.covered:,.0f}",
                         exact=f"{s.exact.covered:,.0f}", ratio=_pct(s.greedy_ratio))
            elif s.uncovered_population <= 0:
                note = t("assess.report.no_gap")
            else:
                note = t("assess.report.exact_skipped")
            if s.shortfall:
                note += " " + t(f"assess.report.siting_short_"
                                f"{'all' if s.shortfall == 'all_covered' else 'unreachable'}",
                                n=len(s.sites), k=s.requested)
            out.append({
                "city": a.city.name, "item": (by_id[s.item].zh, by_id[s.item].en),
                "intro": t("assess.report.siting_intro", threshold=s.threshold,
                           distance=f"{s.distance_m:g}"),
                "note": note,
                "sites": [{"rank": int(r["rank"]), "lon": f"{r['lon']:.5f}",
                           "lat": f"{r['lat']:.5f}", "gain": f"{r['gain_population']:,.0f}",
                           "cum": _pct(r["cumulative_share_of_uncovered"])}
                          for r in s.sites.to_dict(orient="records")],
            })
    return out


def _population(a: CityAnalysis) -> dict[str, Any]:
    """Where the city's population figures come from; a raster's coverage, if one was used."""
    s = a.city.summary
    r = s.get("population_raster")
    raster = None if not r else {
        "path": r["path"], "inside": f"{r['population_in_origins']:,.0f}",
        "bbox": f"{r['population_in_bbox']:,.0f}", "share": _pct(r["share_in_origins"]),
    }
    return {"city": a.city.name, "source": s.get("population_source", "floor_area"),
            "raster": raster}


def _method(analyses: Sequence[CityAnalysis], analysis: AnalysisConfig) -> dict[str, Any]:
    cfg = analyses[0].city.config
    tax = analyses[0].city.taxonomy
    by_id = {it.id: it for it in tax.items}
    return {
        "thresholds": list(zip(cfg.thresholds.labels, cfg.thresholds.distances_m, strict=True)),
        "weights": [{"group": GROUP_LABELS.get(by_id[i].group, (by_id[i].group,) * 2),
                     "item": (by_id[i].zh, by_id[i].en), "weight": f"{w:.4f}"}
                    for i, w in cfg.life_service.weights.items()],
        "mode": cfg.life_service.mode,
        "composite": [(INDEX_LABELS[k], getattr(cfg.composite, k))
                      for k in ("life_service", "disaster", "transport", "environment")],
        "lows": [(INDEX_LABELS["life_service"], cfg.life_service.low),
                 (INDEX_LABELS["disaster"], cfg.disaster.low),
                 (INDEX_LABELS["transport"], cfg.transport.low),
                 (INDEX_LABELS["environment"], cfg.environment.low),
                 (INDEX_LABELS["health_resilience"], cfg.composite.low)],
        "origin_kind": analyses[0].city.summary.get("origin_kind", cfg.origins.kind),
        "population": [_population(a) for a in analyses],
        "catchment_distance": f"{analysis.catchment.distance_m:g}",
        "catchment_per": f"{analysis.catchment.per_population:,.0f}",
    }


def _version() -> str:
    try:
        return version("rescity")
    except PackageNotFoundError:
        return "dev"


class ReportDraft:
    """A report under way, started before its cities are analysed.

    On creation the browser for the PDF starts and the figures that need no analysis (the
    charts, index maps and surfaces) are drawn on worker processes, while the caller runs
    the analyses; :meth:`finish` then draws the gap maps and writes the files. Use it as a
    context manager: leaving it closes the browser and stops the workers.

    ``printer``: a browser the caller started even earlier (and closes). ``gap_maps_per_city``
    (the number of items to be sited) only sizes the progress bar.
    """

    def __init__(self, cities: Sequence[CityResult], out_dir: Path | str, *, pdf: bool = True,
                 printer: PdfPrinter | None = None, svg: bool = False,
                 workers: int | None = None, gap_maps_per_city: int = 0,
                 on_progress: Callable[[str, float], None] | None = None) -> None:
        if not cities:
            raise ValueError("a report needs at least one city")
        self._cities = list(cities)
        self._out = Path(out_dir)
        self._svg, self._workers, self._on_progress = svg, workers, on_progress
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self._drawn, self._share = 0, 0.0
        if pdf and printer is None:  # the browser starts now, while figures are drawn
            printer = self._stack.enter_context(PdfPrinter())
        self._printer = printer if pdf else None
        self._layers = [map_layers(c) for c in self._cities]
        early = comparison_jobs(self._cities) + [
            job for c, layers in zip(self._cities, self._layers, strict=True)
            for job in index_jobs(c, layers)]
        # the longest work (a city's two surfaces, drawn in a row) first: no straggler at the end
        self._early = sorted(early, key=lambda job: job.group is None)
        self._total = len(self._early) + gap_maps_per_city * len(self._cities)
        self._first = self._draw(self._early)

    def _draw(self, jobs: Sequence[FigureJob]) -> Drawing:
        drawing = Drawing(jobs, self._out / "figures", svg=self._svg, workers=self._workers,
                          done=self._done)
        self._stack.callback(drawing.close)
        return drawing

    def _done(self, _fig: FigureFiles) -> None:
        with self._lock:  # two drawings report from two threads
            self._drawn += 1
            self._share = max(self._share, min(1.0, self._drawn / max(self._total, 1)))
            if self._on_progress:
                self._on_progress("figures", self._share)

    def finish(self, analyses: Sequence[CityAnalysis], analysis: AnalysisConfig, *,
               lang: str = "en", mark: Callable[[str], None] | None = None) -> ReportFiles:
        """Draw the gap maps of ``analyses`` (of the draft's cities, in order), then write
        ``report.html``, ``report.json`` and the PDF."""
        if len(analyses) != len(self._cities) or any(
                a.city is not c for a, c in zip(analyses, self._cities, strict=False)):
            raise ValueError("the analyses are not of the report's cities")
        gaps = [job for a, layers in zip(analyses, self._layers, strict=True)
                for job in gap_jobs(a.city, a.sitings, layers)]
        with self._lock:
            self._total = len(self._early) + len(gaps)
        second = self._draw(gaps)
        by_name = {f.name: f for f in self._first.result() + second.result()}
        order = [j.name for j in comparison_jobs(self._cities)] + [
            name for a in analyses for name in
            [f"{a.city.name}-map-{i}" for i in INDEX_NAMES]
            + [f"{a.city.name}-surface-{i}" for i in SURFACE_INDICES]
            + [f"{a.city.name}-gaps-{s.item}" for s in a.sitings]]
        figs = [by_name[name] for name in order if name in by_name]
        if mark:
            mark("figures drawn")
        html_path, json_path = _write_html_json(analyses, figs, self._out, analysis, lang)
        if mark:
            mark("HTML written")
        pdf_path = None
        if self._printer is not None:
            if self._on_progress:
                self._on_progress("pdf", 0.0)
            pdf_path = self._printer.print(html_path, self._out / "report.pdf")
            if self._on_progress:
                self._on_progress("pdf", 1.0)
        return ReportFiles(html_path, json_path, pdf_path, figs)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> ReportDraft:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_report(
    analyses: Sequence[CityAnalysis], out_dir: Path | str, analysis: AnalysisConfig, *,
    lang: str = "en", pdf: bool = True, svg: bool = False,
    on_progress: Callable[[str, float], None] | None = None, workers: int | None = None,
) -> ReportFiles:
    """Render figures, then ``report.html``, ``report.json`` and (if possible) ``report.pdf``.

    Figures are PNGs, drawn once and used by both the HTML and the PDF; ``svg`` also writes a
    vector copy of each (embedded in the HTML where small enough). They are drawn on
    ``workers`` forked processes (default: one per core; 0 draws here) while Chromium starts
    for the PDF. ``on_progress(step, share)`` follows the steps "figures" and "pdf".
    """
    if not analyses:
        raise ValueError("a report needs at least one city")
    with ReportDraft([a.city for a in analyses], out_dir, pdf=pdf, svg=svg, workers=workers,
                     gap_maps_per_city=0, on_progress=on_progress) as draft:
        return draft.finish(analyses, analysis, lang=lang)


def _write_html_json(analyses: Sequence[CityAnalysis], figs: Sequence[FigureFiles], out: Path,
                     analysis: AnalysisConfig, lang: str) -> tuple[Path, Path]:
    t = translator(lang)
    env = Environment(loader=PackageLoader("rescity.assess.reporting", "templates"),
                      autoescape=select_autoescape(["html"]))
    html = env.get_template("report.html").render(
        t=t, lang=lang, many=len(analyses) > 1, cities=[a.city.name for a in analyses],
        generated=t("assess.report.generated",
                    when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), version=_version()),
        tables=_rows(analyses), sitings=_sitings(analyses, t), method=_method(analyses, analysis),
        caveats=[{"city": a.city.name, "items": [t(key, **params) for key, params in
                                                 city_caveats(a.city)]} for a in analyses],
        figures=[{"title": f.title, "src": _data_uri(f), "name": f.name} for f in figs],
    )
    out.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out / "report.html", out / "report.json"
    html_path.write_text(html, encoding="utf-8")
    json_path.write_text(json.dumps(_clean([a.to_json() for a in analyses]), ensure_ascii=False,
                                    indent=2, default=float), encoding="utf-8")
    return html_path, json_path
