"""Figures: files exist at the expected size, are not blank, and show Chinese text."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from rescity.assess.reporting.figures import city_figures, comparison_figures
from rescity.assess.reporting.style import CJK_FONT, DPI, cjk_font, figure_style, save
from rescity.assess.services.siting import site_facilities


class Captured:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.logs: list[str] = []


@pytest.fixture(scope="module")
def rendered(cities, tmp_path_factory):
    """Every figure of a two-city comparison, rendered once, with warnings and logs captured."""
    out = tmp_path_factory.mktemp("figures")
    cap = Captured()
    handler = logging.Handler()
    handler.emit = lambda record: cap.logs.append(record.getMessage())  # type: ignore[method-assign]
    mpl_log = logging.getLogger("matplotlib")
    mpl_log.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            nj = cities["nanjing_xinjiekou"]
            siting = site_facilities(nj, "kindergarten", 3)
            files = city_figures(nj, out, [siting]) + comparison_figures(list(cities.values()),
                                                                         out)
        cap.warnings = [str(w.message) for w in caught]
    finally:
        mpl_log.removeHandler(handler)
    return files, cap


def pixel_stats(path: Path) -> tuple[tuple[int, int], float, int]:
    img = np.asarray(Image.open(path).convert("RGB"))
    non_white = float((img.min(axis=2) < 240).mean())
    colours = len(np.unique(img.reshape(-1, 3)[::7], axis=0))
    return (img.shape[1], img.shape[0]), non_white, colours


def test_the_cjk_font_is_found() -> None:
    assert cjk_font() == CJK_FONT


def test_every_figure_is_written_as_png_and_svg(rendered) -> None:
    files, _ = rendered
    names = {f.name for f in files}
    assert {"nanjing_xinjiekou-map-life_service", "nanjing_xinjiekou-surface-life_service",
            "nanjing_xinjiekou-gaps-kindergarten", "compare-index-boxplots",
            "compare-class-boxplots", "compare-coverage", "compare-low-share"} <= names
    for f in files:
        assert f.png.stat().st_size > 10_000
        assert f.svg.read_text("utf-8").lstrip().startswith(("<?xml", "<svg"))


def test_maps_have_the_expected_size_and_real_content(rendered) -> None:
    files, _ = rendered
    for f in files:
        size, non_white, colours = pixel_stats(f.png)
        if "-map-" in f.name or "-surface-" in f.name or "-gaps-" in f.name:
            assert size == (8 * DPI, 7 * DPI), f.name
        assert non_white > 0.03, f"{f.name} is almost blank"
        assert colours > 30, f"{f.name} has too few colours"


def test_an_interpolated_surface_is_mostly_colour_not_just_lines(rendered) -> None:
    files, _ = rendered
    surface = next(f for f in files if f.name.endswith("surface-life_service"))
    _, non_white, _ = pixel_stats(surface.png)
    assert non_white > 0.12


def test_no_glyph_is_missing_and_the_svg_draws_chinese_with_the_cjk_font(rendered) -> None:
    files, cap = rendered
    messages = [m.lower() for m in cap.warnings + cap.logs]
    missing = [m for m in messages if "missing" in m and "glyph" in m]
    assert missing == []
    assert not [m for m in cap.logs if "findfont" in m and "not found" in m]
    for f in files:
        assert "NotoSansCJKsc" in f.svg.read_text("utf-8"), f.name


def test_the_glyph_check_would_catch_a_font_without_chinese(tmp_path) -> None:
    with warnings.catch_warnings(record=True) as caught, mpl.rc_context(
            {"font.family": "DejaVu Sans"}):
        warnings.simplefilter("always")
        fig = Figure(figsize=(2, 1))
        fig.text(0.1, 0.5, "生活服务")
        fig.savefig(tmp_path / "x.png")
    assert any("Glyph" in str(w.message) and "missing" in str(w.message) for w in caught)


def test_saving_restores_matplotlib_settings(tmp_path) -> None:
    before = list(mpl.rcParams["font.sans-serif"])
    with figure_style():
        fig = Figure(figsize=(2, 1))
        fig.text(0.1, 0.5, "韧性 resilience")
        save(fig, tmp_path, "x", "x")
    assert list(mpl.rcParams["font.sans-serif"]) == before
