"""The self-contained HTML report (and its PDF): tables, figures, method, attribution.

One file a planner can e-mail: figures are embedded as data URIs (SVG, or PNG when the SVG is
very large), so the report needs neither the result folder nor a network connection. Next to
it, ``report.json`` carries the same numbers for machines and ``report.pdf`` the printable
version (when Chromium is installed).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from rescity.assess.adapters.pdf import html_to_pdf
from rescity.assess.adapters.writers import _clean
from rescity.assess.domain.analysis import AnalysisConfig
from rescity.assess.domain.indices import INDEX_NAMES
from rescity.assess.reporting.figures import city_figures, comparison_figures
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
    if fig.svg.stat().st_size <= MAX_SVG_BYTES:
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


def write_report(
    analyses: Sequence[CityAnalysis], out_dir: Path | str, analysis: AnalysisConfig, *,
    lang: str = "en", pdf: bool = True,
) -> ReportFiles:
    """Render figures, then ``report.html``, ``report.json`` and (if possible) ``report.pdf``."""
    if not analyses:
        raise ValueError("a report needs at least one city")
    out = Path(out_dir)
    fig_dir = out / "figures"
    figs = comparison_figures([a.city for a in analyses], fig_dir)
    for a in analyses:
        figs += city_figures(a.city, fig_dir, a.sitings)
    t = translator(lang)
    env = Environment(loader=PackageLoader("rescity.assess.reporting", "templates"),
                      autoescape=select_autoescape(["html"]))
    html = env.get_template("report.html").render(
        t=t, lang=lang, many=len(analyses) > 1, cities=[a.city.name for a in analyses],
        generated=t("assess.report.generated",
                    when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), version=_version()),
        tables=_rows(analyses), sitings=_sitings(analyses, t), method=_method(analyses, analysis),
        figures=[{"title": f.title, "src": _data_uri(f), "name": f.name} for f in figs],
    )
    out.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out / "report.html", out / "report.json"
    html_path.write_text(html, encoding="utf-8")
    json_path.write_text(json.dumps(_clean([a.to_json() for a in analyses]), ensure_ascii=False,
                                    indent=2, default=float), encoding="utf-8")
    pdf_path = html_to_pdf(html_path, out / "report.pdf") if pdf else None
    return ReportFiles(html_path, json_path, pdf_path, figs)
