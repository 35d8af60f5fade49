"""How a report is made quickly: which figures a single city gets, figures drawn on worker
processes exactly as here, the fixed map layout, the PNG palette, and the PDF printed by a
Chromium started ahead of time."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from rescity.assess.adapters.pdf import PdfPrinter, find_chromium
from rescity.assess.domain.analysis import load_analysis
from rescity.assess.reporting import figures
from rescity.assess.reporting.drawing import draw_figures
from rescity.assess.reporting.figures import FigureJob, comparison_jobs
from rescity.assess.reporting.maps import gap_map, index_map
from rescity.assess.reporting.report import ReportDraft, write_report
from rescity.assess.reporting.style import figure_style, palette_png
from rescity.assess.services.analyse import analyse_city

pytestmark = pytest.mark.slow
NANJING = "nanjing_xinjiekou"


def test_one_city_gets_only_the_chart_whose_numbers_no_table_gives(cities) -> None:
    one = [cities[NANJING]]
    assert [j.name for j in comparison_jobs(one)] == ["compare-class-boxplots"]
    assert {j.name for j in comparison_jobs(list(cities.values()))} == {
        "compare-index-boxplots", "compare-class-boxplots", "compare-coverage",
        "compare-low-share"}


def test_a_one_city_report_embeds_its_maps_and_the_class_chart(cities, tmp_path) -> None:
    city = cities[NANJING]
    acfg = load_analysis(None)
    files = write_report([analyse_city(city, acfg, items=["kindergarten"])], tmp_path, acfg,
                         pdf=False)
    names = [f.name for f in files.figures]
    assert names == ["compare-class-boxplots",
                     *(f"{NANJING}-map-{i}" for i in ("life_service", "disaster", "transport",
                                                      "environment", "health_resilience")),
                     f"{NANJING}-surface-life_service", f"{NANJING}-surface-health_resilience",
                     f"{NANJING}-gaps-kindergarten"]
    html = files.html.read_text("utf-8")
    assert re.findall(r'<figure id="fig-([^"]+)"', html) == names
    assert len(html.encode()) <= 3_000_000


def test_figures_drawn_on_workers_are_those_drawn_here(cities, tmp_path) -> None:
    city = cities[NANJING]
    jobs = figures.index_jobs(city)[:3] + comparison_jobs([city])
    here = draw_figures(jobs, tmp_path / "here", workers=0)
    there = draw_figures(jobs, tmp_path / "workers", workers=2)
    assert [f.name for f in there] == [j.name for j in jobs] == [f.name for f in here]
    for a, b in zip(here, there, strict=True):
        assert np.array_equal(np.asarray(Image.open(a.png)), np.asarray(Image.open(b.png)))


def _noisy(text: str) -> Figure:
    warnings.warn(f"warned while drawing {text}", UserWarning, stacklevel=1)
    logging.getLogger("matplotlib.test").warning("logged while drawing %s", text)
    fig = Figure(figsize=(2, 1))
    fig.text(0.1, 0.5, text)
    return fig


def test_warnings_and_logs_of_a_worker_reach_the_caller(tmp_path) -> None:
    jobs = [FigureJob(f"noisy-{i}", "t", lambda i=i: _noisy(f"figure {i}")) for i in range(3)]
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("matplotlib")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            draw_figures(jobs, tmp_path, workers=2)
    finally:
        logger.removeHandler(handler)
    assert sorted(str(w.message) for w in caught) == [f"warned while drawing figure {i}"
                                                       for i in range(3)]
    assert sorted(seen) == [f"logged while drawing figure {i}" for i in range(3)]


def test_letters_the_cjk_font_lacks_come_from_the_fallback_font(tmp_path) -> None:
    # Maltese place names (Ħal Qormi) were boxes: the CJK font has no Ħ, and the fallback
    # font was never consulted.
    with warnings.catch_warnings(record=True) as caught, figure_style():
        warnings.simplefilter("always")
        fig = Figure(figsize=(3, 1))
        fig.text(0.1, 0.5, "Ħal Qormi 生活服务", style="italic")
        fig.text(0.1, 0.2, "Ħamrun")
        fig.savefig(tmp_path / "x.png")
    assert [str(w.message) for w in caught if "missing" in str(w.message)] == []


def test_maps_have_a_fixed_layout_with_the_colour_bar_beside_the_frame(cities) -> None:
    city = cities[NANJING]
    with figure_style():
        fig = index_map(city, "life_service")
        canvas = FigureCanvasAgg(fig)
        canvas.draw()  # type: ignore[no-untyped-call]
    assert fig.get_layout_engine() is None
    frame, bar = fig.axes[0], fig.axes[1]
    fx0, fx1 = frame.get_position().x0, frame.get_position().x1
    bx0, bx1 = bar.get_position().x0, bar.get_position().x1
    assert fx1 < bx0 < bx1 < 1.0 and fx0 >= 0.0
    renderer = canvas.get_renderer()
    for ax in fig.axes:  # titles, tick labels and the bar's label stay inside the figure
        box = ax.get_tightbbox(renderer)
        assert box.x0 >= 0 and box.y0 >= 0
        assert box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height


def test_a_map_without_colour_bar_uses_the_full_width(cities) -> None:
    city = cities[NANJING]
    with figure_style():
        fig = gap_map(city, "kindergarten")
    assert len(fig.axes) == 1
    assert fig.axes[0].get_position().width > 0.95


def test_palette_pngs_keep_white_and_black_exact() -> None:
    rng = np.random.default_rng(1)
    rgb = np.full((360, 480, 3), 255, dtype=np.uint8)
    rgb[100:200, 100:300] = rng.integers(0, 256, (100, 200, 3), dtype=np.uint8)  # > 256 colours
    rgb[250:260, 50:400] = 0
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, dtype=np.uint8)])
    out = np.asarray(palette_png(rgba).convert("RGB"))
    assert (out[:50] == 255).all() and (out[250:260, 50:400] == 0).all()
    assert np.abs(out.astype(int) - rgb).mean() < 3


def test_the_draft_reports_figures_steadily_and_checks_its_cities(cities, tmp_path) -> None:
    city = cities[NANJING]
    acfg = load_analysis(None)
    shares: list[float] = []
    with ReportDraft([city], tmp_path, pdf=False, gap_maps_per_city=1,
                     on_progress=lambda step, share: shares.append(share)) as draft:
        analysis = analyse_city(city, acfg, items=["kindergarten"])
        with pytest.raises(ValueError, match="not of the report's cities"):
            draft.finish([analyse_city(cities["beijing_haidian_liudaokou"], acfg, items=[])],
                         acfg)
        files = draft.finish([analysis], acfg)
    assert len(shares) == len(files.figures) == 9
    assert shares == sorted(shares) and shares[-1] == 1.0


def test_the_report_command_imports_neither_the_pipeline_nor_dask() -> None:
    code = ("import sys, rescity.assess.entrypoints.cli_report; "
            "print(sorted(m for m in ('rescity.assess.services.pipeline', 'dask', "
            "'distributed', 'rasterio') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


@pytest.fixture
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium on this machine")
    return exe


def _report_like_html(path: Path) -> Path:
    path.write_text('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
                    'body { font-family: "Noto Sans CJK SC", sans-serif; }</style></head>'
                    "<body><h1>韧性评估 Resilience report</h1>"
                    + "<p>生活服务指数 Life-service index</p>" * 200 + "</body></html>",
                    encoding="utf-8")
    return path


def _profiles() -> set[str]:
    import tempfile

    return {p.name for p in Path(tempfile.gettempdir()).glob("rescity-pdf-*")}


def test_the_pdf_is_printed_over_the_devtools_pipe_with_chinese_text(chromium, tmp_path,
                                                                     monkeypatch) -> None:
    from rescity.assess.adapters import pdf as pdf_mod

    def no_fallback(*args: object) -> None:
        raise AssertionError("printed by the one-shot command, not over the pipe")

    monkeypatch.setattr(pdf_mod, "_print_once", no_fallback)
    before = _profiles()
    html = _report_like_html(tmp_path / "r.html")
    with PdfPrinter(chromium) as printer:
        first = printer.print(html, tmp_path / "a.pdf")
        again = printer.print(html, tmp_path / "b.pdf")  # the same browser prints twice
    assert first is not None and again is not None
    data = first.read_bytes()
    assert data[:5] == b"%PDF-"
    assert b"NotoSansCJK" in data  # the Chinese text is set in the CJK font
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2
    assert _profiles() <= before  # the temporary browser profile is removed


def test_a_browser_that_died_is_replaced_by_the_one_shot_print(chromium, tmp_path) -> None:
    html = _report_like_html(tmp_path / "r.html")
    with PdfPrinter(chromium) as printer:
        assert printer._proc is not None
        printer._proc.kill()
        out = printer.print(html, tmp_path / "a.pdf")
    assert out is not None and out.read_bytes()[:5] == b"%PDF-"


def test_a_citys_surfaces_share_their_grid_and_are_drawn_in_a_row(cities, monkeypatch) -> None:
    from rescity.assess.reporting import maps
    from rescity.assess.reporting.drawing import _units
    from rescity.assess.reporting.layers import map_layers

    city = cities[NANJING]
    layers = map_layers(city)
    made: list[float] = []
    real = maps.built_up_grid

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(kwargs["cell"])
        return real(*args, **kwargs)

    monkeypatch.setattr(maps, "built_up_grid", counting)
    with figure_style():
        maps.surface_map(city, "life_service", layers)
        maps.surface_map(city, "health_resilience", layers)
    assert made == [40.0]
    jobs = figures.index_jobs(city, layers)
    units = _units(jobs)
    surfaces = [i for i, j in enumerate(jobs) if "-surface-" in j.name]
    assert surfaces in units and len(units) == len(jobs) - 1
